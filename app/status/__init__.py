"""The status rules: from a benchmark's spec and its progress updates to progress, trend, projected
date and a status, and from a candidate's benchmarks to its readiness. Pure functions over frozen
dataclasses: no database, no web framework, no clock (the as-of date is always passed in).
docs/status-rules.md explains every rule in plain English; the thresholds (thresholds.py) are its
numbers.

One module per concept: thresholds.py (every number, with its reason), values.py (what goes in
and comes out), measurements.py (what counts on a date, a stage's position), evaluate.py (a
benchmark's status, a candidate's readiness), pace.py (pace and assessment), wording.py (how
reasons say values). Import from app.status: every public name is here."""

from app.status.evaluate import evaluate_benchmark, evaluate_candidate
from app.status.measurements import (
    assessment_basis,
    effective_measurements,
    quarter_end_after,
    quarter_end_before,
    stage_position,
    trend_measurements,
    trend_window_start,
)
from app.status.pace import divergence_between, pace_of, pace_sentence
from app.status.thresholds import (
    AT_RISK_GRACE_DAYS,
    DAYS_PER_YEAR,
    DIVERGENCE_SHARE,
    DIVERGENCE_STAGES,
    FLAT_SLOPE_FLOOR,
    FLAT_SLOPE_SHARE,
    INDEPENDENT,
    NEAR_TARGET_PROGRESS,
    PROJECTION_HORIZON_YEARS,
    SELF,
    TREND_MAX_POINTS,
    TREND_MIN_POINTS,
    TREND_WINDOW_YEARS,
)
from app.status.values import (
    STATUS_RANK,
    BenchmarkEvaluation,
    BenchmarkSpec,
    CandidateEvaluation,
    CategoryEvaluation,
    Change,
    Divergence,
    Measurement,
    Pace,
    PaceNote,
    Status,
    Trend,
)

__all__ = [
    "AT_RISK_GRACE_DAYS",
    "BenchmarkEvaluation",
    "BenchmarkSpec",
    "CandidateEvaluation",
    "CategoryEvaluation",
    "Change",
    "DAYS_PER_YEAR",
    "DIVERGENCE_SHARE",
    "DIVERGENCE_STAGES",
    "Divergence",
    "FLAT_SLOPE_FLOOR",
    "FLAT_SLOPE_SHARE",
    "INDEPENDENT",
    "Measurement",
    "NEAR_TARGET_PROGRESS",
    "PROJECTION_HORIZON_YEARS",
    "Pace",
    "PaceNote",
    "SELF",
    "STATUS_RANK",
    "Status",
    "TREND_MAX_POINTS",
    "TREND_MIN_POINTS",
    "TREND_WINDOW_YEARS",
    "Trend",
    "assessment_basis",
    "divergence_between",
    "effective_measurements",
    "evaluate_benchmark",
    "evaluate_candidate",
    "pace_of",
    "pace_sentence",
    "quarter_end_after",
    "quarter_end_before",
    "stage_position",
    "trend_measurements",
    "trend_window_start",
]
