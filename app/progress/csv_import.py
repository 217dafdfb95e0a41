"""Bulk load of progress updates from CSV: the same validation as the API, all rows or none."""

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import begin_write
from app.models import Candidate, User
from app.progress.ingest import UpdateSet, add_progress_updates
from app.progress.schemas import ProgressUpdateCreate

COLUMNS = ("candidate", "benchmark", "indicator", "value", "as_of", "source", "note",
           "supersedes", "vintage", "published_on", "observation_status")
REQUIRED = ("candidate", "value", "as_of", "source")
OPTIONAL = ("note", "supersedes", "vintage", "published_on", "observation_status")

_number = TypeAdapter(float)


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


class ImportRefused(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} bad row(s); nothing was stored")
        self.errors = errors


def _value(text: str) -> float | str:
    """A cell that reads as a number is a number; anything else is a stage key."""
    try:
        return _number.validate_python(text.strip())
    except ValidationError:
        return text.strip()


def _parse(row: dict[str, str], line: int) -> tuple[ProgressUpdateCreate | None, list[RowError]]:
    missing = [c for c in REQUIRED if not (row.get(c) or "").strip()]
    if not (row.get("indicator") or "").strip() and not (row.get("benchmark") or "").strip():
        missing.append("indicator")
    if missing:
        return None, [RowError(line, c, "is empty") for c in missing]
    fields: dict[str, Any] = {
        "value": _value(row["value"]), "as_of": row["as_of"].strip(), "source": row["source"],
    }
    for column in ("indicator", "benchmark", *OPTIONAL):
        if (row.get(column) or "").strip():
            fields[column] = row[column] if column == "note" else row[column].strip()
    try:
        return ProgressUpdateCreate.model_validate(fields), []
    except ValidationError as exc:
        return None, [RowError(line, ".".join(str(p) for p in e["loc"][:1]), e["msg"])
                      for e in exc.errors()]


def import_progress_updates(
    session: Session,
    path: Path,
    *,
    author: User,
    progress: Callable[[Iterable[Any]], Iterable[Any]] = lambda rows: rows,
) -> int:
    """Loads every row of the file in one transaction, or none: raises ImportRefused with the
    line number of every bad row. `progress` wraps the row loop (a progress bar)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        unknown_header = set(reader.fieldnames or ()) - set(COLUMNS)
        names = set(reader.fieldnames or ())
        if (not reader.fieldnames or unknown_header or not set(REQUIRED) <= names
                or not names & {"indicator", "benchmark"}):
            raise ImportRefused([RowError(1, "header", f"expected columns {', '.join(COLUMNS)} "
                                          "(indicator or benchmark, not necessarily both)")])
        rows = list(reader)

    begin_write(session)  # with a server writing too, SQLite's lock is taken (queued) up front
    candidates = {c.slug: c for c in session.scalars(select(Candidate))}
    groups: dict[str, list[tuple[int, ProgressUpdateCreate]]] = defaultdict(list)
    errors: list[RowError] = []
    for offset, row in enumerate(progress(rows)):
        line = offset + 2  # the header is line 1
        slug = (row.get("candidate") or "").strip()
        if slug and slug not in candidates:
            errors.append(RowError(line, "candidate", f"no candidate {slug!r}"))
            continue
        item, row_errors = _parse(row, line)
        errors += row_errors
        if item is not None:
            groups[slug].append((line, item))

    sets = [UpdateSet(candidates[slug].id, [item for _, item in numbered], author,
                      [[line] for line, _ in numbered])
            for slug, numbered in groups.items()]
    stored = 0
    for outcome in add_progress_updates(session, sets):
        errors += [RowError(e["loc"][0], str(e["loc"][-1]), e["msg"])
                   for e in outcome.errors + outcome.conflicts]
        stored += len(outcome.updates)
    if errors:
        session.rollback()
        raise ImportRefused(sorted(errors, key=lambda e: e.line))
    session.commit()
    return stored
