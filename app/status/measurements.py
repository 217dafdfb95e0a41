"""Which measurements count on a date (corrections, retractions, what was known when), which
series a status rests on, the trend's window, the quarterly reviews' dates, and a measurement
on a benchmark's scale (a milestone's stage as its position)."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from app.status.thresholds import INDEPENDENT, SELF, TREND_MAX_POINTS, TREND_WINDOW_YEARS
from app.status.values import BenchmarkSpec, Measurement


def quarter_end_before(d: date) -> date:
    """The last day of the quarter before the one containing `d`: the previous quarterly review."""
    first_month = (d.month - 1) // 3 * 3 + 1
    return date(d.year, first_month, 1) - timedelta(days=1)


def quarter_end_after(d: date) -> date:
    """The first quarter end after `d` (the next quarterly review; a quarter end's next is the
    following quarter's end)."""
    ahead = d + timedelta(days=1)
    month = (ahead.month - 1) // 3 * 3 + 4  # the first month of the quarter after `ahead`'s
    return date(ahead.year + (month > 12), (month - 1) % 12 + 1, 1) - timedelta(days=1)


def effective_measurements(measurements: Sequence[Measurement], as_of: date) -> list[Measurement]:
    """The measurements that count on `as_of`, oldest first: measured and recorded by then, not
    retracted by then, and not replaced by a counted correction. A correction replaces the whole
    chain behind it (C corrects B corrects A: only C counts), even through a retracted link."""
    by_id = {m.id: m for m in measurements}
    counted = [m for m in measurements if _is_known(m, as_of)]
    replaced: set[int] = set()
    for correction in counted:
        wrong_id = correction.supersedes_id
        while wrong_id is not None and wrong_id not in replaced:
            replaced.add(wrong_id)
            wrong = by_id.get(wrong_id)
            wrong_id = wrong.supersedes_id if wrong else None
    return sorted((m for m in counted if m.id not in replaced), key=_order)


def trend_window_start(as_of: date) -> date:
    """The first measurement date the trend of `as_of` reads: TREND_WINDOW_YEARS before."""
    return _years_before(as_of, TREND_WINDOW_YEARS)


def trend_measurements(
    spec: BenchmarkSpec, measurements: Sequence[Measurement], as_of: date
) -> list[Measurement]:
    """The measurements the trend line of `as_of` is fitted through, oldest first (the
    methodology page's worked example lists them)."""
    return [m for m, _ in _trend_points(_scored(spec, measurements, as_of), as_of)]


def assessment_basis(measurements: Sequence[Measurement]) -> str | None:
    """The series a status rests on, from the measurements that count: the independent one
    when it has any measurement, else the self-assessed one; None when there is none. The
    series are never mixed: a trend through both would read their disagreement as a change."""
    assessors = {m.assessed_by for m in measurements}
    if INDEPENDENT in assessors:
        return INDEPENDENT
    return SELF if SELF in assessors else None


def stage_position(stages: Sequence[str], stage: str | None) -> float:
    """A milestone stage's position on its indicator's scale: the first stage is 1, the next 2…;
    a stage not among `stages` (or none) is 0. Scores, charts and pages read milestones so."""
    return float(stages.index(stage) + 1) if stage in stages else 0.0


def _every_scored(
    spec: BenchmarkSpec, measurements: Sequence[Measurement], as_of: date
) -> list[tuple[Measurement, float]]:
    """The measurements that count on `as_of`, of both assessors, each with its score; without
    one they do not."""
    return [(m, score) for m in effective_measurements(measurements, as_of)
            if (score := _score(spec, m)) is not None]


def _scored(
    spec: BenchmarkSpec, measurements: Sequence[Measurement], as_of: date
) -> list[tuple[Measurement, float]]:
    """As _every_scored, of the series the status rests on (assessment_basis) only."""
    every = _every_scored(spec, measurements, as_of)
    basis = assessment_basis([m for m, _ in every])
    return [(m, s) for m, s in every if m.assessed_by == basis]


def _trend_points(
    points: list[tuple[Measurement, float]], as_of: date
) -> list[tuple[Measurement, float]]:
    start = trend_window_start(as_of)
    return [(m, s) for m, s in points if m.as_of >= start][-TREND_MAX_POINTS:]


def _score(spec: BenchmarkSpec, m: Measurement) -> float | None:
    """A measurement on the benchmark's scale: its value, or its stage's position (first stage 1,
    a stage not in the list 0). None for a numeric update without a value: it does not count."""
    if spec.kind == "milestone":
        return _stage_index(spec, m.stage)
    return m.value


def _stage_index(spec: BenchmarkSpec, stage: str | None) -> float:
    return stage_position(spec.stages, stage)


def _target_score(spec: BenchmarkSpec) -> float:
    if spec.kind == "milestone":
        return _stage_index(spec, spec.target_stage)
    assert spec.target_value is not None  # checked by _check_spec
    return spec.target_value


def _baseline_score(spec: BenchmarkSpec, earliest: float) -> float:
    if spec.kind == "milestone":
        return earliest if spec.baseline_stage is None else _stage_index(spec, spec.baseline_stage)
    return earliest if spec.baseline_value is None else spec.baseline_value


def _is_known(m: Measurement, as_of: date) -> bool:
    return (
        m.as_of <= as_of
        and _utc(m.recorded_at).date() <= as_of
        and (m.retracted_at is None or _utc(m.retracted_at).date() > as_of)
    )


def _order(m: Measurement) -> tuple[date, datetime, int]:
    return (m.as_of, _utc(m.recorded_at), m.id)


def _utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, so the result never depends on the machine's zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)
