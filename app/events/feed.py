"""The live change feed. Each process polls the event log once per interval and fans what it
finds out to every connected stream, so a thousand readers cost one query, and events written
by other processes or other instances arrive the same way as local ones."""

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sse_starlette import ServerSentEvent
from starlette.concurrency import run_in_threadpool

from app.events.schemas import EventRead
from app.events.service import (
    first_public_event_after,
    latest_event_id,
    latest_public_change,
    list_events,
    public_events_in_block,
)
from app.models import Event

logger = logging.getLogger("app.events.feed")

POLL_INTERVAL_SECONDS = 0.5  # well inside the two seconds a reader may wait for an update
BATCH = 500
QUEUE_LIMIT = 100  # batches; a reader this far behind is dropped and reconnects with its id
# A stream's backlog is read a block of event ids at a time, never whole. A block whose ids are
# all written never changes, so it is read and encoded once per process and shared by every
# stream that passes through it: a thousand clients resuming from anywhere cost the database
# and the encoder one block each, not one each per client. The shared blocks are bounded by bytes.
BACKLOG_BLOCK = 100  # event ids
BACKLOG_READERS = 4
BACKLOG_CACHE_BYTES = 16 * 1024 * 1024

# An event as sent: its id and its Server-Sent Events message, encoded once.
Encoded = tuple[int, bytes]


class Block:
    """The public events of one block of ids, encoded, and all of them joined for sending."""

    def __init__(self, events: list[Encoded]) -> None:
        self.events = events
        self.joined = b"".join(message for _, message in events)
        self.last_id = events[-1][0] if events else 0

    def after(self, sent: int) -> bytes:
        if not self.events or self.events[0][0] > sent:
            return self.joined
        return b"".join(message for id_, message in self.events if id_ > sent)


def encode(event: EventRead) -> Encoded:
    message = ServerSentEvent(id=str(event.id), event=event.kind,
                              data=json.dumps(event.model_dump(mode="json")))
    return event.id, message.encode()


class BacklogBlocks:
    """Encoded blocks of the public event log, least recently used dropped past a byte budget.
    Only complete blocks are kept (every id in them written), so what is kept never goes stale;
    a block wanted by many streams at once is read once while the others wait for it."""

    def __init__(self, read: Callable[[int], Block], max_bytes: int) -> None:
        self._read = read
        self.max_bytes = max_bytes
        self.size = 0
        self._blocks: OrderedDict[int, Block] = OrderedDict()
        self._loading = asyncio.Lock()
        self._readers = asyncio.Semaphore(BACKLOG_READERS)

    async def get(self, block: int, *, complete: bool) -> Block:
        if not complete:  # still being written: read it fresh, keep nothing
            async with self._readers:
                return await run_in_threadpool(self._read, block)
        if (kept := self._blocks.get(block)) is None:
            async with self._loading:  # one at a time, so many streams wanting one read it once
                if (kept := self._blocks.get(block)) is None:
                    read = await run_in_threadpool(self._read, block)
                    self._keep(block, read)
                    return read
        self._blocks.move_to_end(block)
        return kept

    def _keep(self, number: int, block: Block) -> None:
        if self._size_of(block) > self.max_bytes:
            return
        self._blocks[number] = block
        self.size += self._size_of(block)
        while self.size > self.max_bytes:
            _, dropped = self._blocks.popitem(last=False)
            self.size -= self._size_of(dropped)

    @staticmethod
    def _size_of(block: Block) -> int:
        return 2 * len(block.joined) + 100 * len(block.events) + 200  # messages twice, tuples


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
        self.subscribers: set[asyncio.Queue[list[Encoded] | None]] = set()
        self.last_id = 0
        self.changed_at: datetime | None = None
        self.published_at: datetime | None = None
        self.polled_at: float | None = None  # monotonic time of the last successful poll
        self._initialised = False
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()
        self.backlog = BacklogBlocks(self._read_block, BACKLOG_CACHE_BYTES)

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
                encoded = [encode(event) for event in events]  # once, for every stream
                for queue in list(self.subscribers):
                    try:
                        queue.put_nowait(encoded)
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

    def _read_block(self, number: int) -> Block:
        with self.session_factory() as session:
            events = public_events_in_block(session, number * BACKLOG_BLOCK,
                                            (number + 1) * BACKLOG_BLOCK)
        return Block([encode(EventRead(**event)) for event in events])

    def first_event_at(self, after: int) -> datetime | None:
        with self.session_factory() as session:
            return first_public_event_after(session, after)

    async def stream(self, after: int | None) -> AsyncIterator[bytes]:
        """Public events after `after` (None: from now on), then live ones, each once, in
        order, as encoded Server-Sent Events (several to a chunk). Subscribes before reading
        the backlog, so nothing falls in between; reads the backlog a block at a time, the next
        block only once the last one is sent."""
        await self.start()  # normally started with the app; a no-op then
        queue: asyncio.Queue[list[Encoded] | None] = asyncio.Queue(QUEUE_LIMIT)
        self.subscribers.add(queue)
        try:
            # Events are committed in id order, so every event up to `latest` is in the
            # database now, and every later one reaches the queue.
            latest = await run_in_threadpool(self._latest_id)
            sent = latest if after is None else after
            while sent < latest:
                block = sent // BACKLOG_BLOCK
                end = (block + 1) * BACKLOG_BLOCK
                read = await self.backlog.get(block, complete=end <= latest)
                if chunk := read.after(sent):
                    yield chunk
                sent = max(min(end, latest), read.last_id)
            while (batch := await queue.get()) is not None:
                if chunk := b"".join(message for id_, message in batch if id_ > sent):
                    yield chunk
                sent = max(sent, batch[-1][0])
        finally:
            self.subscribers.discard(queue)
