"""Progress updates: the append-only history of measured values."""

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, contains_eager, selectinload

from app.auth.service import verify_digests
from app.bulk_insert import insert_rows
from app.config import get_settings
from app.db import begin_write, mark_changed
from app.errors import (
    DomainError,
    InvalidInput,
    NotFound,
    Unauthorized,
    field_error,
)
from app.events.service import record_events
from app.models import (
    BenchmarkDefinition,
    BenchmarkKind,
    Candidate,
    CandidateBenchmark,
    IdempotencyKey,
    ProgressUpdate,
    RetractionConfirmation,
    RetractionUndo,
    UpdateRetraction,
    User,
    utcnow,
)
from app.progress.schemas import ProgressUpdateCreate, ProgressUpdateRead, update_read

# What an update's answer and page show of its retractions (app/progress/retractions.py):
# who asked, who confirmed, who undid.
RETRACTION_DETAILS = (
    selectinload(UpdateRetraction.author),
    selectinload(UpdateRetraction.confirmation).selectinload(RetractionConfirmation.user),
    selectinload(UpdateRetraction.undo).selectinload(RetractionUndo.user),
)
# For queries of updates: every retraction of each, with its details.
RETRACTIONS = selectinload(ProgressUpdate.retractions).options(*RETRACTION_DETAILS)


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
            RETRACTIONS,
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


def _request_hash(request: "UpdateRequest") -> str:
    """What an Idempotency-Key is bound to: the method, the path (so the candidate) and the
    body as parsed (a single update and a batch of one are different bodies)."""
    items = [i.model_dump(mode="json") for i in request.items]
    body = {"updates": items} if request.is_batch else items[0]
    canonical = json.dumps(["POST", f"/api/v1/candidates/{request.slug}/updates", body],
                           sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ExpiredKeys:
    """Forgets expired Idempotency-Keys in bulk, at most once per `every` seconds per process,
    so the table holds about one lifetime's keys (they are a cache of answers, not history)."""

    def __init__(self, every: float = 3600.0) -> None:
        self.every = every
        self.purged_at: float | None = None

    def purge(self, session: Session, expired_before: datetime) -> None:
        now = time.monotonic()
        if self.purged_at is not None and now - self.purged_at < self.every:
            return
        self.purged_at = now
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < expired_before))


expired_keys = ExpiredKeys()


def _replay(
    session: Session, user: User, key: str, request_hash: str, *, expired_before: datetime
) -> list[ProgressUpdateRead] | None:
    """The answer stored for this key, if it is the same request; None if the key is unknown or
    expired (an expired key's row is deleted: it is a cache of answers, not history)."""
    stored = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user.id, IdempotencyKey.key == key)
    )
    if stored is None:
        return None
    if stored.created_at < expired_before:
        # A statement, not session.delete(): a concurrent request that deleted it first
        # leaves nothing to delete, which the ORM would call an error.
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == stored.id))
        session.expunge(stored)
        return None
    if stored.request_hash != request_hash:
        raise InvalidInput(
            "This Idempotency-Key was used for a different request (another candidate, "
            "another body); nothing was stored. Use a new key for a new request.",
            [field_error(["header", "Idempotency-Key"],
                         "already used for a request with another method, path or body")],
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
                RETRACTIONS,
            )
        )
    }
    return [found[i] for i in ids]


UPDATE_FIELDS = ("id", "value", "stage", "as_of", "source", "note", "supersedes_id",
                 "recorded_at")


@dataclass(frozen=True)
class UpdateSet:
    """Updates for one candidate by one author, stored together or not at all; `locations`
    names where each item came from in the errors (`["body", "updates", 3]`, a CSV line)."""

    candidate_id: int
    items: Sequence[ProgressUpdateCreate]
    author: User
    locations: Sequence[list[Any]]


