"""Status changes as events, for watchers: a write re-evaluates the benchmarks it touches, before
and after, and records what changed in its own transaction (StatusWatch); a daily sweep records
what the passing of time changed (record_time_status_changes); the Atom feeds read them back.
The rules of what counts as a change are app.status_changes."""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, joinedload
from starlette.concurrency import run_in_threadpool

from app.benchmarks.service import standing_on, targets_in_force
from app.db import note_changes
from app.evaluation import (
    RECENT_MEASUREMENTS,
    Asked,
    Series,
    benchmark_is_illustrative,
    end_of_day,
    kept_of,
    load_statuses,
    recent_history,
    today,
    whole_history,
)
from app.events.service import record_events, take_event_order_lock
from app.models import Candidate, CandidateBenchmark, Event, ProgressUpdate
from app.reference_cache import ReferenceCache, current_version, read_through
from app.status import Measurement, quarter_end_after
from app.status_changes import (
    BenchmarkState,
    StatusChange,
    state_fields,
    state_from,
    status_changes,
)

logger = logging.getLogger("app.status_feed")

CHANGE_KIND = "benchmark_status.changed"
ENTITY = "candidate_benchmark"
# Two sweeps (two workers, two instances on PostgreSQL) take turns on this transaction-scoped
# lock; the second then finds the first one's events and records nothing. On SQLite the
# write session's lock (taken at BEGIN: app.db) does the same.
STATUS_SWEEP_LOCK = 7_401_123
# The update writer's lock of one candidate: pg_advisory_xact_lock(CANDIDATE_LOCKS, id), a key
# space of its own (two-integer keys never meet the one-bigint keys above).
CANDIDATE_LOCKS = 7_401
FEED_ENTRIES = 50  # an Atom feed holds the latest changes, not the whole history
CAUSE_IDS = 20  # an event names the last updates of its cause, and how many there were

Key = tuple[int, str]  # (candidate id, benchmark key)
Cause = dict[str, Any]


@dataclass(frozen=True)
class Evaluated:
    """One benchmark's state for one candidate, with what its event tells besides."""

    state: BenchmarkState
    slug: str
    indicator_id: int
    reason: str
    is_illustrative: bool


def entity_id(candidate_id: int, key: str) -> str:
    return f"{candidate_id}:{key}"


def evaluate_states(
    session: Session, candidates: Sequence[Candidate], *, as_of: date,
    asked: Asked | None = None, indicators: Mapping[int, Iterable[int]] | None = None,
    history: Mapping[Series, list[Measurement]] | None = None,
    overrides: Mapping[tuple[int, int], CandidateBenchmark] | None = None,
) -> dict[Key, Evaluated]:
    """The state of each benchmark of these candidates on `as_of` (only those on
    `indicators`, by candidate id, when given)."""
    only = {c: set(i) for c, i in indicators.items()} if indicators is not None else None
    statuses = load_statuses(session, candidates, as_of=as_of, asked=asked, indicators=only,
                             history=history, overrides=overrides)
    slugs = {c.id: c.slug for c in candidates}
    states = {}
    for candidate_id, status in statuses.items():
        applied = {a.definition.key: a for a in status.applied}
        for b in status.evaluation.benchmarks:
            a, latest = applied[b.spec.key], b.latest
            states[(candidate_id, b.spec.key)] = Evaluated(
                BenchmarkState(
                    status=b.status, target_value=b.spec.target_value,
                    target_stage=b.spec.target_stage, due_on=b.spec.due_on,
                    figure_id=latest.id if latest else None,
                    figure_vintage=latest.vintage if latest else None,
                    figure_supersedes=latest.supersedes_id if latest else None),
                slugs[candidate_id], a.definition.indicator_id, b.reason,
                benchmark_is_illustrative(a, latest))
    return states


