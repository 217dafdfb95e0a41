"""Durability settings: an acknowledged write is on disk. The request's session gives its
connection back, whichever way the request ends."""

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session, sessionmaker

from app.db import session as session_module
from tests.conftest import run_in_own_loop


def test_sqlite_is_durable_and_checks_foreign_keys(engine):
    if engine.dialect.name != "sqlite":
        with engine.connect() as connection:
            assert connection.execute(text("SHOW synchronous_commit")).scalar() == "on"
        return
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() > 0


def _session_dependency_run(engine, monkeypatch, work) -> list[str]:
    """Runs get_session for one request as FastAPI would, with `work` as the route; returns which
    way the session was closed."""
    closed_in = []

    async def in_thread(function, *args):
        closed_in.append("thread")
        return function(*args)

    monkeypatch.setattr(session_module, "get_sessionmaker", lambda: sessionmaker(engine))
    monkeypatch.setattr(session_module, "run_in_threadpool", in_thread)

    async def run() -> None:
        dependency = session_module.get_session()
        work(await anext(dependency))
        with pytest.raises(StopAsyncIteration):
            await anext(dependency)

    run_in_own_loop(run, timeout=10)
    return closed_in or ["event loop"]


def test_a_committed_session_is_closed_without_a_thread(engine, monkeypatch):
    def read_then_commit(session):
        session.execute(text("SELECT 1"))
        session.commit()

    assert _session_dependency_run(engine, monkeypatch, read_then_commit) == ["event loop"]
    assert engine.pool.checkedout() == 0


def test_a_session_in_a_transaction_is_rolled_back_in_a_thread(engine, monkeypatch):
    def read(session):
        session.execute(text("SELECT 1"))
        assert engine.pool.checkedout() == 1

    assert _session_dependency_run(engine, monkeypatch, read) == ["thread"]
    assert engine.pool.checkedout() == 0


def test_a_write_session_ends_the_dependencies_read_and_begins_immediate(engine):
    """WriteSessionDep: what the dependencies read (the token, the path) was read in a read
    transaction; the write transaction after it takes SQLite's write lock at BEGIN, and so
    does each later one."""
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        with Session(engine, expire_on_commit=False) as session:
            session.execute(text("SELECT 1"))  # a dependency's read
            assert run_in_own_loop(lambda: session_module.get_write_session(session)) is session
            for _ in range(2):
                session.execute(text("SELECT 1"))
                session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    begins = [s for s in statements if s.startswith("BEGIN")]
    if engine.dialect.name == "sqlite":
        assert begins == ["BEGIN", "BEGIN IMMEDIATE", "BEGIN IMMEDIATE"]
    else:
        assert "BEGIN IMMEDIATE" not in statements
