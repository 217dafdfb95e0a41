"""Ratification steps recorded through HTTP, on each backend: by analysts and admins, with a
note in French, refused for unknown members or candidates and malformed steps; each write
appends one event."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import PROBLEM, assert_422_naming, count

TODAY = datetime.now(UTC).date()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()


# Ratification steps

def step(**fields):
    return {"step": "parliament_approved", "occurred_on": "2025-05-20",
            "source": "Bundestag plenary record", **fields}


def ratification(client, slug, iso3):
    items = client.get(f"/api/v1/candidates/{slug}/ratifications",
                       params={"limit": 500}).json()["items"]
    return next(r for r in items if r["member"]["iso3"] == iso3)


def test_analyst_records_a_ratification_step(client, session, analyst_headers):
    assert ratification(client, "georgia", "DEU")["status"] == "pending"
    events = count(session)
    response = client.post("/api/v1/candidates/georgia/ratifications/DEU/steps",
                           json=step(confidence="medium", note="second reading",
                                     note_fr="deuxième lecture"),
                           headers=analyst_headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["member"]["iso3"] == "DEU"
    assert (body["status"], body["status_on"]) == ("parliament_approved", "2025-05-20")
    assert body["steps"] == [{"step": "parliament_approved", "occurred_on": "2025-05-20",
                              "source": "Bundestag plenary record", "confidence": "medium",
                              "note": "second reading", "note_fr": "deuxième lecture"}]
    assert ratification(client, "georgia", "DEU") == body

    signed = client.post("/api/v1/candidates/georgia/ratifications/DEU/steps",
                         json=step(step="signed", occurred_on="2025-06-02"),
                         headers=analyst_headers)
    # `signed`, the step's name before procedures, is taken for head_of_state_assent.
    assert signed.json()["status"] == "head_of_state_assent"
    assert len(signed.json()["steps"]) == 2
    assert signed.json()["steps"][1]["confidence"] == "high"

    assert count(session) == events + 2
    event = client.get("/api/v1/events", params={"limit": 500}).json()["items"][-1]  # public
    assert (event["kind"], event["candidate"], event["actor"]) == (
        "ratification_step.created", "georgia", "ana")
    assert (event["after"]["member_iso3"], event["after"]["step"]) == (
        "DEU", "head_of_state_assent")


def test_admin_may_record_a_ratification_step(client, admin_headers):
    response = client.post("/api/v1/candidates/georgia/ratifications/FRA/steps", json=step(),
                           headers=admin_headers)
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("slug", "iso3", "unknown"),
    [("georgia", "XYZ", "XYZ"), ("georgia", "deu", "deu"), ("atlantis", "DEU", "atlantis")],
)
def test_step_for_unknown_member_or_candidate_is_404_naming_it(client, session, analyst_headers,
                                                                slug, iso3, unknown):
    events = count(session)
    response = client.post(f"/api/v1/candidates/{slug}/ratifications/{iso3}/steps", json=step(),
                           headers=analyst_headers)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["value"] == unknown and unknown in response.json()["detail"]
    assert count(session) == events


@pytest.mark.parametrize(
    ("slug", "iso3", "body", "field", "words"),
    [
        ("finland", "FIN", step(), "member_iso3", "candidate itself"),
        ("finland", "SWE", step(), "member_iso3", "joined on 2024-03-07"),
        ("georgia", "DEU", step(occurred_on=TOMORROW), "occurred_on", "after today"),
        ("georgia", "DEU", step(source=" "), "source", ""),
        ("georgia", "DEU", {k: v for k, v in step().items() if k != "source"}, "source", ""),
        ("georgia", "DEU", step(step="vetoed"), "step", ""),
        ("georgia", "DEU", step(confidence="sure"), "confidence", ""),
        ("georgia", "DEU", step(extra=1), "extra", ""),
    ],
)
def test_bad_ratification_step_is_422_naming_the_field(client, session, analyst_headers, slug,
                                                       iso3, body, field, words):
    events = count(session)
    response = client.post(f"/api/v1/candidates/{slug}/ratifications/{iso3}/steps", json=body,
                           headers=analyst_headers)
    assert_422_naming(response, field, words)
    assert count(session) == events


def test_ratification_step_needs_a_token(client):
    response = client.post("/api/v1/candidates/georgia/ratifications/DEU/steps", json=step())
    assert response.status_code == 401


def test_ratification_step_note_in_french_round_trips(client, analyst_headers):
    response = client.post("/api/v1/candidates/georgia/ratifications/DEU/steps",
                           headers=analyst_headers,
                           json=step(note="second reading", note_fr="deuxième lecture"))
    assert response.status_code == 201, response.text
    items = client.get("/api/v1/candidates/georgia/ratifications",
                       params={"limit": 500}).json()["items"]
    deu = next(r for r in items if r["member"]["iso3"] == "DEU")
    assert [(s["note"], s["note_fr"]) for s in deu["steps"]] == [("second reading",
                                                                 "deuxième lecture")]
