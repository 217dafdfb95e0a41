"""The parts of an XLSX workbook (a ZIP archive of XML), read within limits: the workbook's
first sheet, its shared strings and which of its cell styles are dates. Every part read is
refused past a decompressed size (Limits, counted as it is decompressed, whatever the ZIP says),
parts parsed whole and the shared strings held in memory have tighter bounds, and XML with a
DOCTYPE is refused (a workbook never has one: entities could only expand or reach out). The
sheet itself is read row by row by app/imports/xlsx.py."""

import posixpath
import re
import threading
import time
import zipfile
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, iterparse

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

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

# Shared strings are held in a list while the sheet is read: their memory (text plus ~64 bytes
# of object each), not only their XML's size, is bounded.
STRING_OVERHEAD_BYTES = 64


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
