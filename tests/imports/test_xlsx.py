"""The XLSX sheet reader: shared and inline strings, numbers, dates (1900 and 1904 epochs),
booleans, gaps; anything else is not a workbook."""

import io
import re
import signal
import subprocess
import sys
import threading
import time
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


# Hostile workbooks: what a client can make the reader decompress, hold, parse or run.

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"


def replaced(body: bytes, parts: dict[str, bytes | None]) -> bytes:
    """The workbook with some parts' XML replaced (None: as it was, written in 1 MiB pieces so
    a test never holds a large part twice)."""
    source = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in {*source.namelist(), *parts}:
            data = parts.get(name)
            archive.writestr(name, source.read(name) if data is None else data)
    return out.getvalue()


def kind_of_refusal(body: bytes, limits: xlsx.Limits | None = None) -> str:
    with pytest.raises(NotAWorkbook) as refused:
        list(sheet_rows(io.BytesIO(body), limits or xlsx.Limits()))
    return refused.value.type


def padded_sheet(padding: int) -> bytes:
    """The sheet's XML with `padding` spaces between two rows (deflate packs them ~1,000:1)."""
    sheet = zipfile.ZipFile(io.BytesIO(workbook_bytes())).read(SHEET)
    return sheet.replace(b"</row>", b"</row>" + b" " * padding, 1)


def test_a_part_that_unpacks_past_the_limit_is_refused():
    body = replaced(workbook_bytes(), {SHEET: padded_sheet(3 * xlsx.MiB)})
    assert len(body) < 64 * 1024
    assert kind_of_refusal(body, xlsx.Limits(unpacked_bytes=2 * xlsx.MiB)) == (
        "workbook_too_large")
    assert len(list(sheet_rows(io.BytesIO(body)))) == 4  # under the default: read


def test_a_part_whose_header_understates_its_size_is_refused_at_the_limit():
    """The bytes are counted as they are decompressed, whatever the ZIP's headers say."""
    part = xlsx._Part(zipfile.ZipFile(io.BytesIO(workbook_bytes())), SHEET, 2 * xlsx.MiB)
    part._file = io.BytesIO(b" " * (3 * xlsx.MiB))  # more than its header said
    with pytest.raises(NotAWorkbook) as refused:
        while part.read(64 * 1024):
            pass
    assert refused.value.type == "workbook_too_large" and part.count <= 2 * xlsx.MiB + 1
    # zipfile itself stops at the size the headers give, and the CRC then fails: refused too
    body = replaced(workbook_bytes(), {SHEET: padded_sheet(3 * xlsx.MiB)})
    lying = bytearray(body)
    info = zipfile.ZipFile(io.BytesIO(body)).getinfo(SHEET)
    true_size = info.file_size.to_bytes(4, "little")
    lying[info.header_offset + 22:info.header_offset + 26] = (1000).to_bytes(4, "little")
    central = lying.rfind(true_size, 0, len(lying) - 22)
    lying[central:central + 4] = (1000).to_bytes(4, "little")
    assert zipfile.ZipFile(io.BytesIO(bytes(lying))).getinfo(SHEET).file_size == 1000
    assert kind_of_refusal(bytes(lying)) == "not_xlsx"


def test_shared_strings_held_in_memory_are_bounded():
    body = with_shared_strings(workbook_bytes())
    many = "".join(f"<si><t>{n}</t></si>" for n in range(20_000))
    body = replaced(body, {STRINGS: f'<sst xmlns="{MAIN}">{many}</sst>'.encode()})
    assert kind_of_refusal(body, xlsx.Limits(strings_bytes=20_000 * 64)) == "workbook_too_large"
    assert len(list(sheet_rows(io.BytesIO(body)))) == 4


