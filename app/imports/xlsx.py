"""The first sheet of an XLSX workbook, row by row, as the text each cell shows.

openpyxl's read-only mode builds objects for every cell (an inline string is parsed into rich-text
objects): 100,000 rows of eleven columns took 40 s on this project's machines. This reads the
sheet's XML as it is decompressed (expat, through ElementTree's iterparse), one row in memory at a
time, and keeps openpyxl for what needs its knowledge: which number formats are dates, and the
spreadsheet epochs. Shared strings are read once into a list (they are the workbook's distinct
strings).

Reading XML in Python still costs about twice what checking and storing the rows does, so a large
workbook is read in a child process (`python -m app.imports.xlsx`, the file as its standard input,
rows as CSV on its standard output): on two cores the reading and the storing overlap, and the
upload takes about as long as the same rows sent as CSV.

A workbook is a client's file: the upload limit bounds only its compressed size (deflate packs
1,000 bytes into one). Every part read is refused past a decompressed size (Limits, counted as
it is decompressed, whatever the ZIP says), parts parsed whole and the shared strings held in
memory have tighter bounds, XML with a DOCTYPE is refused (a workbook never has one: entities
could only expand or reach out), and the child is killed when its deadline passes or the client
leaves, and may use no more memory than RLIMIT_AS allows. The archive's parts (the workbook, its
shared strings and styles) are opened within those limits by app/imports/xlsx_parts.py.
"""

import argparse
import contextlib
import csv
import fcntl
import io
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any
from xml.etree.ElementTree import Element, fromstring

from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from app.imports.xlsx_parts import (
    CELL,
    INLINE,
    ROW,
    VALUE,
    Deadline,
    Limits,
    MiB,
    NotAWorkbook,
    _date_styles,
    _Part,
    _parts,
    _shared_strings,
    _text_of,
    _too_large,
)

# The sheet's XML before <sheetData> (views, column widths), and one row: this import's rows have
# eleven cells, and a cell holds at most 32,767 characters.
SHEET_HEAD_BYTES = 4 * MiB
ROW_BYTES = 4 * MiB

# Excel's last column is XFD.
MAX_COLUMNS = 16_384


def _number(text: str, is_date: bool, epoch: datetime) -> Any:
    number = float(text)
    if is_date:
        return from_excel(number, epoch)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def sheet_rows(handle: IO[bytes], limits: Limits = Limits()  # noqa: B008 (frozen)
               ) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cell values) for each row of the first sheet that has a cell: strings,
    numbers, booleans, dates (datetime) or None for a gap; a cell in error gives its code
    (#N/A). Raises NotAWorkbook if the file is not one, or is past `limits`."""
    try:
        archive = zipfile.ZipFile(handle)
        sheet, strings_path, styles_path, date1904 = _parts(archive, limits)
        strings = _shared_strings(archive, strings_path, limits)
        dates = _date_styles(archive, styles_path, limits)
        member = _Part(archive, sheet, limits.unpacked_bytes)
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError, EOFError,
            zlib.error) as exc:
        raise NotAWorkbook(str(exc)) from None
    epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
    with archive, member:
        try:
            yield from _rows(member, strings, dates, epoch)
        except (ValueError, IndexError, SyntaxError, EOFError, zipfile.BadZipFile,
                zlib.error) as exc:  # SyntaxError: ElementTree's ParseError
            raise NotAWorkbook(f"{type(exc).__name__}: {exc}") from None


WORKSHEET_TAG = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet\b[^>]*>")
SHEET_DATA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData\b[^>]*?(/?)>")
FRAGMENT_BYTES = 1024 * 1024


