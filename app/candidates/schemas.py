"""Wire shapes of candidates."""

from datetime import date

from pydantic import BaseModel, ConfigDict

from app.models import BenchmarkKind, ExpansionModel, Phase, Tier
from app.status import Change, Status, Trend


class StatusChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tier: Tier
    phase: Phase
    effective_on: date
    source: str
    note: str


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
    history: list[StatusChangeRead]


class LatestValue(BaseModel):
    value: float | str
    as_of: date
    source: str


class BenchmarkStatusRead(BaseModel):
    key: str
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
    projection_note: str
    reason: str
    is_illustrative: bool


class CategoryStatusRead(BaseModel):
    key: str
    title: str
    readiness: float | None
    weight: float
    counts: dict[Status, int]


class CandidateStatusRead(BaseModel):
    """The whole evaluation of one candidate, as `docs/methodology.md` defines it."""

    slug: str
    tier: Tier
    is_what_if: bool
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
