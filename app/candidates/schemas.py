"""Wire shapes of candidates."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.models import AssessedBy, BenchmarkKind, ExpansionModel, ObservationStatus, Phase, Tier
from app.schema_types import InputBool, InputDate
from app.status import Change, PaceNote, Status, Trend


class StatusChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tier: Tier
    phase: Phase
    effective_on: date
    source: str
    note: str
    note_fr: str
    is_illustrative: bool = Field(description="The tier assigned here is illustrative.")


class CandidateSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    iso3: str
    name: str
    name_fr: str
    tier: Tier
    model: ExpansionModel
    phase: Phase


class CandidateRead(CandidateSummary):
    summary: str
    summary_fr: str
    history: list[StatusChangeRead]


class LatestValue(BaseModel):
    value: float | str = Field(description="As stored: never rounded.")
    as_of: date
    source: str
    vintage: str | None = Field(description='The source\'s release, e.g. "SIPRI 2025".')
    observation_status: ObservationStatus
    recorded_at: datetime
    is_revision: bool = Field(description="A correction from a newer release of the source "
                              "(another vintage), not of a mistake.")
    revised_from: str | None = Field(description="The vintage it revises, when a revision.")
    assessed_by: AssessedBy = Field(default=AssessedBy.independent,
                                    description="`self` or `independent`.")


class DivergenceRead(BaseModel):
    """The latest self-assessed figure against the latest independent one, on `as_of`."""

    self_value: float = Field(description="The self-assessed figure (a milestone: its stage's "
                              "position, 1 for the first stage).")
    independent_value: float
    difference: float = Field(description="self_value - independent_value.")
    threshold: float = Field(description="How far apart they may be before it is flagged: "
                             "ACCESSION_ASSESSMENT_DIVERGENCE_SHARE (default 0.10) of the "
                             "baseline-to-target distance; for milestones 1 stage.")
    flagged: bool = Field(description="Numeric: |difference| above threshold; milestones: a "
                          "stage apart or more.")


class BenchmarkStatusRead(BaseModel):
    key: str
    indicator: str = Field(description="The indicator whose series the target reads.")
    title: str
    category: str
    kind: BenchmarkKind
    unit: str | None
    target: float | str
    due_on: date | None
    weight: float
    latest: LatestValue | None
    progress: float | None
    status: Status
    trend: Trend | None
    change: Change | None
    previous_status: Status | None
    projected_on: date | None
    behind_trend_on: date | None = Field(
        default=None, description="Set when the recent trend says the target should already "
        "have been met, on this date, but the data do not show it met: `projected_on` is then "
        "`as_of`, and the candidate is behind its own trend.")
    projection_note: str
    reason: str
    required_pace: float | None = Field(
        default=None, description="The pace needed, in the unit a year (stages for "
        "milestones; negative when lower is better): from the latest value, on its date, to "
        "the target by its due date. Null as `pace_note` says.")
    achieved_pace: float | None = Field(
        default=None, description="The trend's slope, in the unit a year; null without a "
        "trend.")
    pace_ratio: float | None = Field(
        default=None, description="achieved_pace / required_pace: 1 or more keeps to the due "
        "date; null when either is null.")
    pace_note: PaceNote | None = Field(
        default=None, description="Why `required_pace` is null: met, no_data, no_due_date, "
        "past_due, due_now (the latest value is of the due date itself).")
    pace_sentence: str = Field(default="", description='The pace in words, e.g. "needs +0.40 '
                               'points a year; has done +0.12".')
    status_basis: AssessedBy | None = Field(
        default=None, description="The series the status rests on: `independent` where there "
        "is any independent figure on `as_of`, else `self`; null without data.")
    divergence: DivergenceRead | None = Field(
        default=None, description="When both series have a figure on `as_of`.")
    is_illustrative: bool = Field(description="The target or the latest value is "
                                  "illustrative.")
    target_is_illustrative: bool = Field(description="The target itself is illustrative.")


class CategoryStatusRead(BaseModel):
    key: str
    title: str
    readiness: float | None
    weight: float
    counts: dict[Status, int]


class CandidateStatusRead(BaseModel):
    """The whole evaluation of one candidate, as `docs/status-rules.md` defines it."""

    slug: str
    tier: Tier = Field(description="The tier evaluated: the what-if `tier`, or the "
                       "candidate's own on `as_of`, from its status history.")
    phase: Phase = Field(description="The candidate's phase on `as_of`, from its status "
                         "history.")
    is_what_if: bool
    is_illustrative: bool = Field(description="The readiness rests on something illustrative: "
                                  "the tier assignment, a target or a latest value.")
    tier_is_illustrative: bool = Field(description="The candidate's tier assignment is "
                                       "illustrative (this tool's framework, not a decision).")
    as_of: date
    previous_review_on: date
    readiness: float | None
    counts: dict[Status, int]
    projected_on: date | None
    projection_note: str
    categories: list[CategoryStatusRead]
    benchmarks: list[BenchmarkStatusRead]


class CandidateListItem(CandidateSummary):
    readiness: float | None
    counts: dict[Status, int]


SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=80)]
Iso3 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
FrenchName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]

EFFECTIVE_ON = "The date the tier or phase took effect; today when left out."
ILLUSTRATIVE_STATUS = ("The tier assigned is an illustration of this tool's framework, not a "
                       "decision taken; pages mark it and every readiness built on it.")


class CandidateCreate(BaseModel):
    """A new candidate; its tier and phase become the first row of its history."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    iso3: Iso3
    name: Name
    tier: Tier
    model: ExpansionModel
    phase: Phase
    name_fr: FrenchName = ""
    summary: Summary = ""
    summary_fr: Summary = ""
    effective_on: InputDate | None = Field(default=None, description=EFFECTIVE_ON)
    source: Note = Field(default="", description="Where the initial status comes from.")
    note: Note = ""
    note_fr: Note = ""
    is_illustrative: InputBool = Field(default=False, description=ILLUSTRATIVE_STATUS)


