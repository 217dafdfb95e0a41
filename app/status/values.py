"""What the status rules take and give: the statuses, trends and pace notes, a measurement,
a benchmark's spec, and the evaluations of a benchmark, a category and a candidate. Frozen
dataclasses: plain values, no database."""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from app.status.thresholds import INDEPENDENT


class Status(StrEnum):
    met = "met"
    on_track = "on_track"
    at_risk = "at_risk"
    off_track = "off_track"
    overdue = "overdue"
    no_data = "no_data"


class Trend(StrEnum):
    improving = "improving"
    flat = "flat"
    worsening = "worsening"


class PaceNote(StrEnum):
    """Why a benchmark has no required pace."""

    met = "met"  # nothing left to do
    no_data = "no_data"  # no latest value to start from
    no_due_date = "no_due_date"  # no date to meet the target by
    past_due = "past_due"  # the due date has passed: no pace meets it any more
    due_now = "due_now"  # due on the latest value's own date: no time left to divide by


class Change(StrEnum):
    improved = "improved"
    unchanged = "unchanged"
    backslid = "backslid"


# Best first; compared to tell improved from backslid. no_data has no rank: nothing to compare.
STATUS_RANK = {
    Status.met: 5,
    Status.on_track: 4,
    Status.at_risk: 3,
    Status.off_track: 2,
    Status.overdue: 1,
}


@dataclass(frozen=True)
class Measurement:
    """One progress update. A correction is a new row whose `supersedes_id` names the wrong one."""

    id: int
    as_of: date
    recorded_at: datetime
    source: str
    value: float | None = None
    stage: str | None = None
    supersedes_id: int | None = None
    retracted_at: datetime | None = None
    vintage: str | None = None
    observation_status: str = "final"
    is_illustrative: bool = False
    assessed_by: str = INDEPENDENT  # SELF or INDEPENDENT


@dataclass(frozen=True)
class BenchmarkSpec:
    """A benchmark as it applies to one candidate under one tier (target, weight, due date)."""

    key: str
    title: str
    category: str
    kind: str  # "numeric" | "milestone"
    weight: float
    unit: str | None = None
    direction: str | None = None  # "higher_is_better" | "lower_is_better"
    stages: tuple[str, ...] = ()
    target_value: float | None = None
    target_stage: str | None = None
    due_on: date | None = None
    baseline_value: float | None = None
    baseline_stage: str | None = None


@dataclass(frozen=True)
class Pace:
    """What a benchmark needs against what it does, in its unit a year (stages for
    milestones; negative when lower is better and the value must fall). `required` is from the
    latest value, on its date, to the target by the due date; None as `note` says. `ratio` is
    achieved / required: 1 or more keeps to the due date; None when either is None."""

    required: float | None
    achieved: float | None
    ratio: float | None
    note: PaceNote | None  # why `required` is None


@dataclass(frozen=True)
class Divergence:
    """The latest self-assessed figure against the latest independent one (scores: a
    milestone's stage position). `difference` is self minus independent."""

    self_value: float
    independent_value: float
    difference: float
    threshold: float
    flagged: bool


@dataclass(frozen=True)
class BenchmarkEvaluation:
    spec: BenchmarkSpec
    latest: Measurement | None
    progress: float | None  # 0–100; None without data
    status: Status
    trend: Trend | None
    projected_on: date | None
    projection_note: str
    change: Change | None  # against the previous quarterly review
    previous_status: Status | None  # the status at the previous quarter's end
    reason: str
    slope: float | None = None  # per year, in the benchmark's unit (stages for milestones)
    # When the trend says the target should already have been met (a date before as_of) but
    # the data do not show it met: the candidate is behind its own trend.
    behind_trend_on: date | None = None
    baseline: float | None = None  # what progress counts from (a stage's number for milestones)
    pace: Pace | None = None  # set by every evaluation
    # The series the status rests on (assessment_basis): INDEPENDENT, SELF, None without data.
    basis: str | None = None
    divergence: Divergence | None = None  # when both series have a figure on as_of


@dataclass(frozen=True)
class CategoryEvaluation:
    key: str
    readiness: float | None
    weight: float
    counts: dict[str, int]
    benchmarks: list[BenchmarkEvaluation] = field(default_factory=list)


@dataclass(frozen=True)
class CandidateEvaluation:
    as_of: date
    benchmarks: list[BenchmarkEvaluation]
    readiness: float | None  # None when no benchmark has data (or there is none)
    categories: list[CategoryEvaluation]
    counts: dict[str, int]  # every Status value, zeros included
    projected_on: date | None  # when every benchmark is met
    projection_note: str
