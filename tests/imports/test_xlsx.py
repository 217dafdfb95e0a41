"""The XLSX sheet reader: shared and inline strings, numbers, dates (1900 and 1904 epochs),
booleans, gaps; anything else is not a workbook."""

import io
import re
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from app.imports import xlsx
from app.imports.xlsx import NotAWorkbook, sheet_rows, sheet_texts

ROWS = [["candidate", "value", "as_of", "flag"],
        ["georgia", 1.95, date(2025, 6, 30), True],
        ["ukraine", 22, None, False],
        [],
        [None, None, "2025-01-01", None]]


def workbook_bytes(*, date1904: bool = False) -> bytes:
    """As openpyxl writes it: strings inline in the sheet."""
    workbook = Workbook()
    if date1904:
        workbook.epoch = datetime(1904, 1, 1)
    for row in ROWS:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


INLINE = re.compile(r'<c r="([A-Z]+\d+)"( s="\d+")? t="inlineStr"><is><t>([^<]*)</t></is></c>')
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def with_shared_strings(body: bytes) -> bytes:
    """As Excel and LibreOffice write it: each string once in xl/sharedStrings.xml, the cells
    holding its index (with one rich-text entry, runs of formatted text)."""
    source = zipfile.ZipFile(io.BytesIO(body))
    strings: list[str] = []

    def shared(match: re.Match[str]) -> str:
        strings.append(match.group(3))
        return f'<c r="{match.group(1)}"{match.group(2) or ""} t="s"><v>{len(strings) - 1}</v></c>'

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            data = source.read(name).decode()
            if name == "xl/worksheets/sheet1.xml":
                data = INLINE.sub(shared, data)
            elif name == "xl/_rels/workbook.xml.rels":
                data = data.replace("</Relationships>", (
                    '<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://schemas.'
                    'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
                    "</Relationships>"))
            archive.writestr(name, data)
        items = [f"<si><t>{s}</t></si>" for s in strings[:-1]]
        # the last string as rich text, with a phonetic hint that is not part of the text
        last = strings[-1]
        items.append(f"<si><r><t>{last[:3]}</t></r><r><rPr><b/></rPr><t>{last[3:]}</t></r>"
                     "<rPh sb=\"0\" eb=\"1\"><t>x</t></rPh></si>")
        archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{"".join(items)}</sst>')
    return out.getvalue()


@pytest.mark.parametrize("shared", [False, True], ids=["inline-strings", "shared-strings"])
@pytest.mark.parametrize("date1904", [False, True])
def test_rows_read_as_the_sheet_shows_them(shared, date1904):
    body = workbook_bytes(date1904=date1904)
    if shared:
        body = with_shared_strings(body)
        assert b't="inlineStr"' not in zipfile.ZipFile(io.BytesIO(body)).read(
            "xl/worksheets/sheet1.xml")
    rows = list(sheet_rows(io.BytesIO(body)))
    assert [n for n, _ in rows] == [1, 2, 3, 5]  # the empty row 4 is not there
    assert rows[0][1] == ROWS[0]
    assert rows[1][1] == ["georgia", 1.95, datetime(2025, 6, 30), True]
    assert rows[2][1][:2] == ["ukraine", 22] and rows[2][1][3] is False
    assert rows[3][1][:3] == [None, None, "2025-01-01"]  # leading gaps kept


@pytest.mark.parametrize("body", [b"candidate,value\n", b"PK\x03\x04 not really a zip",
                                  b""])
def test_anything_else_is_not_a_workbook(body):
    with pytest.raises(NotAWorkbook):
        list(sheet_rows(io.BytesIO(body)))


def test_a_zip_that_is_not_a_workbook_is_not_one():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(NotAWorkbook):
        list(sheet_rows(io.BytesIO(out.getvalue())))


def test_a_large_sheet_is_read_in_a_child_process_with_the_same_result(tmp_path, monkeypatch):
    path = tmp_path / "updates.xlsx"
    path.write_bytes(with_shared_strings(workbook_bytes()))
    with path.open("rb") as handle:
        here = list(sheet_texts(handle))
    monkeypatch.setattr(xlsx, "CHILD_FROM_BYTES", 0)
    with path.open("rb") as handle:
        assert list(sheet_texts(handle)) == here
    assert here[1] == (2, ["georgia", "1.95", "2025-06-30", "TRUE"])
    assert here[3] == (5, ["", "", "2025-01-01"])

    path.write_bytes(b"PK\x03\x04 not a workbook" * 10)
    with path.open("rb") as handle, pytest.raises(NotAWorkbook):
        list(sheet_texts(handle))


def test_a_sheet_whose_tags_carry_a_namespace_prefix(tmp_path):
    """Some writers name the spreadsheet namespace with a prefix: <x:row>, <x:c>."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<(/?)([A-Za-z]+)", rb"<\1x:\2", data)
                data = data.replace(b'xmlns="', b'xmlns:x="', 1)
            archive.writestr(name, data)
    assert b"<x:row" in zipfile.ZipFile(io.BytesIO(out.getvalue())).read(
        "xl/worksheets/sheet1.xml")
    rows = list(sheet_rows(io.BytesIO(out.getvalue())))
    assert rows[1] == (2, ["georgia", 1.95, datetime(2025, 6, 30), True])
    assert [n for n, _ in rows] == [1, 2, 3, 5]


@pytest.mark.parametrize("piece", [1, 37, 500])
def test_rows_cut_across_reads_come_out_whole(monkeypatch, piece):
    body = with_shared_strings(workbook_bytes())
    whole = list(sheet_rows(io.BytesIO(body)))
    monkeypatch.setattr(xlsx, "FRAGMENT_BYTES", piece)
    assert list(sheet_rows(io.BytesIO(body))) == whole