def test_a_row_that_never_ends_is_refused(monkeypatch):
    monkeypatch.setattr(xlsx, "ROW_BYTES", 256 * 1024)
    sheet = zipfile.ZipFile(io.BytesIO(workbook_bytes())).read(SHEET)
    endless = sheet.split(b"<sheetData>")[0] + b"<sheetData><row><c><v>" + b"1" * 3 * xlsx.MiB
    assert kind_of_refusal(replaced(workbook_bytes(), {SHEET: endless})) == "workbook_too_large"
    monkeypatch.setattr(xlsx, "SHEET_HEAD_BYTES", 256 * 1024)
    no_rows = sheet.replace(b"<sheetData>", b" " * xlsx.MiB + b"<sheetData>")
    assert kind_of_refusal(replaced(workbook_bytes(), {SHEET: no_rows})) == "workbook_too_large"


LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" if n > 1 else "&lol;" * 10}">'
                    .replace(f"&lol{n - 1};", f"&lol{n - 1};" * 10) for n in range(1, 10))
          + "]>")
EXTERNAL = '<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("part", ["xl/workbook.xml", STRINGS, SHEET, "xl/styles.xml"])
@pytest.mark.parametrize("doctype", [LAUGHS, EXTERNAL], ids=["billion-laughs", "external"])
def test_xml_with_a_doctype_is_refused(part, doctype):
    body = with_shared_strings(workbook_bytes())
    xml = zipfile.ZipFile(io.BytesIO(body)).read(part).decode()
    entity = "&lol9;" if doctype == LAUGHS else "&secret;"
    if xml.startswith("<?xml"):
        declaration, rest = xml.split("?>", 1)
        xml = f"{declaration}?>{doctype}{rest}"
    else:
        xml = doctype + xml
    xml = xml.replace("<t>georgia</t>", f"<t>{entity}</t>", 1)
    assert kind_of_refusal(replaced(body, {part: xml.encode()})) == "unsafe_xml"


def test_a_doctype_in_utf16_or_an_unknown_encoding_is_refused():
    body = workbook_bytes()
    xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/workbook.xml").decode()
    xml = xml.split("?>", 1)[-1]
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + EXTERNAL + xml).encode("utf-16")
    assert kind_of_refusal(replaced(body, {"xl/workbook.xml": utf16})) == "unsafe_xml"
    ebcdic = b'<?xml version="1.0" encoding="cp500"?>' + xml.encode("cp500")
    assert kind_of_refusal(replaced(body, {"xl/workbook.xml": ebcdic})) == "unsafe_xml"


def test_a_cell_past_the_last_column_is_refused():
    sheet = zipfile.ZipFile(io.BytesIO(workbook_bytes())).read(SHEET)
    far = re.sub(rb'<c r="A1"', b'<c r="ZZZ1"', sheet, count=1)
    assert kind_of_refusal(replaced(workbook_bytes(), {SHEET: far})) == "not_xlsx"


def large_workbook(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "CHILD_FROM_BYTES", 0)
    path = tmp_path / "updates.xlsx"
    path.write_bytes(workbook_bytes())
    return path


def test_a_small_file_that_declares_much_xml_is_read_in_a_child(tmp_path, monkeypatch):
    started = []
    real = xlsx.child_command
    monkeypatch.setattr(xlsx, "child_command", lambda limits: started.append(1) or real(limits))
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(replaced(workbook_bytes(), {SHEET: padded_sheet(20 * xlsx.MiB)}))
    assert path.stat().st_size < xlsx.CHILD_FROM_BYTES
    with path.open("rb") as handle:
        assert len(list(sheet_texts(handle))) == 4
    assert started


def test_the_child_is_refused_past_the_limits_with_the_readers_reason(tmp_path, monkeypatch):
    path = large_workbook(tmp_path, monkeypatch)
    path.write_bytes(replaced(workbook_bytes(), {SHEET: padded_sheet(3 * xlsx.MiB)}))
    with path.open("rb") as handle, pytest.raises(NotAWorkbook) as refused:
        list(sheet_texts(handle, xlsx.Limits(unpacked_bytes=2 * xlsx.MiB)))
    assert refused.value.type == "workbook_too_large" and "2,097,152 bytes" in str(refused.value)


