"""The write path of progress updates (observations), from a request to what it stored:
add_progress_updates checks and inserts sets of updates (rules.py has the rules), and
record_update_requests answers each request of a group written in one transaction, stored
whole or not at all (idempotency.py has the Idempotency-Keys). The update writer
(writer.py) groups concurrent requests and calls it; file imports call add_progress_updates.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.auth.service import token_refusal, token_states
from app.config import get_settings
from app.db import note_changes
from app.db.bulk import insert_rows
from app.errors import Conflict, InvalidInput, NotFound, Unauthorized
from app.events.service import record_events
from app.history import Series
from app.models import (
    BenchmarkDefinition,
    Candidate,
    IdempotencyKey,
    Indicator,
    ProgressUpdate,
    User,
    utcnow,
)
from app.progress.idempotency import (
    ExpiredKeys,
    purge_expired_keys,
    replay_updates,
    request_hash,
)
from app.progress.rules import Correction, correction_conflicts, validate_update
from app.progress.schemas import ProgressUpdateCreate, ProgressUpdateRead
from app.reference_cache import ReferenceCache, read_through
from app.status import Measurement
from app.status_feed import StatusWatch

# From how many updates a write reads the statuses under its candidates' locks (PostgreSQL):
# measured on 16 writers of single updates, candidate locks cost a third of the updates a
# second; on 4 writers of batches of 500 they added a tenth.
LOCK_CANDIDATES_FROM = 100


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
                         events: bool = True, statuses: StatusWatch | None = None,
                         reference: ReferenceCache | None = None) -> list[SetOutcome]:
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
    each chunk of its rows hands in its own `statuses` and records them once at its end.
    `reference`: the update writer's cache of the indicators, candidates and targets read
    here (app/reference_cache.py)."""
    items = [item for update_set in sets for item in update_set.items]
    indicators, by_benchmark = _named_indicators(session, items, reference)
    superseded_ids = {i.supersedes for i in items if i.supersedes is not None}
    corrections: dict[int, Correction] = {}
    if superseded_ids:
        newer = dict(session.execute(
            select(ProgressUpdate.supersedes_id, ProgressUpdate.id)
            .where(ProgressUpdate.supersedes_id.in_(superseded_ids))).all())
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
            errors += validate_update(item, indicator, update_set.candidate_id,
                                       corrections.get(item.supersedes or 0), loc, today)
            passed.append((n, item, indicator))
        conflicts = [] if errors else correction_conflicts(
            update_set.items, update_set.locations, corrections, claimed)
        if not errors and not conflicts:
            accepted += passed
            claimed |= {i.supersedes for i in update_set.items if i.supersedes is not None}
        results.append(SetOutcome([], errors, conflicts))
    if not accepted or not store:
        return results

    postgresql = session.get_bind().dialect.name == "postgresql"
    watch = statuses or StatusWatch(
        reference=reference, candidate_locks=postgresql and len(accepted) >= LOCK_CANDIDATES_FROM)
    # Plain values read once, not per row: an ORM attribute or an enum's `.value` costs many
    # times a local's, and a batch would read them thousands of times.
    authors = [(s.author.id, s.author.name) for s in sets]
    id_and_key = {i: (i.id, i.key) for i in {i for _, _, i in accepted}}
    written = [(sets[n].candidate_id, id_and_key[indicator][0])
               for n, _, indicator in accepted]
    recorded_at = utcnow()
    rows = [
        {"candidate_id": sets[n].candidate_id, "indicator_id": indicator_id,
         "value": item.value if isinstance(item.value, float) else None,
         "stage": item.value if isinstance(item.value, str) else None,
         "as_of": item.as_of, "source": item.source, "vintage": item.vintage,
         "published_on": item.published_on,
         "observation_status": str(item.observation_status),
         "assessed_by": str(item.assessed_by), "note": item.note, "is_illustrative": False,
         "author_id": authors[n][0],
         "recorded_at": recorded_at, "supersedes_id": item.supersedes}
        for (n, item, _), (_, indicator_id) in zip(accepted, written, strict=True)
    ]
    # The watch reads the statuses before the write. On PostgreSQL writers hold the
    # event-order lock from their first event to their commit, so as little as can goes
    # under it. A large write (a batch) reads under its candidates' locks instead, taking
    # the event-order lock only to write the events (and reading again under it when another
    # write moved what it read), so another candidate's batch is meanwhile read, checked and
    # inserted. A small one (and an import) takes the event-order lock to read: the insert,
    # the costliest statement, and the answers and events go before it, and the read leaves
    # out these rows; a candidate's lock would make small writes of the same candidates wait
    # for each other's whole transaction. On SQLite the write lock is held from BEGIN
    # whatever the order, and the watch reads first.
    if postgresql and not watch.candidate_locks:
        ids = insert_rows(session, ProgressUpdate.__table__, rows, returning_ids=True)
        new_events = _answer(results, ids, rows, accepted, written, id_and_key, authors,
                             events=events)
        watch.watch(session, written, excluding=ids)
    else:
        watch.watch(session, written)
        ids = insert_rows(session, ProgressUpdate.__table__, rows, returning_ids=True)
        new_events = _answer(results, ids, rows, accepted, written, id_and_key, authors,
                             events=events)
    _wrote(watch, ids, written, rows)
    if statuses is None:  # the status changes go in with the updates' events: one statement
        changes = watch.change_events(session)
        if not watch.read_is_current(session):
            watch = StatusWatch(reference=reference)  # under the event-order lock now
            watch.watch(session, written, excluding=ids)
            _wrote(watch, ids, written, rows)
            changes = watch.change_events(session)
        new_events += changes
    if new_events:
        record_events(session, new_events)
    note_changes(session)
    return results


