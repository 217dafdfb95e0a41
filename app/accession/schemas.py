"""Wire shapes of a candidate's accession milestones."""

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.models import AccessionMilestone
from app.schema_types import InputDate


class MilestoneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    milestone: AccessionMilestone
    occurred_on: date
    source: str
    recorded_at: datetime


class AccessionRead(BaseModel):
    """A candidate's accession so far, milestones in the order they happen."""

    candidate: str
    phase: str
    milestones: list[MilestoneRead]
    last_ratification: date | None = Field(
        description="The day the last ratifying member state took its first recorded step "
                    "(parliamentary approval or later), once every one of them has; null "
                    "before.")
    member_since: date | None
    ratification_applies: bool = Field(
        description="True once an accession protocol is signed (phase ratification or "
                    "member): only then do member states ratify.")


class MilestoneCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    milestone: AccessionMilestone
    occurred_on: InputDate = Field(description="When it happened; not in the future.")
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=2000)]


# Shown by /docs and posted by tests/http/test_openapi_examples.py to the demo data set.
MILESTONE_EXAMPLES: dict[str, dict[str, object]] = {
    "application": {"summary": "The application was submitted",
                    "value": {"milestone": "application_submitted", "occurred_on": "2025-10-01",
                              "source": "Letter of application to the Secretary General"}},
}
