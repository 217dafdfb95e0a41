"""Test fixtures. Every database test runs twice: on SQLite and on a real PostgreSQL server
(`ACCESSION_TEST_POSTGRES_URL`, which `make test` provides by starting a throwaway server).
Schemas are made by the real migrations; each test runs inside a transaction rolled back at
its end."""

import asyncio
import contextlib
import os
import threading
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.auth.service import create_user, issue_token
from app.cli import run_migrations
from app.config import get_settings
from app.db import SessionScope, get_session, get_write_sessions, make_engine
from app.main import create_app
from app.progress.writer import UpdateWriter

POSTGRES_URL = os.environ.get("ACCESSION_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("ACCESSION_TEST_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]


def upgrade(engine: Engine, revision: str = "head") -> None:
    run_migrations(engine, revision, configure_logger=False)


def downgrade(engine: Engine, revision: str) -> None:
    run_migrations(engine, revision, down=True, configure_logger=False)


class DatabaseFactory:
    """Makes empty databases of one backend and drops them at the end of the run."""

    def __init__(self, backend: str, tmp_dir: Path) -> None:
        self.backend = backend
        self.tmp_dir = tmp_dir
        self.engines: list[Engine] = []
        self.pg_databases: list[str] = []

    def create(self) -> Engine:
        name = f"accession_test_{uuid.uuid4().hex[:12]}"
        if self.backend == "sqlite":
            engine = make_engine(f"sqlite:///{self.tmp_dir / name}.db")
        else:
            admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            self.pg_databases.append(name)
            url = make_url(POSTGRES_URL).set(database=name)
            engine = make_engine(url.render_as_string(hide_password=False))
        self.engines.append(engine)
        return engine

    def close(self) -> None:
        for engine in self.engines:
            engine.dispose()
        if self.pg_databases:
            admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                for name in self.pg_databases:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def databases(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[DatabaseFactory]:
    backend = request.param
    if backend == "postgresql" and not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("ACCESSION_TEST_POSTGRES_URL is not set but PostgreSQL is required")
        pytest.skip("PostgreSQL tests need ACCESSION_TEST_POSTGRES_URL (make test sets it)")
    factory = DatabaseFactory(backend, tmp_path_factory.mktemp(backend))
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def engine(databases: DatabaseFactory) -> Engine:
    """A migrated database holding the demo data set, shared by the run's tests."""
    from app.demo import load_demo

    engine = databases.create()
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    return engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose every commit is a savepoint inside one transaction rolled back at the
    end, so each test sees the demo data and leaves nothing behind."""
    with engine.connect() as connection:
        transaction = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint",
                     expire_on_commit=False) as session:
            yield session
        transaction.rollback()


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    """The app, reading and writing in the test's session. Its rate limits, remembered tokens,
    caches and writer are its own (create_app makes them), so no test sees another's."""
    # The response cache trusts the change feed, which cannot see a test's uncommitted writes;
    # it is tested against a real server in tests/web/test_response_cache.py.
    app = create_app(response_cache=False)
    app.state.change_feed.session_factory = lambda: Session(session.get_bind().engine)
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_write_sessions] = lambda: no_close(session)
    app.state.update_writer = UpdateWriter(no_close(session))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


def no_close(session: Session) -> SessionScope:
    """A session scope that hands out this one session and leaves it open: the writes of the
    app under test go into the test's transaction."""
    return lambda: contextlib.nullcontext(session)


def run_in_own_loop(make: Callable[[], Coroutine[Any, Any, Any]], *, timeout: float = 30) -> Any:
    """Runs the coroutine `make()` in an event loop of a thread of its own, and returns its
    result: a test that ran before on this worker may have left an event loop running in this
    thread (Playwright's sync API does)."""
    result: list[Any] = []
    failures: list[BaseException] = []

    def in_own_loop() -> None:
        try:
            result.append(asyncio.run(make()))
        except BaseException as exc:  # handed to the test below
            failures.append(exc)

    thread = threading.Thread(target=in_own_loop)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"the coroutine did not finish within {timeout} s"
    if failures:
        raise failures[0]
    return result[0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def analyst(session):
    return create_user(session, "ana", "analyst")


@pytest.fixture
def analyst_headers(session, analyst) -> dict[str, str]:
    return bearer(issue_token(session, analyst).token)


@pytest.fixture
def second_analyst_headers(session) -> dict[str, str]:
    return bearer(issue_token(session, create_user(session, "bob", "analyst")).token)


@pytest.fixture
def admin_headers(session) -> dict[str, str]:
    return bearer(issue_token(session, create_user(session, "root", "admin")).token)


@pytest.fixture
def empty_engine(databases: DatabaseFactory) -> Engine:
    """A new, empty database (no tables) of the current backend."""
    return databases.create()


@pytest.fixture
def setting(monkeypatch):
    """Sets ACCESSION_<name> for the test: settings are read again then, and after it."""
    def set_(name: str, value: str) -> None:
        monkeypatch.setenv(f"ACCESSION_{name}", value)
        get_settings.cache_clear()
    yield set_
    get_settings.cache_clear()
