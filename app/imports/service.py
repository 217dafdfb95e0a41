"""File imports of progress updates, CSV or XLSX: each row read and checked as the API checks one
update, then every row stored in one transaction, or nothing stored and the bad rows named
(line, column, the value as sent, why; the first LISTED_ERRORS, and how many in all). The API's
upload and `accession import` both load here.

Rows are read from the file and checked in chunks, so memory holds one chunk (and the first
errors), not the file: a 100,000-row sheet is never a list of 100,000 objects. The chunks are
inserted as they pass, inside the one write transaction; the first bad row stops the inserting
(the transaction will be rolled back) but not the checking, so one answer names the bad rows.
"""

import contextlib
import csv
import hashlib
import io
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import InvalidInput, in_words
from app.events.service import record_event
from app.imports.xlsx import Deadline, Limits, NotAWorkbook, sheet_texts
from app.models import Candidate, IdempotencyKey, User, utcnow
from app.progress.idempotency import expired_keys, stored_answer
from app.progress.ingest import UpdateSet, add_progress_updates
from app.progress.schemas import ProgressUpdateCreate
from app.status_feed import StatusWatch

COLUMNS = ("candidate", "benchmark", "indicator", "value", "as_of", "source", "note",
           "supersedes", "vintage", "published_on", "observation_status", "assessed_by")
REQUIRED = ("candidate", "value", "as_of", "source")
OPTIONAL = ("note", "supersedes", "vintage", "published_on", "observation_status",
            "assessed_by")
DATE_COLUMNS = ("as_of", "published_on")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Format = Literal["csv", "xlsx"]

# Rows checked (and inserted) together: one indicator query and two inserts per chunk.
CHUNK_ROWS = 2000
# A refusal lists this many problems (the first by line) and counts the rest in `error_count`:
# naming each of 100,000 bad rows was 17 MiB of JSON, held in memory twice over.
LISTED_ERRORS = 1000
# A value quoted in a refusal is cut to this many characters, a message (which may quote one)
# to twice as many: a CSV cell may hold 131,072, and a thousand of them would be the answer.
QUOTED_CHARS = 500
# A CSV line longer than this is refused: a line of commas alone would be a list of millions
# of empty cells.
CSV_LINE_CHARS = 1024 * 1024


def _quoted(text: str, limit: int = QUOTED_CHARS) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


@dataclass(frozen=True)
class RowError:
    """One broken rule of one row. `line` is the file's line (CSV) or row (XLSX), the header
    being 1; `value` is the cell as sent (None when the rule is about the file or its header),
    cut past QUOTED_CHARS; `type` a stable code a program can act on."""

    line: int
    column: str
    message: str
    value: str | None = None
    type: str = "value_error"

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", _quoted(self.message, 2 * QUOTED_CHARS))
        if self.value is not None:
            object.__setattr__(self, "value", _quoted(self.value))

    def __str__(self) -> str:
        sent = f" {self.value!r}" if self.value not in (None, "") else ""
        return f"line {self.line}, {self.column}{sent}: {self.message}"

    def as_problem(self) -> dict[str, Any]:
        """An item of the 422's `errors`: the fields of the API's other 422s (loc, field, msg,
        type) and the row's (line, column, value)."""
        return {"line": self.line, "column": self.column, "value": self.value,
                "msg": self.message, "type": self.type, "loc": ["body", self.line, self.column],
                "field": f"line {self.line}, {self.column}"}


class ImportRefused(InvalidInput):
    """Nothing was stored: the bad rows are in `errors` (a 422 through the API), the first
    LISTED_ERRORS of them by line; `error_count` counts them all."""

    def __init__(self, errors: list[RowError], error_count: int | None = None) -> None:
        self.row_errors = errors
        self.error_count = max(error_count or 0, len(errors))
        lines = len({e.line for e in errors})
        first = "; ".join(str(e) for e in errors[:3])
        more = f" (and {self.error_count - 3} more)" if self.error_count > 3 else ""
        found = (f"{self.error_count} problem(s) in {lines} row(s)"
                 if self.error_count == len(errors) else
                 f"{self.error_count} problem(s), the first {len(errors)} listed")
        super().__init__(f"{found}; nothing was stored. {first}{more}",
                         [e.as_problem() for e in errors])
        self.extra["error_count"] = self.error_count

    @property
    def errors(self) -> list[RowError]:  # type: ignore[override]
        return self.row_errors


# Reading: a file's rows as (line, {column: text}), the header checked first.

