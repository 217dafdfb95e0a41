"""The write path of progress updates (observations): validation, idempotency, and the writer
that stores the requests of one process in shared transactions.

Concurrent posts share one write transaction. A database writes one transaction at a time
(SQLite literally; PostgreSQL through the event-order lock), and each transaction costs a lock
hand-over, a commit and a flush to disk whatever it holds. So the requests of one process are
written in groups: while a group is being written, the requests that arrive queue, and the next
group takes all of them (up to MAX_GROUP_ROWS updates) into one transaction — the same reads,
inserts and commit as one request. A request arriving when nothing is being written is written
at once, alone: no request waits for company. Each request is still stored whole or not at
all, and answered on its own (record_update_requests).
"""

import asyncio
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.auth.service import verify_digests
from app.config import get_settings
from app.db import SessionScope, note_changes
from app.db.bulk import insert_rows
from app.errors import (
    Conflict,
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
    IdempotencyKey,
    Indicator,
    ProgressUpdate,
    User,
    utcnow,
)
from app.progress.schemas import ProgressUpdateCreate, ProgressUpdateRead, update_read
from app.progress.service import get_progress_updates
from app.status import Measurement
from app.status_feed import StatusWatch


@dataclass(frozen=True)
class Correction:
    """What a correction's `supersedes` names, and the newer correction of it, if any."""

    update: ProgressUpdate
    corrected_by: int | None


def _validate_update(
    item: ProgressUpdateCreate,
    indicator: Indicator | None,
    candidate_id: int,
    corrected: Correction | None,
    loc: list[Any],
    today: date,
) -> list[dict[str, Any]]:
    """The business rules one observation must meet; each broken rule names its field. Any
    indicator may be observed for any candidate, for any date up to today."""
    if (item.indicator is None) == (item.benchmark is None):
        return [field_error([*loc, "indicator"], "send `indicator` or `benchmark` (one of "
                            "them): what was measured", "indicator_or_benchmark")]
    if indicator is None:
        field = "indicator" if item.indicator is not None else "benchmark"
        return [field_error([*loc, field], f"no {field} {item.key!r}", f"unknown_{field}")]
    errors = []
    if indicator.kind == BenchmarkKind.numeric:
        if not isinstance(item.value, float):
            errors.append(field_error([*loc, "value"],
                                      f"{indicator.key} is numeric: send a number",
                                      "not_a_number"))
        elif indicator.min_value is not None and item.value < indicator.min_value:
            errors.append(field_error([*loc, "value"], f"{item.value:g} is below the lowest sane "
                                 f"value, {indicator.min_value:g} {indicator.unit}",
                                 "out_of_range"))
        elif indicator.max_value is not None and item.value > indicator.max_value:
            errors.append(field_error([*loc, "value"], f"{item.value:g} is above the highest sane "
                                 f"value, {indicator.max_value:g} {indicator.unit}",
                                 "out_of_range"))
    elif not isinstance(item.value, str) or item.value not in (indicator.stages or []):
        stages = ", ".join(indicator.stages or [])
        errors.append(field_error([*loc, "value"],
                             f"{indicator.key} is a milestone: send one of its stages ({stages})",
                                  "unknown_stage"))
    if item.as_of > today:
        errors.append(field_error([*loc, "as_of"], "as_of is in the future", "future_date"))
    if item.published_on is not None and item.published_on > today:
        errors.append(field_error([*loc, "published_on"], "published_on is in the future",
                                  "future_date"))
    if item.supersedes is not None and (
        corrected is None or corrected.update.candidate_id != candidate_id
        or corrected.update.indicator_id != indicator.id
    ):
        errors.append(field_error([*loc, "supersedes"], f"update {item.supersedes} is not an "
                                  f"observation of {indicator.key} for this candidate",
                                  "wrong_supersedes"))
    return errors


