"""Errors in one pass, in the client's words: paths as the client wrote them, dates and periods
with their format, a stable `type` on every item, and a batch's every error in one answer."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.errors import ERROR_TYPES
from app.models import ProgressUpdate

URL = "/api/v1/candidates/georgia/updates"


def update(**fields):
    return {"benchmark": "defence_spending_gdp", "value": 1.9, "as_of": "2025-06-30",
            "source": "Ministry of Defence budget law 2025", **fields}


def count(session):
    return session.scalar(select(func.count()).select_from(ProgressUpdate))


def assert_in_words(answer):
    text = json.dumps(answer)
    assert "body." not in text and "single" not in text and "batch" not in text
    assert "Input should" not in text and "String should" not in text and "^" not in text
    for error in answer["errors"]:
        assert error["type"], error
        assert error["field"] and error["msg"] and isinstance(error["loc"], list)


def test_a_batch_names_every_format_and_value_error_in_one_answer(client, session,
                                                                  analyst_headers):
    before = count(session)
    items = [update(as_of="30/06/2025"), update(as_of="2025-05-31"),
             update(benchmark="no_such_benchmark"), update(value=150.0)]
    response = client.post(URL, json={"updates": items}, headers=analyst_headers)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert [(e["field"], e["type"]) for e in answer["errors"]] == [
        ("updates[0].as_of", "invalid_date"), ("updates[2].benchmark", "unknown_benchmark"),
        ("updates[3].value", "out_of_range")]
    assert answer["errors"][0]["msg"] == "not a date: use YYYY-MM-DD"
    assert answer["errors"][0]["loc"] == ["body", "updates", 0, "as_of"]
    assert "updates[2].benchmark" in answer["detail"]
    assert_in_words(answer)
    assert count(session) == before


def test_an_item_with_a_format_error_is_still_checked_for_its_values(client, session,
                                                                     analyst_headers):
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    items = [update(as_of="2025-13-01", benchmark="no_such_benchmark"),
             update(value=True, as_of=tomorrow),
             update(source="", value=150.0)]
    before = count(session)
    response = client.post(URL, json={"updates": items}, headers=analyst_headers)
    assert response.status_code == 422
    assert {(e["field"], e["type"]) for e in response.json()["errors"]} == {
        ("updates[0].as_of", "invalid_date"), ("updates[0].benchmark", "unknown_benchmark"),
        ("updates[1].value", "wrong_kind"), ("updates[1].as_of", "future_date"),
        ("updates[2].source", "too_short"), ("updates[2].value", "out_of_range")}
    assert count(session) == before


def test_a_batch_of_format_errors_alone_is_answered_as_before(client, session, analyst_headers):
    items = [update(), update(as_of="2025-02-30", observation_status="rumour")]
    response = client.post(URL, json={"updates": items}, headers=analyst_headers)
    assert response.status_code == 422
    assert {(e["field"], e["type"]) for e in response.json()["errors"]} == {
        ("updates[1].as_of", "invalid_date"), ("updates[1].observation_status", "not_one_of")}
    assert "final, provisional, estimate" in response.json()["errors"][1]["msg"]


def test_a_batch_without_a_token_is_401_not_checked(client):
    response = client.post(URL, json={"updates": [update(as_of="x"), update(value=150.0)]})
    assert response.status_code == 401


def test_a_single_update_with_a_bad_date_says_the_format(client, session, analyst_headers):
    response = client.post(URL, json=update(as_of="2025x"), headers=analyst_headers)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "as_of" and error["loc"] == ["body", "as_of"]
    assert "use YYYY-MM-DD" in error["msg"] and error["type"] == "invalid_date"
    assert_in_words(response.json())


@pytest.mark.parametrize(("fields", "field", "type_"), [
    ({"value": True}, "value", "wrong_kind"),
    ({"value": [1]}, "value", "wrong_kind"),
    ({"supersedes": 1.5}, "supersedes", "not_a_whole_number"),
    ({"as_of": "1800-01-01"}, "as_of", "out_of_range"),
    ({"as_of": 20250630}, "as_of", "invalid_date"),
    ({"published_on": "June 2025"}, "published_on", "invalid_date"),
    ({"source": "x" * 2001}, "source", "too_long"),
    ({"source": ""}, "source", "too_short"),
    ({"extra": 1}, "extra", "unknown_field"),
    ({"note": "a\x00b"}, "note", "nul_character"),
])
def test_each_schema_error_has_a_documented_type(client, analyst_headers, fields, field, type_):
    response = client.post(URL, json=update(**fields), headers=analyst_headers)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["field"], e["type"]) for e in errors] == [(field, type_)]
    assert type_ in ERROR_TYPES
    assert_in_words(response.json())


def test_a_missing_field_is_missing(client, analyst_headers):
    body = {k: v for k, v in update().items() if k != "source"}
    response = client.post(URL, json=body, headers=analyst_headers)
    assert [(e["field"], e["type"]) for e in response.json()["errors"]] == [("source", "missing")]


def test_a_report_period_says_its_format_without_a_regex(client, analyst_headers):
    response = client.post("/api/v1/candidates/georgia/reports",
                           json={"period": "2026Q3", "title": "Third quarter"},
                           headers=analyst_headers)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "period" and error["type"] == "invalid_period"
    assert "use YYYY-Qn, e.g. 2026-Q3" in error["msg"]
    assert_in_words(response.json())


def test_a_query_date_is_named_as_sent(client):
    response = client.get(URL, params={"from": "yesterday"})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["field"], error["type"], error["loc"]) == ("from", "invalid_date",
                                                             ["query", "from"])
    assert "use YYYY-MM-DD" in error["msg"]


def test_business_rule_errors_use_the_clients_path(client, analyst_headers):
    response = client.post(URL, json=update(benchmark="nope"), headers=analyst_headers)
    [error] = response.json()["errors"]
    assert (error["field"], error["type"]) == ("benchmark", "unknown_benchmark")
    assert_in_words(response.json())


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("PUT", URL, {"GET", "HEAD", "POST"}),
    ("DELETE", "/api/v1/imports", {"POST"}),
    ("OPTIONS", "/api/v1/candidates", {"GET", "HEAD", "POST"}),
    ("POST", "/candidates/georgia", {"GET", "HEAD"}),
])
def test_405_lists_every_allowed_method(client, method, path, allowed):
    response = client.request(method, path)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed
    if path.startswith("/api/"):
        detail = response.json()["detail"]
        assert detail.startswith(f"{method} is not allowed here") and all(
            m in detail for m in allowed)


def test_every_type_is_documented(client):
    documented = (__import__("pathlib").Path(__file__).parents[2] / "docs" / "errors.md")
    text = documented.read_text()
    assert all(f"`{code}`" in text for code in ERROR_TYPES)
