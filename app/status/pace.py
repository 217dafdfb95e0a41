"""Pace and assessment (docs/status-rules.md, "Pace and assessment"): the pace a target needs
against the pace achieved, and when self-assessed and independent figures disagree."""

from datetime import date

from app.status.measurements import _target_score
from app.status.thresholds import (
    DAYS_PER_YEAR,
    DIVERGENCE_SHARE,
    DIVERGENCE_STAGES,
    INDEPENDENT,
    SELF,
)
from app.status.values import BenchmarkSpec, Divergence, Measurement, Pace, PaceNote


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
