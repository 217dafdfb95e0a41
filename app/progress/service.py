"""Progress updates: the append-only history of measured values."""

import hashlib
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, selectinload

from app.bulk_insert import insert_rows
from app.db import begin_write, mark_changed
from app.errors import Conflict, InvalidInput, NotFound, field_error
from app.events.service import record_event, record_events, snapshot
from app.models import (
    BenchmarkDefinition,
    BenchmarkKind,
    Candidate,
    CandidateBenchmark,
    IdempotencyKey,
    ProgressUpdate,
    UpdateRetraction,
    User,
    utcnow,
)
from app.progress.schemas import ProgressUpdateCreate, ProgressUpdateRead, update_read


def list_progress_updates(
    session: Session,
    candidate: Candidate,
    *,
    benchmark: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[ProgressUpdate], int]:
    """A candidate's updates, newest measurement first; dates filter `as_of`, inclusive."""
    query = (
        select(ProgressUpdate)
        .join(ProgressUpdate.candidate_benchmark)
        .where(CandidateBenchmark.candidate_id == candidate.id)
    )
    if benchmark is not None:
        definition_id = session.scalar(
            select(CandidateBenchmark.definition_id)
            .join(CandidateBenchmark.definition)
            .where(CandidateBenchmark.candidate_id == candidate.id,
                   BenchmarkDefinition.key == benchmark)
        )
        if definition_id is None:
            raise NotFound("benchmark", benchmark,
                           f"Candidate {candidate.slug!r} has no benchmark {benchmark!r}.")
        query = query.where(CandidateBenchmark.definition_id == definition_id)
    if date_from is not None:
        query = query.where(ProgressUpdate.as_of >= date_from)
    if date_to is not None:
        query = query.where(ProgressUpdate.as_of <= date_to)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = (
        query.options(
            selectinload(ProgressUpdate.candidate_benchmark).selectinload(
                CandidateBenchmark.definition
            ),
            selectinload(ProgressUpdate.author),
            selectinload(ProgressUpdate.retraction),
        )
        .order_by(ProgressUpdate.as_of.desc(), ProgressUpdate.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(page)), total


def _validate_update(
    item: ProgressUpdateCreate,
    benchmark: CandidateBenchmark | None,
    superseded: ProgressUpdate | None,
    loc: list[Any],
    today: date,
) -> list[dict[str, Any]]:
    """The business rules one update must meet; each broken rule names its field."""
    if benchmark is None:
        return [field_error([*loc, "benchmark"],
                       f"no benchmark {item.benchmark!r} applies to this candidate")]
    definition = benchmark.definition
    errors = []
    if definition.kind == BenchmarkKind.numeric:
        if not isinstance(item.value, float):
            errors.append(field_error([*loc, "value"],
                                      f"{definition.key} is numeric: send a number"))
        elif definition.min_value is not None and item.value < definition.min_value:
            errors.append(field_error([*loc, "value"], f"{item.value:g} is below the lowest sane "
                                 f"value, {definition.min_value:g} {definition.unit}"))
        elif definition.max_value is not None and item.value > definition.max_value:
            errors.append(field_error([*loc, "value"], f"{item.value:g} is above the highest sane "
                                 f"value, {definition.max_value:g} {definition.unit}"))
    elif not isinstance(item.value, str) or item.value not in (definition.stages or []):
        stages = ", ".join(definition.stages or [])
        errors.append(field_error([*loc, "value"],
                             f"{definition.key} is a milestone: send one of its stages ({stages})"))
    if item.as_of > today:
        errors.append(field_error([*loc, "as_of"], "as_of is in the future"))
    elif item.as_of < definition.valid_from:
        errors.append(field_error([*loc, "as_of"], f"as_of is before the benchmark existed "
                             f"({definition.valid_from.isoformat()})"))
    if item.supersedes is not None and (
        superseded is None or superseded.candidate_benchmark_id != benchmark.id
    ):
        errors.append(field_error([*loc, "supersedes"], f"update {item.supersedes} is not an "
                                  f"update of {definition.key} for this candidate"))
    return errors


def _request_hash(items: Sequence[ProgressUpdateCreate]) -> str:
    canonical = json.dumps([i.model_dump(mode="json") for i in items], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(
    session: Session, user: User, key: str, request_hash: str
) -> list[ProgressUpdateRead] | None:
    stored = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user.id, IdempotencyKey.key == key)
    )
    if stored is None:
        return None
    if stored.request_hash != request_hash:
        raise InvalidInput(
            "This Idempotency-Key was used for a different request; use a new key.",
            [field_error(["header", "Idempotency-Key"], "already used with another body")],
        )
    return [update_read(u) for u in get_progress_updates(session, stored.response["update_ids"])]