class CandidateUpdate(BaseModel):
    """The fields to change; the slug and ISO code never change. `effective_on`, `source` and
    `note` (`note_fr`) describe the history row that a change of tier or phase adds."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    name_fr: FrenchName | None = None
    summary: Summary | None = None
    summary_fr: Summary | None = None
    model: ExpansionModel | None = None
    tier: Tier | None = None
    phase: Phase | None = None
    effective_on: InputDate | None = Field(default=None, description=EFFECTIVE_ON)
    source: Note | None = None
    note: Note | None = None
    note_fr: Note | None = None
    is_illustrative: InputBool | None = Field(default=None, description=ILLUSTRATIVE_STATUS)

    @field_validator("name", "name_fr", "summary", "summary_fr", "model", "tier", "phase",
                     "source", "note", "note_fr", "is_illustrative", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Leaving a field out keeps it; null would erase a value that every candidate has.
        if value is None:
            raise ValueError("may be left out but not null")
        return value


# Shown by /docs and posted by tests/http/test_openapi_examples.py to the demo data set.
CANDIDATE_CREATE_EXAMPLES: dict[str, Any] = {
    "candidate": {
        "summary": "A new aspirant state",
        "value": {"slug": "moldova", "iso3": "MDA", "name": "Moldova", "name_fr": "Moldavie",
                  "tier": "strategic_partner", "model": "strategic_partnership",
                  "phase": "outreach", "source": "Council decision of 2026-01-15"},
    },
}
CANDIDATE_UPDATE_EXAMPLES: dict[str, Any] = {
    "phase": {
        "summary": "A change of phase (adds a row to the status history)",
        "value": {"phase": "accession_talks", "effective_on": "2026-01-15",
                  "source": "Council decision of 2026-01-15"},
    },
}
