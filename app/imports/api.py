"""API of file imports: upload a CSV or XLSX of progress updates, and download its template."""

import asyncio
import contextlib
import hashlib
import threading
from collections.abc import Iterator
from tempfile import SpooledTemporaryFile
from typing import IO, Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.auth.deps import CurrentAnalyst
from app.config import get_settings
from app.db import SessionDep, SessionScope, WriteSessions
from app.errors import ContentTooLarge, DomainError, UnsupportedMediaType
from app.imports.rows import XLSX_TYPE, Format
from app.imports.schemas import ImportResult
from app.imports.service import ImportOutcome, Upload, import_upload
from app.imports.template import build_template, template_csv, template_xlsx
from app.imports.xlsx import Deadline
from app.models import User
from app.progress.idempotency import ExpiredKeys
from app.progress.writer import UpdateWriterDep

router = APIRouter(tags=["imports"])

# The upload enforces its own size limit (the setting import_max_bytes, not max_body_bytes)
# and may take longer than the request deadline to check and store its rows: app/main.py hands
# this path to the middleware that would otherwise apply theirs.
UPLOAD_PATH = "/api/v1/imports"
SPOOL_IN_MEMORY_BYTES = 1024 * 1024

CSV_TYPES = {"text/csv", "application/csv", "text/plain"}
SNIFFED_TYPES = {"", "application/octet-stream"}


def _declared_format(content_type: str) -> Format | None:
    """None: to be told by the body's first bytes (an XLSX is a ZIP file)."""
    media = content_type.split(";")[0].strip().lower()
    if media in CSV_TYPES:
        return "csv"
    if media == XLSX_TYPE:
        return "xlsx"
    if media in SNIFFED_TYPES:
        return None
    raise UnsupportedMediaType(
        f"Send the file itself as the body, with Content-Type text/csv or {XLSX_TYPE} "
        f"(not {media}).")


async def receive_upload(request: Request, limit: int) -> Upload:
    """Streams the body to a spooled file, counting and hashing it; 413 as soon as it passes
    `limit` (at once if Content-Length says so)."""
    declared = request.headers.get("content-length", "")
    too_large = (f"The file is larger than {limit} bytes (the setting "
                 "ACCESSION_IMPORT_MAX_BYTES); split it, or send XLSX, which is smaller.")
    if declared.isdigit() and int(declared) > limit:
        raise ContentTooLarge(too_large, max_bytes=limit)
    fmt = _declared_format(request.headers.get("content-type", ""))
    spool: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ContentTooLarge(too_large, max_bytes=limit)
            if len(head) < 4:
                head += chunk[:4]
            digest.update(chunk)
            spool.write(chunk)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    if fmt is None:
        fmt = "xlsx" if head.startswith(b"PK\x03\x04") else "csv"
    return Upload(spool, fmt, size, digest.hexdigest())


class ImportsBusy(DomainError):
    status_code = 503
    retry_after = 30


class ImportSlots:
    """The imports under way in this process (one per app: app.main): at most `limit` at once
    (the setting imports_at_once), or ImportsBusy before the body is read."""

    def __init__(self) -> None:
        self._running = 0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def slot(self, limit: int) -> Iterator[None]:
        with self._lock:
            if self._running >= limit:
                raise ImportsBusy(f"{limit} import(s) are under way on this server (the "
                                  "setting ACCESSION_IMPORTS_AT_ONCE); try again shortly.")
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1


async def get_import_slots(request: Request) -> ImportSlots:  # no I/O: on the event loop
    slots: ImportSlots = request.app.state.import_slots
    return slots


ImportSlotsDep = Annotated[ImportSlots, Depends(get_import_slots)]


