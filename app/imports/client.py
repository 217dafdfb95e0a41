"""`accession upload`: sends a file to a server's POST /api/v1/imports, streamed from disk with a
progress bar, and says what the server answered: what was stored, or a table of the rows it
refused."""

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from app.imports.rows import XLSX_TYPE

STORED, REFUSED, UNREACHABLE = 0, 1, 2
CONTENT_TYPES = {".csv": "text/csv", ".xlsx": XLSX_TYPE}
CHUNK_BYTES = 256 * 1024
# Sending is quick; checking and storing 100,000 rows takes the server a while to answer.
TIMEOUT = httpx.Timeout(30.0, read=600.0)
# The server is there but cannot serve now (its database, a proxy): try again later.
UNAVAILABLE = {502, 503, 504}


class UploadFailed(Exception):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def imports_url(url: str) -> str:
    base = url.rstrip("/")
    return base if base.endswith("/api/v1/imports") else f"{base}/api/v1/imports"


def _console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    # A table piped to a file or a test keeps its cells whole.
    return Console(file=stream, width=None if stream.isatty() else 200)


def upload_file(path: Path, url: str, token: str, *, dry_run: bool = False) -> str:
    """What to print when the server stored the rows (or found them all valid); raises
    UploadFailed with the exit status otherwise, having printed the refused rows."""
    content_type = CONTENT_TYPES.get(path.suffix.lower())
    if content_type is None:
        raise UploadFailed(f"{path.name}: send a .csv or .xlsx file.", REFUSED)
    size = path.stat().st_size
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                        DownloadColumn(), TransferSpeedColumn(), TimeElapsedColumn(),
                        console=_console(stderr=True), transient=True)

    def chunks() -> Iterator[bytes]:
        sending = progress.add_task(f"Uploading {path.name}", total=size)
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                progress.advance(sending, len(chunk))
                yield chunk
        progress.add_task("Checking the rows on the server", total=None)

    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type,
               "Content-Length": str(size), "Accept": "application/json"}
    try:
        with progress:
            response = httpx.post(imports_url(url), content=chunks(), headers=headers,
                                  params={"dry_run": "true"} if dry_run else None,
                                  timeout=TIMEOUT)
    except httpx.TransportError as exc:
        if isinstance(exc, httpx.WriteError | httpx.RemoteProtocolError):
            # The server may have answered (413) and closed before the whole file was sent.
            raise UploadFailed(f"The server closed the connection while {path.name} was being "
                               f"sent ({type(exc).__name__}); is the file within its size "
                               "limit?", UNREACHABLE) from exc
        raise UploadFailed(f"Could not reach {imports_url(url)}: {exc or type(exc).__name__}",
                           UNREACHABLE) from exc
    return _answer(response, path, dry_run)


def _answer(response: httpx.Response, path: Path, dry_run: bool) -> str:
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {}
    if response.status_code in (200, 201) and "rows" in body:
        if dry_run:
            return (f"Dry run: {body['rows']} rows of {path.name} checked, all valid; nothing "
                    "was stored.")
        replayed = (" (an earlier upload of the same file with the same key)"
                    if response.headers.get("Idempotent-Replayed") == "true" else "")
        return (f"Stored {body['stored']} progress updates for {body['candidates']} "
                f"candidate(s) from {path.name}: import {body['id']}{replayed}.")
    detail = body.get("detail") or response.text[:500] or response.reason_phrase
    if response.status_code in UNAVAILABLE:
        raise UploadFailed(f"The server is unavailable ({response.status_code}): {detail}",
                           UNREACHABLE)
    errors = body.get("errors") or []
    if errors and all("line" in e for e in errors):
        _print_table(errors)
        total = max(body.get("error_count") or 0, len(errors))
        found = (f"{total} problem(s) in {len({e['line'] for e in errors})} row(s)"
                 if total == len(errors) else f"{total} problem(s), the first {len(errors)} shown,")
        raise UploadFailed(f"{found} of {path.name}; nothing was stored.", REFUSED)
    raise UploadFailed(f"Refused ({response.status_code}): {detail}", REFUSED)


def _print_table(errors: list[dict[str, Any]]) -> None:
    table = Table("Line", "Column", "Value", "Problem", "Type")
    for e in errors:
        value = e.get("value")
        table.add_row(str(e["line"]), str(e.get("column", "")),
                      "" if value is None else repr(value), str(e.get("msg", "")),
                      str(e.get("type", "")))
    _console().print(table)