def _row_batches(member: _Part) -> Iterator[Element]:
    """The sheet's rows, a batch at a time: the XML between <sheetData> and </sheetData> is
    cut after its last complete row, and each piece parsed whole by the C parser inside a copy
    of the sheet's root tag (for its namespaces). Parsing row by row with iterparse spent more
    time handing each element's events to Python than on the rows; text cannot hold a
    literal "</row>" (XML escapes "<"), so the cut is always between rows. What is held
    between two cuts, one row, is bounded (ROW_BYTES)."""
    head = b""
    while (found := SHEET_DATA_TAG.search(head)) is None:
        chunk = member.read(64 * 1024)
        if not chunk:
            raise ValueError("the sheet has no sheetData")
        head += chunk
        if len(head) > SHEET_HEAD_BYTES:
            raise _too_large("the sheet's XML before its rows", SHEET_HEAD_BYTES)
    root = WORKSHEET_TAG.search(head, 0, found.start())
    if root is None:
        raise ValueError("the sheet has no worksheet element")
    if found.group(1):  # <sheetData/>: no rows
        return
    prefix = root.group(1) or b""
    opening, closing = root.group(0), b"</" + prefix + b"worksheet>"
    end_of_row = b"</" + prefix + b"row>"
    end_of_rows = b"</" + prefix + b"sheetData>"
    pending = head[found.end():]
    while True:
        chunk = member.read(FRAGMENT_BYTES)
        pending += chunk
        last = pending.find(end_of_rows)
        if last >= 0 or not chunk:  # what follows the rows (merged cells, links) is not read
            body = pending[:last] if last >= 0 else pending
            if body.strip():
                yield fromstring(opening + body + closing)
            return
        cut = pending.rfind(end_of_row) + len(end_of_row)
        if cut >= len(end_of_row):
            yield fromstring(opening + pending[:cut] + closing)
            pending = pending[cut:]
        pending = pending.lstrip()  # blanks between rows are nothing to keep
        if len(pending) > ROW_BYTES:
            raise _too_large("a row of the sheet", ROW_BYTES)


def _rows(member: _Part, strings: list[str], dates: set[int], epoch: datetime
          ) -> Iterator[tuple[int, list[Any]]]:
    next_row = 1
    columns: dict[str, int] = {}
    for batch in _row_batches(member):
        for element in batch:
            if element.tag != ROW:
                continue
            number = int(element.get("r") or next_row)
            next_row = number + 1
            values: list[Any] = []
            for cell in element:
                if cell.tag != CELL:
                    continue
                reference = cell.get("r")
                if reference:
                    letters = reference.rstrip("0123456789")
                    column = columns.get(letters)
                    if column is None:
                        column = columns[letters] = column_index_from_string(letters) - 1
                        if column >= MAX_COLUMNS:
                            raise ValueError(f"cell {reference} is past column XFD")
                    if column > len(values):
                        values.extend([None] * (column - len(values)))
                kind = cell.get("t", "n")
                if kind == "inlineStr":
                    inline = cell.find(INLINE)
                    values.append(_text_of(inline) if inline is not None else None)
                    continue
                text = cell.findtext(VALUE)
                if text is None:
                    values.append(None)
                elif kind == "s":
                    values.append(strings[int(text)])
                elif kind == "n":
                    values.append(_number(text, int(cell.get("s", "0")) in dates, epoch))
                elif kind == "b":
                    values.append(text == "1")
                elif kind == "d":
                    values.append(datetime.fromisoformat(text) if "T" in text
                                  else date.fromisoformat(text))
                else:  # str (a formula's text), e (an error)
                    values.append(text)
            if values:
                yield number, values