def _correction_conflicts(
    items: Sequence[ProgressUpdateCreate], locations: Sequence[list[Any]],
    corrections: dict[int, Correction], claimed: set[int],
) -> list[dict[str, Any]]:
    """A correction must name the newest value of its chain: an update corrected already, or
    corrected by another item of this request or by another request written in the same
    transaction (`claimed`), is a conflict naming what corrects it."""
    errors = []
    named: set[int] = set()
    for item, loc in zip(items, locations, strict=True):
        if item.supersedes is None or item.supersedes not in corrections:
            continue
        newer = corrections[item.supersedes].corrected_by
        if newer is not None:
            errors.append(field_error([*loc, "supersedes"], f"update {item.supersedes} is "
                                      f"already corrected by update {newer}: correct that one",
                                      "already_corrected"))
        elif item.supersedes in named:
            errors.append(field_error([*loc, "supersedes"], f"update {item.supersedes} is "
                                      "corrected by another item of this request",
                                      "already_corrected"))
        elif item.supersedes in claimed:
            errors.append(field_error([*loc, "supersedes"], f"update {item.supersedes} is "
                                      "being corrected by another request; read it again and "
                                      "correct the newest value", "already_corrected"))
        named.add(item.supersedes)
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


def stored_answer(
    session: Session, user: User, key: str, request_hash: str, answer: str, *,
    expired_before: datetime,
) -> Any | None:
    """What was stored under `answer` for this key (the updates', the upload's), if it is the
    same request; None if the key is unknown or expired (an expired key's row is deleted: it is
    a cache of answers, not history). A key used for another request is refused."""
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
    if stored.request_hash != request_hash or answer not in stored.response:
        raise InvalidInput(
            "This Idempotency-Key was used for a different request (another path, another "
            "body or file); nothing was stored. Use a new key for a new request.",
            [field_error(["header", "Idempotency-Key"],
                         "already used for a request with another method, path or body",
                         "idempotency_key_reused")],
        )
    return stored.response[answer]


def _replay(
    session: Session, user: User, key: str, request_hash: str, *, expired_before: datetime
) -> list[ProgressUpdateRead] | None:
    update_ids = stored_answer(session, user, key, request_hash, "update_ids",
                               expired_before=expired_before)
    if update_ids is None:
        return None
    return [update_read(u) for u in get_progress_updates(session, update_ids)]


@dataclass(frozen=True)
class UpdateSet:
    """Updates for one candidate by one author, stored together or not at all; `locations`
    names where each item came from in the errors (`["body", "updates", 3]`, a CSV line)."""

    candidate_id: int
    items: Sequence[ProgressUpdateCreate]
    author: User
    locations: Sequence[list[Any]]


@dataclass
class SetOutcome:
    """What became of one UpdateSet: stored, refused (422: `errors`) or in conflict with a
    newer correction (409: `conflicts`)."""

    updates: list[ProgressUpdateRead]
    errors: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]


