"""What is particular to SQLite: its connections' settings (WAL, FULL sync, foreign keys), the
BEGIN that SQLAlchemy emits for it, and one writer at a time, queued in the application
instead of in SQLite's busy handler.

SQLite lets one transaction write at once. A writer that finds the lock taken sleeps in its busy
handler in growing steps (up to 100 ms each) and retries, so under a steady stream of writes the
unlucky one waits seconds while others pass it. Here writers queue on a lock of their own before
BEGIN IMMEDIATE: threads of one process on a threading lock (woken the moment it is free), the
processes of one database on an flock on a file beside it (polled every millisecond at most). The
lock is released right after COMMIT or ROLLBACK. SQLite's own lock stays the guarantee: a writer
that cannot get this lock within the timeout goes on to BEGIN IMMEDIATE anyway and waits there.
"""

import fcntl
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

# The execution option a write transaction begins with: `BEGIN IMMEDIATE`, the write lock at
# BEGIN (app.db.session's write sessions carry it). Other backends ignore it.
WRITE_BEGIN = {"sqlite_begin": "IMMEDIATE"}

HELD = "sqlite_writer_lock_held"  # in the DBAPI connection's info while it holds the lock


class WriterLock:
    def __init__(self, path: str, timeout_seconds: float) -> None:
        self.path = path
        self.timeout = timeout_seconds
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self) -> bool:
        deadline = time.monotonic() + self.timeout
        if not self._threads.acquire(timeout=self.timeout):
            return False
        pause = 0.0001
        while True:
            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self._threads.release()
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 0.001)
            except OSError:  # no lock file possible (read-only directory): SQLite queues alone
                self._threads.release()
                return False

    def release(self) -> None:
        try:
            fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._threads.release()


def queue_writers(engine: Engine, database_path: str,
                  timeout_seconds: float) -> Callable[[Any], None]:
    """Returns what the engine's `begin` listener calls for an IMMEDIATE transaction: wait
    for the WriterLock, then BEGIN IMMEDIATE. The lock is released after COMMIT or ROLLBACK."""
    lock = WriterLock(f"{database_path}-writers.lock", timeout_seconds)

    def release(info: dict[str, Any]) -> None:
        if info.pop(HELD, False):
            lock.release()

    def begin_immediate(connection: Any) -> None:
        info = connection.connection.info
        info[HELD] = lock.acquire()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            release(info)
            raise

    @event.listens_for(engine, "commit")
    def _commit_then_release(connection: Any) -> None:
        # This event comes before SQLAlchemy's own commit, which then finds nothing to do:
        # the lock must outlive the COMMIT, so the COMMIT is issued here.
        if connection.connection.info.get(HELD):
            try:
                connection.exec_driver_sql("COMMIT")
            finally:
                release(connection.connection.info)

    @event.listens_for(engine, "rollback")
    def _rollback_then_release(connection: Any) -> None:
        if connection.connection.info.get(HELD):
            try:
                connection.connection.dbapi_connection.rollback()
            finally:
                release(connection.connection.info)

    # However else a connection leaves its transaction, the lock goes with it.
    @event.listens_for(engine, "reset")
    def _on_reset(_dbapi: Any, record: Any, _state: Any) -> None:
        release(record.info)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi: Any, record: Any, _exception: Any) -> None:
        release(record.info)

    @event.listens_for(engine, "close")
    def _on_close(_dbapi: Any, record: Any) -> None:
        release(record.info)

    return begin_immediate


def configure_sqlite(engine: Engine, database: str | None, timeout_seconds: float) -> None:
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
