"""Which targets apply to a candidate on a date: its standing (tier and phase) from its
status history, the requirements in force for its tier with its own overrides and due dates,
and its stored benchmarks derived from its tier."""

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.models import (
    BenchmarkCategory,
    BenchmarkDefinition,
    Candidate,
    CandidateBenchmark,
    CandidateStatusChange,
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

    @property
    def target_is_illustrative(self) -> bool:
        """The target rests on this tool's illustration: the benchmark, or its tier's target."""
        return self.definition.is_illustrative or self.requirement.is_illustrative


@dataclass(frozen=True)
class Standing:
    """A candidate's tier and phase on a date, and when it entered that tier (None before its
    first recorded status)."""

    tier: str
    phase: str
    tier_entered_on: date | None
    tier_is_illustrative: bool = False  # the tier was assigned as an illustration


def standing_on(
    candidate: Candidate, changes: Sequence[CandidateStatusChange], on: date
) -> Standing:
    """From its status history (`changes`, oldest first): the last change effective by `on`;
    before its first recorded status, the first (its status as tracking began); with no
    history, the candidate's own fields."""
    in_effect = [c for c in changes if c.effective_on <= on]
    status = in_effect[-1] if in_effect else (changes[0] if changes else None)
    if status is None:
        return Standing(candidate.tier, candidate.phase, None)
    return Standing(status.tier, status.phase, tier_entered_on(in_effect, status.tier),
                    status.is_illustrative)


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


def targets_in_force(
    session: Session, tiers: set[str], on: date,
) -> dict[str, list[TierRequirement]]:
    """For each tier, what it asks on `on`: the requirements of the version then in force of
    every target adopted by then and not yet retired, in category order. The one place the
    targets of a candidate are chosen (the status rules, the pages and the admin's lists)."""
    return requirements_in_force(session.scalars(_targets_query()).unique(), tiers, on)


def requirements_in_force(
    definitions: Iterable[BenchmarkDefinition], tiers: Collection[str], on: date,
) -> dict[str, list[TierRequirement]]:
    """The rule of targets_in_force over definitions already loaded with their requirements:
    for each tier, the requirements of the version in force on `on` of each definition adopted
    by then and not yet retired, in the order given."""
    by_tier: dict[str, list[TierRequirement]] = {tier: [] for tier in tiers}
    for definition in definitions:
        if not definition.is_in_force(on):
            continue
        for requirement in definition.requirements_on(on):
            if requirement.tier in by_tier:
                # Held by the requirement: the session keeps loaded objects only while
                # something refers to them, and reading it again would cost a query each.
                set_committed_value(requirement, "definition", definition)
                by_tier[requirement.tier].append(requirement)
    return by_tier


@lru_cache(maxsize=1)
def _targets_query() -> Select[tuple[BenchmarkDefinition]]:
    """The definitions with their categories and requirements (a few each) joined in: one
    statement rather than one more for each. Built once and kept: building an ORM statement
    with its options costs more than running this one."""
    return (select(BenchmarkDefinition).join(BenchmarkDefinition.category)
            .options(joinedload(BenchmarkDefinition.requirements),
                     contains_eager(BenchmarkDefinition.category))
            .order_by(BenchmarkCategory.position, BenchmarkDefinition.key))


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
    due_on = due_date(requirement, override.due_on if override is not None else None,
                      entered_tier_on)
    return AppliedBenchmark(requirement.definition, requirement, override, target_value,
                            target_stage, due_on)


def due_date(
    requirement: TierRequirement, override_due_on: date | None, entered_tier_on: date | None
) -> date | None:
    """When a requirement falls due for one candidate: the candidate's own due date if it has
    one, else the requirement's offset from the date it entered the tier (when known), else
    the requirement's fixed date."""
    if override_due_on is not None:
        return override_due_on
    if requirement.due_offset_days is not None and entered_tier_on is not None:
        return entered_tier_on + timedelta(days=requirement.due_offset_days)
    return requirement.due_on


def applied_benchmarks(
    session: Session, candidate: Candidate, tier: str | None = None, on: date | None = None
) -> list[AppliedBenchmark]:
    """The targets `tier` (default: the candidate's own on that date) asks of the candidate on
    `on` (default today), in category order. Another tier gives a what-if view without
    changing anything stored."""
    on = on or datetime.now(UTC).date()
    standing = standing_on(
        candidate, sorted(candidate.status_changes, key=lambda c: (c.effective_on, c.id)), on)
    tier = tier or standing.tier
    by_definition = {
        cb.definition_id: cb
        for cb in session.scalars(
            select(CandidateBenchmark).where(CandidateBenchmark.candidate_id == candidate.id)
        )
    }
    return apply_tier(targets_in_force(session, {tier}, on)[tier], by_definition.get,
                      standing, tier)


def apply_tier(
    requirements: Iterable[TierRequirement],
    own_target: Callable[[int], CandidateBenchmark | None], standing: Standing, tier: str,
) -> list[AppliedBenchmark]:
    """What `tier` asks of a candidate of this standing: each requirement with the candidate's
    own target for it, if any (`own_target` by definition id). Deadlines counted from entering
    the tier count only for the candidate's own tier: under another (a what-if) it has not
    entered it, so no such deadline applies."""
    entered = standing.tier_entered_on if tier == standing.tier else None
    return [apply_requirement(r, own_target(r.definition_id), entered) for r in requirements]


def derive_candidate_benchmarks(session: Session, candidate: Candidate) -> list[CandidateBenchmark]:
    """Make the candidate's benchmarks match its tier: add what the newest version of each
    target requires of the tier, reactivate what it requires again, deactivate (never delete)
    what it no longer requires. Flushes only."""
    newest = (select(TierRequirement.definition_id,
                     func.max(TierRequirement.effective_on).label("effective_on"))
              .group_by(TierRequirement.definition_id).subquery())
    required = set(session.scalars(
        select(TierRequirement.definition_id)
        .join(newest, (newest.c.definition_id == TierRequirement.definition_id)
              & (newest.c.effective_on == TierRequirement.effective_on))
        .where(TierRequirement.tier == candidate.tier)))
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


def derive_benchmarks_for_tiers(session: Session, tiers: set[str]) -> None:
    """Re-derive the benchmarks of every candidate in these tiers. Flushes only."""
    if not tiers:
        return
    for candidate in session.scalars(select(Candidate).where(Candidate.tier.in_(tiers))):
        derive_candidate_benchmarks(session, candidate)