def _wrote(watch: StatusWatch, ids: Sequence[int], written: Sequence[Series],
           rows: Sequence[dict[str, Any]]) -> None:
    """Tells the watch of each update stored: it computes the statuses after from what it
    read before and these (as a read of the rows would give them), not reading them again."""
    for update_id, series, row in zip(ids, written, rows, strict=True):
        watch.wrote(series, update_id, row["author_id"], Measurement(
            id=update_id, as_of=row["as_of"], recorded_at=row["recorded_at"],
            source=row["source"], value=row["value"], stage=row["stage"],
            supersedes_id=row["supersedes_id"], vintage=row["vintage"],
            observation_status=row["observation_status"], is_illustrative=False,
            assessed_by=row["assessed_by"]))


def _answer(
    results: list[SetOutcome], ids: Sequence[int], rows: Sequence[dict[str, Any]],
    accepted: Sequence[tuple[int, ProgressUpdateCreate, Indicator]], written: Sequence[Series],
    id_and_key: dict[Indicator, tuple[int, str]], authors: Sequence[tuple[int, str]], *,
    events: bool,
) -> list[dict[str, Any]]:
    """Adds each stored update to its set's answer, as sent; the rows of their events
    (none without `events`)."""
    recorded_text = rows[0]["recorded_at"].isoformat() if rows else ""
    new_events = []
    for update_id, series, row, (n, item, indicator) in zip(ids, written, rows, accepted,
                                                            strict=True):
        key = id_and_key[indicator][1]
        author_id, author_name = authors[n]
        results[n].updates.append(ProgressUpdateRead(
            id=update_id, indicator=key, benchmark=key, value=item.value,
            as_of=item.as_of, source=item.source, vintage=item.vintage,
            published_on=item.published_on, observation_status=item.observation_status,
            assessed_by=item.assessed_by, note=item.note, author=author_name,
            recorded_at=row["recorded_at"],
            supersedes=item.supersedes, is_illustrative=False,
        ))
        if events:
            new_events.append({
                "kind": "progress_update.created", "entity": "progress_update",
                "entity_id": str(update_id), "actor_id": author_id,
                "candidate_id": series[0],
                "after": {"indicator": key, "benchmark": key,
                          **_update_snapshot(update_id, row, recorded_text)}})
    return new_events


