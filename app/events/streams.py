"""What an open event stream may cost, and who may open one. Every stream is a connection and
a task an anonymous client makes the process hold, so they are counted: per client address
(an office behind one address still gets live pages; a refused page re-checks every 30 s
instead) and in all. A stream whose client does not read is dropped once its buffers fill, and
one that would start with a backlog older than the retention window is refused: its client
re-syncs from the REST lists instead of making the server replay the log."""

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sse_starlette import EventSourceResponse
from sse_starlette.sse import SendTimeoutError
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from app.config import Settings, get_settings
from app.errors import DomainError
from app.events.feed import ChangeFeed
from app.http.ratelimit import TooManyRequests

RETRY_AFTER_SECONDS = 30  # what a refused page waits before it looks again (static/js/live.js)
# A send that waits this long is waiting on a client that does not read: its buffers are full.
SEND_TIMEOUT_SECONDS = 10.0


class StreamsFull(DomainError):
    status_code = 503

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class BacklogGone(DomainError):
    status_code = 410


class LocalCounts:
    """Open streams per address, counted in this process (a server of one worker, tests)."""

    def __init__(self) -> None:
        self._by_client: dict[str, int] = {}

    def take(self, client: str, limit: int) -> bool:
        if self._by_client.get(client, 0) >= limit:
            return False
        self._by_client[client] = self._by_client.get(client, 0) + 1
        return True

    def give_back(self, client: str) -> None:
        left = self._by_client[client] - 1
        if left:
            self._by_client[client] = left
        else:
            del self._by_client[client]


