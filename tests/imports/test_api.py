"""Uploading a CSV or XLSX of progress updates through the API, and the import template: all
rows stored or none, every bad row named with its value, dry runs, retries, the size limit."""

import contextlib
import io
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.config import get_settings
from app.imports import service
from app.imports.rows import COLUMNS, XLSX_TYPE
from app.models import Candidate, Event, ProgressUpdate
from tests.conftest import run_in_own_loop
from tests.helpers import upload

URL = "/api/v1/imports"
HEADER = "candidate,indicator,benchmark,value,as_of,source,note,vintage,observation_status\n"
GOOD = [
    "georgia,defence_spending_gdp,,1.95,2025-06-30,MoD budget,first half,,final",
    "georgia,,nato_standards_adoption,full_adoption,2025-06-30,MoD,,,provisional",
    "ukraine,defence_spending_gdp,,22.1,2024-12-31,SIPRI,,SIPRI 2025,final",
]


def csv_body(*rows: str) -> bytes:
    return (HEADER + "".join(f"{r}\n" for r in rows)).encode()


def xlsx_body(*rows: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    for row in rows:
        cells: list[object] = row.split(",")
        with contextlib.suppress(ValueError):  # as_of typed as a date, as a spreadsheet has it
            cells[4] = date.fromisoformat(str(cells[4]))
        if cells[3].replace(".", "").isdigit():
            cells[3] = float(str(cells[3]))
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


BODIES = {"csv": (csv_body, "text/csv"), "xlsx": (xlsx_body, XLSX_TYPE)}


def count(session, model=ProgressUpdate) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_upload_stores_every_row_and_answers_counts(client, session, analyst_headers, fmt):
    make, content_type = BODIES[fmt]
    before = count(session), count(session, Event)
    response = upload(client, analyst_headers, make(*GOOD), content_type)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["stored"] == result["rows"] == 3 and result["format"] == fmt
    assert result["candidates"] == 2 and result["by_candidate"] == {"georgia": 2, "ukraine": 1}
    assert result["indicators"] == 2 and not result["dry_run"] and result["id"]
    # One event for the file, holding its counts; not one per row.
    assert (count(session), count(session, Event)) == (before[0] + 3, before[1] + 1)

    ids = range(result["first_update_id"], result["last_update_id"] + 1)
    listed = client.get("/api/v1/candidates/georgia/updates", params={"limit": 200}).json()
    by_value = {u["value"]: u for u in listed["items"] if u["id"] in ids}
    assert set(by_value) == {1.95, "full_adoption"}
    assert by_value[1.95]["note"] == "first half" and by_value[1.95]["author"] == "ana"
    assert by_value["full_adoption"]["observation_status"] == "provisional"
    events = client.get("/api/v1/events", params={"after": 0, "limit": 500}).json()["items"]
    assert events[-1]["kind"] == "import.created" and events[-1]["actor"] == "ana"
    assert events[-1]["entity_id"] == result["id"]
    assert events[-1]["after"]["stored"] == 3
    assert events[-1]["after"]["by_candidate"] == {"georgia": 2, "ukraine": 1}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_bad_row_is_named_with_its_value_and_nothing_is_stored(
        client, session, analyst_headers, fmt):
    make, content_type = BODIES[fmt]
    before = count(session), count(session, Event)
    body = make(
        GOOD[0],
        "atlantis,defence_spending_gdp,,1.2,2025-06-30,x,,,final",       # line 3
        "georgia,defence_spending_gdp,,1.2,2025-31-12,x,,,final",        # line 4: date
        "georgia,defence_spending_gdp,,lots,2025-06-30,x,,,final",       # line 5: not a number
        "georgia,,nato_standards_adoption,done,2025-06-30,,,,rumour",    # line 6: two at once
        "georgia,nope,,1,2025-06-30,x,,,final",                          # line 7
        "georgia,,nato_standards_adoption,done,2025-06-30,x,,,final",    # line 8: no such stage
        GOOD[2],
    )
    response = upload(client, analyst_headers, body, content_type)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and "nothing was stored" in problem["detail"]
    found = {(e["line"], e["column"]): e for e in problem["errors"]}
    assert set(found) == {(3, "candidate"), (4, "as_of"), (5, "value"), (6, "source"),
                          (6, "observation_status"), (7, "indicator"), (8, "value")}
    assert found[3, "candidate"]["value"] == "atlantis"
    assert found[3, "candidate"]["type"] == "unknown_candidate"
    if fmt == "csv":  # a spreadsheet has no such date to hold: the cell is text
        assert found[4, "as_of"]["value"] == "2025-31-12"
    assert found[4, "as_of"]["type"] == "invalid_date"
    assert "use YYYY-MM-DD" in found[4, "as_of"]["msg"]
    assert (found[5, "value"]["value"], found[5, "value"]["type"]) == ("lots", "not_a_number")
    assert found[6, "source"]["type"] == "missing"
    assert found[6, "observation_status"]["value"] == "rumour"
    assert (found[8, "value"]["value"], found[8, "value"]["type"]) == ("done", "unknown_stage")
    assert (found[7, "indicator"]["value"], found[7, "indicator"]["type"]) == (
        "nope", "unknown_indicator")
    assert all(e["msg"] for e in problem["errors"])
    assert (count(session), count(session, Event)) == before


def test_a_wrong_header_is_refused_on_line_1(client, analyst_headers):
    response = upload(client, analyst_headers, b"country,value\nGeorgia,2\n")
    assert response.status_code == 422
    found = {(e["column"], e["type"]) for e in response.json()["errors"]}
    assert ("country", "unknown_column") in found and ("as_of", "missing_column") in found
    assert {e["line"] for e in response.json()["errors"]} == {1}


def test_dry_run_checks_and_stores_nothing(client, session, analyst_headers):
    before = count(session), count(session, Event)
    response = upload(client, analyst_headers, csv_body(*GOOD), dry_run="true")
    assert response.status_code == 200, response.text
    assert response.json()["dry_run"] and response.json()["rows"] == 3
    assert response.json()["stored"] == 0 and response.json()["id"] is None
    bad = upload(client, analyst_headers, csv_body(GOOD[0], "georgia,nope,,1,2025-06-30,x,,,"),
                 dry_run="true")
    assert bad.status_code == 422 and bad.json()["errors"][0]["line"] == 3
    assert (count(session), count(session, Event)) == before


def test_the_same_idempotency_key_replays(client, session, analyst_headers):
    key = {**analyst_headers, "Idempotency-Key": "sheet-2025-06"}
    first = upload(client, key, csv_body(*GOOD))
    assert first.status_code == 201, first.text
    stored = count(session)
    again = upload(client, key, csv_body(*GOOD))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and count(session) == stored
    other = upload(client, key, csv_body(GOOD[0]))
    assert other.status_code == 422 and count(session) == stored
    assert other.json()["errors"][0]["type"] == "idempotency_key_reused"


def test_a_file_over_the_limit_is_413(client, session, analyst_headers, setting):
    setting("IMPORT_MAX_BYTES", "200")
    before = count(session)
    big = csv_body(*GOOD * 3)
    assert len(big) > 200
    response = upload(client, analyst_headers, big)
    assert response.status_code == 413 and "200 bytes" in response.json()["detail"]
    assert response.headers["content-type"] == "application/problem+json"

    def chunks():  # no Content-Length: refused as the body passes the limit
        yield big[:150]
        yield big[150:]
    streamed = client.post(URL, content=chunks(),
                           headers={**analyst_headers, "Content-Type": "text/csv"})
    assert streamed.status_code == 413
    assert upload(client, analyst_headers, csv_body(GOOD[0])).status_code == 201
    assert count(session) == before + 1


def test_a_file_over_a_megabyte_passes_the_general_body_limit(client, analyst_headers):
    row = "georgia,defence_spending_gdp,,1.95,2025-06-30,MoD budget," + "n" * 1000 + ",,final"
    body = csv_body(*[row] * 1100)
    assert len(body) > get_settings().max_body_bytes
    response = upload(client, analyst_headers, body, dry_run="true")
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == 1100


def test_upload_needs_an_analyst_token(client, session):
    before = count(session)
    response = client.post(URL, content=csv_body(*GOOD), headers={"Content-Type": "text/csv"})
    assert response.status_code == 401 and "Bearer" in response.headers["www-authenticate"]
    assert count(session) == before


def test_neither_csv_nor_xlsx_is_415(client, analyst_headers):
    response = client.post(URL, json={"candidate": "georgia"}, headers=analyst_headers)
    assert response.status_code == 415


def test_xlsx_is_recognised_without_its_content_type(client, analyst_headers):
    response = upload(client, analyst_headers, xlsx_body(*GOOD), "application/octet-stream",
                      dry_run="true")
    assert response.status_code == 200 and response.json()["format"] == "xlsx"


def test_templates_list_the_columns_examples_and_what_the_database_holds(
        client, session, analyst_headers):
    session.add(Candidate(slug="new-land", iso3="NWL", name="New Land", name_fr="Nouvelle-Terre",
                          tier="strategic_partner", model="strategic_partnership",
                          phase="outreach"))
    session.commit()
    csv_template = client.get(f"{URL}/template.csv")
    assert csv_template.status_code == 200
    lines = csv_template.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == list(COLUMNS) and len(lines) == 3  # numeric and milestone

    response = client.get(f"{URL}/template.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX_TYPE
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["updates", "reference"]
    updates = list(workbook["updates"].iter_rows(values_only=True))
    assert list(updates[0]) == list(COLUMNS) and len(updates) == 3
    reference = list(workbook["reference"].iter_rows(values_only=True))
    assert reference[0][:4] == ("list", "key", "label_en", "label_fr")
    listed = {(r[0], r[1]): r for r in reference[1:]}
    slugs = set(session.scalars(select(Candidate.slug)))
    assert {key for kind, key in listed if kind == "candidate"} == slugs
    assert listed["candidate", "new-land"][2:4] == ("New Land", "Nouvelle-Terre")
    spending = listed["indicator", "defence_spending_gdp"]
    assert spending[5] == "numeric" and spending[6]
    stage = next(r for (kind, _), r in listed.items() if kind == "stage")
    assert stage[2] and stage[3] and stage[4]  # English, French, its indicator

    # The templates, as downloaded, are valid uploads.
    for body, content_type in ((csv_template.content, "text/csv"),
                               (response.content, XLSX_TYPE)):
        checked = upload(client, analyst_headers, body, content_type, dry_run="true")
        assert checked.status_code == 200, checked.text
        assert checked.json()["rows"] == 2


def test_a_workbook_that_unpacks_past_the_limit_is_a_422_on_the_file(
        client, session, analyst_headers, setting):
    setting("IMPORT_MAX_UNPACKED_BYTES", str(256 * 1024))
    body = xlsx_body(*GOOD)
    source = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</row>", b"</row>" + b" " * 1024 * 1024, 1)
            archive.writestr(name, data)
    before = count(session)
    response = upload(client, analyst_headers, out.getvalue(), XLSX_TYPE)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert (error["line"], error["column"], error["type"]) == (1, "file", "workbook_too_large")
    assert "262,144 bytes" in error["msg"] and response.json()["error_count"] == 1
    assert count(session) == before


def test_a_workbook_with_a_doctype_is_a_422(client, analyst_headers):
    source = zipfile.ZipFile(io.BytesIO(xlsx_body(*GOOD)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/workbook.xml":
                assert not data.startswith(b"<?xml")
                data = b'<!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:9/">]>' + data
            archive.writestr(name, data)
    response = upload(client, analyst_headers, out.getvalue(), XLSX_TYPE)
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "unsafe_xml"


def test_a_refusal_lists_the_first_errors_and_counts_them_all(
        client, session, analyst_headers, monkeypatch):
    monkeypatch.setattr(service, "LISTED_ERRORS", 10)
    monkeypatch.setattr(service, "CHUNK_ROWS", 7)
    bad = "georgia,defence_spending_gdp,,lots,2025-06-30,x,,,final"
    extra = "georgia,defence_spending_gdp,,1,2025-06-30,x,,,final,extra,cells"
    body = csv_body(*[bad] * 30, *[extra] * 30, GOOD[0])
    before = count(session)
    response = upload(client, analyst_headers, body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["error_count"] == 60 and len(problem["errors"]) == 10
    assert [e["line"] for e in problem["errors"]] == list(range(2, 12))
    assert problem["detail"].startswith("60 problem(s), the first 10 listed; nothing was stored")
    assert count(session) == before


def test_an_import_past_its_time_is_refused_and_stores_nothing(
        client, session, analyst_headers, setting):
    setting("IMPORT_TIMEOUT_SECONDS", "0")
    before = count(session), count(session, Event)
    for body, content_type in [(csv_body(*GOOD), "text/csv"), (xlsx_body(*GOOD), XLSX_TYPE)]:
        response = upload(client, analyst_headers, body, content_type)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["type"] == "import_timeout"
        assert "ACCESSION_IMPORT_TIMEOUT_SECONDS" in response.json()["errors"][0]["msg"]
    assert (count(session), count(session, Event)) == before


def test_the_client_leaving_cancels_the_import():
    from starlette.requests import Request

    from app.imports.api import cancel_when_client_leaves
    from app.imports.xlsx import Deadline

    messages = iter([{"type": "http.request", "body": b"", "more_body": False},
                     {"type": "http.disconnect"}])

    async def receive():
        return next(messages)

    deadline = Deadline()
    request = Request({"type": "http", "method": "POST", "path": URL, "headers": []}, receive)
    # In a thread of its own: a browser test earlier on this worker may leave a loop running.
    run_in_own_loop(lambda: cancel_when_client_leaves(request, deadline))
    assert deadline.cancelled.is_set() and deadline.passed()


def test_values_quoted_in_a_refusal_are_cut(client, analyst_headers):
    long = "atlantis" * 10_000
    response = upload(client, analyst_headers,
                      csv_body(f"{long},defence_spending_gdp,,1.2,2025-06-30,x,,,final"))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["type"] == "unknown_candidate"
    assert len(error["value"]) < 600 and "80,000 characters" in error["value"]
    assert len(error["msg"]) < 1100


def test_a_csv_line_past_a_megabyte_is_refused(client, analyst_headers):
    response = upload(client, analyst_headers, csv_body("," * (1024 * 1024 + 10)))
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "malformed_csv"
    assert "longer than 1,048,576 characters" in response.json()["errors"][0]["msg"]


def test_imports_past_the_number_at_once_are_503_with_retry_after(
        client, session, analyst_headers, setting):
    setting("IMPORTS_AT_ONCE", "1")
    with client.app.state.import_slots.slot(1):
        busy = upload(client, analyst_headers, csv_body(*GOOD))
    assert busy.status_code == 503 and busy.headers["retry-after"] == "30"
    assert "ACCESSION_IMPORTS_AT_ONCE" in busy.json()["detail"]
    assert upload(client, analyst_headers, csv_body(*GOOD), dry_run="true").status_code == 200


def test_the_xlsx_template_drops_characters_a_workbook_cannot_hold(client, session):
    session.add(Candidate(slug="odd-land", iso3="ODL", name="Odd\x01Land", name_fr="Terre\x1f",
                          tier="strategic_partner", model="strategic_partnership",
                          phase="outreach"))
    session.commit()
    response = client.get(f"{URL}/template.xlsx")
    assert response.status_code == 200
    reference = list(load_workbook(io.BytesIO(response.content), read_only=True)["reference"]
                     .iter_rows(values_only=True))
    assert ("candidate", "odd-land", "OddLand", "Terre") in {r[:4] for r in reference}