def test_the_childs_memory_is_bounded(tmp_path, monkeypatch):
    """One shared string of 160 MiB (160 KiB compressed), with the other limits lifted: the
    child's address space is what stops it."""
    path = large_workbook(tmp_path, monkeypatch)
    body = with_shared_strings(workbook_bytes())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        source = zipfile.ZipFile(io.BytesIO(body))
        for name in source.namelist():
            if name != STRINGS:
                archive.writestr(name, source.read(name))
        with archive.open(STRINGS, "w", force_zip64=True) as part:
            part.write(f'<sst xmlns="{MAIN}"><si><t>'.encode())
            for _ in range(160):
                part.write(b"a" * xlsx.MiB)
            part.write(b"</t></si></sst>")
    limits = xlsx.Limits(unpacked_bytes=1024 * xlsx.MiB, strings_bytes=1024 * xlsx.MiB,
                         memory_bytes=192 * xlsx.MiB)
    with path.open("rb") as handle, pytest.raises(NotAWorkbook) as refused:
        list(sheet_texts(handle, limits))
    assert refused.value.type == "workbook_too_large" and "memory" in str(refused.value)


def spying_child(monkeypatch, code: str) -> list[subprocess.Popen]:
    """The reader's command replaced by `code`; the processes started are recorded."""
    started: list[subprocess.Popen] = []
    real = subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(xlsx, "child_command", lambda limits: [sys.executable, "-c", code])
    monkeypatch.setattr(xlsx.subprocess, "Popen", popen)
    return started


@pytest.mark.parametrize("cancel", [False, True], ids=["deadline", "client-left"])
def test_a_child_that_hangs_is_killed_at_the_deadline_or_when_the_client_leaves(
        tmp_path, monkeypatch, cancel):
    path = large_workbook(tmp_path, monkeypatch)
    started = spying_child(monkeypatch, "import time; print('1,a', flush=True); time.sleep(60)")
    deadline = xlsx.Deadline() if cancel else xlsx.Deadline.after(0.5)
    began = time.monotonic()
    with path.open("rb") as handle, pytest.raises(NotAWorkbook) as refused:
        for _ in sheet_texts(handle, deadline=deadline):
            if cancel:
                threading.Timer(0.3, deadline.cancelled.set).start()
    assert time.monotonic() - began < 5
    assert refused.value.type == ("cancelled" if cancel else "import_timeout")
    assert started[0].returncode == -signal.SIGKILL


def test_a_child_is_stopped_when_the_caller_stops_reading(tmp_path, monkeypatch):
    path = large_workbook(tmp_path, monkeypatch)
    started = spying_child(monkeypatch, "import time; print('1,a', flush=True); time.sleep(60)")
    with path.open("rb") as handle:
        rows = sheet_texts(handle)
        assert next(rows) == (1, ["a"])
        rows.close()
    assert started[0].returncode == -signal.SIGKILL


@pytest.mark.parametrize("code", ["import os; os.abort()",
                                  "import sys; sys.stderr.write('x' * 300000); sys.exit(1)"],
                         ids=["crash", "long-message"])
def test_a_child_that_fails_is_a_refusal_not_a_hang(tmp_path, monkeypatch, code):
    path = large_workbook(tmp_path, monkeypatch)
    spying_child(monkeypatch, code)
    with path.open("rb") as handle, pytest.raises(NotAWorkbook) as refused:
        list(sheet_texts(handle, deadline=xlsx.Deadline.after(30)))
    assert refused.value.type == "unreadable_workbook"
    assert "exit status" in str(refused.value) and len(str(refused.value)) < 500


def test_a_cell_too_long_for_the_pipe_is_refused(tmp_path, monkeypatch):
    path = large_workbook(tmp_path, monkeypatch)
    long = "x" * 200_000
    path.write_bytes(replaced(workbook_bytes(), {SHEET: zipfile.ZipFile(io.BytesIO(
        workbook_bytes())).read(SHEET).replace(b"<t>georgia</t>", f"<t>{long}</t>".encode())}))
    with path.open("rb") as handle, pytest.raises(NotAWorkbook) as refused:
        list(sheet_texts(handle))
    assert refused.value.type == "workbook_too_large"
