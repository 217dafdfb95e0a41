"""Posting progress updates: validation, atomic batches, idempotent retries, corrections and
retractions, what readers see at once, and updates read back by benchmark and dates."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.events.service import snapshot
from app.models import Event, ProgressUpdate
from app.progress.service import UPDATE_FIELDS

URL = "/api/v1/candidates/georgia/updates"


def update(**fields):
    return {"benchmark": "defence_spending_gdp", "value": 1.9, "as_of": "2025-06-30",
            "source": "Ministry of Defence budget law 2025", **fields}


def count(session, model=ProgressUpdate):
    return session.scalar(select(func.count()).select_from(model))


def test_single_update_is_stored_and_visible_at_once(client, session, analyst_headers):
    before = count(session), count(session, Event)
    response = client.post(URL, json=update(note="first half"), headers=analyst_headers)
    assert response.status_code == 201, response.text
    [stored] = response.json()["items"]
    assert stored["value"] == 1.9 and stored["author"] == "ana" and stored["note"] == "first half"
    assert (count(session), count(session, Event)) == (before[0] + 1, before[1] + 1)

    listed = client.get(URL, params={"benchmark": "defence_spending_gdp"}).json()["items"]
    assert listed[0]["id"] == stored["id"]
    status = client.get("/api/v1/candidates/georgia/status").json()
    spending = next(b for b in status["benchmarks"] if b["key"] == "defence_spending_gdp")
    assert spending["latest"]["value"] == 1.9
    events = client.get("/api/v1/events", params={"after": 0, "limit": 500}).json()["items"]
    assert events[-1]["kind"] == "progress_update.created"
    assert events[-1]["after"]["id"] == stored["id"] and events[-1]["actor"] == "ana"
    # The event records the row as stored, in the shape every other record of it takes.
    row = session.get(ProgressUpdate, stored["id"])
    assert events[-1]["after"] == {"indicator": "defence_spending_gdp",
                                   "benchmark": "defence_spending_gdp",
                                   **snapshot(row, UPDATE_FIELDS)}


def test_milestone_update_takes_a_known_stage(client, analyst_headers):
    response = client.post(URL, json=update(benchmark="nato_standards_adoption",
                                            value="full_adoption"), headers=analyst_headers)
    assert response.status_code == 201, response.text
    assert response.json()["items"][0]["value"] == "full_adoption"


def test_batch_is_all_or_nothing(client, session, analyst_headers):
    before = count(session)
    good = [update(as_of=f"2025-0{m}-28") for m in range(1, 6)]
    bad = update(benchmark="no_such_benchmark")
    response = client.post(URL, json={"updates": [*good, bad]}, headers=analyst_headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "updates", 5, "benchmark"]
    assert count(session) == before

    response = client.post(URL, json={"updates": good}, headers=analyst_headers)
    assert response.status_code == 201
    assert len(response.json()["items"]) == 5 and count(session) == before + 5


def test_a_batch_answers_each_item_with_its_own_stored_row(client, session, analyst_headers):
    """Each answered id is the row stored from that item, and its event says so: the ids come
    back from one INSERT and must be matched to the items in order."""
    items = [update(value=round(0.5 + k / 100, 2), as_of=f"2025-{1 + k % 12:02d}-{1 + k % 28:02d}",
                    note=f"item {k}") for k in range(120)]
    response = client.post(URL, json={"updates": items}, headers=analyst_headers)
    assert response.status_code == 201, response.text
    answered = response.json()["items"]
    assert [a["note"] for a in answered] == [i["note"] for i in items]
    rows = {u.id: u for u in session.scalars(
        select(ProgressUpdate).where(ProgressUpdate.id.in_([a["id"] for a in answered])))}
    for item, answer in zip(items, answered, strict=True):
        row = rows[answer["id"]]
        assert (row.value, row.as_of.isoformat(), row.note) == \
            (item["value"], item["as_of"], item["note"])
    events = {e.entity_id: e.after for e in session.scalars(
        select(Event).where(Event.kind == "progress_update.created",
                            Event.entity_id.in_([str(a["id"]) for a in answered])))}
    assert all(events[str(a["id"])]["note"] == a["note"] for a in answered)


TOMORROW = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"benchmark": "nope"}, "benchmark", "no benchmark"),
        ({"value": "adopted"}, "value", "numeric"),
        ({"value": 150.0}, "value", "above"),
        ({"value": -1}, "value", "below"),
        ({"benchmark": "nato_standards_adoption", "value": "done"}, "value", "stages"),
        ({"benchmark": "nato_standards_adoption", "value": 3}, "value", "milestone"),
        ({"as_of": TOMORROW}, "as_of", "future"),
        ({"supersedes": 999999}, "supersedes", "not an observation"),
        ({"benchmark": None, "indicator": "nope"}, "indicator", "no indicator"),
        ({"benchmark": None, "indicator": "nato_standards_adoption", "value": "done"}, "value",
         "stages"),
        ({"observation_status": "rumour"}, "observation_status", "final"),
        ({"indicator": "defence_spending_gdp"}, "indicator", "one of them"),
        ({"benchmark": None}, "indicator", "one of them"),
        ({"published_on": TOMORROW}, "published_on", "future"),
    ],
)
def test_business_rules_are_422_naming_the_field(client, session, analyst_headers, fields,
                                                 field, words):
    before = count(session)
    response = client.post(URL, json=update(**fields), headers=analyst_headers)
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    # Schema errors and business rules name the field alike, as the client wrote it.
    assert error["loc"] == ["body", field] and error["field"] == field and words in error["msg"]
    assert count(session) == before


@pytest.mark.parametrize(
    "body",
    [
        update(source=""), update(source="   "),
        {k: v for k, v in update().items() if k != "source"},
        update(value=True), update(as_of="2025-02-30"), update(extra="field"),
        {"updates": []}, {"updates": [update()] * 501},
    ],
)
def test_malformed_updates_are_422(client, session, analyst_headers, body):
    before = count(session)
    response = client.post(URL, json=body, headers=analyst_headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert count(session) == before


def test_nan_and_infinity_are_refused(client, session, analyst_headers):
    for literal in ("NaN", "Infinity", "-Infinity", "1e999"):
        body = ('{"benchmark": "defence_spending_gdp", "value": ' + literal
                + ', "as_of": "2025-06-30", "source": "x"}')
        response = client.post(URL, content=body, headers={**analyst_headers,
                                                            "content-type": "application/json"})
        assert response.status_code == 422, literal


def test_idempotent_retry_returns_the_first_answer(client, session, analyst_headers):
    headers = {**analyst_headers, "Idempotency-Key": "batch-2025-06-30"}
    first = client.post(URL, json=update(), headers=headers)
    before = count(session), count(session, Event)
    again = client.post(URL, json=update(), headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert (count(session), count(session, Event)) == before

    other = client.post(URL, json=update(value=1.7), headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    assert count(session) == before[0]


def test_a_key_reused_for_another_candidate_is_422_and_stores_nothing(client, session,
                                                                     analyst_headers):
    headers = {**analyst_headers, "Idempotency-Key": "georgia-then-ukraine"}
    assert client.post(URL, json=update(), headers=headers).status_code == 201
    before = count(session), count(session, Event)
    other = client.post("/api/v1/candidates/ukraine/updates", json=update(), headers=headers)
    assert other.status_code == 422, other.text
    assert other.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in other.json()["errors"]] == ["Idempotency-Key"]
    assert (count(session), count(session, Event)) == before


def test_correction_supersedes_and_keeps_the_original(client, analyst_headers):
    wrong = client.post(URL, json=update(value=9.1), headers=analyst_headers).json()["items"][0]
    fixed = client.post(URL, json=update(value=1.91, supersedes=wrong["id"],
                                         note="typo: 1.91, not 9.1"), headers=analyst_headers)
    assert fixed.status_code == 201
    listed = client.get(URL, params={"benchmark": "defence_spending_gdp", "from": "2025-06-30"})
    ids = {u["id"]: u for u in listed.json()["items"]}
    assert wrong["id"] in ids and ids[fixed.json()["items"][0]["id"]]["supersedes"] == wrong["id"]
    status = client.get("/api/v1/candidates/georgia/status").json()
    spending = next(b for b in status["benchmarks"] if b["key"] == "defence_spending_gdp")
    assert spending["latest"]["value"] == 1.91


def test_retraction_hides_without_deleting(client, session, analyst_headers):
    wrong = client.post(URL, json=update(value=9.1), headers=analyst_headers).json()["items"][0]
    response = client.post(f"/api/v1/updates/{wrong['id']}/retract",
                           json={"reason": "wrong country"}, headers=analyst_headers)
    assert response.status_code == 200
    assert response.json()["retraction"]["reason"] == "wrong country"
    assert session.get(ProgressUpdate, wrong["id"]) is not None
    status = client.get("/api/v1/candidates/georgia/status").json()
    spending = next(b for b in status["benchmarks"] if b["key"] == "defence_spending_gdp")
    assert spending["latest"]["value"] != 9.1
    again = client.post(f"/api/v1/updates/{wrong['id']}/retract", json={"reason": "again"},
                        headers=analyst_headers)
    assert again.status_code == 409
    missing = client.post("/api/v1/updates/999999/retract", json={"reason": "x"},
                          headers=analyst_headers)
    assert missing.status_code == 404


# Reading updates back

def test_updates_filter_by_benchmark_and_dates(client):
    everything = client.get("/api/v1/candidates/georgia/updates", params={"limit": 500}).json()
    spending = client.get(
        "/api/v1/candidates/georgia/updates",
        params={"benchmark": "defence_spending_gdp", "from": "2020-01-01", "to": "2022-12-31"},
    ).json()
    assert 0 < spending["total"] < everything["total"]
    assert {u["benchmark"] for u in spending["items"]} == {"defence_spending_gdp"}
    assert {u["as_of"] for u in spending["items"]} == {"2020-12-31", "2021-12-31", "2022-12-31"}
    assert all("SIPRI" in u["source"] for u in spending["items"])


def test_corrections_keep_the_value_they_supersede(client):
    items = client.get(
        "/api/v1/candidates/ukraine/updates",
        params={"benchmark": "defence_spending_gdp", "from": "2022-12-31", "to": "2022-12-31"},
    ).json()["items"]
    correction = next(u for u in items if u["supersedes"] is not None)
    original = next(u for u in items if u["id"] == correction["supersedes"])
    assert original["value"] == 34.0
    assert correction["value"] == pytest.approx(25.64, abs=0.01)


def test_unknown_benchmark_key_is_404_naming_it(client):
    response = client.get("/api/v1/candidates/georgia/updates", params={"benchmark": "nope"})
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


def test_bad_date_filter_is_422_naming_it(client):
    response = client.get("/api/v1/candidates/georgia/updates", params={"from": "yesterday"})
    assert response.status_code == 422
    assert "from" in [e["field"] for e in response.json()["errors"]]