def get_progress_updates(session: Session, ids: Sequence[int]) -> list[ProgressUpdate]:
    found = {
        u.id: u
        for u in session.scalars(
            select(ProgressUpdate).where(ProgressUpdate.id.in_(ids)).options(
                selectinload(ProgressUpdate.candidate_benchmark)
                .selectinload(CandidateBenchmark.definition),
                selectinload(ProgressUpdate.author),
                selectinload(ProgressUpdate.retraction),
            )
        )
    }
    return [found[i] for i in ids]


UPDATE_FIELDS = ("id", "value", "stage", "as_of", "source", "note", "supersedes_id",
                 "recorded_at")


def add_progress_updates(
    session: Session,
    candidate: Candidate,
    items: Sequence[ProgressUpdateCreate],
    *,
    author: User,
    locations: Sequence[list[Any]],
) -> tuple[list[ProgressUpdateRead], list[dict[str, Any]]]:
    """Validates every item (reporting each broken rule at its item's location) and, only if
    all pass, inserts them with their events. The caller commits.

    The rows go in as two Core statements, not ORM objects: a batch of 500 is one insert of
    updates and one of events, and what is answered is built from what was sent."""
    benchmarks = {
        cb.definition.key: cb
        for cb in session.scalars(
            select(CandidateBenchmark).join(CandidateBenchmark.definition)
            .where(CandidateBenchmark.candidate_id == candidate.id,
                   CandidateBenchmark.is_active.is_(True),
                   BenchmarkDefinition.key.in_({item.benchmark for item in items}))
            .options(contains_eager(CandidateBenchmark.definition))
        )
    }
    superseded_ids = {i.supersedes for i in items if i.supersedes is not None}
    superseded = {
        u.id: u for u in session.scalars(
            select(ProgressUpdate).where(ProgressUpdate.id.in_(superseded_ids))
        )
    } if superseded_ids else {}
    today = utcnow().date()
    errors = []
    for item, loc in zip(items, locations, strict=True):
        errors += _validate_update(item, benchmarks.get(item.benchmark),
                                   superseded.get(item.supersedes or 0), loc, today)
    if errors:
        return [], errors

    recorded_at = utcnow()
    rows = [
        {"candidate_benchmark_id": benchmarks[item.benchmark].id,
         "value": item.value if isinstance(item.value, float) else None,
         "stage": item.value if isinstance(item.value, str) else None,
         "as_of": item.as_of, "source": item.source, "note": item.note,
         "is_illustrative": False, "author_id": author.id, "recorded_at": recorded_at,
         "supersedes_id": item.supersedes}
        for item in items
    ]
    ids = insert_rows(session, ProgressUpdate.__table__, rows, returning_ids=True)
    stored = [
        ProgressUpdateRead(
            id=update_id, benchmark=item.benchmark, value=item.value, as_of=item.as_of,
            source=item.source, note=item.note, author=author.name, recorded_at=recorded_at,
            supersedes=item.supersedes, is_illustrative=False,
        )
        for update_id, item in zip(ids, items, strict=True)
    ]
    record_events(session, [
        {"kind": "progress_update.created", "entity": "progress_update",
         "entity_id": str(update.id), "actor_id": author.id, "candidate_id": candidate.id,
         "after": {"benchmark": update.benchmark, **_update_snapshot(update)}}
        for update in stored
    ])
    mark_changed(session)
    return stored, []


def _update_snapshot(update: ProgressUpdateRead) -> dict[str, Any]:
    """The event's record of a new update: the same fields as snapshot(update, UPDATE_FIELDS)
    gives for a stored one."""
    return {
        "id": update.id,
        "value": update.value if isinstance(update.value, float) else None,
        "stage": update.value if isinstance(update.value, str) else None,
        "as_of": update.as_of.isoformat(), "source": update.source, "note": update.note,
        "supersedes_id": update.supersedes, "recorded_at": update.recorded_at.isoformat(),
    }


def refuse(errors: list[dict[str, Any]]) -> InvalidInput:
    detail = "; ".join(f"{e['field']}: {e['msg']}" for e in errors[:10])
    more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
    return InvalidInput(f"Nothing was stored. {detail}{more}", errors)