async def cancel_when_client_leaves(request: Request, deadline: Deadline) -> None:
    """Once the body is read, the next message is the client leaving (or the answer sent):
    the import working in its thread, and a reader process, stop then."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
    deadline.cancelled.set()


UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}, "examples": {"csv": {
        "summary": "Two rows (the columns of GET /api/v1/imports/template.csv)",
        # Demo keys; a server's own are in the template's reference sheet.
        "value": "candidate,benchmark,value,as_of,source,vintage\n"
                 "georgia,defence_spending_gdp,2.1,2025-12-31,Ministry of Defence,MoD 2026\n"
                 "georgia,civilian_control_law,submitted,2025-11-15,Parliament register,\n",
    }}},
    XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
}}}


@router.post("/imports", status_code=201, response_model=ImportResult,
             openapi_extra=UPLOAD_BODY,
             responses={200: {"model": ImportResult,
                              "description": "A dry run: every row checked, nothing stored."},
                        413: {"description": "The file is larger than the setting "
                                             "ACCESSION_IMPORT_MAX_BYTES (20 MB by default)."},
                        415: {"description": "Neither CSV nor XLSX."},
                        503: {"description": "As many imports as the setting "
                                             "ACCESSION_IMPORTS_AT_ONCE are under way: "
                                             "Retry-After says when to try again."},
                        422: {"description": "Nothing was stored: `errors` names the bad "
                                             "rows (line, column, value as sent, msg, type), "
                                             "the first 1,000 by line; `error_count` counts "
                                             "them all. A workbook too large unpacked, or an "
                                             "import past ACCESSION_IMPORT_TIMEOUT_SECONDS, "
                                             "is one error on the file."}})
async def create_import(
    request: Request,
    response: Response,
    analyst: CurrentAnalyst,
    write_sessions: WriteSessions,
    writer: UpdateWriterDep,
    import_slots: ImportSlotsDep,
    dry_run: Annotated[bool, Query(description="Check every row and store nothing.")] = False,
    idempotency_key: Annotated[
        str | None,
        Header(min_length=1, max_length=200,
               description="Retrying with the same key and file stores nothing new."),
    ] = None,
) -> ImportResult:
    """Loads progress updates from a CSV or XLSX file sent as the body (the columns of
    `accession import`; the template is at /api/v1/imports/template.xlsx): every row is
    checked as a posted update is, then all are stored in one transaction (201, the counts) or
    none (422 naming the bad rows, the first 1,000). The import is one event,
    `import.created`, with its counts."""
    settings = get_settings()
    with import_slots.slot(settings.imports_at_once):
        deadline = Deadline.after(settings.import_timeout_seconds)
        upload = await receive_upload(request, settings.import_max_bytes)
        watcher = asyncio.create_task(cancel_when_client_leaves(request, deadline))
        try:
            outcome = await run_in_threadpool(_import, write_sessions, upload, analyst,
                                              dry_run, idempotency_key, deadline,
                                              writer.expired_keys)
        finally:
            watcher.cancel()
            upload.file.close()
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    if dry_run:
        response.status_code = 200
    return ImportResult(**outcome.body)


def _import(write_sessions: SessionScope, upload: Upload, analyst: User, dry_run: bool,
            idempotency_key: str | None, deadline: Deadline,
            expired_keys: ExpiredKeys) -> ImportOutcome:
    """The upload, received whole, loaded in a write session of its own: SQLite's write lock
    is held while the rows are checked and stored, not while the file arrives."""
    with write_sessions() as session:
        return import_upload(session, upload, author=analyst, dry_run=dry_run,
                             idempotency_key=idempotency_key, deadline=deadline,
                             expired_keys=expired_keys)


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


@router.get("/imports/template.xlsx", response_class=Response,
            responses={200: {"content": {XLSX_TYPE: {}},
                             "description": "The template workbook."}})
def import_template_xlsx(session: SessionDep) -> Response:
    """A workbook to fill: sheet "updates" has the columns and one example row per indicator
    kind; sheet "reference" lists every candidate slug, indicator key (kind, unit, sane range),
    benchmark key and stage, with English and French labels, as the database holds them now."""
    return Response(template_xlsx(build_template(session)), media_type=XLSX_TYPE,
                    headers=_attachment("accession-import-template.xlsx"))


@router.get("/imports/template.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "The template."}})
def import_template_csv(session: SessionDep) -> Response:
    """The columns and one example row per indicator kind (the lists of keys are in the
    XLSX template's second sheet)."""
    return Response(template_csv(build_template(session)), media_type="text/csv; charset=utf-8",
                    headers=_attachment("accession-import-template.csv"))
