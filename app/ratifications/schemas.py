"""Wire shapes of ratifications: one member state's steps towards ratifying one candidate."""

from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from app.members.schemas import MemberStateRead
from app.models import Confidence, RatificationStep
from app.schema_types import InputDate


def _alias(value: object) -> object:
    # `signed` (the head of state's signature) is the step's name before procedures existed.
    return "head_of_state_assent" if value == "signed" else value


# A step as clients send it: one of RatificationStep, or `signed`, its old name for
# head_of_state_assent.
StepInput = Annotated[RatificationStep, BeforeValidator(_alias), Field(
    description="A step: " + ", ".join(f"`{s.value}`" for s in RatificationStep)
    + " (`signed` is still taken for `head_of_state_assent`).")]


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
    current_step: RatificationStep | None = Field(
        description="The latest step of the member's procedure reached; null if none.")
    next_step: RatificationStep | None = Field(
        description="The next step of the member's procedure; null once deposited.")
    days_in_step: int | None = Field(
        description="Days since the current step (as of `as_of`, or today); for a member not "
        "started, since the accession protocol was signed; null when that is not known either.")


class RatificationStepCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: StepInput
    occurred_on: InputDate = Field(description="When the step happened; not in the future.")
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=2000)]
    confidence: Confidence = Confidence.high
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    note_fr: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class ProcedureRead(BaseModel):
    """A member state's ratification procedure: its steps in order, and where it comes from."""

    member: MemberStateRead
    steps: list[RatificationStep]
    source: str
    is_default: bool = Field(description="The default procedure, not checked against the "
                             "member state's constitution.")


class ProcedureUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[StepInput] = Field(
        max_length=len(RatificationStep),
        description="In order: each step at most once, `deposited` last, a parliament in one "
        "chamber (`parliament_approved`) or two (`lower_chamber_approved` and "
        "`upper_chamber_approved`).")
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=2000)]


PROCEDURE_EXAMPLES: dict[str, dict[str, object]] = {
    "bicameral": {"summary": "Two chambers approve, then the head of state",
                  "value": {"steps": ["protocol_signed", "lower_chamber_approved",
                                      "upper_chamber_approved", "head_of_state_assent",
                                      "deposited"],
                            "source": "Constitution, art. 53"}},
}


# Shown by /docs and posted by tests/http/test_openapi_examples.py to the demo data set.
RATIFICATION_STEP_EXAMPLES: dict[str, dict[str, object]] = {
    "parliament": {"summary": "A parliament approved the protocol",
                   "value": {"step": "parliament_approved", "occurred_on": "2025-11-20",
                             "source": "Parliament press release"}},
}
