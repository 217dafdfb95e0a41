"""The status rules: from a benchmark's spec and its progress updates to progress, trend, projected
date and a status, and from a candidate's benchmarks to its readiness. Pure functions over frozen
dataclasses: no database, no web framework, no clock (the as-of date is always passed in).
docs/status-rules.md explains every rule in plain English; the thresholds below are its numbers."""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

# Every threshold the rules use, in one place. docs/status-rules.md quotes these numbers.
TREND_WINDOW_YEARS = 3  # recent enough to reflect current policy, long enough for 3 annual figures
TREND_MAX_POINTS = 8  # two years of quarterly updates; older points would hide a change of pace
TREND_MIN_POINTS = 2  # a line needs two points
FLAT_SLOPE_SHARE = 0.01  # under 1 % of the baseline-to-target distance a year is standing still
FLAT_SLOPE_FLOOR = 1e-9  # smaller slopes are rounding noise, even when that distance is zero
PROJECTION_HORIZON_YEARS = 50  # a straight line says nothing useful further out than this
AT_RISK_GRACE_DAYS = 365  # up to a year late is recoverable with extra effort; later is off track
NEAR_TARGET_PROGRESS = 75.0  # a stalled benchmark this close to its target is at risk, not lost
DAYS_PER_YEAR = 365.25  # converts day counts to years for slopes and projections
# Self- and independent assessment (docs/status-rules.md, "Pace and assessment").
DIVERGENCE_SHARE = 0.10  # self and independent figures further apart than 10 % of the
# baseline-to-target distance disagree on what is left to do (ACCESSION_ASSESSMENT_DIVERGENCE_SHARE)
DIVERGENCE_STAGES = 1  # a stage apart is a disagreement on where a milestone stands
SELF = "self"  # the candidate's own reporting, e.g. its annual national programme
INDEPENDENT = "independent"  # the alliance's or an analyst's review: the default


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


def assessment_basis(measurements: Sequence[Measurement]) -> str | None:
    """The series a status rests on, from the measurements that count: the independent one
    when it has any measurement, else the self-assessed one; None when there is none. The
    series are never mixed: a trend through both would read their disagreement as a change."""
    assessors = {m.assessed_by for m in measurements}
    if INDEPENDENT in assessors:
        return INDEPENDENT
    return SELF if SELF in assessors else None


def pace_of(
    spec: BenchmarkSpec, latest_on: date | None, latest_score: float | None,
    slope: float | None, *, is_met: bool, as_of: date,
) -> Pace:
    """The pace needed and the pace achieved (the trend's slope). The pace needed runs from the
    latest value on its date to the target on the due date, as the projection runs from the
    latest value: a ratio of 1 or more is a projection on or before the due date."""
    note = None
    if latest_on is None or latest_score is None:
        note = PaceNote.no_data
    elif is_met:
        note = PaceNote.met
    elif spec.due_on is None:
        note = PaceNote.no_due_date
    elif spec.due_on < as_of:
        note = PaceNote.past_due
    elif spec.due_on <= latest_on:
        note = PaceNote.due_now
    required = None
    if note is None:
        assert spec.due_on is not None and latest_on is not None and latest_score is not None
        years = (spec.due_on - latest_on).days / DAYS_PER_YEAR
        required = (_target_score(spec) - latest_score) / years
    ratio = slope / required if required and slope is not None else None
    return Pace(required=required, achieved=slope, ratio=ratio, note=note)


def divergence_between(
    spec: BenchmarkSpec, self_value: float, independent_value: float, baseline: float,
    share: float = DIVERGENCE_SHARE,
) -> Divergence:
    """Flagged beyond `share` of the baseline-to-target distance (numeric; strictly more), or
    DIVERGENCE_STAGES stages apart or more (milestones: values are stage positions)."""
    difference = self_value - independent_value
    if spec.kind == "milestone":
        threshold = float(DIVERGENCE_STAGES)
        flagged = abs(difference) >= threshold
    else:
        threshold = share * abs(_target_score(spec) - baseline)
        flagged = abs(difference) > threshold
    return Divergence(self_value=self_value, independent_value=independent_value,
                      difference=difference, threshold=threshold, flagged=flagged)


