from datetime import date

from pydantic import BaseModel, ConfigDict

from app.members.schemas import MemberStateRead
from app.models import Confidence, RatificationStep


class RatificationStepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    step: RatificationStep
    occurred_on: date
    source: str
    confidence: Confidence
    note: str


class RatificationRead(BaseModel):
    """One member state's ratification of one candidate: its latest step is its status."""

    member: MemberStateRead
    status: RatificationStep | str
    status_on: date | None
    steps: list[RatificationStepRead]
