"""Wire shapes of progress updates (observations). `value` is a number for numeric indicators
and a stage key for milestones."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
)
from pydantic_core import PydanticCustomError

from app.models import (
    AssessedBy,
    ObservationStatus,
    ProgressUpdate,
    RetractionStatus,
    UpdateRetraction,
)
from app.schema_types import Id, InputDate, NoNul

MAX_BATCH = 500


def _not_bool(value: Any) -> Any:
    # JSON true/false would pass as 1.0/0.0; a measured value is never a boolean.
    if isinstance(value, bool):
        raise PydanticCustomError("wrong_kind", "must be a number or a stage key, not a "
                                  "boolean")
    return value


Number = Annotated[float, Field(allow_inf_nan=False)]
StageKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80),
                     NoNul]
Value = Annotated[Number | StageKey, BeforeValidator(_not_bool)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), NoNul]


Key = Annotated[str, StringConstraints(min_length=1, max_length=80), NoNul]


class ProgressUpdateCreate(BaseModel):
    """One observation. Name what was measured by `indicator`, or by `benchmark` (a target's
    key stands for the indicator it reads): one of the two."""

    model_config = ConfigDict(extra="forbid")

    indicator: Key | None = Field(
        default=None, description="The indicator's key, from `GET /api/v1/indicators` (demo: "
        "`defence_spending_gdp`, `joint_exercises`, `civilian_control_law`...).")
    benchmark: Key | None = Field(
        default=None, description="A benchmark's key, from `GET /api/v1/benchmarks`: its "
        "indicator is observed.")
    value: Value = Field(description="A number for a numeric indicator (within its "
                         "`min_value`/`max_value`); for a milestone, one of its `stages`, as "
                         "`GET /api/v1/indicators` lists them (demo `civilian_control_law`: "
                         "`drafted`, `submitted`, `adopted`, `in_force`).")
    as_of: InputDate
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=2000), NoNul]
    note: Text = ""
    supersedes: Id | None = Field(
        default=None, description="The id of the update this one corrects: the newest of its "
        "chain (an update already corrected is refused with 409, naming its correction).")
    vintage: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=80), NoNul] | None = Field(
        default=None, description='The source\'s release the figure is from, e.g. "SIPRI 2025".')
    published_on: InputDate | None = Field(
        default=None, description="When the source published the figure.")
    observation_status: ObservationStatus = Field(
        default=ObservationStatus.final, description="final, provisional or estimate.")
    assessed_by: AssessedBy = Field(
        default=AssessedBy.independent, description="`self`: the candidate's own reporting "
        "(e.g. its annual national programme); `independent`: the alliance's or an analyst's "
        "review. A status rests on the independent figures where there are any.")

    @property
    def key(self) -> str:
        """What the item names: an indicator's key or a benchmark's."""
        return self.indicator or self.benchmark or ""


class ProgressUpdateBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    updates: list[ProgressUpdateCreate] = Field(min_length=1, max_length=MAX_BATCH)


def _shape(value: Any) -> str:
    return "batch" if isinstance(value, dict) and "updates" in value else "single"


ProgressUpdateBody = Annotated[
    Annotated[ProgressUpdateCreate, Tag("single")] | Annotated[ProgressUpdateBatch, Tag("batch")],
    Discriminator(_shape),
]


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
                   NoNul]


class RetractionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class RetractionUndoCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(description="Why the value counts again.")


class RetractionRead(BaseModel):
    reason: str
    retracted_at: datetime | None = Field(
        description="When the value was hidden: at once for its author's own retraction, at "
        "the confirmation for anyone else's; null while pending or if dismissed.")
    by: str | None = Field(description="Who retracted it (asked for it).")
    id: int
    status: RetractionStatus
    requested_at: datetime
    confirmed_by: str | None
    confirmed_at: datetime | None
    undone_by: str | None
    undone_at: datetime | None
    undo_reason: str | None


class RetractionDetail(RetractionRead):
    """A retraction with the update it concerns."""

    update_id: int
    candidate: str
    benchmark: str = Field(description="The indicator's key (the name it had before "
                           "indicators were kept apart from targets).")
    indicator: str


class ProgressUpdateRead(BaseModel):
    id: int
    indicator: str
    benchmark: str = Field(description="The indicator's key, as `indicator` (kept for the "
                           "scripts that read it).")
    value: float | str = Field(description="As sent: never rounded in storage.")
    as_of: date
    source: str
    vintage: str | None
    published_on: date | None
    observation_status: ObservationStatus
    assessed_by: AssessedBy = Field(default=AssessedBy.independent,
                                    description="`self` or `independent`.")
    note: str
    author: str | None
    recorded_at: datetime
    supersedes: int | None
    is_illustrative: bool
    retraction: RetractionRead | None = Field(
        default=None, description="The retraction in effect: the value is hidden.")
    pending_retraction: RetractionRead | None = Field(
        default=None, description="A retraction asked for by someone other than the update's "
        "author, awaiting a second analyst's confirmation: the value still counts.")


def retraction_read(retraction: UpdateRetraction) -> RetractionRead:
    return RetractionRead(**_retraction_fields(retraction))


def retraction_detail(retraction: UpdateRetraction) -> RetractionDetail:
    update = retraction.update
    return RetractionDetail(**_retraction_fields(retraction), update_id=retraction.update_id,
                            candidate=update.candidate.slug, benchmark=update.indicator.key,
                            indicator=update.indicator.key)


def _retraction_fields(retraction: UpdateRetraction) -> dict[str, Any]:
    confirmation, undo = retraction.confirmation, retraction.undo
    return {
        "id": retraction.id, "status": retraction.status, "reason": retraction.reason,
        "requested_at": retraction.retracted_at, "retracted_at": retraction.effective_at,
        "by": retraction.author.name if retraction.author else None,
        "confirmed_by": confirmation.user.name if confirmation else None,
        "confirmed_at": confirmation.confirmed_at if confirmation else None,
        "undone_by": undo.user.name if undo else None,
        "undone_at": undo.undone_at if undo else None,
        "undo_reason": undo.reason if undo else None,
    }


def update_read(update: ProgressUpdate) -> ProgressUpdateRead:
    """Needs the update's retractions loaded (progress.service.RETRACTIONS)."""
    by_status = {r.status: r for r in update.retractions}
    return ProgressUpdateRead(
        id=update.id, indicator=update.indicator.key, benchmark=update.indicator.key,
        value=update.value if update.value is not None else update.stage or "",
        as_of=update.as_of, source=update.source, vintage=update.vintage,
        published_on=update.published_on, observation_status=update.observation_status,
        assessed_by=update.assessed_by, note=update.note,
        author=update.author.name if update.author else None,
        recorded_at=update.recorded_at, supersedes=update.supersedes_id,
        is_illustrative=update.is_illustrative,
        retraction=retraction_read(by_status[RetractionStatus.retracted])
        if RetractionStatus.retracted in by_status else None,
        pending_retraction=retraction_read(by_status[RetractionStatus.pending])
        if RetractionStatus.pending in by_status else None,
    )


