"""A benchmark's status, progress, trend and projected date on a date, and a candidate's
readiness from its benchmarks."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from app.status.measurements import (
    _baseline_score,
    _every_scored,
    _target_score,
    _trend_points,
    assessment_basis,
    quarter_end_before,
    trend_window_start,
)
from app.status.pace import _divergence, pace_of
from app.status.thresholds import (
    AT_RISK_GRACE_DAYS,
    DAYS_PER_YEAR,
    DIVERGENCE_SHARE,
    FLAT_SLOPE_FLOOR,
    FLAT_SLOPE_SHARE,
    NEAR_TARGET_PROGRESS,
    PROJECTION_HORIZON_YEARS,
    TREND_MIN_POINTS,
)
from app.status.values import (
    STATUS_RANK,
    BenchmarkEvaluation,
    BenchmarkSpec,
    CandidateEvaluation,
    CategoryEvaluation,
    Change,
    Measurement,
    Pace,
    PaceNote,
    Status,
    Trend,
)
from app.status.wording import _describe, _goal, _pace


def evaluate_benchmark(
    spec: BenchmarkSpec, measurements: Sequence[Measurement], as_of: date,
    *, divergence_share: float = DIVERGENCE_SHARE,
) -> BenchmarkEvaluation:
    """Raises ValueError for a spec the rules cannot apply to (no target, unknown kind…).
    `divergence_share`: see divergence_between."""
    current = _evaluate(spec, measurements, as_of, divergence_share)
    previous = _evaluate(spec, measurements, quarter_end_before(as_of), divergence_share)
    change = None
    if previous.status is not Status.no_data and current.status is not Status.no_data:
        before, now = STATUS_RANK[previous.status], STATUS_RANK[current.status]
        change = (
            Change.improved if now > before else Change.backslid if now < before
            else Change.unchanged
        )
    return replace(current, change=change, previous_status=previous.status)


def evaluate_candidate(
    items: Sequence[tuple[BenchmarkSpec, Sequence[Measurement]]], as_of: date,
    *, divergence_share: float = DIVERGENCE_SHARE,
) -> CandidateEvaluation:
    """Readiness is the weight-averaged progress of every benchmark, a benchmark without data
    counting as 0 (no progress shown); with no data at all there is no readiness (None).
    Categories come in the order they first appear in `items`."""
    evaluations = [evaluate_benchmark(spec, measurements, as_of,
                                      divergence_share=divergence_share)
                   for spec, measurements in items]
    groups: dict[str, list[BenchmarkEvaluation]] = {}
    for evaluation in evaluations:
        groups.setdefault(evaluation.spec.category, []).append(evaluation)
    categories = [
        CategoryEvaluation(
            key=key,
            readiness=_readiness(group),
            weight=sum(e.spec.weight for e in group),
            counts=_counts(group),
            benchmarks=group,
        )
        for key, group in groups.items()
    ]
    projected_on, note = _projection_of_all(evaluations)
    return CandidateEvaluation(
        as_of=as_of,
        benchmarks=evaluations,
        readiness=_readiness(evaluations),
        categories=categories,
        counts=_counts(evaluations),
        projected_on=projected_on,
        projection_note=note,
    )


def _evaluate(
    spec: BenchmarkSpec, measurements: Sequence[Measurement], as_of: date,
    divergence_share: float = DIVERGENCE_SHARE,
) -> BenchmarkEvaluation:
    _check_spec(spec)
    every = _every_scored(spec, measurements, as_of)
    basis = assessment_basis([m for m, _ in every])
    points = [(m, s) for m, s in every if m.assessed_by == basis]
    goal = _goal(spec)
    if not points:
        return BenchmarkEvaluation(
            spec=spec, latest=None, progress=None, status=Status.no_data, trend=None,
            projected_on=None, projection_note="no data", change=None, previous_status=None,
            reason=f"No measurement as of {as_of.isoformat()} against {goal}.",
            pace=Pace(None, None, None, PaceNote.no_data),
        )
    sign = -1.0 if spec.direction == "lower_is_better" else 1.0
    target = _target_score(spec)
    latest, score = points[-1]
    baseline = _baseline_score(spec, points[0][1])
    is_met = sign * (score - target) >= 0
    progress = _progress(spec, score, baseline, target, sign, is_met)

    window_start = trend_window_start(as_of)
    recent = [(m.as_of, s) for m, s in _trend_points(points, as_of)]
    slope = _slope(recent) if len(recent) >= TREND_MIN_POINTS else None
    trend = None
    if slope is not None:
        flat_below = max(FLAT_SLOPE_SHARE * abs(target - baseline), FLAT_SLOPE_FLOOR)
        trend = (
            Trend.flat if abs(slope) < flat_below
            else Trend.improving if sign * slope > 0 else Trend.worsening
        )

    projected_on = behind_trend_on = None
    if is_met:
        note = "already met"
    elif slope is None:
        note = (
            f"no trend: needs {TREND_MIN_POINTS} measurements on different dates"
            f" since {window_start.isoformat()}"
        )
    elif trend is not Trend.improving:
        note = f"no projection: {trend} at {_pace(spec, slope)}"
    elif (years := (target - score) / slope) > PROJECTION_HORIZON_YEARS:
        note = (
            f"not within {PROJECTION_HORIZON_YEARS} years at the current pace"
            f" ({_pace(spec, slope)})"
        )
    else:
        # A date already past is moved to as_of (the data do not show the target met yet) and
        # kept as behind_trend_on: pages say so rather than "projected: today".
        projected = latest.as_of + timedelta(days=round(years * DAYS_PER_YEAR))
        behind_trend_on = projected if projected < as_of else None
        projected_on = max(projected, as_of)
        note = (
            f"least-squares fit of {len(recent)} measurements since {window_start.isoformat()},"
            f" {_pace(spec, slope)}, continued from {_describe(spec, latest)}"
            f" on {latest.as_of.isoformat()}"
        )

    status = _status(spec, as_of, is_met, trend, projected_on, progress)
    measured = f"{_describe(spec, latest)} on {latest.as_of.isoformat()}"
    if status is Status.met:
        reason = f"{measured} meets {goal}."
    elif status is Status.overdue:
        reason = f"{measured} falls short of {goal}, now past."
    elif projected_on is not None:
        reason = (
            f"{measured} against {goal}; at {_pace(spec, slope or 0.0)} it would be met"
            f" by {projected_on.isoformat()}."
        )
    else:
        reason = f"{measured} against {goal}; {note}."
    return BenchmarkEvaluation(
        spec=spec, latest=latest, progress=progress, status=status, trend=trend,
        projected_on=projected_on, projection_note=note, change=None, previous_status=None,
        reason=reason[:1].upper() + reason[1:], slope=slope, behind_trend_on=behind_trend_on,
        baseline=baseline,
        pace=pace_of(spec, latest.as_of, score, slope, is_met=is_met, as_of=as_of),
        basis=basis, divergence=_divergence(spec, every, baseline, divergence_share),
    )


def _status(
    spec: BenchmarkSpec,
    as_of: date,
    is_met: bool,
    trend: Trend | None,
    projected_on: date | None,
    progress: float,
) -> Status:
    if is_met:
        return Status.met
    due_on = spec.due_on
    if due_on is not None and due_on < as_of:
        return Status.overdue
    if projected_on is not None:
        if due_on is None or projected_on <= due_on:
            return Status.on_track
        if projected_on <= due_on + timedelta(days=AT_RISK_GRACE_DAYS):
            return Status.at_risk
        return Status.off_track
    if trend is not Trend.worsening and progress >= NEAR_TARGET_PROGRESS:
        return Status.at_risk
    return Status.off_track


def _progress(
    spec: BenchmarkSpec, score: float, baseline: float, target: float, sign: float, is_met: bool
) -> float:
    if is_met:
        return 100.0
    if spec.kind == "milestone":
        return _clamp(score / target * 100)
    distance = sign * (target - baseline)
    if distance <= 0:  # the baseline met the target and the latest value has slipped back
        return 0.0
    return _clamp(sign * (score - baseline) / distance * 100)


def _slope(points: list[tuple[date, float]]) -> float | None:
    """Least-squares slope per year; None when every point has the same date."""
    xs = [(d - points[0][0]).days / DAYS_PER_YEAR for d, _ in points]
    ys = [y for _, y in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def _check_spec(spec: BenchmarkSpec) -> None:
    if not spec.weight > 0:
        raise ValueError(f"benchmark {spec.key}: weight must be positive, got {spec.weight}")
    if spec.kind == "numeric":
        if spec.target_value is None:
            raise ValueError(f"benchmark {spec.key}: a numeric benchmark needs target_value")
        if spec.direction not in ("higher_is_better", "lower_is_better"):
            raise ValueError(f"benchmark {spec.key}: unknown direction {spec.direction!r}")
    elif spec.kind == "milestone":
        if spec.target_stage not in spec.stages:
            raise ValueError(f"benchmark {spec.key}: target stage {spec.target_stage!r} unknown")
    else:
        raise ValueError(f"benchmark {spec.key}: unknown kind {spec.kind!r}")


def _readiness(evaluations: list[BenchmarkEvaluation]) -> float | None:
    # Without a single measurement there is nothing to score: no figure, not 0 %.
    if all(e.progress is None for e in evaluations):
        return None
    total = sum(e.spec.weight for e in evaluations)
    return _clamp(sum(e.spec.weight * (e.progress or 0.0) for e in evaluations) / total)


def _counts(evaluations: list[BenchmarkEvaluation]) -> dict[str, int]:
    counts = {status.value: 0 for status in Status}
    for evaluation in evaluations:
        counts[evaluation.status.value] += 1
    return counts


def _projection_of_all(evaluations: list[BenchmarkEvaluation]) -> tuple[date | None, str]:
    if not evaluations:
        return None, "no benchmarks"
    unmet = [e for e in evaluations if e.status is not Status.met]
    if not unmet:
        return None, "every benchmark is already met"
    blocked = [e.spec.title for e in unmet if e.projected_on is None]
    if blocked:
        return None, "no projection for " + ", ".join(blocked)
    last = max(unmet, key=lambda e: (e.projected_on, e.spec.key))
    return last.projected_on, f"the date the last benchmark, {last.spec.title}, is projected met"


def _clamp(percent: float) -> float:
    return min(100.0, max(0.0, percent))
