"""Wire shapes of gates (what a tier must have met to enter a phase) and of a candidate's path
to its next phase."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.benchmarks.schemas import BenchmarkKey
from app.models import Phase, Tier
from app.schema_types import Id, InputBool, NoNul
from app.status import Status

ILLUSTRATIVE_GATE = ("This gate is this tool's illustration of what a tier could be asked "
                     "before a phase, not a decision of the alliance.")
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul]
Targets = Annotated[list[BenchmarkKey], Field(min_length=1, max_length=100)]
Requires = Annotated[list[Id], Field(max_length=20)]


class GateRead(BaseModel):
    id: int
    tier: Tier
    from_phase: Phase = Field(description="The phase the gate leads from: the one before "
                              "`to_phase`.")
    to_phase: Phase
    targets: list[str] = Field(description="The gate's own targets, by benchmark key.")
    requires: list[int] = Field(description="Ids of the gates of the same tier whose targets "
                                "this gate includes.")
    all_targets: list[str] = Field(description="Every target to be met: its own, then those "
                                   "of the gates it requires, each once.")
    source: str
    note: str
    note_fr: str
    is_illustrative: bool = Field(description=ILLUSTRATIVE_GATE)
    created_at: datetime
    updated_at: datetime


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be left out but not null")
    return value


class GateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Tier
    to_phase: Phase = Field(description="accession_talks, ratification or member.")
    from_phase: Phase | None = Field(default=None, description="Optional: checked to be the "
                                     "phase just before `to_phase`.")
    targets: Targets = Field(description="Benchmark keys, each with a requirement for the tier.")
    requires: Requires = Field(default_factory=list, description="Ids of other gates of the "
                               "same tier whose targets this one includes (never a cycle).")
    source: Text = ""
    note: Text = ""
    note_fr: Text = ""
    is_illustrative: InputBool = False


class GateUpdate(BaseModel):
    """The fields to change; the previous values are kept in the event the change records."""

    model_config = ConfigDict(extra="forbid")

    tier: Tier | None = None
    to_phase: Phase | None = None
    from_phase: Phase | None = None
    targets: Targets | None = None
    requires: Requires | None = None
    source: Text | None = None
    note: Text | None = None
    note_fr: Text | None = None
    is_illustrative: InputBool | None = None

    _not_null = field_validator("tier", "to_phase", "targets", "requires", "source", "note",
                                "note_fr", "is_illustrative", mode="before")(_not_null)


# Shown by /docs and posted by tests/http/test_openapi_examples.py to the demo data set (which
# has no strategic partner's gate into ratification).
GATE_CREATE_EXAMPLES: dict[str, Any] = {
    "gate": {"summary": "A gate into ratification",
             "value": {"tier": "strategic_partner", "to_phase": "ratification",
                       "targets": ["defence_spending_gdp", "joint_exercises"],
                       "source": "Illustration", "is_illustrative": True}},
}
GATE_UPDATE_EXAMPLES: dict[str, Any] = {
    "note": {"summary": "A new note and source",
             "value": {"note": "Reviewed at the annual summit.",
                       "source": "Summit declaration, paragraph 12"}},
}


class GateSummary(BaseModel):
    id: int
    tier: Tier
    to_phase: Phase
    source: str
    note: str
    is_illustrative: bool = Field(description=ILLUSTRATIVE_GATE)


class PathTargetRead(BaseModel):
    key: str
    title: str
    status: Status | None = Field(description="As the status API gives it; null when the tier "
                                  "is not evaluated on this target on that date.")
    projected_on: date | None = Field(description="Null when not met and not projectable, or "
                                      "when behind its own trend (see `behind_trend_on`).")
    behind_trend_on: date | None = Field(
        default=None, description="Not met, though at its current pace it would have been by "
        "this date, already past: it is behind its own trend, and has no projected date.")
    due_on: date | None
    is_met: bool
    is_critical: bool = Field(description="The target projected last, or the first unmet one "
                              "with no projected date.")


class PathRead(BaseModel):
    slug: str
    as_of: date
    tier: Tier = Field(description="The tier evaluated: the candidate's own on that date, or "
                       "the what-if `tier`.")
    is_what_if: bool
    current_phase: Phase
    next_phase: Phase | None = Field(description="Null for a member: no next phase.")
    gate: GateSummary | None = Field(description="The gate into the next phase, if recorded.")
    targets: list[PathTargetRead] = Field(description="Every target of that gate, in order.")
    critical_target: str | None
    projected_on: date | None = Field(description="When the next phase's gate is projected to "
                                      "be met; null when it cannot be (see `reason`).")
    reason: str = Field(description="member, no_gate, gate_met, projected, unprojectable, "
                        "behind_trend (the critical target is not met though its own trend "
                        "says it would have been by now) or not_evaluated.")
    projection_note: str = Field(description="The projection, or why there is none, in words.")
    blockers: list[str] = Field(description="The targets not met now, which block the next "
                                "phase.")
    is_illustrative: bool = Field(description="The gate is this tool's illustration.")
    entered_on: date | None = Field(description="When the current phase was entered.")
    entry_gate: GateSummary | None = Field(description="The gate into the current phase.")
    entered_with_gate_unmet: bool = Field(description="The current phase was entered with "
                                          "targets of its gate unmet (evaluated as of that "
                                          "day). Gates never block recording a phase change.")
    unmet_on_entry: list[str]
