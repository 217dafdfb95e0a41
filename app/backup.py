"""Consistent copies of a live SQLite database, through SQLite's online backup API: writers
carry on while the copy is made, and the copy is the database as of one moment. PostgreSQL has
its own tools (pg_dump, pg_basebackup); see README."""

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

PAGES_PER_STEP = 1024  # copy in steps so writers are not held up for the whole copy


class BackupError(Exception):
    pass


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError(
            "accession backup copies SQLite databases; for PostgreSQL use pg_dump "
            "(see README, 'Backups')."
        )
    return Path(url.database)


def check_database(path: Path) -> None:
    """Refuses a file that is not a sound tracker database."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} fails SQLite's integrity check.")
            connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a tracker database: {exc}") from exc


def backup_database(database_url: str, target: Path) -> Path:
    source_path = sqlite_path(database_url)
    check_database(source_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(source_path) as source, sqlite3.connect(partial) as copy:
        source.backup(copy, pages=PAGES_PER_STEP)
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    check_database(partial)
    partial.replace(target)  # the backup appears whole or not at all
    return target


def restore_database(database_url: str, backup: Path) -> Path:
    """Copies a backup over the live database (stop the server first)."""
    live_path = sqlite_path(database_url)
    check_database(backup)
    live_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(backup) as source, sqlite3.connect(live_path) as live:
        source.backup(live)
    check_database(live_path)
    return live_path
