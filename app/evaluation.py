"""Feeds the pure status rules (app.status) from the database: loads what a set of candidates
is measured against, and their updates, in a fixed number of queries whatever their number."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.benchmarks.service import AppliedBenchmark, apply_requirement, tier_entered_on
from app.models import (
    BenchmarkDefinition,
    Candidate,
    CandidateBenchmark,
    CandidateStatusChange,
    ProgressUpdate,
    TierRequirement,
)
from app.status import BenchmarkSpec, CandidateEvaluation, Measurement, evaluate_candidate


def today() -> date:
    return datetime.now(UTC).date()


def end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def benchmark_spec(applied: AppliedBenchmark) -> BenchmarkSpec:
    definition = applied.definition
    cb = applied.candidate_benchmark
    return BenchmarkSpec(
        key=definition.key,
        title=definition.title,
        category=definition.category.key,
        kind=definition.kind,
        weight=applied.requirement.weight,
        unit=definition.unit,
        direction=definition.direction,
        stages=tuple(definition.stages or ()),
        target_value=applied.target_value,
        target_stage=applied.target_stage,
        due_on=applied.due_on,
        baseline_value=cb.baseline_value if cb else None,
        baseline_stage=cb.baseline_stage if cb else None,
    )


def measurement(update: ProgressUpdate) -> Measurement:
    return Measurement(
        id=update.id, as_of=update.as_of, recorded_at=update.recorded_at, source=update.source,
        value=update.value, stage=update.stage, supersedes_id=update.supersedes_id,
        retracted_at=update.retraction.retracted_at if update.retraction else None,
    )


@dataclass(frozen=True)
class CandidateStatus:
    """A candidate's evaluation with what it was computed from: the applied benchmarks and
    every measurement read, by benchmark key (pages draw their charts from these)."""

    evaluation: CandidateEvaluation
    applied: list[AppliedBenchmark]
    measurements: dict[str, list[Measurement]]


def load_statuses(
    session: Session,
    candidates: Sequence[Candidate],
    *,
    as_of: date | None = None,
    tier: str | None = None,
) -> dict[int, CandidateStatus]:
    """Each candidate's status as of a date (default today), keyed by candidate id.
    `tier` evaluates every candidate against that tier's requirements instead of its own
    (what-if), changing nothing stored. Only history recorded by `as_of` is read."""
    as_of = as_of or today()
    if not candidates:
        return {}
    ids = [c.id for c in candidates]
    tiers = {tier} if tier else {c.tier for c in candidates}
    requirements_by_tier: dict[str, list[TierRequirement]] = defaultdict(list)
    for requirement in session.scalars(
        select(TierRequirement)
        .where(TierRequirement.tier.in_(tiers))
        .options(selectinload(TierRequirement.definition)
                 .selectinload(BenchmarkDefinition.category))
    ):
        requirements_by_tier[requirement.tier].append(requirement)
    for requirements in requirements_by_tier.values():
        requirements.sort(key=lambda r: (r.definition.category.position, r.definition.key))

    benchmarks: dict[tuple[int, int], CandidateBenchmark] = {
        (cb.candidate_id, cb.definition_id): cb
        for cb in session.scalars(
            select(CandidateBenchmark).where(CandidateBenchmark.candidate_id.in_(ids))
        )
    }
    changes: dict[int, list[CandidateStatusChange]] = defaultdict(list)
    for change in session.scalars(
        select(CandidateStatusChange)
        .where(CandidateStatusChange.candidate_id.in_(ids))
        .order_by(CandidateStatusChange.effective_on, CandidateStatusChange.id)
    ):
        changes[change.candidate_id].append(change)

    updates: dict[int, list[Measurement]] = defaultdict(list)
    benchmark_ids = [cb.id for cb in benchmarks.values()]
    if benchmark_ids:
        for update in session.scalars(
            select(ProgressUpdate).where(
                ProgressUpdate.candidate_benchmark_id.in_(benchmark_ids),
                ProgressUpdate.as_of <= as_of,
                ProgressUpdate.recorded_at < end_of_day(as_of),
            ).options(selectinload(ProgressUpdate.retraction))
        ):
            updates[update.candidate_benchmark_id].append(measurement(update))

    results = {}
    for candidate in candidates:
        evaluated_tier = tier or candidate.tier
        entered = tier_entered_on(changes[candidate.id], candidate.tier)
        applied = [
            apply_requirement(
                requirement,
                benchmarks.get((candidate.id, requirement.definition_id)),
                entered if evaluated_tier == candidate.tier else None,
            )
            for requirement in requirements_by_tier[evaluated_tier]
        ]
        measurements = {
            a.definition.key: updates[a.candidate_benchmark.id] if a.candidate_benchmark else []
            for a in applied
        }
        items = [(benchmark_spec(a), measurements[a.definition.key]) for a in applied]
        results[candidate.id] = CandidateStatus(evaluate_candidate(items, as_of), applied,
                                                measurements)
    return results


def evaluate_candidates(
    session: Session,
    candidates: Sequence[Candidate],
    *,
    as_of: date | None = None,
    tier: str | None = None,
) -> dict[int, tuple[CandidateEvaluation, list[AppliedBenchmark]]]:
    """Each candidate's evaluation and applied benchmarks, keyed by candidate id."""
    return {
        candidate_id: (status.evaluation, status.applied)
        for candidate_id, status in load_statuses(session, candidates, as_of=as_of,
                                                  tier=tier).items()
    }


def evaluate_one(
    session: Session, candidate: Candidate, *, as_of: date | None = None, tier: str | None = None
) -> tuple[CandidateEvaluation, list[AppliedBenchmark]]:
    return evaluate_candidates(session, [candidate], as_of=as_of, tier=tier)[candidate.id]