def _event_rows(
    changes: Sequence[StatusChange], evaluated: Mapping[Key, Evaluated], as_of: date,
    attribution: Callable[[Series], tuple[Cause, int | None]],
) -> list[dict[str, Any]]:
    rows = []
    for change in changes:
        candidate_id, key = change.key
        e = evaluated[change.key]
        cause, actor_id = attribution((candidate_id, e.indicator_id))
        rows.append({
            "kind": CHANGE_KIND, "entity": ENTITY, "entity_id": entity_id(candidate_id, key),
            "actor_id": actor_id, "candidate_id": candidate_id,
            "after": {
                "candidate": e.slug, "benchmark": key,
                "from": change.before.status.value if change.before else None,
                **state_fields(change.after),
                "revised": change.revised.value if change.revised else None,
                "as_of": as_of.isoformat(), "reason": e.reason, "cause": cause,
                "is_illustrative": e.is_illustrative,
            },
        })
    return rows


def lock_candidates(session: Session, candidate_ids: Iterable[int]) -> None:
    """Takes each candidate's write lock (PostgreSQL; transaction-scoped), in id order, so two
    writers wanting the same ones never each hold one the other waits for."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), c) "
                 "FROM unnest(CAST(:ids AS integer[])) AS c"),  # in the array's order
            {"space": CANDIDATE_LOCKS, "ids": sorted(set(candidate_ids))})


def _newest_change(session: Session) -> tuple[int, int | None]:
    """The newest event's id and the reference tables' count of changes, as of now."""
    newest, count = session.execute(select(
        select(func.max(Event.id)).scalar_subquery(), current_version())).one()
    return newest or 0, count


@lru_cache(maxsize=1)
def _candidates_query() -> Select[tuple[Candidate]]:
    """The candidates of the parameter `ids` with their tier history and their own targets.
    Built once and kept: building an ORM statement with its options costs more than running
    it, and every write runs it."""
    return (select(Candidate).where(Candidate.id.in_(bindparam("ids", expanding=True)))
            .options(joinedload(Candidate.status_changes), joinedload(Candidate.benchmarks)))


class StatusWatch:
    """The statuses a write may change, read before it (watch) and compared after it (record):
    only the benchmarks on the series written, each evaluated once however many rows a batch or
    an import writes to it. Both reads are as of today, so only the write can move them.

    A write of updates is on every write path, so it is kept cheap: the candidates, their tier
    history and their own targets come in one query, what is asked in one, the measurements in
    one; and the state after an update is computed from the measurements read before plus the
    ones written (wrote), not read again. A retraction or a new version of the targets (a
    record with its own `cause`) is rare: the state after it is read again in full."""

    def __init__(self, as_of: date | None = None, reference: ReferenceCache | None = None,
                 candidate_locks: bool = False) -> None:
        """`reference`: the update writer's cache of the candidates and targets read here
        (app/reference_cache.py); without it they are read each time. `candidate_locks` (the
        update writer, on PostgreSQL): watch reads under a lock per candidate, not the
        event-order lock, so writers of other candidates go on meanwhile; read_is_current
        then tells, under the event-order lock, whether what was read still stands."""
        self.as_of = as_of or today()
        self.reference = reference
        self.candidate_locks = candidate_locks
        self._seen: tuple[int, int | None] | None = None  # (newest event, reference count)
        self._known_before = end_of_day(self.as_of)  # recorded before this: known on as_of
        self.before: dict[Key, Evaluated] = {}
        self.indicators: dict[int, set[int]] = defaultdict(set)
        self.update_ids: dict[Series, list[int]] = defaultdict(list)  # written, by series
        self.authors: dict[Series, int | None] = {}
        self._candidates: dict[int, Candidate] = {}
        self._overrides: dict[tuple[int, int], CandidateBenchmark] = {}
        self._asked: Asked | None = None
        self._asked_indicators: set[int] = set()
        # The measurements of the watched series as read before the write (only those the
        # rules read: app.evaluation.kept_of), with the ones written since.
        self._history: dict[Series, list[Measurement]] = defaultdict(list)

    def wrote(self, series: Series, update_id: int, author_id: int | None,
              measurement: Measurement | None = None) -> None:
        """Notes an update written to a watched series: the cause of what changes on it; with
        its `measurement` (as load_statuses would read it), added to the series' history."""
        self.update_ids[series].append(update_id)
        self.authors.setdefault(series, author_id)
        if measurement is not None and self._known(measurement):
            history = self._history[series]
            history.append(measurement)
            if len(history) > 4 * RECENT_MEASUREMENTS:  # an import's thousands: keep few
                self._history[series] = kept_of(history)

    def _known(self, measurement: Measurement) -> bool:
        """Whether a read as of today would find it (app.evaluation._load_history)."""
        return (measurement.as_of <= self.as_of
                and measurement.recorded_at < self._known_before)

    def watch(self, session: Session, series: Iterable[Series],
              excluding: Sequence[int] = ()) -> None:
        """Reads, before the write, the state of the benchmarks on these series not read yet,
        without the updates `excluding` (the write's own, already inserted: PostgreSQL).
        Takes the event-order lock first (PostgreSQL): a concurrent writer's change is then
        committed and seen here, or waits for this one's, never both missed. With
        `candidate_locks`, the lock of each candidate instead (see read_is_current)."""
        new: dict[int, set[int]] = defaultdict(set)
        for candidate_id, indicator_id in series:
            if indicator_id not in self.indicators.get(candidate_id, ()):
                new[candidate_id].add(indicator_id)
        if not new:
            return
        # What was committed before the lock is seen now (the reference tables too).
        if self.candidate_locks:
            # One read, its locks taken together in id order: a second would take more
            # while holding these, out of order, and two writers could wait for each other.
            assert self._seen is None, "a watch with candidate locks reads once"
            lock_candidates(session, new.keys())
            self._seen = _newest_change(session)
            if self.reference is not None:
                self.reference.synced(session, self._seen[1])
        else:
            take_event_order_lock(session)
            if self.reference is not None:
                self.reference.sync(session)
        if missing := new.keys() - self._candidates.keys():
            self._load_candidates(session, missing)
        for candidate_id, indicators in new.items():
            self.indicators[candidate_id] |= indicators
        if missing or not self._asked_indicators >= self._indicator_ids:
            self._asked = self._ask(session)
        candidates = [self._candidates[c] for c in new]
        asked = self._asked
        assert asked is not None
        read = [(c.id, r.definition.indicator_id) for c in candidates
                for r in asked.requirements[asked.tier_of(c.id)]
                if r.definition.indicator_id in new[c.id]]
        self._history |= recent_history(session, sorted(set(read)), self.as_of, excluding)
        self.before |= evaluate_states(session, candidates, as_of=self.as_of, asked=asked,
                                       indicators=new, history=self._history,
                                       overrides=self._overrides)

    def read_is_current(self, session: Session) -> bool:
        """Takes the event-order lock (held to the commit) and tells whether what watch read
        under the candidates' locks still stands: no event since on a watched candidate or on
        none (an import, a new target), and no change to the reference tables. Every write
        that can move a status records such an event in its transaction, and event ids become
        visible in order, so a write committed after the read has an id above the newest the
        read saw. When False, the caller reads again under the lock (a new watch)."""
        take_event_order_lock(session)
        if self._seen is None:  # read under the event-order lock already
            return True
        newest_event, count = self._seen
        since = select(Event.id).where(Event.id > newest_event)
        # Each a short range of the index by candidate and id (migration 0015).
        moved, moved_on_none, now_count = session.execute(select(
            since.where(Event.candidate_id.in_(list(self.indicators))).exists(),
            since.where(Event.candidate_id.is_(None)).exists(), current_version())).one()
        return not moved and not moved_on_none and now_count == count

    def _load_candidates(self, session: Session, ids: Iterable[int]) -> None:
        """The candidates with their tier history and their own targets, in one query: both
        are short (a few rows each), so joining them costs less than two more round trips."""
        def read(ids: list[int]) -> dict[int, Candidate]:
            return {c.id: c for c in session.scalars(_candidates_query(), {"ids": ids}).unique()}

        for candidate in read_through(self.reference, session, "candidate", ids, read).values():
            self._candidates[candidate.id] = candidate
            self._overrides |= {(cb.candidate_id, cb.definition_id): cb
                                for cb in candidate.benchmarks}

    @property
    def _indicator_ids(self) -> set[int]:
        return set().union(*self.indicators.values())

    def _ask(self, session: Session) -> Asked:
        """What is asked of the watched candidates, of the targets on the watched indicators
        only: each tier's targets are read whole (and kept by the update writer), those on
        the watched indicators taken. Their standing today comes from the tier history
        loaded with them (load_asked's rule, without its query)."""
        self._asked_indicators = self._indicator_ids
        standings = {c.id: standing_on(c, sorted(c.status_changes,
                                                 key=lambda s: (s.effective_on, s.id)),
                                       self.as_of)
                     for c in self._candidates.values()}
        every = read_through(self.reference, session, ("targets", self.as_of),
                             {s.tier for s in standings.values()},
                             lambda tiers: targets_in_force(session, set(tiers), self.as_of))
        requirements = {tier: [r for r in asked if r.definition.indicator_id
                               in self._asked_indicators]
                        for tier, asked in every.items()}
        return Asked(self.as_of, standings, requirements, None)

    def states_after(self, session: Session, *, read_again: bool = False,
                     targets_changed: bool = False) -> dict[Key, Evaluated]:
        """The state of the watched benchmarks now: from what was read before and the updates
        written since (wrote), or, `read_again`, read in full (what is asked too, when
        `targets_changed`). Both give the same states after a write of updates alone."""
        candidates = [self._candidates[c] for c in self.indicators]
        if not read_again:
            return evaluate_states(
                session, candidates, as_of=self.as_of, asked=self._asked,
                indicators=self.indicators, overrides=self._overrides,
                history={s: kept_of(m) for s, m in self._history.items()})
        asked = self._ask(session) if targets_changed else self._asked
        return evaluate_states(session, candidates, as_of=self.as_of, asked=asked,
                               indicators=self.indicators)

    def record(
        self, session: Session, *, cause: Cause | None = None, actor_id: int | None = None,
        targets_changed: bool = False,
    ) -> int:
        """Records an event for each change since watch, in the session's transaction; how
        many. Without `cause`, a change's cause is the updates written to its series (wrote),
        and its actor their author; they are all that changed, so the state after is computed
        from what was read before and them. With a `cause` (a retraction, new targets), the
        state after is read again. `targets_changed`: the write changed what is asked, so
        it is read again."""
        rows = self.change_events(session, cause=cause, actor_id=actor_id,
                                  targets_changed=targets_changed)
        if rows:
            record_events(session, rows)
            note_changes(session)
        return len(rows)

    def change_events(
        self, session: Session, *, cause: Cause | None = None, actor_id: int | None = None,
        targets_changed: bool = False,
    ) -> list[dict[str, Any]]:
        """The events record would write (record_events' rows), for a caller that writes
        them with its own in one statement."""
        if not self.indicators:
            return []
        after = self.states_after(session, read_again=cause is not None or targets_changed,
                                  targets_changed=targets_changed)
        changes = status_changes({k: e.state for k, e in self.before.items()},
                                 {k: e.state for k, e in after.items()})

        def attribution(series: Series) -> tuple[Cause, int | None]:
            if cause is not None:
                return cause, actor_id
            ids = self.update_ids[series]  # an import's series may hold thousands
            return ({"kind": "progress_update", "update_ids": ids[-CAUSE_IDS:],
                     "count": len(ids)}, self.authors.get(series))

        return _event_rows(changes, after, self.as_of, attribution)


