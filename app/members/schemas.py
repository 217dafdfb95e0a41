from datetime import date

from pydantic import BaseModel, ConfigDict


class MemberStateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    iso3: str
    name: str
    name_fr: str
    joined_on: date
