"""The engine and its sessions: plain ones for reading, write ones whose transactions take
SQLite's write lock at BEGIN; and the request's session, as a dependency of either kind."""

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Protocol

from fastapi import Depends
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.config import get_settings
from app.db.base import json_text
from app.db.sqlite import WRITE_BEGIN, configure_sqlite


def make_engine(url: str, *, timeout_seconds: float = 5.0) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False},
                               json_serializer=json_text)
        configure_sqlite(engine, parsed.database, timeout_seconds)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        json_serializer=json_text,
        pool_timeout=timeout_seconds,
        connect_args={"connect_timeout": max(1, int(timeout_seconds))},
    )


def get_engine() -> Engine:
    """The engine of the configured database, one per URL: a process (or a test) that points
    the settings at another database gets that database's engine, without clearing a cache."""
    settings = get_settings()
    return _engine(settings.database_url, settings.db_timeout_seconds)


@lru_cache(maxsize=4)  # one in a server; a few in a test run (a command-line test's database)
def _engine(url: str, timeout_seconds: float) -> Engine:
    return make_engine(url, timeout_seconds=timeout_seconds)


def get_sessionmaker() -> sessionmaker[Session]:
    return _sessionmakers(get_engine())[0]


def get_write_sessionmaker() -> sessionmaker[Session]:
    """Sessions each of whose transactions begins IMMEDIATE on SQLite: the write lock is taken
    at BEGIN, so what is read in the transaction cannot change before its commit."""
    return _sessionmakers(get_engine())[1]


@lru_cache(maxsize=4)
def _sessionmakers(engine: Engine) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
    """The engine's reading and writing sessionmakers."""
    return (sessionmaker(engine, expire_on_commit=False),
            sessionmaker(engine.execution_options(**WRITE_BEGIN), expire_on_commit=False))


class SessionScope(Protocol):
    """Gives a session to use in a `with` block (a sessionmaker; tests hand in their own)."""

    def __call__(self) -> AbstractContextManager[Session]: ...


async def get_session() -> AsyncIterator[Session]:
    """One session per request, shared by its dependencies (the token's user, the path's
    candidate) and its route.

    Async, though the session is not: making one does no I/O, so it is made on the event loop
    and only closing it (a ROLLBACK on its connection) goes to a worker thread. A thread hop
    costs ~0.5 ms here, and every request that reads the database pays for each."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        if session.get_transaction() is None:
            session.close()  # no transaction, no connection: nothing to roll back, no I/O
        else:
            await run_in_threadpool(session.close)


SessionDep = Annotated[Session, Depends(get_session)]


async def get_write_session(session: SessionDep) -> Session:
    """The request's session (the one its dependencies read the token and the path in), a
    writer from here on: each transaction it begins takes SQLite's write lock at BEGIN, so what
    the route reads cannot change before its commit. The dependencies' read transaction ends
    first (what they loaded stays usable: expire_on_commit=False), so the lock is held from
    here to the commit, not for the whole request. PostgreSQL has no such lock to take (each
    statement sees what is committed; constraints and the event-order lock do the rest): its
    transaction simply goes on."""
    if session.get_bind().dialect.name != "sqlite":
        return session
    if session.in_transaction():
        await run_in_threadpool(session.commit)
    # A test's session is bound to one connection, in a transaction of its own: it begins nothing.
    if isinstance(session.bind, Engine):
        session.bind = session.bind.execution_options(**WRITE_BEGIN)
    return session


WriteSessionDep = Annotated[Session, Depends(get_write_session)]


async def get_write_sessions() -> SessionScope:  # no I/O: on the event loop
    """For a route that takes the write lock later than its dependencies run (after receiving
    an upload): it opens a write session of its own when it is ready to write."""
    return get_write_sessionmaker()


WriteSessions = Annotated[SessionScope, Depends(get_write_sessions)]