def last_recorded_states(session: Session) -> dict[Key, BenchmarkState]:
    """The state each candidate's benchmark was last recorded in, from its newest event."""
    newest = (select(func.max(Event.id)).where(Event.kind == CHANGE_KIND)
              .group_by(Event.entity_id))
    rows = session.execute(select(Event.candidate_id, Event.after)
                           .where(Event.id.in_(newest)))
    return {(candidate_id, after["benchmark"]): state_from(after)
            for candidate_id, after in rows if candidate_id is not None and after}


def _sweep(session: Session, as_of: date, recorded: dict[Key, BenchmarkState] | None = None,
           history: Mapping[Series, list[Measurement]] | None = None) -> int:
    """Records what changed since the states `recorded` (default: read from the events), and
    brings `recorded` up to date."""
    candidates = session.scalars(select(Candidate).order_by(Candidate.id)).all()
    now = evaluate_states(session, candidates, as_of=as_of, history=history)
    last = last_recorded_states(session) if recorded is None else recorded
    changes = status_changes(last, {k: e.state for k, e in now.items()})
    last |= {change.key: change.after for change in changes}
    if changes:
        record_events(session, _event_rows(changes, now, as_of,
                                           lambda _: ({"kind": "time"}, None)))
        note_changes(session)
    return len(changes)