def cell_text(value: Any) -> str:
    """A cell as the text a CSV would hold: dates as YYYY-MM-DD, whole numbers without a
    decimal point, booleans as TRUE and FALSE."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return (value.date().isoformat() if value.time() == datetime.min.time()
                else value.isoformat())
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# Past this size (or this much XML declared inside) the sheet is read in a child process
# (starting one costs ~0.2 s): a small file that unpacks to much is not parsed in the server's.
CHILD_FROM_BYTES = 1024 * 1024
CHILD_FROM_UNPACKED_BYTES = 16 * MiB
PIPE_BYTES = 1024 * 1024  # the most /proc/sys/fs/pipe-max-size allows by default
WATCH_SECONDS = 0.1  # how soon a passed deadline or a client gone stops the child
EXIT_REFUSED = 3


def _stopped(deadline: Deadline) -> NotAWorkbook:
    if deadline.cancelled.is_set():
        return NotAWorkbook("the client left before the workbook was read", "cancelled")
    return NotAWorkbook("reading the workbook took longer than the server allows an import "
                        "(ACCESSION_IMPORT_TIMEOUT_SECONDS): split it", "import_timeout")


def _declared_unpacked(handle: IO[bytes]) -> int:
    try:
        with zipfile.ZipFile(handle) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        return 0  # sheet_rows says why it is not a workbook
    finally:
        handle.seek(0)


def child_command(limits: Limits) -> list[str]:
    return [sys.executable, "-m", "app.imports.xlsx",
            "--max-unpacked-bytes", str(limits.unpacked_bytes),
            "--max-strings-bytes", str(limits.strings_bytes),
            "--max-memory-bytes", str(limits.memory_bytes)]


def sheet_texts(handle: IO[bytes], limits: Limits = Limits(),  # noqa: B008 (frozen)
                deadline: Deadline | None = None) -> Iterator[tuple[int, list[str]]]:
    """sheet_rows, each cell as its text (cell_text); a large file is read in a child process
    while the caller works on the rows already read. The handle must be a real file then (a
    spooled upload is, past its first megabyte). Past the deadline, or once it is cancelled,
    the reading stops (NotAWorkbook with type import_timeout or cancelled) and the child is
    killed."""
    deadline = deadline or Deadline()
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(0)
    if size < CHILD_FROM_BYTES and _declared_unpacked(handle) < CHILD_FROM_UNPACKED_BYTES:
        for number, values in sheet_rows(handle, limits):
            if deadline.passed():
                raise _stopped(deadline)
            yield number, [cell_text(v) for v in values]
        return
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a long message cannot block
        child = subprocess.Popen(child_command(limits), stdin=handle.fileno(),
                                 stdout=subprocess.PIPE, stderr=errors)
        assert child.stdout is not None
        # A pipe holds 64 KiB (~800 rows) by default: the reader would wait for the server to
        # take each chunk of rows, and the two would take turns instead of working at once.
        with contextlib.suppress(OSError, AttributeError):  # F_SETPIPE_SZ: Linux only
            fcntl.fcntl(child.stdout.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        finished = threading.Event()
        killed: list[NotAWorkbook] = []

        def watch() -> None:
            # The caller may be blocked reading the pipe: only a kill wakes it.
            while not finished.wait(WATCH_SECONDS):
                if deadline.passed() and child.poll() is None:
                    killed.append(_stopped(deadline))
                    child.kill()
                    return

        watcher = threading.Thread(target=watch, name="xlsx-reader-watch", daemon=True)
        watcher.start()
        try:
            try:
                for record in csv.reader(io.TextIOWrapper(child.stdout, encoding="utf-8",
                                                          newline="")):
                    yield int(record[0]), record[1:]
            except csv.Error as exc:  # a cell past csv.field_size_limit() (131,072 characters)
                raise NotAWorkbook(f"a cell is too long to import ({exc})",
                                   "workbook_too_large") from None
            child.wait()
            if killed:
                raise killed[0]
            if child.returncode != 0:
                errors.seek(0)
                said = errors.read(64 * 1024).decode(errors="replace").strip()
                if child.returncode == EXIT_REFUSED and "\n" in said:
                    kind, message = said.split("\n", 1)
                    raise NotAWorkbook(message, kind)
                raise NotAWorkbook(f"the reader stopped (exit status {child.returncode}): "
                                   f"{said[-300:] or 'no message'}", "unreadable_workbook")
        finally:
            finished.set()
            if child.poll() is None:  # the caller stopped early, or failed
                child.kill()
            child.wait()
            watcher.join()
            child.stdout.close()


def main(argv: list[str] | None = None) -> int:
    """The child: the workbook on standard input (a file, so it can be seeked), its first
    sheet's rows as CSV on standard output, each led by its row number; refused, the error's
    type and message on standard error, exit status 3."""
    parser = argparse.ArgumentParser(prog="python -m app.imports.xlsx")
    parser.add_argument("--max-unpacked-bytes", type=int, default=Limits.unpacked_bytes)
    parser.add_argument("--max-strings-bytes", type=int, default=Limits.strings_bytes)
    parser.add_argument("--max-memory-bytes", type=int, default=0)  # 0: no limit
    args = parser.parse_args(argv)
    limits = Limits(args.max_unpacked_bytes, args.max_strings_bytes, args.max_memory_bytes)
    if limits.memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
    writer = csv.writer(out)
    try:
        with os.fdopen(sys.stdin.fileno(), "rb", closefd=False) as workbook:
            for number, values in sheet_rows(workbook, limits):
                writer.writerow([number, *(cell_text(v) for v in values)])
        out.flush()
    except NotAWorkbook as exc:
        sys.stderr.write(f"{exc.type}\n{exc}")
        return EXIT_REFUSED
    except MemoryError:
        sys.stderr.write(f"workbook_too_large\nreading the workbook needs more memory than the "
                         f"server allows ({limits.memory_bytes:,} bytes)")
        return EXIT_REFUSED
    except BrokenPipeError:  # the server stopped reading: the import failed elsewhere
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
