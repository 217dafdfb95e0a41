"""Benchmark categories and definitions, their per-tier requirements, and which of them apply to
a candidate; the admin's writes to all of these. This module holds the definitions (targets):
listed, read, created and updated (a change of policy is a new version). Beside it:
applied.py (which targets apply to a candidate), categories.py (categories, tiers, expansion
models), indicators.py and requirements.py (a definition's requirements checked); every public
name of those stays importable from here."""

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.benchmarks.applied import (
    AppliedBenchmark,
    Standing,
    applied_benchmarks,
    apply_requirement,
    derive_benchmarks_for_tiers,
    derive_candidate_benchmarks,
    due_date,
    standing_on,
    targets_in_force,
    tier_entered_on,
)
from app.benchmarks.categories import (
    CATEGORY_FIELDS,
    create_category,
    get_category,
    list_categories,
    list_expansion_models,
    list_tiers,
    update_category,
)
from app.benchmarks.indicators import get_indicator, list_indicators, targets_by_indicator
from app.benchmarks.labels import KNOWN_UNIT_LABELS, known_stage_labels
from app.benchmarks.requirements import (
    _requirement_errors,
    _requirement_write,
    _Shape,
    _shape_errors,
    _tier_requirement,
)
from app.benchmarks.schemas import (
    BenchmarkCreate,
    BenchmarkUpdate,
    RequirementWrite,
    definition_read,
    labels_json,
)
from app.errors import Conflict, InvalidInput, NotFound, field_error
from app.events.service import record_event
from app.models import (
    BenchmarkCategory,
    BenchmarkDefinition,
    BenchmarkKind,
    Candidate,
    CandidateBenchmark,
    Indicator,
    ProgressUpdate,
    TierRequirement,
    User,
)

# Every name importers read here, including those of the modules beside this one.
__all__ = [
    "AppliedBenchmark",
    "CATEGORY_FIELDS",
    "INDICATOR_UPDATABLE",
    "Standing",
    "StatusWatcher",
    "UPDATABLE",
    "applied_benchmarks",
    "apply_requirement",
    "create_category",
    "create_definition",
    "derive_benchmarks_for_tiers",
    "derive_candidate_benchmarks",
    "due_date",
    "get_category",
    "get_definition",
    "get_definitions_by_key",
    "get_indicator",
    "list_categories",
    "list_definitions",
    "list_expansion_models",
    "list_indicators",
    "list_tiers",
    "standing_on",
    "targets_by_indicator",
    "targets_in_force",
    "tier_entered_on",
    "update_category",
    "update_definition",
]


def list_definitions(session: Session) -> list[BenchmarkDefinition]:
    query = (
        select(BenchmarkDefinition)
        .join(BenchmarkDefinition.category)
        .options(selectinload(BenchmarkDefinition.requirements),
                 selectinload(BenchmarkDefinition.category))
        .order_by(BenchmarkCategory.position, BenchmarkDefinition.key)
    )
    return list(session.scalars(query))


# Writes: categories (categories.py) and definitions (admin only).

def _refuse_if_any(errors: list[dict[str, Any]], detail: str) -> None:
    if errors:
        summary = "; ".join(f"{e['field']}: {e['msg']}" for e in errors[:10])
        raise InvalidInput(f"{detail} {summary}", errors)


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


def get_definitions_by_key(
    session: Session, keys: Iterable[str | None]
) -> dict[str, BenchmarkDefinition]:
    """The definitions of these keys that exist, by key (unknown keys are left out)."""
    wanted = {k for k in keys if k is not None}
    if not wanted:
        return {}
    return {d.key: d for d in session.scalars(
        select(BenchmarkDefinition).where(BenchmarkDefinition.key.in_(wanted)))}


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


def _definition_snapshot(definition: BenchmarkDefinition) -> dict[str, Any]:
    return definition_read(definition).model_dump(mode="json")


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