def record_time_status_changes(session: Session, today: date) -> int:
    """Records the changes no write recorded: a due date passing (overdue), an at-risk grace
    ending, a target version coming into force, a tier change. Compares each benchmark's state
    on `today` with the one last recorded; running it again the same day records nothing.
    Commits; returns how many changes it recorded. In a write session (app.db), whose
    transaction holds SQLite's write lock from its BEGIN."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STATUS_SWEEP_LOCK})
    recorded = _sweep(session, today)
    session.commit()
    return recorded


def replay_status_history(session: Session, today: date) -> int:
    """Records the status changes of the history already stored, review by review: at each
    quarter end from the first measurement's, then `today` (the demo's history, loaded in one
    go, gets the feed it would have had). Does not commit."""
    first = session.scalar(select(func.min(ProgressUpdate.as_of)))
    states = last_recorded_states(session)
    history = whole_history(session, list(session.scalars(select(Candidate.id))), today)
    recorded = 0
    day = quarter_end_after(first - timedelta(days=1)) if first else today
    while day < today:
        recorded += _sweep(session, day, states, history)
        day = quarter_end_after(day)
    return recorded + _sweep(session, today, states)


def list_status_changes(
    session: Session, candidate: Candidate, key: str | None = None, *, limit: int = FEED_ENTRIES,
) -> list[Event]:
    """A candidate's recorded status changes (of one benchmark, with `key`), newest first."""
    query = select(Event).where(Event.kind == CHANGE_KIND, Event.candidate_id == candidate.id,
                                Event.is_public.is_(True))
    if key is not None:
        query = query.where(Event.entity_id == entity_id(candidate.id, key))
    return list(session.scalars(query.order_by(Event.id.desc()).limit(limit)))


SWEEP_AT = time(0, 5)  # UTC, each day: just after the date changes, when due dates pass


def seconds_until_next_sweep(now: datetime) -> float:
    """From `now` (UTC) to the next SWEEP_AT."""
    next_run = datetime.combine(now.date(), SWEEP_AT, tzinfo=UTC)
    if next_run <= now:
        next_run += timedelta(days=1)
    return (next_run - now).total_seconds()


async def sweep_daily(session_factory: Callable[[], Session]) -> None:
    """The process's daily sweep (started with the app): one run at a time, each just after
    midnight UTC. Not at start-up: a restart is no reason to write, and the demo's load and
    `accession record-status-changes` record at once. A failed run is logged and tried again
    the next day (the sweep compares with what is recorded, so nothing is lost)."""
    while True:
        await asyncio.sleep(seconds_until_next_sweep(datetime.now(UTC)))

        def run() -> int:
            with session_factory() as session:
                return record_time_status_changes(session, today())

        try:
            recorded = await run_in_threadpool(run)
            logger.info("status sweep recorded %d changes", recorded)
        except SQLAlchemyError as failed:
            logger.warning("status sweep failed: %s", type(failed).__name__)