def _check_header(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells.pop()
    names = set(cells)
    expected = (f"expected columns {', '.join(COLUMNS)} (indicator or benchmark, not "
                "necessarily both)")
    errors = [RowError(1, name or "header", f"unknown column: {expected}", name, "unknown_column")
              for name in cells if name not in COLUMNS]
    errors += [RowError(1, name, f"missing column: {expected}", None, "missing_column")
               for name in REQUIRED if name not in names]
    if not names & {"indicator", "benchmark"}:
        errors.append(RowError(1, "indicator", f"missing column: {expected}", None,
                               "missing_column"))
    errors += [RowError(1, name, "column given twice", name, "duplicate_column")
               for name, n in Counter(cells).items() if n > 1 and name]
    if errors:
        raise ImportRefused(errors)
    return cells


def _row(header: list[str], cells: list[str], line: int) -> dict[str, str] | RowError:
    extra = [c for c in cells[len(header):] if c.strip()]
    if extra:
        return RowError(line, "row", f"{len(cells)} cells where the header has {len(header)}",
                        extra[0], "extra_cells")
    return dict(zip(header, cells, strict=False))


def csv_rows(handle: IO[bytes]) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    """UTF-8 (with or without a byte-order mark), as spreadsheets save "CSV UTF-8"."""
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")

    def lines() -> Iterator[str]:
        while line := text.readline(CSV_LINE_CHARS + 1):
            if len(line) > CSV_LINE_CHARS:
                raise csv.Error(f"a line is longer than {CSV_LINE_CHARS:,} characters")
            yield line

    reader = csv.reader(lines())
    try:
        try:
            header = _check_header([c.strip() for c in next(reader)])
        except StopIteration:
            raise ImportRefused([RowError(1, "header", "the file is empty", None,
                                          "empty_file")]) from None
        for cells in reader:
            if any(c.strip() for c in cells):
                yield reader.line_num, _row(header, cells, reader.line_num)
    except UnicodeDecodeError:
        raise ImportRefused([RowError(reader.line_num + 1, "file", "not UTF-8 text: save the "
                                      "sheet as CSV UTF-8, or send XLSX", None,
                                      "not_utf8")]) from None
    except csv.Error as exc:
        raise ImportRefused([RowError(reader.line_num, "file", f"not readable as CSV: {exc}",
                                      None, "malformed_csv")]) from None
    finally:
        text.detach()  # the caller closes the file


def xlsx_rows(handle: IO[bytes], deadline: Deadline | None = None
              ) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    """The workbook's first sheet (the template's "updates"), row by row as it is
    decompressed; the header is its first row that has a cell."""
    settings = get_settings()
    rows = sheet_texts(handle, Limits(unpacked_bytes=settings.import_max_unpacked_bytes),
                       deadline)
    try:
        try:
            _, first = next(rows)
        except StopIteration:
            raise ImportRefused([RowError(1, "header", "the first sheet is empty", None,
                                          "empty_file")]) from None
        header = _check_header([c.strip() for c in first])
        for line, cells in rows:
            if any(c.strip() for c in cells):
                yield line, _row(header, cells, line)
    except NotAWorkbook as exc:
        message = f"not an XLSX workbook ({exc})" if exc.type == "not_xlsx" else str(exc)
        raise ImportRefused([RowError(1, "file", message, None, exc.type)]) from None
    finally:
        rows.close()  # a reader in a child process is stopped


def file_rows(handle: IO[bytes], fmt: Format, deadline: Deadline | None = None
              ) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    return xlsx_rows(handle, deadline) if fmt == "xlsx" else csv_rows(handle)


# Checking one row: the same schema as the API's, with the row's words for its mistakes.

def _value(text: str) -> float | str:
    """A cell that reads as a number is a number; anything else is a stage key."""
    text = text.strip()
    if "_" not in text:  # float() would read 1_000 as a number; a stage key, or a typo
        with contextlib.suppress(ValueError):
            return float(text)
    return text


def _parse(row: dict[str, str], line: int) -> ProgressUpdateCreate | list[RowError]:
    cells = {column: stripped for column, text in row.items() if (stripped := text.strip())}
    missing = [c for c in REQUIRED if c not in cells]
    if "indicator" not in cells and "benchmark" not in cells:
        missing.append("indicator")
    errors = [RowError(line, c, "is empty" if c != "indicator" else "is empty: name the "
                       "indicator (or a benchmark) measured", "", "missing") for c in missing]
    fields: dict[str, Any] = {"value": _value(row.get("value") or ""),
                              "as_of": cells.get("as_of", ""), "source": row.get("source") or ""}
    for column in ("indicator", "benchmark", *OPTIONAL):
        if column in cells:
            fields[column] = row[column] if column == "note" else cells[column]
    if "supersedes" in fields:
        if fields["supersedes"].isdigit():
            fields["supersedes"] = int(fields["supersedes"])
        else:
            errors.append(RowError(line, "supersedes", "use the id (a whole number) of the "
                                   "update this row corrects", row["supersedes"], "not_an_id"))
            del fields["supersedes"]
    try:
        item = ProgressUpdateCreate.model_validate(fields)
    except ValidationError as exc:
        for e in exc.errors():
            column = str(e["loc"][0]) if e["loc"] else "row"
            if column in missing:
                continue
            message, kind = in_words(e)  # the API's words and codes
            if column in DATE_COLUMNS and kind == "invalid_datetime":
                message, kind = "not a date: use YYYY-MM-DD", "invalid_date"
            errors.append(RowError(line, column, message, row.get(column), kind))
        return errors
    return errors or item


# Loading: check every row, insert those of chunks that pass, in one transaction.

@dataclass
class Loaded:
    rows: int = 0
    stored: int = 0
    by_candidate: Counter[str] = field(default_factory=Counter)
    indicators: set[str] = field(default_factory=set)
    first_update_id: int | None = None
    last_update_id: int | None = None


def load_rows(
    session: Session, rows: Iterable[tuple[int, dict[str, str] | RowError]], *, author: User,
    each_event: bool = True, deadline: Deadline | None = None,
) -> Loaded:
    """Checks every row and inserts them in the session's transaction, in a write session
    (app.db: on SQLite it holds the write lock from its BEGIN, so nothing checked here changes
    before the commit); raises ImportRefused naming the bad rows, the transaction rolled back.
    The caller commits (or rolls back: a dry run). With `each_event`, each update gets its
    event; without, the caller records one for the file."""
    candidates = dict(session.execute(select(Candidate.slug, Candidate.id)).all())
    loaded = Loaded()
    statuses = StatusWatch()  # each benchmark read once before its first row, once at the end
    errors: list[RowError] = []
    chunk: list[tuple[int, dict[str, str]]] = []

    def check(chunk: list[tuple[int, dict[str, str]]]) -> None:
        raw = dict(chunk)
        groups: dict[str, tuple[list[ProgressUpdateCreate], list[list[Any]]]] = {}
        for line, row in chunk:
            slug = (row.get("candidate") or "").strip()
            parsed = _parse(row, line)
            if slug and slug not in candidates:
                errors.append(RowError(line, "candidate", f"no candidate {slug!r}",
                                       row.get("candidate"), "unknown_candidate"))
            elif isinstance(parsed, ProgressUpdateCreate):
                items, locations = groups.setdefault(slug, ([], []))
                items.append(parsed)
                locations.append([line])
            if isinstance(parsed, list):
                errors.extend(parsed)
        sets = [UpdateSet(candidates[slug], items, author, locations)
                for slug, (items, locations) in groups.items()]
        outcomes = add_progress_updates(session, sets, store=not errors, events=each_event,
                                        statuses=statuses)
        for slug, outcome in zip(groups, outcomes, strict=True):
            for e in outcome.errors + outcome.conflicts:
                line, column = e["loc"][0], str(e["loc"][-1])
                errors.append(RowError(line, column, e["msg"], raw[line].get(column),
                                       e["type"]))
            if outcome.updates:
                loaded.stored += len(outcome.updates)
                loaded.by_candidate[slug] += len(outcome.updates)
                loaded.indicators.update(u.indicator for u in outcome.updates)
                ids = [u.id for u in outcome.updates]
                loaded.first_update_id = min(loaded.first_update_id or min(ids), min(ids))
                loaded.last_update_id = max(loaded.last_update_id or 0, max(ids))

    unlisted = 0

    def keep_first_errors() -> None:
        # Chunks come in line order: sorted and cut after each, the list keeps the first.
        nonlocal unlisted
        if len(errors) > LISTED_ERRORS:
            errors.sort(key=lambda e: e.line)
            unlisted += len(errors) - LISTED_ERRORS
            del errors[LISTED_ERRORS:]

    try:
        for line, row in rows:
            if deadline is not None and deadline.passed():
                raise ImportRefused([RowError(
                    line, "file", f"the import took longer than the server allows "
                    f"({get_settings().import_timeout_seconds:g} s, the setting "
                    "ACCESSION_IMPORT_TIMEOUT_SECONDS); rows from here on were not checked: "
                    "split the file", None,
                    "cancelled" if deadline.cancelled.is_set() else "import_timeout")])
            loaded.rows += 1
            if isinstance(row, RowError):
                errors.append(row)
                if len(errors) > 2 * LISTED_ERRORS:
                    keep_first_errors()
                continue
            chunk.append((line, row))
            if len(chunk) >= CHUNK_ROWS:
                check(chunk)
                keep_first_errors()
                chunk = []
        if chunk:
            check(chunk)
        if not loaded.rows and not errors:
            errors.append(RowError(2, "row", "the file has a header but no rows", None,
                                   "no_rows"))
    except ImportRefused as refused:  # the file itself: header, encoding, format, time
        errors = refused.errors + errors
    if errors:
        session.rollback()
        total = len(errors) + unlisted
        keep_first_errors()
        errors.sort(key=lambda e: e.line)
        raise ImportRefused(errors, total)
    statuses.record(session)
    return loaded


# The API's upload: one event, and an Idempotency-Key as for updates.

@dataclass(frozen=True)
class Upload:
    """A request body spooled to a file (memory, then disk past a megabyte), with what was
    learnt while receiving it."""

    file: IO[bytes]
    format: Format
    size: int
    sha256: str


@dataclass(frozen=True)
class ImportOutcome:
    body: dict[str, Any]  # ImportResult's fields
    replayed: bool = False


def _request_hash(upload: Upload, dry_run: bool) -> str:
    canonical = json.dumps(["POST", "/api/v1/imports", {"dry_run": dry_run},
                            upload.format, upload.sha256])
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(session: Session, user: User, key: str, request_hash: str,
            expired_before: datetime) -> dict[str, Any] | None:
    body: dict[str, Any] | None = stored_answer(session, user, key, request_hash, "import",
                                                expired_before=expired_before)
    return body


def import_upload(
    session: Session, upload: Upload, *, author: User, dry_run: bool = False,
    idempotency_key: str | None = None, deadline: Deadline | None = None,
) -> ImportOutcome:
    """Stores every row of the uploaded file, with one event `import.created` holding the
    counts, and answers the counts; or raises ImportRefused naming the bad rows. A dry run
    checks as much (inserting inside the transaction, so a correction chain is checked as it
    would be) and rolls back. A key seen before for the same file replays its first answer.
    In a write session (app.db)."""
    request_hash = _request_hash(upload, dry_run)
    expired_before = utcnow() - timedelta(hours=get_settings().idempotency_key_hours)
    if idempotency_key is not None and not dry_run:
        expired_keys.purge(session, expired_before)
        replayed = _replay(session, author, idempotency_key, request_hash, expired_before)
        session.commit()  # the purge stands whatever the loading does
        if replayed is not None:
            return ImportOutcome(replayed, replayed=True)
    # Closed here, not when collected: a reader process stops as soon as the loading does.
    with contextlib.closing(file_rows(upload.file, upload.format, deadline)) as rows:
        loaded = load_rows(session, rows, author=author, each_event=False, deadline=deadline)
    body = {"id": None if dry_run else uuid.uuid4().hex, "dry_run": dry_run,
            "format": upload.format, "bytes": upload.size, "rows": loaded.rows,
            "stored": 0 if dry_run else loaded.stored,
            "candidates": len(loaded.by_candidate), "indicators": len(loaded.indicators),
            "by_candidate": dict(sorted(loaded.by_candidate.items())),
            "first_update_id": None if dry_run else loaded.first_update_id,
            "last_update_id": None if dry_run else loaded.last_update_id}
    if dry_run:
        session.rollback()
        return ImportOutcome(body)
    record_event(session, kind="import.created", entity="import", entity_id=body["id"],
                 actor=author, after={k: v for k, v in body.items() if k != "dry_run"})
    if idempotency_key is not None:
        session.add(IdempotencyKey(user_id=author.id, key=idempotency_key,
                                   request_hash=request_hash, status_code=201,
                                   response={"import": body}))
    try:
        session.commit()
    except IntegrityError:
        # The same key's first request committed while this one was loading: its answer.
        session.rollback()
        if idempotency_key is None:
            raise
        replayed = _replay(session, author, idempotency_key, request_hash, expired_before)
        if replayed is None:
            raise
        return ImportOutcome(replayed, replayed=True)
    return ImportOutcome(body)


# `accession import`: a file on this machine, each update with its event as one posted through
# the API is.

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
