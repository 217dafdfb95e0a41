"""Engine, sessions and the declarative Base shared by every table."""

import threading
from collections.abc import AsyncIterator, Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, MetaData, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.config import get_settings
from app.errors import InvalidInput, field_error
from app.sqlite_writers import queue_writers

# Stable constraint names, so migrations can name what they drop or alter.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _configure_sqlite(engine: Engine, database: str | None, timeout_seconds: float) -> None:
    """WAL for concurrent readers, FULL sync so an acknowledged write survives a crash.
    SQLAlchemy, not the sqlite3 module, emits BEGIN, so transactions, savepoints and
    transactional DDL behave as on PostgreSQL."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout_seconds * 1000)}")
        cursor.close()

    queued_begin = (queue_writers(engine, database, timeout_seconds)
                    if database and database != ":memory:" else None)

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        # Writers ask for IMMEDIATE: they take the write lock at BEGIN instead of failing when
        # a read transaction cannot be upgraded to a write one, and queue for it in order.
        mode = connection.get_execution_options().get("sqlite_begin", "")
        if mode == "IMMEDIATE" and queued_begin is not None:
            queued_begin(connection)
        else:
            connection.exec_driver_sql(f"BEGIN {mode}".strip())


def make_engine(url: str, *, timeout_seconds: float = 5.0) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine, parsed.database, timeout_seconds)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_timeout=timeout_seconds,
        connect_args={"connect_timeout": max(1, int(timeout_seconds))},
    )


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.database_url, timeout_seconds=settings.db_timeout_seconds)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(get_engine(), expire_on_commit=False)


@lru_cache
def get_write_sessionmaker() -> sessionmaker[Session]:
    engine = get_engine().execution_options(sqlite_begin="IMMEDIATE")
    return sessionmaker(engine, expire_on_commit=False)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def begins_write_itself(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a write route that reads (token, path, body) outside the write lock and calls
    begin_write() itself just before the checks and writes that need it, so SQLite's one
    writer at a time is held for milliseconds, not for a whole request."""
    endpoint.begins_write_itself = True  # type: ignore[attr-defined]
    return endpoint


def begin_write(session: Session) -> None:
    """Ends the session's read transaction (loaded objects stay usable) and starts a write
    transaction: on SQLite it waits for the write lock at BEGIN, so what is read from here on
    cannot change before the commit. PostgreSQL has no such lock to take (each statement sees
    what is committed; constraints and the event-order lock do the rest), so its transaction
    simply goes on: two round trips fewer."""
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def mark_changed(session: Session) -> None:
    """For writes made with Core statements, which the ORM's flush does not see: the commit
    still bumps this process's write generation."""
    session.info["changed"] = True


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, shared by its dependencies. A request that may write gets a
    session whose transactions take SQLite's write lock at BEGIN, unless its route takes the
    lock itself (begins_write_itself).

    Async, though the session is not: making one does no I/O, so it is made on the event loop
    and only closing it (a ROLLBACK on its connection) goes to a worker thread. A thread hop
    costs ~0.5 ms here, and every request that reads the database pays for each."""
    writes = request.method not in SAFE_METHODS and not getattr(
        request.scope.get("endpoint"), "begins_write_itself", False)
    session = (get_write_sessionmaker() if writes else get_sessionmaker())()
    try:
        yield session
    finally:
        if session.get_transaction() is None:
            session.close()  # no transaction, no connection: nothing to roll back, no I/O
        else:
            await run_in_threadpool(session.close)


SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = SessionDep  # the same per-request session; the name documents intent


class WriteGeneration:
    """Counts this process's commits that changed something. The response cache keys on it, so
    a reader here sees a write made here at once, without waiting for the change feed's poll."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def bump(self) -> None:
        with self._lock:
            self.value += 1


write_generation = WriteGeneration()


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context) -> None:  # type: ignore[no-untyped-def]
    if session.new or session.dirty or session.deleted:
        session.info["changed"] = True


@event.listens_for(Session, "before_flush")
def _refuse_nul_characters(session: Session, _context, _instances) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL cannot store a NUL character in text; SQLite can. Refused here, on both,
    so the same request gets the same answer whichever database is behind it."""
    for record in (*session.new, *session.dirty):
        state = inspect(record)
        for attribute in state.mapper.column_attrs:
            value = state.dict.get(attribute.key)
            if isinstance(value, str) and "\x00" in value:
                name = attribute.key
                raise InvalidInput(
                    f"{name} holds a NUL character, which cannot be stored; nothing was stored.",
                    [field_error(["body", name], "must not contain NUL characters",
                                 "nul_character")],
                )


@event.listens_for(Session, "after_commit")
def _count_commit(session: Session) -> None:
    if session.info.pop("changed", False):
        write_generation.bump()


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop("changed", None)