class ProgressUpdateCreated(BaseModel):
    items: list[ProgressUpdateRead]


# Shown by /docs and posted by tests/http/test_openapi_examples.py to the demo data set: each one
# works as pasted there. Keys are the demo's; GET /api/v1/indicators lists a server's own.
UPDATE_EXAMPLES: dict[str, Any] = {
    "single": {
        "summary": "One update",
        "value": {"benchmark": "defence_spending_gdp", "value": 2.1, "as_of": "2025-12-31",
                  "source": "Ministry of Defence, 2026 budget law", "vintage": "MoD 2026",
                  "observation_status": "provisional"},
    },
    "batch": {
        "summary": "A batch (stored whole or not at all)",
        "value": {"updates": [
            {"benchmark": "defence_spending_gdp", "value": 2.1, "as_of": "2025-12-31",
             "source": "Ministry of Defence, 2026 budget law"},
            {"indicator": "joint_exercises", "value": 4, "as_of": "2025-12-31",
             "source": "Joint staff annual report", "note": "Two with Allied forces."},
        ]},
    },
    "correction": {
        "summary": "A correction (supersedes names the update it corrects)",
        "description": "`supersedes` is the id of the newest update of the figure being "
                       "corrected, from `GET /api/v1/candidates/{slug}/updates`; 21 is the "
                       "demo's Georgia 2024 figure.",
        "value": {"benchmark": "defence_spending_gdp", "value": 1.86, "as_of": "2024-12-31",
                  "source": "SIPRI Military Expenditure Database", "vintage": "SIPRI 2025",
                  "supersedes": 21, "note": "Rounded as SIPRI publishes it."},
    },
    "self_assessed": {
        "summary": "A self-assessed figure (the candidate's own reporting)",
        "description": "`assessed_by: self`: shown beside the independent figures and "
                       "compared with them; the status rests on independent figures where "
                       "there are any.",
        "value": {"benchmark": "defence_spending_gdp", "value": 2.2, "as_of": "2025-12-31",
                  "source": "Annual national programme 2026", "assessed_by": "self"},
    },
    "revision": {
        "summary": "A revision (a newer release of the same figure)",
        "value": {"benchmark": "defence_spending_gdp", "value": 2.15, "as_of": "2025-12-31",
                  "source": "SIPRI Military Expenditure Database", "vintage": "SIPRI 2026",
                  "published_on": "2026-04-27", "observation_status": "final"},
    },
}
RETRACTION_EXAMPLES: dict[str, Any] = {
    "reason": {"summary": "Why the value is wrong",
               "value": {"reason": "Entered for the wrong candidate."}},
}
RETRACTION_UNDO_EXAMPLES: dict[str, Any] = {
    "reason": {"summary": "Why the value counts again",
               "value": {"reason": "The figure was right after all (confirmed by the ministry)."}},
}