def _divergence(
    spec: BenchmarkSpec, points: list[tuple[Measurement, float]], baseline: float, share: float
) -> Divergence | None:
    """The latest of each series (points are oldest first); None unless both have one."""
    latest = {m.assessed_by: score for m, score in points}
    if SELF not in latest or INDEPENDENT not in latest:
        return None
    return divergence_between(spec, latest[SELF], latest[INDEPENDENT], baseline, share)


def pace_sentence(spec: BenchmarkSpec, pace: Pace) -> str:
    """The pace in English words: "needs +0.40 points a year; has done +0.12"."""
    unit = _pace_unit(spec)
    achieved = (f"has done {_signed(pace.achieved)}" if pace.achieved is not None
                else "no trend yet")
    if pace.required is not None:
        return f"needs {_signed(pace.required)} {unit} a year; {achieved}"
    needs = {
        PaceNote.met: "met: no pace needed",
        PaceNote.no_data: "no data: no pace can be computed",
        PaceNote.no_due_date: "no due date: no pace required",
        PaceNote.past_due: "past due: no pace meets the due date",
        PaceNote.due_now: "due now: no time left for a pace",
        None: "",
    }[pace.note]
    if pace.note in (PaceNote.no_data, PaceNote.met):
        return needs
    return f"{needs}; {achieved}" + (f" {unit} a year" if pace.achieved is not None else "")


def _pace_unit(spec: BenchmarkSpec) -> str:
    """What a pace is counted in: stages, points of a percentage, else the indicator's unit."""
    if spec.kind == "milestone":
        return "stages"
    if spec.unit and spec.unit.startswith("%"):
        return "points"
    return spec.unit or "units"


def _signed(x: float) -> str:
    return f"{x:+.2f}"


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


def _score(spec: BenchmarkSpec, m: Measurement) -> float | None:
    """A measurement on the benchmark's scale: its value, or its stage's position (first stage 1,
    a stage not in the list 0). None for a numeric update without a value: it does not count."""
    if spec.kind == "milestone":
        return _stage_index(spec, m.stage)
    return m.value


def _stage_index(spec: BenchmarkSpec, stage: str | None) -> float:
    return float(spec.stages.index(stage) + 1) if stage in spec.stages else 0.0


def _target_score(spec: BenchmarkSpec) -> float:
    if spec.kind == "milestone":
        return _stage_index(spec, spec.target_stage)
    assert spec.target_value is not None  # checked by _check_spec
    return spec.target_value


def _baseline_score(spec: BenchmarkSpec, earliest: float) -> float:
    if spec.kind == "milestone":
        return earliest if spec.baseline_stage is None else _stage_index(spec, spec.baseline_stage)
    return earliest if spec.baseline_value is None else spec.baseline_value


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


def _clamp(percent: float) -> float:
    return min(100.0, max(0.0, percent))


def _number(x: float) -> str:
    """At least two decimals' worth of precision, trailing zeros dropped: 1.6, 36.53, 0.004, 2."""
    if not math.isfinite(x) or x == 0:
        return "0" if x == 0 else str(x)
    decimals = min(6, max(2, 1 - math.floor(math.log10(abs(x)))))
    text = f"{x:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _with_unit(x: float, unit: str | None) -> str:
    return f"{_number(x)} {unit}" if unit else _number(x)


def _describe(spec: BenchmarkSpec, m: Measurement) -> str:
    if spec.kind == "milestone":
        index = int(_stage_index(spec, m.stage))
        if not index:
            return f"unknown stage {m.stage!r}"
        return f"stage {m.stage} ({index} of {len(spec.stages)})"
    return _with_unit(m.value or 0.0, spec.unit)


def _goal(spec: BenchmarkSpec) -> str:
    if spec.kind == "milestone":
        goal = f"the target stage {spec.target_stage}"
    else:
        goal = f"a target of {_with_unit(spec.target_value or 0.0, spec.unit)}"
    return f"{goal} due {spec.due_on.isoformat()}" if spec.due_on else goal


def _pace(spec: BenchmarkSpec, slope: float) -> str:
    """The slope as people say it: "+0.1 pt a year" for a percentage, "+0.5 stages a year"."""
    if spec.kind == "milestone":
        unit = "stage" if _number(abs(slope)) == "1" else "stages"
    elif spec.unit and spec.unit.startswith("%"):
        unit = "pt"
    else:
        unit = spec.unit
    sign = "+" if slope >= 0 else "-"
    return f"{sign}{_with_unit(abs(slope), unit)} a year"
