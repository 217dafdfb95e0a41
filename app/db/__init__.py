"""The database plumbing: Base (base.py), the engine and sessions with their dependencies
(session.py: SessionDep reads, WriteSessionDep writes), what is particular to SQLite
(sqlite.py: WAL, the writers' lock), many rows in one INSERT (bulk.py), and the one "changes
committed" hook (changes.py)."""

from app.db.base import NAMING_CONVENTION, Base
from app.db.changes import note_changes, subscribe
from app.db.session import (
    SessionDep,
    SessionScope,
    WriteSessionDep,
    WriteSessions,
    get_engine,
    get_session,
    get_sessionmaker,
    get_write_session,
    get_write_sessionmaker,
    get_write_sessions,
    make_engine,
)

__all__ = [
    "NAMING_CONVENTION", "Base", "SessionDep", "SessionScope", "WriteSessionDep",
    "WriteSessions", "get_engine", "get_session", "get_sessionmaker", "get_write_session",
    "get_write_sessionmaker", "get_write_sessions", "make_engine", "note_changes", "subscribe",
]
