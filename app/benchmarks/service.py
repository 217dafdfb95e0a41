"""Benchmark categories and definitions, their per-tier requirements, and which of them apply to
a candidate; the admin's writes to all of these."""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.benchmarks.labels import KNOWN_UNIT_LABELS, known_stage_labels
from app.benchmarks.schemas import (
    BenchmarkCreate,
    BenchmarkUpdate,
    CategoryCreate,
    CategoryUpdate,
    RequirementWrite,
    definition_read,
    labels_json,
)
from app.errors import Conflict, InvalidInput, NotFound, field_error
from app.events.service import record_event, snapshot
from app.models import (
    BenchmarkCategory,
    BenchmarkDefinition,
    BenchmarkKind,
    Candidate,
    CandidateBenchmark,
    CandidateStatusChange,
    ExpansionModelDefinition,
    Indicator,
    ProgressUpdate,
    TierDefinition,
    TierRequirement,
    User,
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
    session: Session, tiers: set[str], on: date, *, indicator_ids: Collection[int] | None = None,
) -> dict[str, list[TierRequirement]]:
    """For each tier, what it asks on `on`: the requirements of the version then in force of
    every target adopted by then and not yet retired, in category order. The one place the
    targets of a candidate are chosen (the status rules, the pages and the admin's lists).
    `indicator_ids` keeps the targets on those indicators only (a write's statuses)."""
    by_tier: dict[str, list[TierRequirement]] = {tier: [] for tier in tiers}
    definitions = session.scalars(
        _targets_query(indicator_ids is not None),
        {"indicator_ids": list(indicator_ids)} if indicator_ids is not None else None).unique()
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


