"""The update writer: the progress updates of one process's requests, stored in shared
transactions.

Concurrent posts share one write transaction. A database writes one transaction at a time
(SQLite literally; PostgreSQL through the event-order lock), and each transaction costs a lock
hand-over, a commit and a flush to disk whatever it holds. So the requests of one process are
written in groups: while a group is being written, the requests that arrive queue, and the next
group takes all of them (up to MAX_GROUP_ROWS updates) into one transaction — the same reads,
inserts and commit as one request. A request arriving when nothing is being written is written
at once, alone: no request waits for company. Each request is still stored whole or not at
all, and answered on its own (app.progress.ingest.record_update_requests).
"""

import asyncio
from collections.abc import Sequence
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from app.db import SessionScope
from app.models import Candidate, User
from app.progress.idempotency import ExpiredKeys
from app.progress.ingest import (
    Recorded,
    Refused,
    RequestOutcome,
    UpdateRequest,
    UpdateSet,
    add_progress_updates,
    record_update_requests,
)
from app.progress.schemas import ProgressUpdateCreate
from app.reference_cache import ReferenceCache

MAX_GROUP_ROWS = 2000

Pending = tuple[UpdateRequest, "asyncio.Future[RequestOutcome]"]


class UpdateWriter:
    """One per app (create_app): writes the requests of its process in groups."""

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
        self.expired_keys = ExpiredKeys()  # the purge of expired keys, once an hour at most
        # What every write reads and few change, kept while unchanged (used by _write only:
        # one group at a time, so one thread at a time).
        self.reference = ReferenceCache()
        self.groups_written = 0  # how many transactions (tests read them)
        self.requests_written = 0

    async def record(self, request: UpdateRequest) -> Recorded:
        """Writes the request (with whatever else is waiting) and returns what it stored;
        raises what refused it."""
        future: asyncio.Future[RequestOutcome] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if self._task is None:
            self._task = asyncio.create_task(self._write_pending(), name="update-writer")
        # If the client goes away its request is still written: shielded, like a request
        # whose worker thread had started.
        outcome = await asyncio.shield(future)
        if isinstance(outcome, Refused):
            raise outcome.error
        return outcome

    async def _write_pending(self) -> None:
        try:
            while self._pending:
                group = self._take_group()
                try:
                    outcomes = await run_in_threadpool(self._write, [r for r, _ in group])
                except Exception as failed:  # the whole transaction failed: so did each request
                    outcomes = [Refused(failed)] * len(group)
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

    def _write(self, requests: list[UpdateRequest]) -> list[RequestOutcome]:
        with self.write_sessions() as session:
            outcomes = record_update_requests(session, requests, expired_keys=self.expired_keys,
                                              reference=self.reference)
        self.groups_written += 1
        self.requests_written += len(requests)
        return outcomes


def update_writer_of(request: Request) -> UpdateWriter:
    """The process's writer (made with the app: app.main)."""
    writer: UpdateWriter = request.app.state.update_writer
    return writer


async def get_update_writer(request: Request) -> UpdateWriter:
    """The dependency: async, as it does no I/O (see app.auth.deps.get_auth_state)."""
    return update_writer_of(request)


UpdateWriterDep = Annotated[UpdateWriter, Depends(get_update_writer)]