class SharedCounts:
    """Open streams per address, counted across the worker processes of one server in a small
    SQLite file that `accession serve` makes for them: the limit is per address and server,
    whichever worker each connection reaches. Rows are kept per process, so a worker that died
    leaves no count behind (its rows are dropped when they would refuse someone)."""

    def __init__(self, path: str) -> None:
        self.pid = os.getpid()
        self._db = sqlite3.connect(path, timeout=1.0, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")  # counts of live connections: no history
        self._db.execute("CREATE TABLE IF NOT EXISTS open_streams (pid INTEGER, client TEXT, "
                         "n INTEGER, PRIMARY KEY (pid, client))")
        self._db.execute("DELETE FROM open_streams WHERE pid = ?", (self.pid,))

    def take(self, client: str, limit: int) -> bool:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            if self._open(client) >= limit:
                for (pid,) in db.execute("SELECT DISTINCT pid FROM open_streams "
                                         "WHERE client = ?", (client,)).fetchall():
                    if not _is_alive(pid):
                        db.execute("DELETE FROM open_streams WHERE pid = ?", (pid,))
                if self._open(client) >= limit:
                    db.execute("ROLLBACK")
                    return False
            db.execute("INSERT INTO open_streams VALUES (?, ?, 1) ON CONFLICT (pid, client) "
                       "DO UPDATE SET n = n + 1", (self.pid, client))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return True

    def give_back(self, client: str) -> None:
        with contextlib.suppress(sqlite3.Error):  # a count left behind is dropped later
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("UPDATE open_streams SET n = n - 1 WHERE pid = ? AND client = ?",
                             (self.pid, client))
            self._db.execute("DELETE FROM open_streams WHERE n <= 0")
            self._db.execute("COMMIT")

    def _open(self, client: str) -> int:
        return self._db.execute("SELECT coalesce(sum(n), 0) FROM open_streams WHERE client = ?",
                                (client,)).fetchone()[0]


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StreamSlots:
    """Open streams: per client address (LocalCounts or SharedCounts) and of this process."""

    def __init__(self, per_client: int, total: int,
                 counts: LocalCounts | SharedCounts | None = None) -> None:
        self.per_client = per_client
        self.total = total
        self.open = 0
        self.counts = counts or LocalCounts()
        self._lock = threading.Lock()

    def take(self, client: str) -> Callable[[], None]:
        """Takes a slot for `client`, or refuses: 429 for the client's own limit, 503 for the
        process's. Returns the function that gives it back (call it once)."""
        with self._lock:
            if self.open >= self.total:
                raise StreamsFull("The server holds as many event streams as it can; "
                                  "try again shortly.", RETRY_AFTER_SECONDS)
            if not self.counts.take(client, self.per_client):
                raise TooManyRequests(
                    f"Too many open event streams from this address (at most "
                    f"{self.per_client}); close one, or re-check the page every "
                    f"{RETRY_AFTER_SECONDS} s.", RETRY_AFTER_SECONDS)
            self.open += 1
        given_back = False

        def give_back() -> None:
            nonlocal given_back
            with self._lock:
                if given_back:
                    return
                given_back = True
                self.open -= 1
                self.counts.give_back(client)

        return give_back


def stream_slots(settings: Settings) -> StreamSlots:
    """The process's slots (made by create_app, one per app). Under `accession serve`, the
    per-address counts are shared by the server's workers (streams_shared_file), so one address
    holds at most `streams_per_client` streams of the server, whichever workers its
    connections reach."""
    counts = (SharedCounts(settings.streams_shared_file) if settings.streams_shared_file
              else LocalCounts())
    return StreamSlots(settings.streams_per_client, settings.streams_total, counts)


# The app's change feed and stream slots, handed to routes and pages (made by create_app).

def change_feed_of(request: Request) -> ChangeFeed:
    feed: ChangeFeed = request.app.state.change_feed
    return feed


# Dependencies that do no I/O are async (see app.auth.deps.get_auth_state).

async def get_change_feed(request: Request) -> ChangeFeed:
    return change_feed_of(request)


async def get_stream_slots(request: Request) -> StreamSlots:
    slots: StreamSlots = request.app.state.stream_slots
    return slots


ChangeFeedDep = Annotated[ChangeFeed, Depends(get_change_feed)]
StreamSlotsDep = Annotated[StreamSlots, Depends(get_stream_slots)]


def check_backlog(first_event_at: datetime | None, *, now: datetime | None = None) -> None:
    """Refuses a resume whose first missed event is older than the retention window."""
    hours = get_settings().stream_retention_hours
    if first_event_at is None:
        return
    oldest = (now or datetime.now(UTC)) - timedelta(hours=hours)
    if first_event_at < oldest:
        raise BacklogGone(
            f"The events after this id are older than {hours:g} hours and are not replayed "
            "on a stream. Re-sync from the REST lists (the pages of /api/v1/events, "
            "/api/v1/candidates and their status), then open the stream without `after`.")


async def admit_stream(slots: StreamSlots, feed: ChangeFeed, client: str,
                       after: int | None) -> Callable[[], None]:
    """A slot of `slots` for `client`'s new stream, resuming after event `after` (None: from
    now on): refused as StreamSlots.take and check_backlog refuse. Returns the slot's
    give-back."""
    # In a thread: the shared counts may wait on the other workers' lock, never on the loop.
    give_back = await run_in_threadpool(slots.take, client)
    try:
        if after is not None:
            check_backlog(await run_in_threadpool(feed.first_event_at, after))
    except BaseException:
        give_back()
        raise
    return give_back


# Set when a stream ends because its client stopped reading. uvicorn then reports the
# unfinished response as an error ("ASGI callable returned without completing response"),
# which for such a stream it is not: DroppedStreamLog makes that line an INFO one, so a
# client cannot fill the error log at will.
stream_dropped: ContextVar[bool] = ContextVar("stream_dropped", default=False)
UNFINISHED_RESPONSE = "ASGI callable returned without completing response."


class DroppedStreamLog(logging.Filter):
    """For uvicorn's log handler (app/cli.py): the unfinished response of a stream dropped on
    purpose is logged as what it is, at INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == UNFINISHED_RESPONSE and stream_dropped.get():
            record.msg = "an event stream was dropped: its client did not read"
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


class LimitedEventStream(EventSourceResponse):
    """An event stream that gives its slot back however it ends, and ends, instead of
    waiting forever, when a send cannot go out within SEND_TIMEOUT_SECONDS."""

    def __init__(self, *args, give_back: Callable[[], None], **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, send_timeout=SEND_TIMEOUT_SECONDS, **kwargs)
        self.give_back = give_back

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except SendTimeoutError:
            stream_dropped.set(True)  # uvicorn closes a connection whose response is unfinished
        finally:
            # In a thread, as the slot was taken: hundreds of streams may end at once.
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(self.give_back)