def record_progress_updates(
    session: Session,
    candidate: Candidate,
    items: Sequence[ProgressUpdateCreate],
    *,
    author: User,
    idempotency_key: str | None = None,
) -> tuple[list[ProgressUpdateRead], bool]:
    """Stores every update or none: all are validated first and every broken rule is
    reported together. Returns the stored updates and whether they are a replay of an earlier
    request with the same Idempotency-Key.

    Everything checked here is read inside the write transaction (begin_write), so no other
    writer can change it between the check and the commit."""
    request_hash = _request_hash(items) if idempotency_key is not None else ""
    begin_write(session)
    if idempotency_key is not None:
        replayed = _replay(session, author, idempotency_key, request_hash)
        if replayed is not None:
            return replayed, True

    locations = [["body"]] if len(items) == 1 else [["body", "updates", i]
                                                    for i in range(len(items))]
    updates, errors = add_progress_updates(session, candidate, items, author=author,
                                           locations=locations)
    if errors:
        raise refuse(errors)
    if idempotency_key is not None:
        session.add(IdempotencyKey(user_id=author.id, key=idempotency_key,
                                   request_hash=request_hash, status_code=201,
                                   response={"update_ids": [u.id for u in updates]}))
    try:
        session.commit()
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer with its result.
        session.rollback()
        if idempotency_key is None:
            raise
        replayed = _replay(session, author, idempotency_key, request_hash)
        if replayed is None:
            raise
        return replayed, True
    return updates, False


def retract_progress_update(
    session: Session, update_id: int, reason: str, *, author: User
) -> ProgressUpdate:
    """Hides a wrong value from evaluations and pages; the update itself stays stored."""
    update = session.scalar(
        select(ProgressUpdate).where(ProgressUpdate.id == update_id).options(
            selectinload(ProgressUpdate.candidate_benchmark)
            .selectinload(CandidateBenchmark.definition),
            selectinload(ProgressUpdate.retraction),
        )
    )
    if update is None:
        raise NotFound("progress update", update_id)
    if update.retraction is not None:
        raise Conflict(f"Update {update_id} was already retracted on "
                       f"{update.retraction.retracted_at.date().isoformat()}.")
    retraction = UpdateRetraction(update_id=update.id, reason=reason, author_id=author.id)
    session.add(retraction)
    session.flush()
    record_event(
        session, kind="progress_update.retracted", entity="progress_update", entity_id=update.id,
        actor=author, candidate_id=update.candidate_benchmark.candidate_id,
        before=snapshot(update, UPDATE_FIELDS),
        after={"retracted": True, "reason": reason},
    )
    session.commit()
    session.refresh(update)
    return update


def last_recorded(session: Session, candidate_ids: Sequence[int]) -> dict[int, Any]:
    """When each candidate's newest update was recorded (one grouped query)."""
    if not candidate_ids:
        return {}
    rows = session.execute(
        select(CandidateBenchmark.candidate_id, func.max(ProgressUpdate.recorded_at))
        .join(ProgressUpdate.candidate_benchmark)
        .where(CandidateBenchmark.candidate_id.in_(candidate_ids))
        .group_by(CandidateBenchmark.candidate_id)
    ).all()
    return {candidate_id: moment for candidate_id, moment in rows}


def list_benchmark_history(
    session: Session, candidate: Candidate, key: str, *, limit: int, offset: int = 0
) -> tuple[CandidateBenchmark, list[ProgressUpdate], int]:
    """A page of one of the candidate's benchmark's updates, newest first, corrections and
    retracted ones included, and how many there are in all."""
    benchmark = session.scalar(
        select(CandidateBenchmark).join(CandidateBenchmark.definition)
        .where(CandidateBenchmark.candidate_id == candidate.id, BenchmarkDefinition.key == key)
        .options(selectinload(CandidateBenchmark.definition)
                 .selectinload(BenchmarkDefinition.category))
    )
    if benchmark is None:
        raise NotFound("benchmark", key, f"Candidate {candidate.slug!r} has no benchmark {key!r}.")
    of_benchmark = ProgressUpdate.candidate_benchmark_id == benchmark.id
    total = session.scalar(select(func.count()).where(of_benchmark)) or 0
    updates = session.scalars(
        select(ProgressUpdate).where(of_benchmark)
        .options(selectinload(ProgressUpdate.author),
                 selectinload(ProgressUpdate.retraction).selectinload(UpdateRetraction.author))
        .order_by(ProgressUpdate.as_of.desc(), ProgressUpdate.id.desc())
        .offset(offset).limit(limit)
    ).all()
    return benchmark, list(updates), total


def corrections_of(session: Session, update_ids: Sequence[int]) -> dict[int, int]:
    """For each of these updates that a later one corrects: the id of its (newest) correction."""
    if not update_ids:
        return {}
    return dict(session.execute(
        select(ProgressUpdate.supersedes_id, ProgressUpdate.id)
        .where(ProgressUpdate.supersedes_id.in_(update_ids))
        .order_by(ProgressUpdate.as_of, ProgressUpdate.id)
    ).all())
