from datetime import datetime

from pydantic import BaseModel, ConfigDict

from app.models import ReportStatus


class ReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    period: str
    title: str
    body: str
    status: ReportStatus
    is_illustrative: bool
    published_at: datetime | None
    updated_at: datetime