def add_progress_updates(
    session: Session, sets: Sequence[UpdateSet]
) -> list[tuple[list[ProgressUpdateRead], list[dict[str, Any]]]]:
    """Validates every item of every set (reporting each broken rule at its item's location)
    and inserts the sets that pass, with their events; for each set, what was stored or what
    was refused. The caller commits.

    However many sets, it reads with two queries and writes with two Core statements: the
    sets of many concurrent requests go in as one insert of updates and one of events, and
    what is answered is built from what was sent."""
    keys = {item.benchmark for update_set in sets for item in update_set.items}
    benchmarks = {
        (cb.candidate_id, cb.definition.key): cb
        for cb in session.scalars(
            select(CandidateBenchmark).join(CandidateBenchmark.definition)
            .where(CandidateBenchmark.candidate_id.in_({s.candidate_id for s in sets}),
                   CandidateBenchmark.is_active.is_(True),
                   BenchmarkDefinition.key.in_(keys))
            .options(contains_eager(CandidateBenchmark.definition))
        )
    }
    superseded_ids = {i.supersedes for s in sets for i in s.items if i.supersedes is not None}
    superseded = {
        u.id: u for u in session.scalars(
            select(ProgressUpdate).where(ProgressUpdate.id.in_(superseded_ids))
        )
    } if superseded_ids else {}
    today = utcnow().date()
    results: list[tuple[list[ProgressUpdateRead], list[dict[str, Any]]]] = []
    # (index of its set, item, benchmark) for the sets whose every item passed
    accepted: list[tuple[int, ProgressUpdateCreate, CandidateBenchmark]] = []
    for n, update_set in enumerate(sets):
        errors, passed = [], []
        for item, loc in zip(update_set.items, update_set.locations, strict=True):
            benchmark = benchmarks.get((update_set.candidate_id, item.benchmark))
            errors += _validate_update(item, benchmark, superseded.get(item.supersedes or 0),
                                       loc, today)
            passed.append((n, item, benchmark))
        if not errors:
            accepted += passed
        results.append(([], errors))
    if not accepted:
        return results

    recorded_at = utcnow()
    ids = insert_rows(session, ProgressUpdate.__table__, [
        {"candidate_benchmark_id": benchmark.id,
         "value": item.value if isinstance(item.value, float) else None,
         "stage": item.value if isinstance(item.value, str) else None,
         "as_of": item.as_of, "source": item.source, "note": item.note,
         "is_illustrative": False, "author_id": sets[n].author.id,
         "recorded_at": recorded_at, "supersedes_id": item.supersedes}
        for n, item, benchmark in accepted
    ], returning_ids=True)
    events = []
    for update_id, (n, item, _) in zip(ids, accepted, strict=True):
        update = ProgressUpdateRead(
            id=update_id, benchmark=item.benchmark, value=item.value, as_of=item.as_of,
            source=item.source, note=item.note, author=sets[n].author.name,
            recorded_at=recorded_at, supersedes=item.supersedes, is_illustrative=False,
        )
        results[n][0].append(update)
        events.append({
            "kind": "progress_update.created", "entity": "progress_update",
            "entity_id": str(update_id), "actor_id": sets[n].author.id,
            "candidate_id": sets[n].candidate_id,
            "after": {"benchmark": update.benchmark, **_update_snapshot(update)}})
    record_events(session, events)
    mark_changed(session)
    return results


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


@dataclass(frozen=True)
class UpdateRequest:
    """One POST of progress updates: a single update or a batch, for the candidate `slug`."""

    slug: str
    items: Sequence[ProgressUpdateCreate]
    author: User
    idempotency_key: str | None = None
    is_batch: bool = False
    # The hash of the token the author was accepted with, when it was accepted before this
    # transaction: it is checked again here, so a token revoked since stores nothing.
    token_digest: str | None = None

    @property
    def locations(self) -> list[list[Any]]:
        if not self.is_batch:
            return [["body"]]
        return [["body", "updates", i] for i in range(len(self.items))]


@dataclass(frozen=True)
class Recorded:
    updates: list[ProgressUpdateRead]
    replayed: bool = False  # the answer to an earlier request with the same Idempotency-Key


