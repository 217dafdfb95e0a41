"""The methodology page's worked example: one demo candidate's benchmark, evaluated live by the
same functions as the candidate page, with the figures a reader needs to follow the rules
through it. Nothing here is written down by hand, so the example cannot drift from the data."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app import status
from app.benchmarks.service import AppliedBenchmark
from app.candidates.service import get_candidate
from app.config import get_settings
from app.errors import NotFound
from app.evaluation import benchmark_is_illustrative, load_statuses
from app.gates.service import list_gates
from app.i18n import format_number, gettext
from app.members.service import get_member_states
from app.models import Candidate, MemberState, Phase
from app.ratifications.pipeline import (
    PARLIAMENT_APPROVED,
    Duration,
    StepMedian,
    median_days_per_step,
    step_durations,
)
from app.ratifications.service import (
    RatificationPipeline,
    list_ratifications,
    ratification_pipeline,
    reference_ratifications,
)
from app.status import (
    DAYS_PER_YEAR,
    BenchmarkEvaluation,
    CategoryEvaluation,
    Measurement,
    quarter_end_before,
    trend_measurements,
    trend_window_start,
)
from app.web.path_view import path_section
from app.web.templating import localized
from app.web.wording import measure

# A numeric benchmark of an aspirant whose recent figures move toward the target, so the
# example shows a trend and a projected date (the demo's illustrative series, 2019-2025).
EXAMPLE_CANDIDATE = "ukraine"
EXAMPLE_BENCHMARK = "major_equipment_share"

# The thresholds the page quotes, from the rules themselves.
METHODOLOGY_RULES = {
    "trend_years": status.TREND_WINDOW_YEARS,
    "trend_points": status.TREND_MAX_POINTS,
    "min_points": status.TREND_MIN_POINTS,
    "flat_percent": status.FLAT_SLOPE_SHARE * 100,
    "horizon_years": status.PROJECTION_HORIZON_YEARS,
    "grace_days": status.AT_RISK_GRACE_DAYS,
    "near_percent": status.NEAR_TARGET_PROGRESS,
    "days_per_year": DAYS_PER_YEAR,
    "divergence_percent": status.DIVERGENCE_SHARE * 100,  # the setting's default
}


@dataclass(frozen=True)
class ReadinessRow:
    title: str
    weight: float
    progress: float | None  # None: no data, counted as 0

    @property
    def weighted(self) -> float:
        return self.weight * (self.progress or 0.0)


@dataclass(frozen=True)
class WorkedExample:
    candidate: Candidate
    tier: str  # the tier evaluated: the candidate's own on `as_of`
    as_of: date
    applied: AppliedBenchmark
    evaluation: BenchmarkEvaluation
    trend: list[Measurement]  # the observations the trend line goes through, oldest first
    trend_since: date
    days_needed: int | None  # from the latest value to the target at the trend's pace
    pace: str  # the trend's slope in words, per year
    is_illustrative: bool
    category: CategoryEvaluation
    category_title: str
    rows: list[ReadinessRow]  # the category's benchmarks, for its weighted average
    readiness: float | None  # the candidate's, over every category
    previous_review: date

    @property
    def days_to_due(self) -> int | None:
        """From the latest value's date to the due date: what the pace needed divides by."""
        latest, due_on = self.evaluation.latest, self.evaluation.spec.due_on
        return (due_on - latest.as_of).days if latest and due_on else None

    @property
    def divergence_share(self) -> float:
        """The share of the baseline-to-target distance beyond which assessments diverge."""
        return get_settings().assessment_divergence_share

    @property
    def url(self) -> str:
        return f"/candidates/{self.candidate.slug}/benchmarks/{self.applied.definition.key}"


