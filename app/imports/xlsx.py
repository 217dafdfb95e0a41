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
"""

import contextlib
import csv
import fcntl
import io
import os
import posixpath
import re
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterator
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
    pass


def _text_of(element: Element) -> str:
    """A shared or inline string: its text, or the text of its runs (not phonetic hints)."""
    plain = element.find(TEXT)
    if plain is not None:
        return plain.text or ""
    return "".join(run.findtext(TEXT) or "" for run in element.iter(RUN))


def _xml(archive: zipfile.ZipFile, name: str) -> Element | None:
    try:
        with archive.open(name) as member:
            root: Element | None = None
            for _, root in iterparse(member):  # noqa: B007 (the last one is the root)
                pass
            return root
    except KeyError:
        return None


def _parts(archive: zipfile.ZipFile) -> tuple[str, str | None, str | None, bool]:
    """The first sheet's path, the shared strings' and the styles' (if any), and whether the
    workbook counts its dates from 1904."""
    workbook = _xml(archive, "xl/workbook.xml")
    rels = _xml(archive, "xl/_rels/workbook.xml.rels")
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


def _shared_strings(archive: zipfile.ZipFile, path: str | None) -> list[str]:
    if path is None:
        return []
    strings = []
    with archive.open(path) as member:
        for _, element in iterparse(member):
            if element.tag == f"{MAIN}si":
                strings.append(_text_of(element))
                element.clear()
    return strings


def _date_styles(archive: zipfile.ZipFile, path: str | None) -> set[int]:
    """The indexes of the cell styles whose number format shows a date."""
    styles = _xml(archive, path) if path else None
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


def sheet_rows(handle: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cell values) for each row of the first sheet that has a cell: strings,
    numbers, booleans, dates (datetime) or None for a gap; a cell in error gives its code
    (#N/A). Raises NotAWorkbook if the file is not one."""
    try:
        archive = zipfile.ZipFile(handle)
        sheet, strings_path, styles_path, date1904 = _parts(archive)
        strings = _shared_strings(archive, strings_path)
        dates = _date_styles(archive, styles_path)
        member = archive.open(sheet)
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
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


def _row_batches(member: IO[bytes]) -> Iterator[Element]:
    """The sheet's rows, a batch at a time: the XML between <sheetData> and </sheetData> is
    cut after its last complete row, and each piece parsed whole by the C parser inside a copy
    of the sheet's root tag (for its namespaces). Parsing row by row with iterparse spent more
    time handing each element's events to Python than on the rows; text cannot hold a
    literal "</row>" (XML escapes "<"), so the cut is always between rows."""
    head = b""
    while (found := SHEET_DATA_TAG.search(head)) is None:
        chunk = member.read(64 * 1024)
        if not chunk:
            raise ValueError("the sheet has no sheetData")
        head += chunk
    root = WORKSHEET_TAG.search(head, 0, found.start())
    if root is None:
        raise ValueError("the sheet has no worksheet element")
    if found.group(1):  # <sheetData/>: no rows
        return
    prefix = root.group(1) or b""
    opening, closing = root.group(0), b"</" + prefix + b"worksheet>"
    end_of_row = b"</" + prefix + b"row>"
    pending = head[found.end():]
    while True:
        chunk = member.read(FRAGMENT_BYTES)
        pending += chunk
        cut = pending.rfind(end_of_row) + len(end_of_row) if chunk else len(pending)
        if cut >= len(end_of_row):
            body = pending[:cut]
            if not chunk:  # the rest: the last rows, then </sheetData> and what follows it
                last = body.rfind(b"</" + prefix + b"sheetData>")
                body = body[:last] if last >= 0 else body
            if body.strip():
                yield fromstring(opening + body + closing)
            pending = pending[cut:]
        if not chunk:
            return


def _rows(member: IO[bytes], strings: list[str], dates: set[int], epoch: datetime
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


# Past this size the sheet is read in a child process (starting one costs ~0.2 s).
CHILD_FROM_BYTES = 1024 * 1024
PIPE_BYTES = 1024 * 1024  # the most /proc/sys/fs/pipe-max-size allows by default


def sheet_texts(handle: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    """sheet_rows, each cell as its text (cell_text); a large file is read in a child process
    while the caller works on the rows already read. The handle must be a real file then (a
    spooled upload is, past its first megabyte)."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(0)
    if size < CHILD_FROM_BYTES:
        for number, values in sheet_rows(handle):
            yield number, [cell_text(v) for v in values]
        return
    child = subprocess.Popen([sys.executable, "-m", "app.imports.xlsx"], stdin=handle.fileno(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    # A pipe holds 64 KiB (~800 rows) by default: the reader would wait for the server to take
    # each chunk of rows, and the two would take turns instead of working at once.
    with contextlib.suppress(OSError, AttributeError):  # F_SETPIPE_SZ: Linux only
        fcntl.fcntl(child.stdout.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    try:
        for record in csv.reader(io.TextIOWrapper(child.stdout, encoding="utf-8", newline="")):
            yield int(record[0]), record[1:]
        child.wait()
        if child.returncode != 0:
            raise NotAWorkbook(child.stderr.read().decode(errors="replace").strip()[-500:]
                               or f"the reader exited with {child.returncode}")
    finally:
        if child.poll() is None:  # the caller stopped early, or failed
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()


def main() -> int:
    """The child: the workbook on standard input (a file, so it can be seeked), its first
    sheet's rows as CSV on standard output, each led by its row number."""
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
    writer = csv.writer(out)
    try:
        with os.fdopen(sys.stdin.fileno(), "rb", closefd=False) as workbook:
            for number, values in sheet_rows(workbook):
                writer.writerow([number, *(cell_text(v) for v in values)])
    except NotAWorkbook as exc:
        sys.stderr.write(str(exc))
        return 3
    except BrokenPipeError:  # the server stopped reading: the import failed elsewhere
        return 4
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
