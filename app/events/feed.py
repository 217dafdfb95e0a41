"""The live change feed. Each process polls the event log once per interval and fans what it
finds out to every connected stream, so a thousand readers cost one query, and events written
by other processes or other instances arrive the same way as local ones."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.events.schemas import EventRead
from app.events.service import (
    first_public_event_after,
    latest_event_id,
    latest_public_change,
    list_events,
    public_events_after,
)
from app.models import Event

logger = logging.getLogger("app.events.feed")

POLL_INTERVAL_SECONDS = 0.5  # well inside the two seconds a reader may wait for an update
BATCH = 500
QUEUE_LIMIT = 100  # batches; a reader this far behind is dropped and reconnects with its id
# A stream's backlog is read a page at a time, a few streams at a time: a thousand clients
# resuming at once cost the database a page each in turn, and no stream holds the whole log.
BACKLOG_PAGE = 100
BACKLOG_READERS = 4


def event_read(event: Event) -> EventRead:
    return EventRead(
        id=event.id, occurred_at=event.occurred_at, kind=event.kind, entity=event.entity,
        entity_id=event.entity_id, candidate=event.candidate.slug if event.candidate else None,
        actor=event.actor.name if event.actor else None, before=event.before, after=event.after,
    )


class ChangeFeed:
    """Polls the event log for the process. Besides fanning events out to streams, it keeps
    `version`: what the public can see changes only when this does (or the local process
    commits, or a scheduled report comes due), so the response cache keys on it."""

    def __init__(self, session_factory: Callable[[], Session],
                 interval: float = POLL_INTERVAL_SECONDS) -> None:
        self.session_factory = session_factory
        self.interval = interval
        self.subscribers: set[asyncio.Queue[list[EventRead] | None]] = set()
        self.last_id = 0
        self.changed_at: datetime | None = None
        self.published_at: datetime | None = None
        self.polled_at: float | None = None  # monotonic time of the last successful poll
        self._initialised = False
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        self._backlog_readers = asyncio.Semaphore(BACKLOG_READERS)

    @property
    def is_current(self) -> bool:
        """Polled successfully within a few intervals: its version can be trusted."""
        return self.polled_at is not None and (
            time.monotonic() - self.polled_at < max(2.0, 4 * self.interval))

    @property
    def version(self) -> str:
        return f"{self.last_id}:{self.published_at.isoformat() if self.published_at else ''}"

    async def start(self) -> None:
        """Starts polling (once per process). The first successful poll takes the newest event
        as its starting point; a reader subscribes after that and reads its backlog after
        subscribing, so every later event reaches it by one path or the other."""
        async with self._starting:
            if self._task is None:
                with contextlib.suppress(SQLAlchemyError):
                    await run_in_threadpool(self._fetch)
                self._task = asyncio.create_task(self._run(), name="change-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for queue in self.subscribers:
            queue.put_nowait(None)

    async def _run(self) -> None:
        while True:
            try:
                events = await run_in_threadpool(self._fetch)
            except SQLAlchemyError as exc:  # the database is away: keep trying, quietly
                logger.warning("change feed poll failed: %s", type(exc).__name__)
                self.polled_at = None
                events = []
            if events:
                for queue in list(self.subscribers):
                    try:
                        queue.put_nowait(events)
                    except asyncio.QueueFull:
                        # Too far behind: end its stream; it reconnects with Last-Event-ID.
                        self.subscribers.discard(queue)
                        while not queue.empty():
                            queue.get_nowait()
                        queue.put_nowait(None)
            await asyncio.sleep(self.interval)

    def _fetch(self) -> list[EventRead]:
        with self.session_factory() as session:
            newest_id, changed_at, published_at = latest_public_change(session)
            found: list[EventRead] = []
            if not self._initialised or not self.subscribers:
                # No one to hand events to: skip them. A stream that subscribes later reads
                # its backlog itself, after subscribing, so it misses none.
                self.last_id, self._initialised = newest_id, True
            while newest_id > self.last_id:
                events, _ = list_events(session, after=self.last_id, limit=BATCH)
                if not events:
                    break
                found.extend(event_read(e) for e in events)
                self.last_id = events[-1].id
            self.changed_at, self.published_at = changed_at, published_at
            self.polled_at = time.monotonic()
            return found

    def _latest_id(self) -> int:
        with self.session_factory() as session:
            return latest_event_id(session)

    def _backlog_page(self, after: int) -> list[EventRead]:
        with self.session_factory() as session:
            return [event_read(e) for e in public_events_after(session, after, BACKLOG_PAGE)]

    def first_event_at(self, after: int) -> datetime | None:
        with self.session_factory() as session:
            return first_public_event_after(session, after)

    async def stream(self, after: int | None) -> AsyncIterator[EventRead]:
        """Public events after `after` (None: from now on), then live ones, each once, in
        order. Subscribes before reading the backlog, so nothing falls in between; reads the
        backlog a page at a time, the next page only once the last one is sent."""
        await self.start()  # normally started with the app; a no-op then
        queue: asyncio.Queue[list[EventRead] | None] = asyncio.Queue(QUEUE_LIMIT)
        self.subscribers.add(queue)
        try:
            if after is None:
                sent = await run_in_threadpool(self._latest_id)
            else:
                sent = after
                while True:
                    async with self._backlog_readers:
                        page = await run_in_threadpool(self._backlog_page, sent)
                    for event in page:
                        sent = event.id
                        yield event
                    if len(page) < BACKLOG_PAGE:
                        break
            while (batch := await queue.get()) is not None:
                for event in batch:
                    if event.id > sent:
                        sent = event.id
                        yield event
        finally:
            self.subscribers.discard(queue)