def add_progress_updates(session: Session, sets: Sequence[UpdateSet], *, store: bool = True,
                         events: bool = True,
                         statuses: StatusWatch | None = None) -> list[SetOutcome]:
    """Validates every item of every set (reporting each broken rule at its item's location)
    and inserts the sets that pass, with their events; for each set, what was stored or what
    was refused. The caller commits. With `store=False` it only validates (a file import that
    has already failed goes on checking its other rows); with `events=False` the caller records
    the events itself (a file import is one event, not one per row).

    However many sets, it reads with one query (three with corrections) and writes with two
    Core statements: the sets of many concurrent requests go in as one insert of updates and
    one of events, and what is answered is built from what was sent.

    The statuses of the benchmarks on the series written are read before and after, and each
    change is recorded as an event (app/status_feed.py); an import that calls this for
    each chunk of its rows hands in its own `statuses` and records them once at its end."""
    items = [item for update_set in sets for item in update_set.items]
    # The indicators named, by their keys or by a benchmark's, in one query.
    named = session.execute(
        select(Indicator, BenchmarkDefinition.key)
        .outerjoin(BenchmarkDefinition, BenchmarkDefinition.indicator_id == Indicator.id)
        .where(or_(Indicator.key.in_({i.indicator for i in items if i.indicator}),
                   BenchmarkDefinition.key.in_({i.benchmark for i in items if i.benchmark})))
    ).tuples().all()
    indicators = {indicator.key: indicator for indicator, _ in named}
    by_benchmark = {key: indicator for indicator, key in named if key is not None}
    superseded_ids = {i.supersedes for i in items if i.supersedes is not None}
    corrections: dict[int, Correction] = {}
    if superseded_ids:
        newer = dict(session.execute(
            select(ProgressUpdate.supersedes_id, ProgressUpdate.id)
            .where(ProgressUpdate.supersedes_id.in_(superseded_ids))).tuples().all())
        corrections = {u.id: Correction(u, newer.get(u.id)) for u in session.scalars(
            select(ProgressUpdate).where(ProgressUpdate.id.in_(superseded_ids)))}
    today = utcnow().date()
    results: list[SetOutcome] = []
    # (index of its set, item, indicator) for the sets whose every item passed
    accepted: list[tuple[int, ProgressUpdateCreate, Indicator]] = []
    claimed: set[int] = set()  # the updates that the sets accepted so far correct
    for n, update_set in enumerate(sets):
        errors, passed = [], []
        for item, loc in zip(update_set.items, update_set.locations, strict=True):
            indicator = (indicators.get(item.indicator) if item.indicator is not None
                         else by_benchmark.get(item.benchmark or ""))
            errors += _validate_update(item, indicator, update_set.candidate_id,
                                       corrections.get(item.supersedes or 0), loc, today)
            passed.append((n, item, indicator))
        conflicts = [] if errors else _correction_conflicts(
            update_set.items, update_set.locations, corrections, claimed)
        if not errors and not conflicts:
            accepted += passed
            claimed |= {i.supersedes for i in update_set.items if i.supersedes is not None}
        results.append(SetOutcome([], errors, conflicts))
    if not accepted or not store:
        return results

    watch = statuses or StatusWatch()
    written = [(sets[n].candidate_id, indicator.id) for n, _, indicator in accepted]
    watch.watch(session, written)
    recorded_at = utcnow()
    rows = [
        {"candidate_id": sets[n].candidate_id, "indicator_id": indicator.id,
         "value": item.value if isinstance(item.value, float) else None,
         "stage": item.value if isinstance(item.value, str) else None,
         "as_of": item.as_of, "source": item.source, "vintage": item.vintage,
         "published_on": item.published_on, "observation_status": item.observation_status,
         "assessed_by": item.assessed_by.value, "note": item.note, "is_illustrative": False,
         "author_id": sets[n].author.id,
         "recorded_at": recorded_at, "supersedes_id": item.supersedes}
        for n, item, indicator in accepted
    ]
    ids = insert_rows(session, ProgressUpdate.__table__, rows, returning_ids=True)
    new_events = []
    for update_id, series, row, (n, item, indicator) in zip(ids, written, rows, accepted,
                                                            strict=True):
        # The watch computes the statuses after from what it read before and this (as a
        # read of the row would give it), instead of reading the series again.
        watch.wrote(series, update_id, sets[n].author.id, Measurement(
            id=update_id, as_of=row["as_of"], recorded_at=recorded_at, source=row["source"],
            value=row["value"], stage=row["stage"], supersedes_id=row["supersedes_id"],
            vintage=row["vintage"], observation_status=str(row["observation_status"]),
            is_illustrative=False, assessed_by=row["assessed_by"]))
        update = ProgressUpdateRead(
            id=update_id, indicator=indicator.key, benchmark=indicator.key, value=item.value,
            as_of=item.as_of, source=item.source, vintage=item.vintage,
            published_on=item.published_on, observation_status=item.observation_status,
            assessed_by=item.assessed_by, note=item.note, author=sets[n].author.name,
            recorded_at=recorded_at,
            supersedes=item.supersedes, is_illustrative=False,
        )
        results[n].updates.append(update)
        if not events:
            continue
        new_events.append({
            "kind": "progress_update.created", "entity": "progress_update",
            "entity_id": str(update_id), "actor_id": sets[n].author.id,
            "candidate_id": sets[n].candidate_id,
            "after": {"indicator": indicator.key, "benchmark": indicator.key,
                      **_update_snapshot(update)}})
    if statuses is None:  # the status changes go in with the updates' events: one statement
        new_events += watch.change_events(session)
    if new_events:
        record_events(session, new_events)
    note_changes(session)
    return results


