"""Wire shapes of progress updates. `value` is a number for numeric benchmarks and a stage key
for milestones."""

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

from app.models import ProgressUpdate
from app.schema_types import Id, InputDate, NoNul

MAX_BATCH = 500


def _not_bool(value: Any) -> Any:
    # JSON true/false would pass as 1.0/0.0; a measured value is never a boolean.
    if isinstance(value, bool):
        raise ValueError("a value must be a number or a stage key, not a boolean")
    return value


Number = Annotated[float, Field(allow_inf_nan=False)]
StageKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80),
                     NoNul]
Value = Annotated[Number | StageKey, BeforeValidator(_not_bool)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), NoNul]


class ProgressUpdateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    benchmark: Annotated[str, StringConstraints(min_length=1, max_length=80), NoNul]
    value: Value
    as_of: InputDate
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=2000), NoNul]
    note: Text = ""
    supersedes: Id | None = Field(default=None,
                                   description="The id of an earlier update this one corrects.")


class ProgressUpdateBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    updates: list[ProgressUpdateCreate] = Field(min_length=1, max_length=MAX_BATCH)


def _shape(value: Any) -> str:
    return "batch" if isinstance(value, dict) and "updates" in value else "single"


ProgressUpdateBody = Annotated[
    Annotated[ProgressUpdateCreate, Tag("single")] | Annotated[ProgressUpdateBatch, Tag("batch")],
    Discriminator(_shape),
]


class RetractionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=2000), NoNul]


class RetractionRead(BaseModel):
    reason: str
    retracted_at: datetime
    by: str | None


class ProgressUpdateRead(BaseModel):
    id: int
    benchmark: str
    value: float | str
    as_of: date
    source: str
    note: str
    author: str | None
    recorded_at: datetime
    supersedes: int | None
    is_illustrative: bool
    retraction: RetractionRead | None = None


def update_read(update: ProgressUpdate) -> ProgressUpdateRead:
    return ProgressUpdateRead(
        id=update.id,
        benchmark=update.candidate_benchmark.definition.key,
        value=update.value if update.value is not None else update.stage or "",
        as_of=update.as_of, source=update.source, note=update.note,
        author=update.author.name if update.author else None,
        recorded_at=update.recorded_at, supersedes=update.supersedes_id,
        is_illustrative=update.is_illustrative,
        retraction=RetractionRead(
            reason=update.retraction.reason, retracted_at=update.retraction.retracted_at,
            by=update.retraction.author.name if update.retraction.author else None,
        ) if update.retraction else None,
    )


class ProgressUpdateCreated(BaseModel):
    items: list[ProgressUpdateRead]