def worked_example(session: Session, as_of: date | None = None) -> WorkedExample | None:
    """The example as of `as_of` (default today); None when the database lacks the demo
    candidate or its benchmark, or when the candidate is a member (members are not scored)."""
    try:
        candidate = get_candidate(session, EXAMPLE_CANDIDATE)
    except NotFound:
        return None
    status = load_statuses(session, [candidate], as_of=as_of)[candidate.id]
    if status.standing.phase == Phase.member:
        return None
    evaluation = status.evaluation
    applied = {a.definition.key: a for a in status.applied}
    benchmark = next((b for b in evaluation.benchmarks if b.spec.key == EXAMPLE_BENCHMARK), None)
    if benchmark is None or benchmark.spec.kind != "numeric":
        return None
    a = applied[EXAMPLE_BENCHMARK]
    category = next(c for c in evaluation.categories if c.key == benchmark.spec.category)
    days_needed = None
    if benchmark.projected_on and benchmark.latest and benchmark.slope:
        years = (benchmark.spec.target_value - benchmark.latest.value) / benchmark.slope
        days_needed = round(years * DAYS_PER_YEAR)
    return WorkedExample(
        candidate=candidate, tier=status.tier, as_of=evaluation.as_of, applied=a,
        evaluation=benchmark,
        trend=trend_measurements(benchmark.spec, status.measurements[EXAMPLE_BENCHMARK],
                                 evaluation.as_of),
        trend_since=trend_window_start(evaluation.as_of),
        days_needed=days_needed,
        pace=pace_words(a, benchmark.slope),
        is_illustrative=benchmark_is_illustrative(a, benchmark.latest),
        category=category,
        category_title=localized(a.definition.category, "title"),
        rows=[ReadinessRow(localized(applied[b.spec.key].definition, "title"), b.spec.weight,
                           b.progress) for b in category.benchmarks],
        readiness=evaluation.readiness,
        previous_review=quarter_end_before(evaluation.as_of),
    )


def pace_words(applied: AppliedBenchmark, slope: float | None) -> str:
    """"+0.94 percentage points a year" for a percentage; "+0.4 exercises a year" otherwise."""
    if slope is None:
        return "—"
    sign = "+" if slope >= 0 else "−"
    if (applied.definition.unit or "").startswith("%"):
        return gettext("%(pace)s percentage points a year") % {
            "pace": sign + format_number(abs(slope))}
    return gettext("%(pace)s a year") % {"pace": sign + measure(applied.definition, abs(slope))}


# The path's worked example: an aspirant whose gate into accession talks has targets met and
# unmet (the demo's illustrative gates).
EXAMPLE_PATH_CANDIDATE = "ukraine"


def path_example(session: Session, as_of: date | None = None) -> dict[str, Any] | None:
    """The candidate page's path section of the example candidate, as of `as_of` (default
    today); None without the candidate, when it is a member, or when no gate leads into its
    next phase."""
    try:
        candidate = get_candidate(session, EXAMPLE_PATH_CANDIDATE)
    except NotFound:
        return None
    status = load_statuses(session, [candidate], as_of=as_of)[candidate.id]
    section = path_section(session, candidate, status, list_gates(session))
    if section["path"].gate is None:
        return None
    return section | {"candidate": candidate}
# The ratification pipeline's worked example (issue 18): the median days per step, computed now
# from the Finnish and Swedish records, and Sweden's pipeline on a day of its ratification phase.
PIPELINE_EXAMPLE_CANDIDATE = "sweden"
PIPELINE_EXAMPLE_DAY = date(2023, 6, 30)  # Hungary and Türkiye had not yet ratified


@dataclass(frozen=True)
class PipelineSample:
    candidate: Candidate
    member: MemberState
    duration: Duration


@dataclass(frozen=True)
class PipelineExample:
    medians: list[StepMedian]
    samples: dict[str, list[PipelineSample]]  # the durations of each step but parliament's
    parliament: list[int]  # the days to parliament's approval, shortest first
    parliament_median: StepMedian | None
    candidate: Candidate | None
    pipeline: RatificationPipeline | None  # the candidate's as of PIPELINE_EXAMPLE_DAY


def pipeline_example(session: Session, as_of: date | None = None) -> PipelineExample | None:
    """None when no reference ratification has a dated step by `as_of`."""
    references = reference_ratifications(session, as_of)
    medians = median_days_per_step(r for _, _, r in references)
    if not medians:
        return None
    members = get_member_states(session)
    samples: dict[str, list[PipelineSample]] = {}
    parliament = []
    for reference, iso3, r in references:
        for d in step_durations(r.procedure, r.records, r.protocol_on):
            if d.step == PARLIAMENT_APPROVED:
                parliament.append(d.days)
            else:
                samples.setdefault(d.step, []).append(PipelineSample(reference, members[iso3], d))
    candidate, pipeline = None, None
    if as_of is None or as_of >= PIPELINE_EXAMPLE_DAY:
        try:
            candidate = get_candidate(session, PIPELINE_EXAMPLE_CANDIDATE)
        except NotFound:
            candidate = None
        if candidate is not None:
            status = load_statuses(session, [candidate], as_of=PIPELINE_EXAMPLE_DAY)[candidate.id]
            pipeline = ratification_pipeline(
                session, list_ratifications(session, candidate, as_of=PIPELINE_EXAMPLE_DAY),
                phase=status.standing.phase, as_of=PIPELINE_EXAMPLE_DAY)
    return PipelineExample(list(medians.values()), samples, sorted(parliament),
                           medians.get(PARLIAMENT_APPROVED), candidate, pipeline)
