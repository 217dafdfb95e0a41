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
leaves, and may use no more memory than RLIMIT_AS allows.
"""

import argparse
import contextlib
import csv
import fcntl
import io
import os
import posixpath
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any
from xml.etree.ElementTree import Element, fromstring, iterparse

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CELL, ROW, VALUE, INLINE, TEXT, RUN = (f"{MAIN}{t}" for t in ("c", "row", "v", "is", "t", "r"))


class NotAWorkbook(Exception):
    """The file cannot be read as a workbook; `type` is a stable code for why."""

    def __init__(self, message: str, type: str = "not_xlsx") -> None:
        super().__init__(message)
        self.type = type


MiB = 1024 * 1024
# Parts parsed whole into a tree (workbook.xml, its relationships, styles.xml): Excel's own stay
# under a megabyte (styles.xml holds at most 64,000 cell formats, ~6 MB); a tree costs several
# times its XML in memory.
WHOLE_PART_BYTES = 8 * MiB
# The sheet's XML before <sheetData> (views, column widths), and one row: this import's rows have
# eleven cells, and a cell holds at most 32,767 characters.
SHEET_HEAD_BYTES = 4 * MiB
ROW_BYTES = 4 * MiB
# Shared strings are held in a list while the sheet is read: their memory (text plus ~64 bytes
# of object each), not only their XML's size, is bounded.
STRING_OVERHEAD_BYTES = 64
# Excel's last column is XFD.
MAX_COLUMNS = 16_384


@dataclass(frozen=True)
class Limits:
    """What a workbook may make the reader decompress and hold: `unpacked_bytes` for any one
    part (the setting ACCESSION_IMPORT_MAX_UNPACKED_BYTES), `strings_bytes` for the shared
    strings in memory, `memory_bytes` for the child process's address space (RLIMIT_AS; 0: no
    limit)."""

    unpacked_bytes: int = 512 * MiB
    strings_bytes: int = 64 * MiB
    # The interpreter and openpyxl take ~50 MiB of address space; add the strings, a batch of
    # rows (FRAGMENT_BYTES, parsed), one row, and room to spare.
    memory_bytes: int = 512 * MiB


@dataclass
class Deadline:
    """When the reading must stop: at `at` (time.monotonic()), or once `cancelled` is set (the
    client left)."""

    at: float = float("inf")
    cancelled: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + seconds)

    def passed(self) -> bool:
        return self.cancelled.is_set() or time.monotonic() >= self.at


def _too_large(what: str, limit: int) -> NotAWorkbook:
    return NotAWorkbook(f"{what} is larger than the server reads ({limit:,} bytes "
                        "decompressed): split the workbook", "workbook_too_large")


DOCTYPES = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))
XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
READABLE_ENCODINGS = {b"utf-8", b"utf8", b"utf-16", b"utf16", b"us-ascii", b"ascii"}


class _Part:
    """A part of the archive as it is decompressed: refused past `limit` bytes, counted as read
    (a ZIP header's size can lie), and refused if its XML declares a DOCTYPE or an encoding
    in which that could not be seen."""

    def __init__(self, archive: zipfile.ZipFile, name: str, limit: int) -> None:
        info = archive.getinfo(name)  # KeyError: no such part
        if info.file_size > limit:
            raise _too_large(name, limit)
        self.name, self.limit, self.count = name, limit, 0
        self._tail = b""
        self._file = archive.open(info)

    def read(self, n: int = -1) -> bytes:
        wanted = self.limit + 1 - self.count
        data = self._file.read(wanted if n < 0 else min(n, wanted))
        if not self.count:
            declared = XML_ENCODING.match(data[:200])
            if declared and declared.group(1).lower() not in READABLE_ENCODINGS:
                raise NotAWorkbook(f"{self.name} is encoded as {declared.group(1).decode()!r}, "
                                   "not UTF-8", "unsafe_xml")
        self.count += len(data)
        if self.count > self.limit:
            raise _too_large(self.name, self.limit)
        seen = self._tail + data
        if any(doctype in seen for doctype in DOCTYPES):
            raise NotAWorkbook(f"{self.name} declares a DOCTYPE, which a workbook never needs "
                               "(entities are refused)", "unsafe_xml")
        self._tail = seen[-20:]
        return data

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "_Part":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _text_of(element: Element) -> str:
    """A shared or inline string: its text, or the text of its runs (not phonetic hints)."""
    plain = element.find(TEXT)
    if plain is not None:
        return plain.text or ""
    return "".join(run.findtext(TEXT) or "" for run in element.iter(RUN))


def _xml(archive: zipfile.ZipFile, name: str, limits: Limits) -> Element | None:
    try:
        with _Part(archive, name, min(limits.unpacked_bytes, WHOLE_PART_BYTES)) as member:
            root: Element | None = None
            for _, root in iterparse(member):  # noqa: B007 (the last one is the root)
                pass
            return root
    except KeyError:
        return None


def _parts(archive: zipfile.ZipFile, limits: Limits
           ) -> tuple[str, str | None, str | None, bool]:
    """The first sheet's path, the shared strings' and the styles' (if any), and whether the
    workbook counts its dates from 1904."""
    workbook = _xml(archive, "xl/workbook.xml", limits)
    rels = _xml(archive, "xl/_rels/workbook.xml.rels", limits)
    if workbook is None or rels is None:
        raise NotAWorkbook("no xl/workbook.xml")
    targets = {}
    by_type = {}
    for rel in rels.iter(f"{PACKAGE_RELATIONSHIPS}Relationship"):
        target = rel.get("Target", "")
        path = (target.lstrip("/") if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target)))
        targets[rel.get("Id")] = path
        by_type[rel.get("Type", "").rsplit("/", 1)[-1]] = path
    sheet = workbook.find(f"{MAIN}sheets/{MAIN}sheet")
    if sheet is None or sheet.get(f"{RELATIONSHIPS}id") not in targets:
        raise NotAWorkbook("the workbook has no sheet")
    properties = workbook.find(f"{MAIN}workbookPr")
    date1904 = properties is not None and properties.get("date1904") in ("1", "true")
    return (targets[sheet.get(f"{RELATIONSHIPS}id")], by_type.get("sharedStrings"),
            by_type.get("styles"), date1904)


def _shared_strings(archive: zipfile.ZipFile, path: str | None, limits: Limits) -> list[str]:
    if path is None:
        return []
    strings = []
    held = 0
    with _Part(archive, path, limits.unpacked_bytes) as member:
        for _, element in iterparse(member):
            if element.tag == f"{MAIN}si":
                text = _text_of(element)
                held += len(text) + STRING_OVERHEAD_BYTES
                if held > limits.strings_bytes:
                    raise _too_large("the shared strings' text", limits.strings_bytes)
                strings.append(text)
                element.clear()
    return strings


def _date_styles(archive: zipfile.ZipFile, path: str | None, limits: Limits) -> set[int]:
    """The indexes of the cell styles whose number format shows a date."""
    styles = _xml(archive, path, limits) if path else None
    if styles is None:
        return set()
    formats = dict(BUILTIN_FORMATS)
    for fmt in styles.iter(f"{MAIN}numFmt"):
        formats[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
    cell_xfs = styles.find(f"{MAIN}cellXfs")
    if cell_xfs is None:
        return set()
    return {n for n, xf in enumerate(cell_xfs.findall(f"{MAIN}xf"))
            if is_date_format(formats.get(int(xf.get("numFmtId", "0")), ""))}


def _number(text: str, is_date: bool, epoch: datetime) -> Any:
    number = float(text)
    if is_date:
        return from_excel(number, epoch)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def sheet_rows(handle: IO[bytes], limits: Limits = Limits()) -> Iterator[tuple[int, list[Any]]]:
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


def sheet_texts(handle: IO[bytes], limits: Limits = Limits(),
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