def record_update_requests(
    session: Session, requests: Sequence[UpdateRequest], *, key_lifetime: timedelta | None = None
) -> list[Recorded | DomainError | SQLAlchemyError]:
    """Stores each request's updates whole or not at all, and answers each request on its
    own: what it stored (or the replay of an earlier request with its Idempotency-Key), or the
    error that refused it (unknown candidate, every broken rule of every item, a key used for
    another request). The requests that pass are written in one transaction, so concurrent
    requests share one commit. An Idempotency-Key older than `key_lifetime` (default: the
    setting idempotency_key_hours) is forgotten: the request is taken as new.

    Everything checked here is read inside the write transaction (begin_write), so no other
    writer can change it between the check and the commit."""
    if key_lifetime is None:
        key_lifetime = timedelta(hours=get_settings().idempotency_key_hours)
    expired_before = utcnow() - key_lifetime
    hashes = [_request_hash(r) if r.idempotency_key is not None else "" for r in requests]
    begin_write(session)
    if any(r.idempotency_key is not None for r in requests):
        expired_keys.purge(session, expired_before)
    outcomes: list[Recorded | DomainError | SQLAlchemyError | None] = [None] * len(requests)
    digests = {r.token_digest for r in requests if r.token_digest is not None}
    holders = verify_digests(session, digests) if digests else {}
    for n, request in enumerate(requests):
        holder = holders.get(request.token_digest or "")
        if isinstance(holder, Unauthorized):
            outcomes[n] = holder
    # A key sent twice in one group: the later request waits and replays the first.
    later: set[int] = set()
    seen_keys: set[tuple[int, str]] = set()
    for n, request in enumerate(requests):
        if request.idempotency_key is None or outcomes[n] is not None:
            continue
        key = (request.author.id, request.idempotency_key)
        if key in seen_keys:
            later.add(n)
            continue
        seen_keys.add(key)
        try:
            replayed = _replay(session, request.author, request.idempotency_key, hashes[n],
                               expired_before=expired_before)
        except InvalidInput as refused:
            outcomes[n] = refused
            continue
        if replayed is not None:
            outcomes[n] = Recorded(replayed, replayed=True)

    waiting = [n for n, o in enumerate(outcomes) if o is None and n not in later]
    candidate_ids = dict(session.execute(
        select(Candidate.slug, Candidate.id)
        .where(Candidate.slug.in_({requests[n].slug for n in waiting}))
    ).all()) if waiting else {}
    sets = {}
    for n in waiting:
        request = requests[n]
        if request.slug not in candidate_ids:
            outcomes[n] = NotFound("candidate", request.slug)
        else:
            sets[n] = UpdateSet(candidate_ids[request.slug], request.items, request.author,
                                request.locations)
    for n, (updates, errors) in zip(sets, add_progress_updates(session, list(sets.values())),
                                    strict=True):
        outcomes[n] = refuse(errors) if errors else Recorded(updates)
        request = requests[n]
        if not errors and request.idempotency_key is not None:
            session.add(IdempotencyKey(user_id=request.author.id, key=request.idempotency_key,
                                       request_hash=hashes[n], status_code=201,
                                       response={"update_ids": [u.id for u in updates]}))
    try:
        session.commit()
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer each request alone.
        session.rollback()
        if len(requests) > 1:
            return [_record_alone(session, request, key_lifetime) for request in requests]
        request = requests[0]
        replayed = (_replay(session, request.author, request.idempotency_key, hashes[0],
                            expired_before=expired_before)
                    if request.idempotency_key is not None else None)
        if replayed is None:
            raise
        return [Recorded(replayed, replayed=True)]
    for n in sorted(later):
        outcomes[n] = _record_alone(session, requests[n], key_lifetime)
    return outcomes  # type: ignore[return-value]


def _record_alone(
    session: Session, request: UpdateRequest, key_lifetime: timedelta
) -> Recorded | DomainError | SQLAlchemyError:
    try:
        return record_update_requests(session, [request], key_lifetime=key_lifetime)[0]
    except SQLAlchemyError as failed:
        session.rollback()
        return failed


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
        .options(selectinload(ProgressUpdate.author), RETRACTIONS)
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
