"""Wire shapes of ratifications: one member state's steps towards ratifying one candidate."""

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.members.schemas import MemberStateRead
from app.models import Confidence, RatificationStep
from app.schema_types import InputDate


class RatificationStepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    step: RatificationStep
    occurred_on: date
    source: str
    confidence: Confidence
    note: str
    note_fr: str


class RatificationRead(BaseModel):
    """One member state's ratification of one candidate: its latest step is its status."""

    member: MemberStateRead
    status: RatificationStep | str
    status_on: date | None
    steps: list[RatificationStepRead]


class RatificationStepCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: RatificationStep
    occurred_on: InputDate = Field(description="When the step happened; not in the future.")
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=2000)]
    confidence: Confidence = Confidence.high
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    note_fr: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


# Shown by /docs and posted by tests/api/test_openapi_examples.py to the demo data set.
RATIFICATION_STEP_EXAMPLES: dict[str, dict[str, object]] = {
    "parliament": {"summary": "A parliament approved the protocol",
                   "value": {"step": "parliament_approved", "occurred_on": "2025-11-20",
                             "source": "Parliament press release"}},
}