def _update_snapshot(update: ProgressUpdateRead) -> dict[str, Any]:
    """The event's record of a new update: the same fields as snapshot(update, UPDATE_FIELDS)
    gives for a stored one."""
    return {
        "id": update.id,
        "value": update.value if isinstance(update.value, float) else None,
        "stage": update.value if isinstance(update.value, str) else None,
        "as_of": update.as_of.isoformat(), "source": update.source, "vintage": update.vintage,
        "published_on": update.published_on.isoformat() if update.published_on else None,
        "observation_status": str(update.observation_status),
        "assessed_by": str(update.assessed_by), "note": update.note,
        "supersedes_id": update.supersedes, "recorded_at": update.recorded_at.isoformat(),
    }


def _nothing_stored(errors: list[dict[str, Any]]) -> str:
    detail = "; ".join(f"{e['field']}: {e['msg']}" for e in errors[:10])
    more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
    return f"Nothing was stored. {detail}{more}"


def conflict(conflicts: list[dict[str, Any]]) -> Conflict:
    return Conflict(_nothing_stored(conflicts), errors=conflicts)


def refuse(errors: list[dict[str, Any]]) -> InvalidInput:
    return InvalidInput(_nothing_stored(errors), errors)


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
    session: Session, requests: Sequence[UpdateRequest], *, key_lifetime: timedelta | None = None,
    retried: bool = False,
) -> list[Recorded | DomainError | SQLAlchemyError]:
    """Stores each request's updates whole or not at all, and answers each request on its
    own: what it stored (or the replay of an earlier request with its Idempotency-Key), or the
    error that refused it (unknown candidate, every broken rule of every item, a key used for
    another request). The requests that pass are written in one transaction, so concurrent
    requests share one commit. An Idempotency-Key older than `key_lifetime` (default: the
    setting idempotency_key_hours) is forgotten: the request is taken as new.

    In a write session (app.db): everything checked here is read inside the write transaction,
    so no other writer can change it between the check and the commit."""
    if key_lifetime is None:
        key_lifetime = timedelta(hours=get_settings().idempotency_key_hours)
    expired_before = utcnow() - key_lifetime
    hashes = [_request_hash(r) if r.idempotency_key is not None else "" for r in requests]
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
    try:
        for n, outcome in zip(sets, add_progress_updates(session, list(sets.values())),
                              strict=True):
            request = requests[n]
            if outcome.errors:
                outcomes[n] = refuse(outcome.errors)
            elif outcome.conflicts:
                outcomes[n] = conflict(outcome.conflicts)
            else:
                outcomes[n] = Recorded(outcome.updates)
                if request.idempotency_key is not None:
                    session.add(IdempotencyKey(
                        user_id=request.author.id, key=request.idempotency_key,
                        request_hash=hashes[n], status_code=201,
                        response={"update_ids": [u.id for u in outcome.updates]}))
        session.commit()
    except IntegrityError:
        # A concurrent retry with the same key committed first, or another process's
        # correction of the same update (the unique index on supersedes_id): answer each
        # request alone, checked again.
        session.rollback()
        if len(requests) > 1:
            return [_record_alone(session, request, key_lifetime) for request in requests]
        request = requests[0]
        replayed = (_replay(session, request.author, request.idempotency_key, hashes[0],
                            expired_before=expired_before)
                    if request.idempotency_key is not None else None)
        if replayed is not None:
            return [Recorded(replayed, replayed=True)]
        if not retried and any(item.supersedes is not None for item in request.items):
            # A concurrent correction of the same update committed first: checked again,
            # this one is now a conflict naming it.
            return record_update_requests(session, [request], key_lifetime=key_lifetime,
                                          retried=True)
        raise
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


