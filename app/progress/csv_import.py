"""`accession import`: progress updates from a CSV (or XLSX) file on this machine, checked as
the API checks them, all rows or none (app/imports/service.py does the work)."""

import contextlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.imports.service import (
    COLUMNS,
    OPTIONAL,
    REQUIRED,
    ImportRefused,
    RowError,
    file_rows,
    load_rows,
)
from app.models import User

__all__ = ["COLUMNS", "OPTIONAL", "REQUIRED", "ImportRefused", "RowError",
           "import_progress_updates"]


def import_progress_updates(
    session: Session,
    path: Path,
    *,
    author: User,
    progress: Callable[[Iterable[Any]], Iterable[Any]] = lambda rows: rows,
    dry_run: bool = False,
) -> int:
    """Loads every row of the file in one transaction, or none: raises ImportRefused with the
    line, column and value of every bad row. `progress` wraps the row loop (a progress bar).
    A dry run checks everything and stores nothing; it answers how many rows would be stored.
    Each update gets its event, as one posted through the API does."""
    fmt = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
    with path.open("rb") as handle, contextlib.closing(file_rows(handle, fmt)) as rows:
        loaded = load_rows(session, progress(rows), author=author)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return loaded.stored