@lru_cache(maxsize=2)
def _targets_query(on_indicators: bool) -> Select[tuple[BenchmarkDefinition]]:
    """The definitions with their categories and requirements (a few each) joined in: one
    statement rather than one more for each; only those on the parameter `indicator_ids`
    when `on_indicators`. Built once and kept: every write reads it for its statuses, and
    building an ORM statement with its options costs more than running this one."""
    query = select(BenchmarkDefinition)
    if on_indicators:
        query = query.where(BenchmarkDefinition.indicator_id.in_(
            bindparam("indicator_ids", expanding=True)))
    return (query.join(BenchmarkDefinition.category)
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
    entered = standing.tier_entered_on if tier == standing.tier else None
    return [
        apply_requirement(req, by_definition.get(req.definition_id), entered)
        for req in targets_in_force(session, {tier}, on)[tier]
    ]


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


# Writes: categories and definitions (admin only).

CATEGORY_FIELDS = ("key", "title", "title_fr", "description", "description_fr", "position")


def _refuse_if_any(errors: list[dict[str, Any]], detail: str) -> None:
    if errors:
        summary = "; ".join(f"{e['field']}: {e['msg']}" for e in errors[:10])
        raise InvalidInput(f"{detail} {summary}", errors)


def get_category(session: Session, key: str) -> BenchmarkCategory:
    category = session.scalar(select(BenchmarkCategory).where(BenchmarkCategory.key == key))
    if category is None:
        raise NotFound("category", key)
    return category


def _refuse_taken_category(session: Session, key: str) -> None:
    if session.scalar(select(BenchmarkCategory.id).where(BenchmarkCategory.key == key)):
        raise Conflict(f"A category with the key {key!r} already exists.",
                       errors=[field_error(["body", "key"], "already taken")])


def create_category(session: Session, data: CategoryCreate, *, author: User) -> BenchmarkCategory:
    """Adds a category; without a position it goes after the last one."""
    _refuse_taken_category(session, data.key)
    position = data.position
    if position is None:
        position = (session.scalar(select(func.max(BenchmarkCategory.position))) or 0) + 1
    category = BenchmarkCategory(key=data.key, title=data.title, title_fr=data.title_fr,
                                 description=data.description,
                                 description_fr=data.description_fr, position=position)
    session.add(category)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        _refuse_taken_category(session, data.key)
        raise
    record_event(session, kind="category.created", entity="category", entity_id=category.key,
                 actor=author, after=snapshot(category, CATEGORY_FIELDS))
    session.commit()
    return category


def update_category(
    session: Session, key: str, data: CategoryUpdate, *, author: User
) -> BenchmarkCategory:
    category = get_category(session, key)
    before = snapshot(category, CATEGORY_FIELDS)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(category, field, value)
    after = snapshot(category, CATEGORY_FIELDS)
    if after == before:
        return category
    session.flush()
    record_event(session, kind="category.updated", entity="category", entity_id=category.key,
                 actor=author, before=before, after=after)
    session.commit()
    return category


def get_definition(session: Session, key: str) -> BenchmarkDefinition:
    definition = session.scalar(
        select(BenchmarkDefinition)
        .where(BenchmarkDefinition.key == key)
        .options(selectinload(BenchmarkDefinition.requirements),
                 selectinload(BenchmarkDefinition.category))
    )
    if definition is None:
        raise NotFound("benchmark", key)
    return definition


@dataclass(frozen=True)
class _Shape:
    """What a definition's requirements are checked against."""

    kind: str
    unit: str | None
    direction: str | None
    min_value: float | None
    max_value: float | None
    stages: list[str] | None


def _shape_errors(shape: _Shape) -> list[dict[str, Any]]:
    errors = []
    if shape.kind == BenchmarkKind.numeric:
        if shape.unit is None:
            errors.append(field_error(["body", "unit"], "a numeric benchmark needs a unit"))
        if shape.direction is None:
            errors.append(field_error(["body", "direction"],
                                      "a numeric benchmark needs a direction"))
        if shape.stages is not None:
            errors.append(field_error(["body", "stages"], "only a milestone benchmark has stages"))
        if (shape.min_value is not None and shape.max_value is not None
                and shape.min_value >= shape.max_value):
            errors.append(field_error(["body", "max_value"], "must be above min_value"))
    else:
        if shape.stages is None:
            errors.append(field_error(["body", "stages"], "a milestone benchmark needs its stages"))
        for field in ("unit", "direction", "min_value", "max_value"):
            if getattr(shape, field) is not None:
                errors.append(field_error(["body", field], "only a numeric benchmark has one"))
    return errors


def _requirement_errors(
    shape: _Shape, requirements: Sequence[RequirementWrite], *, sent: bool
) -> list[dict[str, Any]]:
    """Each requirement against the definition's kind, range and stages. Kept requirements
    (not `sent`) are re-checked when the range or the stages change."""
    errors = []
    seen: set[str] = set()
    for index, req in enumerate(requirements):
        def loc(field: str, index: int = index) -> list[Any]:
            return ["body", "requirements", index, field] if sent else ["body", "requirements"]

        label = "" if sent else f"the {req.tier} requirement's "
        if req.tier in seen:
            errors.append(field_error(loc("tier"), f"a second requirement for {req.tier}; "
                                 "one per tier"))
        seen.add(req.tier)
        if req.due_on is not None and req.due_offset_days is not None:
            errors.append(field_error(loc("due_offset_days"),
                                 "send due_on or due_offset_days, not both"))
        if shape.kind == BenchmarkKind.numeric:
            if not isinstance(req.target, float):
                errors.append(field_error(loc("target"), "the benchmark is numeric: send a number"))
            elif shape.min_value is not None and req.target < shape.min_value:
                errors.append(field_error(loc("target"), f"{label}target {req.target:g} is below "
                                     f"min_value {shape.min_value:g}"))
            elif shape.max_value is not None and req.target > shape.max_value:
                errors.append(field_error(loc("target"), f"{label}target {req.target:g} is above "
                                     f"max_value {shape.max_value:g}"))
        elif not isinstance(req.target, str) or req.target not in (shape.stages or []):
            stages = ", ".join(shape.stages or [])
            errors.append(field_error(loc("target"), f"{label}target must be one of the stages "
                                 f"({stages})"))
    return errors


def _requirement_write(requirement: TierRequirement) -> RequirementWrite:
    return RequirementWrite.model_construct(
        tier=requirement.tier,
        target=(requirement.target_value if requirement.target_value is not None
                else requirement.target_stage),
        weight=requirement.weight, due_on=requirement.due_on,
        due_offset_days=requirement.due_offset_days, is_illustrative=requirement.is_illustrative,
    )


def _tier_requirement(req: RequirementWrite, *, effective_on: date) -> TierRequirement:
    requirement = TierRequirement(tier=req.tier, effective_on=effective_on)
    requirement.target_value = req.target if isinstance(req.target, float) else None
    requirement.target_stage = req.target if isinstance(req.target, str) else None
    requirement.weight = req.weight
    requirement.due_on = req.due_on
    requirement.due_offset_days = req.due_offset_days
    requirement.is_illustrative = req.is_illustrative
    return requirement


def _find_category(
    session: Session, key: str, errors: list[dict[str, Any]]
) -> BenchmarkCategory | None:
    category = session.scalar(select(BenchmarkCategory).where(BenchmarkCategory.key == key))
    if category is None:
        errors.append(field_error(["body", "category"], f"no category {key!r}"))
    return category


def _refuse_taken_definition(session: Session, key: str) -> None:
    if session.scalar(select(BenchmarkDefinition.id).where(BenchmarkDefinition.key == key)):
        raise Conflict(f"A benchmark with the key {key!r} already exists.",
                       errors=[field_error(["body", "key"], "already taken")])


def derive_benchmarks_for_tiers(session: Session, tiers: set[str]) -> None:
    """Re-derive the benchmarks of every candidate in these tiers. Flushes only."""
    if not tiers:
        return
    for candidate in session.scalars(select(Candidate).where(Candidate.tier.in_(tiers))):
        derive_candidate_benchmarks(session, candidate)


def _definition_snapshot(definition: BenchmarkDefinition) -> dict[str, Any]:
    return definition_read(definition).model_dump(mode="json")


def get_indicator(session: Session, key: str) -> Indicator:
    indicator = session.scalar(select(Indicator).where(Indicator.key == key)
                               .options(selectinload(Indicator.category)))
    if indicator is None:
        raise NotFound("indicator", key)
    return indicator


def list_indicators(
    session: Session, *, limit: int, offset: int
) -> tuple[list[tuple[Indicator, list[str]]], int]:
    """A page of the indicators in category order, each with the keys of the targets on it."""
    total = session.scalar(select(func.count()).select_from(Indicator)) or 0
    indicators = list(session.scalars(
        select(Indicator).join(Indicator.category)
        .options(selectinload(Indicator.category))
        .order_by(BenchmarkCategory.position, Indicator.key).offset(offset).limit(limit)))
    targets = targets_by_indicator(session, [i.id for i in indicators])
    return [(i, targets[i.id]) for i in indicators], total


def targets_by_indicator(session: Session, indicator_ids: Sequence[int]) -> dict[int, list[str]]:
    """The keys of the targets that read each of these indicators, in one query."""
    targets: dict[int, list[str]] = {i: [] for i in indicator_ids}
    for indicator_id, key in session.execute(
            select(BenchmarkDefinition.indicator_id, BenchmarkDefinition.key)
            .where(BenchmarkDefinition.indicator_id.in_(targets))
            .order_by(BenchmarkDefinition.key)):
        targets[indicator_id].append(key)
    return targets


def _indicator_for(
    session: Session, data: BenchmarkCreate, errors: list[dict[str, Any]],
    category: BenchmarkCategory | None,
) -> tuple[Indicator | None, _Shape | None]:
    """The indicator the new target reads: an existing one named by `indicator`, or a new one
    of the benchmark's key shaped by the fields sent."""
    if data.indicator is not None:
        indicator = session.scalar(select(Indicator).where(Indicator.key == data.indicator))
        if indicator is None:
            errors.append(field_error(["body", "indicator"], f"no indicator {data.indicator!r}"))
            return None, None
        for field in INDICATOR_UPDATABLE:
            if getattr(data, field) is not None:
                errors.append(field_error(["body", field], "the indicator defines it; leave "
                                          "it out when naming an indicator"))
        if data.kind != indicator.kind:
            errors.append(field_error(["body", "kind"], f"indicator {indicator.key} is "
                                      f"{indicator.kind}"))
        return indicator, _Shape(indicator.kind, indicator.unit, indicator.direction,
                                 indicator.min_value, indicator.max_value, indicator.stages)
    if session.scalar(select(Indicator.id).where(Indicator.key == data.key)):
        errors.append(field_error(["body", "indicator"], f"an indicator {data.key!r} exists: "
                                  "name it in `indicator` to set a target on it"))
        return None, None
    shape = _Shape(data.kind, data.unit, data.direction, data.min_value, data.max_value,
                   data.stages)
    errors += _shape_errors(shape)
    if category is None:
        return None, shape
    indicator = Indicator(key=data.key, title=data.title, title_fr=data.title_fr,
                          category=category, kind=data.kind, unit=data.unit,
                          direction=data.direction, min_value=data.min_value,
                          max_value=data.max_value, stages=data.stages,
                          stage_labels=(labels_json(data.stage_labels)
                                        or known_stage_labels(data.stages)),
                          unit_labels=(labels_json(data.unit_labels)
                                       or KNOWN_UNIT_LABELS.get(data.unit or "")),
                          description=data.description, description_fr=data.description_fr,
                          source=data.source)
    return indicator, shape


def create_definition(
    session: Session, data: BenchmarkCreate, *, author: User
) -> BenchmarkDefinition:
    """Adds a target on an indicator (a new one unless `indicator` names one) and its per-tier
    requirements, the first version, in force from its adoption; applies it to every
    candidate of those tiers."""
    _refuse_taken_definition(session, data.key)
    errors: list[dict[str, Any]] = []
    category = _find_category(session, data.category, errors)
    indicator, shape = _indicator_for(session, data, errors, category)
    if shape is not None:
        errors += _requirement_errors(shape, data.requirements, sent=True)
    if data.adopted_on and data.valid_from and data.adopted_on != data.valid_from:
        errors.append(field_error(["body", "adopted_on"], "adopted_on and valid_from differ "
                                  "(valid_from is its earlier name): send one"))
    elif data.adoption is None:
        errors.append(field_error(["body", "adopted_on"], "send adopted_on (or valid_from): "
                                  "the date the target counts from"))
    elif data.retired_on is not None and data.retired_on <= data.adoption:
        errors.append(field_error(["body", "retired_on"], "must be after adopted_on"))
    _refuse_if_any(errors, "Nothing was stored.")
    assert category is not None and indicator is not None and data.adoption is not None

    definition = BenchmarkDefinition(
        key=data.key, title=data.title, title_fr=data.title_fr, category=category,
        indicator=indicator, description=data.description,
        description_fr=data.description_fr, source=data.source,
        is_illustrative=data.is_illustrative, adopted_on=data.adoption,
        retired_on=data.retired_on,
        requirements=[_tier_requirement(r, effective_on=data.adoption)
                      for r in sorted(data.requirements, key=lambda r: r.tier)],
    )
    session.add(definition)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        _refuse_taken_definition(session, data.key)
        raise
    derive_benchmarks_for_tiers(session, {r.tier for r in data.requirements})
    record_event(session, kind="benchmark.created", entity="benchmark", entity_id=definition.key,
                 actor=author, after=_definition_snapshot(definition))
    session.commit()
    return definition


def _history_errors(
    session: Session, definition: BenchmarkDefinition, data: BenchmarkUpdate
) -> list[dict[str, Any]]:
    """What the recorded history of the indicator forbids changing: stages that observations,
    baselines or candidate targets use; a range that would exclude a recorded value."""
    sent = data.model_fields_set
    errors = []
    observations = (select(ProgressUpdate)
                    .where(ProgressUpdate.indicator_id == definition.indicator_id).subquery())
    lowest, highest = session.execute(
        select(func.min(observations.c.value), func.max(observations.c.value))
    ).one()
    if lowest is not None and data.min_value is not None and lowest < data.min_value:
        errors.append(field_error(["body", "min_value"], f"a recorded value is {lowest:g}; "
                             "must not be above it"))
    if highest is not None and data.max_value is not None and highest > data.max_value:
        errors.append(field_error(["body", "max_value"], f"a recorded value is {highest:g}; "
                             "must not be below it"))
    removed = set(definition.stages or []) - set(data.stages or [])
    if "stages" in sent and definition.kind == BenchmarkKind.milestone and removed:
        used = set(session.scalars(select(observations.c.stage)
                                   .where(observations.c.stage.in_(removed))))
        used |= set(session.scalars(
            select(TierRequirement.target_stage).join(TierRequirement.definition)
            .where(BenchmarkDefinition.indicator_id == definition.indicator_id,
                   TierRequirement.target_stage.in_(removed))))
        for column in (CandidateBenchmark.target_stage, CandidateBenchmark.baseline_stage):
            used |= set(session.scalars(
                select(column).join(CandidateBenchmark.definition)
                .where(BenchmarkDefinition.indicator_id == definition.indicator_id,
                       column.in_(removed))
            ))
        if used:
            errors.append(field_error(
                ["body", "stages"], "recorded observations or targets use "
                f"{', '.join(sorted(used))}; they cannot be removed"))
    return errors


# Fields of the target itself, and of the indicator it reads (shared with any other target
# on that indicator).
UPDATABLE = ("title", "title_fr", "description", "description_fr", "source", "is_illustrative",
             "retired_on")
INDICATOR_UPDATABLE = ("unit", "direction", "min_value", "max_value", "stages")


class StatusWatcher(Protocol):
    """What a target revision needs of the status feed (app.status_feed.StatusWatch,
    given by the caller: the feed reads statuses, which read this module)."""

    def watch(self, session: Session, series: Iterable[tuple[int, int]]) -> None: ...

    def record(self, session: Session, *, cause: dict[str, Any] | None = None,
               actor_id: int | None = None, targets_changed: bool = False) -> int: ...


def update_definition(
    session: Session, key: str, data: BenchmarkUpdate, *, author: User, today: date | None = None,
    statuses: StatusWatcher | None = None,
) -> BenchmarkDefinition:
    """Changes the fields sent. `requirements` make a new version, in force from
    `effective_on` (default today; the date of an existing version amends that one), and every
    candidate of an old or new tier gets its benchmarks re-derived. The kind never changes.
    A request that changes nothing writes nothing. With `statuses`, the status changes a new
    version causes are recorded as events in the same commit."""
    definition = get_definition(session, key)
    today = today or datetime.now(UTC).date()
    sent = data.model_fields_set
    if "kind" in sent and data.kind != definition.kind:
        _refuse_if_any([field_error(
            ["body", "kind"], f"the benchmark is {definition.kind}; the kind "
            "cannot change (add a new benchmark instead)")],
                       "Nothing was changed.")
    errors: list[dict[str, Any]] = []
    category = _find_category(session, data.category, errors) if "category" in sent else None

    def proposed(field: str) -> Any:
        return getattr(data, field) if field in sent else getattr(definition, field)

    shape = _Shape(definition.kind, proposed("unit"), proposed("direction"),
                   proposed("min_value"), proposed("max_value"), proposed("stages"))
    requirements = (data.requirements if data.requirements is not None
                    else [_requirement_write(r) for r in definition.current_requirements])
    errors += _shape_errors(shape)
    errors += _requirement_errors(shape, requirements, sent="requirements" in sent)
    errors += _history_errors(session, definition, data)
    adopted_on = data.adopted_on or data.valid_from or definition.adopted_on
    retired_on = data.retired_on if "retired_on" in sent else definition.retired_on
    if data.adopted_on and data.valid_from and data.adopted_on != data.valid_from:
        errors.append(field_error(["body", "adopted_on"], "adopted_on and valid_from differ"))
    if retired_on is not None and retired_on <= adopted_on:
        errors.append(field_error(["body", "retired_on"], "must be after adopted_on"))
    effective_on = data.effective_on or max(today, adopted_on)
    if "effective_on" in sent and data.requirements is None:
        errors.append(field_error(["body", "effective_on"], "only with requirements: it is "
                                  "when the new version of the requirements takes effect"))
    if data.requirements is not None and effective_on < adopted_on:
        errors.append(field_error(["body", "effective_on"], "must not be before adopted_on "
                                  f"({adopted_on.isoformat()})"))
    _refuse_if_any(errors, "Nothing was changed.")

    # A new version of the requirements may move the target of every candidate of the tiers:
    # their statuses on this indicator are read before and after (a target revised).
    if statuses is not None and data.requirements is not None:
        statuses.watch(session, [(candidate_id, definition.indicator_id) for candidate_id
                                 in session.scalars(select(Candidate.id))])
    before = _definition_snapshot(definition)
    for field in UPDATABLE:
        if field in sent:
            setattr(definition, field, getattr(data, field))
    for field in INDICATOR_UPDATABLE:
        if field in sent:
            setattr(definition.indicator, field, getattr(data, field))
    definition.adopted_on = adopted_on
    if category is not None:
        definition.category = category
    affected: set[str] = set()
    if data.requirements is not None:
        affected = _new_version(session, definition, data.requirements, effective_on)
    after = _definition_snapshot(definition)
    if after == before:
        return definition
    session.flush()
    derive_benchmarks_for_tiers(session, affected)
    record_event(session, kind="benchmark.updated", entity="benchmark", entity_id=definition.key,
                 actor=author, before=before, after=after)
    if statuses is not None:
        statuses.record(session, actor_id=author.id, targets_changed=True, cause={
            "kind": "requirements", "benchmark": definition.key,
            "effective_on": effective_on.isoformat(),
            "requirement_ids": [r.id for r in definition.requirements
                                if r.effective_on == effective_on]})
    session.commit()
    return definition


def _new_version(
    session: Session, definition: BenchmarkDefinition, requirements: Sequence[RequirementWrite],
    effective_on: date,
) -> set[str]:
    """Adds the version of the requirements in force from `effective_on` (replacing the one of
    that date, if any: an amendment of the same version, kept in the event log); returns the
    tiers whose candidates need their benchmarks re-derived."""
    previous = {str(r.tier) for r in definition.requirements_on(effective_on)}
    for old in [r for r in definition.requirements if r.effective_on == effective_on]:
        definition.requirements.remove(old)
        session.delete(old)
    session.flush()
    for req in sorted(requirements, key=lambda r: r.tier):
        definition.requirements.append(_tier_requirement(req, effective_on=effective_on))
    definition.requirements.sort(key=lambda r: (r.effective_on, r.tier))
    return previous ^ {str(r.tier) for r in requirements}