# The writer: one per process, made with the app.

MAX_GROUP_ROWS = 2000

Outcome = Recorded | DomainError | SQLAlchemyError
Pending = tuple[UpdateRequest, "asyncio.Future[Outcome]"]


class UpdateWriter:
    def __init__(self, write_sessions: SessionScope,
                 read_sessions: SessionScope | None = None) -> None:
        """`write_sessions` gives the session a group is written in: a write session, whose
        transaction takes SQLite's write lock at its BEGIN, so the lock is held while a group
        is written, not while its requests arrive. `read_sessions` (default: the same) gives
        the one `check` reads in. Tests hand in theirs."""
        self.write_sessions = write_sessions
        self.read_sessions = read_sessions or write_sessions
        self._pending: list[Pending] = []
        self._task: asyncio.Task[None] | None = None
        self.groups_written = 0  # how many transactions (tests read them)
        self.requests_written = 0

    async def record(self, request: UpdateRequest) -> Recorded:
        """Writes the request (with whatever else is waiting) and returns what it stored;
        raises what refused it."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if self._task is None:
            self._task = asyncio.create_task(self._write_pending(), name="update-writer")
        # If the client goes away its request is still written: shielded, like a request
        # whose worker thread had started.
        outcome = await asyncio.shield(future)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def _write_pending(self) -> None:
        try:
            while self._pending:
                group = self._take_group()
                try:
                    outcomes = await run_in_threadpool(self._write, [r for r, _ in group])
                except Exception as failed:  # the whole transaction failed: so did each request
                    outcomes = [failed] * len(group)
                except BaseException:  # cancelled (shutdown): no request waits for ever
                    for _, future in group + self._pending:
                        future.cancel()
                    self._pending = []
                    raise
                for (_, future), outcome in zip(group, outcomes, strict=True):
                    future.set_result(outcome)
        finally:
            self._task = None

    def _take_group(self) -> list[Pending]:
        rows = 0
        for n, (request, _) in enumerate(self._pending):
            rows += len(request.items)
            if n > 0 and rows > MAX_GROUP_ROWS:
                break
        else:
            n = len(self._pending)
        group, self._pending = self._pending[:n], self._pending[n:]
        return group

    def check(self, slug: str, items: Sequence[ProgressUpdateCreate],
              locations: Sequence[list[Any]]) -> list[dict[str, Any]]:
        """The business rules the items break, read without the write lock and storing
        nothing: for a batch refused for its format, so one 422 names every error. An unknown
        candidate checks nothing (the format errors are answered; a resubmit gets its 404)."""
        with self.read_sessions() as session:
            candidate_id = session.scalar(select(Candidate.id).where(Candidate.slug == slug))
            if candidate_id is None:
                return []
            # The author is only read when storing.
            checked = UpdateSet(candidate_id, items, cast(User, None), locations)
            outcome = add_progress_updates(session, [checked], store=False)[0]
            session.rollback()
        return outcome.errors + outcome.conflicts

    def _write(self, requests: list[UpdateRequest]) -> list[Outcome]:
        with self.write_sessions() as session:
            outcomes = record_update_requests(session, requests)
        self.groups_written += 1
        self.requests_written += len(requests)
        return outcomes


def get_update_writer(request: Request) -> UpdateWriter:
    """The process's writer (made with the app: app.main)."""
    writer: UpdateWriter = request.app.state.update_writer
    return writer


UpdateWriterDep = Annotated[UpdateWriter, Depends(get_update_writer)]
