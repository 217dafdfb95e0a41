"""Concurrent posts of progress updates share one write transaction.

A database writes one transaction at a time (SQLite literally; PostgreSQL through the event-order
lock), and each transaction costs a lock hand-over, a commit and a flush to disk whatever it
holds. So the requests of one process are written in groups: while a group is being written,
the requests that arrive queue, and the next group takes all of them (up to MAX_GROUP_ROWS
updates) into one transaction — the same reads, inserts and commit as one request. A request
arriving when nothing is being written is written at once, alone: no request waits for
company. Each request is still stored whole or not at all, and answered on its own
(service.record_update_requests).
"""

import asyncio
import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.errors import DomainError
from app.progress.service import Recorded, UpdateRequest, record_update_requests

MAX_GROUP_ROWS = 2000

Outcome = Recorded | DomainError | SQLAlchemyError
Pending = tuple[UpdateRequest, "asyncio.Future[Outcome]"]


class UpdateWriter:
    def __init__(self, session_scope: Callable[[], AbstractContextManager[Session]]) -> None:
        """`session_scope` gives the session a group is written in (tests hand in theirs)."""
        self.session_scope = session_scope
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

    def _write(self, requests: list[UpdateRequest]) -> list[Outcome]:
        with self.session_scope() as session:
            outcomes = record_update_requests(session, requests)
        self.groups_written += 1
        self.requests_written += len(requests)
        return outcomes


def no_close(session: Session) -> Callable[[], AbstractContextManager[Session]]:
    """A session_scope that hands out one session and leaves it open (tests)."""
    return lambda: contextlib.nullcontext(session)
