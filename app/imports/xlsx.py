"""The first sheet of an XLSX workbook, row by row, as the text each cell shows.

openpyxl's read-only mode builds objects for every cell (an inline string is parsed into rich-text
objects): 100,000 rows of eleven columns took 40 s on this project's machines. This reads the
sheet's XML as it is decompressed (expat, through ElementTree's iterparse), one row in memory at a
time, and keeps openpyxl for what needs its knowledge: which number formats are dates, and the
spreadsheet epochs. Shared strings are read once into a list (they are the workbook's distinct
strings).
"""

import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any
from xml.etree.ElementTree import Element, iterparse

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


def _rows(member: IO[bytes], strings: list[str], dates: set[int], epoch: datetime
          ) -> Iterator[tuple[int, list[Any]]]:
    next_row = 1
    for _, element in iterparse(member):
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
                column = column_index_from_string(reference.rstrip("0123456789")) - 1
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
        element.clear()  # what was read is let go (an empty element stays: ~70 bytes a row)
        if values:
            yield number, values
