"""Benchmark definitions, their per-tier requirements, and which of them apply to a candidate."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import (
    BenchmarkCategory,
    BenchmarkDefinition,
    Candidate,
    CandidateBenchmark,
    CandidateStatusChange,
    ExpansionModelDefinition,
    TierDefinition,
    TierRequirement,
)


@dataclass(frozen=True)
class AppliedBenchmark:
    """A definition as it binds one candidate under one tier: the requirement with the
    candidate's overrides applied and a due offset turned into a date."""

    definition: BenchmarkDefinition
    requirement: TierRequirement
    candidate_benchmark: CandidateBenchmark | None
    target_value: float | None
    target_stage: str | None
    due_on: date | None


def list_categories(session: Session) -> list[BenchmarkCategory]:
    return list(session.scalars(select(BenchmarkCategory).order_by(BenchmarkCategory.position,
                                                                   BenchmarkCategory.key)))


def list_tiers(session: Session) -> list[TierDefinition]:
    return list(session.scalars(select(TierDefinition).order_by(TierDefinition.rank)))


def list_expansion_models(session: Session) -> list[ExpansionModelDefinition]:
    return list(session.scalars(select(ExpansionModelDefinition)
                                .order_by(ExpansionModelDefinition.key)))


def list_definitions(session: Session) -> list[BenchmarkDefinition]:
    query = (
        select(BenchmarkDefinition)
        .join(BenchmarkDefinition.category)
        .options(selectinload(BenchmarkDefinition.requirements),
                 selectinload(BenchmarkDefinition.category))
        .order_by(BenchmarkCategory.position, BenchmarkDefinition.key)
    )
    return list(session.scalars(query))


def tier_entered_on(changes: Sequence[CandidateStatusChange], tier: str) -> date | None:
    """The date a candidate entered `tier` for the last time, from its status history (oldest
    change first); None if its history does not end in that tier."""
    entered: date | None = None
    previous_tier: str | None = None
    for change in changes:
        if change.tier != previous_tier:
            entered = change.effective_on
            previous_tier = change.tier
    return entered if previous_tier == tier else None


def apply_requirement(
    requirement: TierRequirement,
    candidate_benchmark: CandidateBenchmark | None,
    entered_tier_on: date | None,
) -> AppliedBenchmark:
    override = candidate_benchmark
    target_value = requirement.target_value
    target_stage = requirement.target_stage
    if override is not None and override.target_value is not None:
        target_value = override.target_value
    if override is not None and override.target_stage is not None:
        target_stage = override.target_stage
    due_on = requirement.due_on
    if requirement.due_offset_days is not None and entered_tier_on is not None:
        due_on = entered_tier_on + timedelta(days=requirement.due_offset_days)
    if override is not None and override.due_on is not None:
        due_on = override.due_on
    return AppliedBenchmark(requirement.definition, requirement, override, target_value,
                            target_stage, due_on)


def applied_benchmarks(
    session: Session, candidate: Candidate, tier: str | None = None
) -> list[AppliedBenchmark]:
    """The benchmarks `tier` (default: the candidate's own) asks of the candidate, in category
    order. Another tier gives a what-if view without changing anything stored."""
    tier = tier or candidate.tier
    requirements = session.scalars(
        select(TierRequirement)
        .join(TierRequirement.definition)
        .join(BenchmarkDefinition.category)
        .where(TierRequirement.tier == tier)
        .options(selectinload(TierRequirement.definition)
                 .selectinload(BenchmarkDefinition.category))
        .order_by(BenchmarkCategory.position, BenchmarkDefinition.key)
    ).all()
    by_definition = {
        cb.definition_id: cb
        for cb in session.scalars(
            select(CandidateBenchmark).where(CandidateBenchmark.candidate_id == candidate.id)
        )
    }
    entered = (tier_entered_on(candidate.status_changes, tier) if tier == candidate.tier
               else None)
    return [
        apply_requirement(req, by_definition.get(req.definition_id), entered)
        for req in requirements
    ]


def derive_candidate_benchmarks(session: Session, candidate: Candidate) -> list[CandidateBenchmark]:
    """Make the candidate's benchmarks match its tier: add what the tier requires, reactivate
    what it requires again, deactivate (never delete) what it no longer requires. Flushes only."""
    required = set(
        session.scalars(
            select(TierRequirement.definition_id).where(TierRequirement.tier == candidate.tier)
        )
    )
    existing = {
        cb.definition_id: cb
        for cb in session.scalars(
            select(CandidateBenchmark).where(CandidateBenchmark.candidate_id == candidate.id)
        )
    }
    for definition_id, cb in existing.items():
        cb.is_active = definition_id in required
    for definition_id in required - existing.keys():
        cb = CandidateBenchmark(candidate_id=candidate.id, definition_id=definition_id,
                                is_active=True)
        session.add(cb)
        existing[definition_id] = cb
    session.flush()
    return [existing[d] for d in sorted(required)]