def _named_indicators(
    session: Session, items: Sequence[ProgressUpdateCreate], reference: ReferenceCache | None,
) -> tuple[dict[str, Indicator], dict[str, Indicator]]:
    """The indicators the items name, by their keys and by their benchmarks' keys (a query
    for each kind of key sent, unless the cache has them)."""
    def by_key(keys: list[str]) -> dict[str, Indicator]:
        return {i.key: i for i in session.scalars(select(Indicator).where(Indicator.key.in_(keys)))}

    def by_benchmark(keys: list[str]) -> dict[str, Indicator]:
        return dict(session.execute(
            select(BenchmarkDefinition.key, Indicator).join(BenchmarkDefinition.indicator)
            .where(BenchmarkDefinition.key.in_(keys))).all())

    return (read_through(reference, session, "indicator",
                         (i.indicator for i in items if i.indicator), by_key),
            read_through(reference, session, "benchmark indicator",
                         (i.benchmark for i in items if i.benchmark), by_benchmark))


def _update_snapshot(update_id: int, row: dict[str, Any], recorded_at: str) -> dict[str, Any]:
    """The event's record of a new update, from its row: the same fields as
    snapshot(update, UPDATE_FIELDS) gives for a stored one."""
    published_on = row["published_on"]
    return {
        "id": update_id, "value": row["value"], "stage": row["stage"],
        "as_of": row["as_of"].isoformat(), "source": row["source"], "vintage": row["vintage"],
        "published_on": published_on.isoformat() if published_on else None,
        "observation_status": row["observation_status"],
        "assessed_by": row["assessed_by"], "note": row["note"],
        "supersedes_id": row["supersedes_id"], "recorded_at": recorded_at,
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

    @property
    def request_hash(self) -> str:
        return request_hash(self.slug, self.items, self.is_batch)


# What became of one request: one of these two.

@dataclass(frozen=True)
class Recorded:
    """Stored: the updates as answered (201)."""

    updates: list[ProgressUpdateRead]
    replayed: bool = False  # the answer to an earlier request with the same Idempotency-Key


@dataclass(frozen=True)
class Refused:
    """Nothing stored: the error that answers the request (a DomainError: a revoked token, an
    unknown candidate, every broken rule, a conflicting correction, a key used for another
    request), or the error its transaction met (the database's)."""

    error: Exception


RequestOutcome = Recorded | Refused


def record_update_requests(
    session: Session, requests: Sequence[UpdateRequest], *, key_lifetime: timedelta | None = None,
    expired_keys: ExpiredKeys | None = None, reference: ReferenceCache | None = None,
) -> list[RequestOutcome]:
    """Stores each request's updates whole or not at all, and answers each request on its
    own. The requests that pass are written in one transaction, so concurrent requests share
    one commit. An Idempotency-Key older than `key_lifetime` (default: the setting
    idempotency_key_hours) is forgotten: the request is taken as new. Expired keys are purged
    when a request has a key, at most as often as `expired_keys` (the app's throttle) allows.

    In a write session (app.db): everything checked here is read inside the write transaction,
    so no other writer can change it between the check and the commit. If a unique index
    refuses the group (a concurrent retry with the same key committed first, or another
    process's correction of the same update), each request is written again alone.
    `reference` is the update writer's cache of what every write reads and few change
    (tokens, candidates, indicators, targets: app/reference_cache.py)."""
    if key_lifetime is None:
        key_lifetime = timedelta(hours=get_settings().idempotency_key_hours)
    expired_before = utcnow() - key_lifetime
    if any(r.idempotency_key is not None for r in requests):
        purge_expired_keys(session, expired_before, expired_keys)
    try:
        answered = _write_group(session, requests, expired_before, reference)
    except IntegrityError as refused:
        session.rollback()
        if len(requests) == 1:
            return [_check_again(session, requests[0], expired_before, refused, reference)]
        return [_write_alone(session, request, expired_before, reference)
                for request in requests]
    # A request missing from the answers repeats a key sent earlier in the group: written
    # after it, it replays its answer.
    return [answered[n] if n in answered
            else _write_alone(session, request, expired_before, reference)
            for n, request in enumerate(requests)]


def _write_group(
    session: Session, requests: Sequence[UpdateRequest], expired_before: datetime,
    reference: ReferenceCache | None = None,
) -> dict[int, RequestOutcome]:
    """Checks the requests, stores those that pass in one transaction and commits; the
    outcomes by request index. A request that repeats a key sent earlier in the group has
    none: it is left to be written after this transaction."""
    outcomes: dict[int, RequestOutcome] = {}
    refusals = _token_refusals(
        session, {r.token_digest for r in requests if r.token_digest is not None}, reference)
    for n, request in enumerate(requests):
        if (refusal := refusals.get(request.token_digest or "")) is not None:
            outcomes[n] = Refused(refusal)
    later: set[int] = set()
    seen_keys: set[tuple[int, str]] = set()
    for n, request in enumerate(requests):
        if request.idempotency_key is None or n in outcomes:
            continue
        key = (request.author.id, request.idempotency_key)
        if key in seen_keys:
            later.add(n)
            continue
        seen_keys.add(key)
        try:
            replayed = replay_updates(session, request.author, request.idempotency_key,
                                      request.request_hash, expired_before=expired_before)
        except InvalidInput as refused:
            outcomes[n] = Refused(refused)
            continue
        if replayed is not None:
            outcomes[n] = Recorded(replayed, replayed=True)

    waiting = [n for n in range(len(requests)) if n not in outcomes and n not in later]

    def read_ids(slugs: list[str]) -> dict[str, int]:
        return dict(session.execute(
            select(Candidate.slug, Candidate.id).where(Candidate.slug.in_(slugs))).all())

    candidate_ids = read_through(reference, session, "candidate id",
                                 (requests[n].slug for n in waiting), read_ids)
    sets = {}
    for n in waiting:
        request = requests[n]
        if request.slug not in candidate_ids:
            outcomes[n] = Refused(NotFound("candidate", request.slug))
        else:
            sets[n] = UpdateSet(candidate_ids[request.slug], request.items, request.author,
                                request.locations)
    for n, outcome in zip(sets, add_progress_updates(session, list(sets.values()),
                                                      reference=reference),
                          strict=True):
        request = requests[n]
        if outcome.errors:
            outcomes[n] = Refused(refuse(outcome.errors))
        elif outcome.conflicts:
            outcomes[n] = Refused(conflict(outcome.conflicts))
        else:
            outcomes[n] = Recorded(outcome.updates)
            if request.idempotency_key is not None:
                session.add(IdempotencyKey(
                    user_id=request.author.id, key=request.idempotency_key,
                    request_hash=request.request_hash, status_code=201,
                    response={"update_ids": [u.id for u in outcome.updates]}))
    session.commit()
    return outcomes


def _token_refusals(session: Session, digests: set[str],
                    reference: ReferenceCache | None) -> dict[str, Unauthorized]:
    """Why each refused token (by hash) is refused now: revoked, expired or its user
    deactivated since the request was accepted."""
    states = read_through(reference, session, "token", digests,
                          lambda missing: token_states(session, missing))
    now = utcnow()
    return {digest: refusal for digest in digests
            if (refusal := token_refusal(states.get(digest), now)) is not None}


def _write_alone(session: Session, request: UpdateRequest, expired_before: datetime,
                 reference: ReferenceCache | None) -> RequestOutcome:
    """The request in a transaction of its own; a database error refuses it alone."""
    try:
        return _write_group(session, [request], expired_before, reference)[0]
    except IntegrityError as refused:
        session.rollback()
        return _check_again(session, request, expired_before, refused, reference)
    except SQLAlchemyError as failed:
        session.rollback()
        return Refused(failed)


def _check_again(session: Session, request: UpdateRequest, expired_before: datetime,
                 refused: IntegrityError, reference: ReferenceCache | None) -> RequestOutcome:
    """After a unique index refused the request (its transaction rolled back): the request
    with its key that committed first is replayed; a correction is checked once more, and is
    now a conflict naming the correction that committed first; else the refusal stands."""
    try:
        if request.idempotency_key is not None:
            replayed = replay_updates(session, request.author, request.idempotency_key,
                                      request.request_hash, expired_before=expired_before)
            if replayed is not None:
                return Recorded(replayed, replayed=True)
        if any(item.supersedes is not None for item in request.items):
            return _write_group(session, [request], expired_before, reference)[0]
    except SQLAlchemyError as failed:
        session.rollback()
        return Refused(failed)
    return Refused(refused)
