"""The event log: every write appends who did what, when, and the record before and after.
Its ids are the change feed's cursor, so they must become visible in increasing order."""

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, selectinload

from app.db.bulk import insert_rows
from app.models import Candidate, Event, ProgressReport, ReportStatus, User, utcnow

# PostgreSQL hands out ids before commit; two writers can commit out of id order, and a feed
# reader that saw the higher id would skip the lower one forever. Writers of events take this
# transaction-scoped lock first, so ids commit in order. (SQLite serialises writers anyway.)
EVENT_ORDER_LOCK = 7_401_122


def plain(value: Any) -> Any:
    """A JSON-ready copy of a record's field."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def snapshot(record: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: plain(getattr(record, name)) for name in fields}


def record_event(
    session: Session,
    *,
    kind: str,
    entity: str,
    entity_id: object,
    actor: User | None,
    candidate_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    is_public: bool = True,
) -> Event:
    """Adds an event to the caller's transaction; it is written with the caller's next flush
    or commit."""
    _take_event_order_lock(session)
    event = Event(
        kind=kind, entity=entity, entity_id=str(entity_id), actor_id=actor.id if actor else None,
        candidate_id=candidate_id, before=before, after=after, is_public=is_public,
        occurred_at=utcnow(),
    )
    session.add(event)
    return event


def record_events(session: Session, events: list[dict[str, Any]]) -> None:
    """Writes many events in one statement (Core, no ORM objects): the rows of a batch of
    progress updates. Each dict holds Event's columns; occurred_at defaults to now."""
    _take_event_order_lock(session)
    now = utcnow()
    insert_rows(session, Event.__table__, [
        {"occurred_at": now, "is_public": True, "before": None, **event} for event in events
    ])


def take_event_order_lock(session: Session) -> None:
    """Takes the event-order lock now, for a writer that must read what the events it will
    record depend on after every earlier writer's commit (PostgreSQL; a no-op on SQLite)."""
    _take_event_order_lock(session)


def _take_event_order_lock(session: Session) -> None:
    transaction = session.get_transaction()
    if (session.get_bind().dialect.name == "postgresql" and transaction is not None
            and session.info.get("event_order_lock") is not transaction):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_ORDER_LOCK})
        session.info["event_order_lock"] = transaction


def list_events(
    session: Session, *, after: int = 0, limit: int = 100, public_only: bool = True
) -> tuple[list[Event], int]:
    query = select(Event).where(Event.id > after)
    if public_only:
        query = query.where(Event.is_public.is_(True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.options(selectinload(Event.actor), selectinload(Event.candidate))
    return list(session.scalars(query.order_by(Event.id).limit(limit))), total


def public_events_in_block(session: Session, first: int, last: int) -> list[dict[str, Any]]:
    """The public events whose ids are above `first` and at most `last`, in order, as the
    fields of EventRead. Plain rows in one query: streams replay these by the thousand."""
    rows = session.execute(
        select(Event.id, Event.occurred_at, Event.kind, Event.entity, Event.entity_id,
               Candidate.slug.label("candidate"), User.name.label("actor"),
               Event.before, Event.after)
        .outerjoin(Candidate, Candidate.id == Event.candidate_id)
        .outerjoin(User, User.id == Event.actor_id)
        .where(Event.id > first, Event.id <= last, Event.is_public.is_(True))
        .order_by(Event.id))
    return [dict(row._mapping) for row in rows]


def first_public_event_after(session: Session, after: int) -> datetime | None:
    """When the first public event after `after` happened (None if there is none yet)."""
    return _as_utc(session.scalar(
        select(Event.occurred_at).where(Event.id > after, Event.is_public.is_(True))
        .order_by(Event.id).limit(1)))


def latest_event_id(session: Session) -> int:
    return session.scalar(select(func.max(Event.id))) or 0


def latest_public_change(session: Session) -> tuple[int, datetime | None, datetime | None]:
    """What every public page's freshness hangs on, in one query: the newest public event's id
    and time, and the newest report publication that has come (a scheduled report appears when
    its time comes, with no new event)."""
    newest = (select(Event.id, Event.occurred_at).where(Event.is_public.is_(True))
              .order_by(Event.id.desc()).limit(1).subquery())
    published = (
        select(func.max(ProgressReport.published_at))
        .where(ProgressReport.status == ReportStatus.published,
               ProgressReport.published_at <= utcnow())
        .scalar_subquery()
    )
    row = session.execute(
        select(select(newest.c.id).scalar_subquery(),
               select(newest.c.occurred_at).scalar_subquery(), published)
    ).one()
    return row[0] or 0, _as_utc(row[1]), _as_utc(row[2])


def _as_utc(moment: datetime | None) -> datetime | None:
    # Scalar subqueries come back without the column's type: naive on SQLite, the session's
    # zone on PostgreSQL.
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
