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
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import get_settings
from app.events.service import record_event
from app.imports.rows import (
    Format,
    ImportRefused,
    RowError,
    file_rows,
    parse_row,
)
from app.imports.xlsx import Deadline
from app.models import Candidate, IdempotencyKey, User, utcnow
from app.progress.idempotency import ExpiredKeys, purge_expired_keys, stored_answer
from app.progress.ingest import UpdateSet, add_progress_updates
from app.progress.schemas import ProgressUpdateCreate
from app.status_feed import StatusWatch

# Rows checked (and inserted) together: one indicator query and two inserts per chunk.
CHUNK_ROWS = 2000
# A refusal lists this many problems (the first by line) and counts the rest in `error_count`:
# naming each of 100,000 bad rows was 17 MiB of JSON, held in memory twice over.
LISTED_ERRORS = 1000


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
            parsed = parse_row(row, line)
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
    expired_keys: ExpiredKeys | None = None,
) -> ImportOutcome:
    """Stores every row of the uploaded file, with one event `import.created` holding the
    counts, and answers the counts; or raises ImportRefused naming the bad rows. A dry run
    checks as much (inserting inside the transaction, so a correction chain is checked as it
    would be) and rolls back. A key seen before for the same file replays its first answer;
    expired keys are purged first, as often as `expired_keys` (the app's throttle) allows.
    In a write session (app.db)."""
    request_hash = _request_hash(upload, dry_run)
    expired_before = utcnow() - timedelta(hours=get_settings().idempotency_key_hours)
    if idempotency_key is not None and not dry_run:
        purge_expired_keys(session, expired_before, expired_keys)
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
