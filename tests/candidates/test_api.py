"""Candidates through HTTP, on each backend: the list and its filters, a candidate's record
and its tier and phase history, written by admins (every write appends one event in its own
transaction) in English and French; reading writes nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.models import (
    CandidateBenchmark,
    CandidateStatusChange,
    Event,
    ProgressReport,
    ProgressUpdate,
    RatificationStepRecord,
)
from tests.helpers import PROBLEM, assert_422_naming, benchmark_keys, count, last_event

TODAY = datetime.now(UTC).date()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()


def tier_keys(client, tier):
    benchmarks = client.get("/api/v1/framework").json()["benchmarks"]
    return {b["key"] for b in benchmarks if tier in {r["tier"] for r in b["requirements"]}}


# Candidates

def candidate(**fields):
    return {"slug": "moldova", "iso3": "MDA", "name": "Moldova", "tier": "strategic_partner",
            "model": "strategic_partnership", "phase": "outreach", **fields}


def test_admin_creates_a_candidate_with_history_and_benchmarks(client, session, admin_headers):
    events = count(session)
    response = client.post("/api/v1/candidates",
                           json=candidate(name_fr="Moldavie", source="Council decision"),
                           headers=admin_headers)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/api/v1/candidates/moldova"
    body = response.json()
    assert (body["slug"], body["iso3"], body["name_fr"]) == ("moldova", "MDA", "Moldavie")
    assert body["history"] == [{"tier": "strategic_partner", "phase": "outreach",
                                "effective_on": TODAY.isoformat(),
                                "source": "Council decision", "note": "", "note_fr": "",
                                "is_illustrative": False}]

    listed = client.get("/api/v1/candidates").json()
    assert "moldova" in {c["slug"] for c in listed["items"]} and listed["total"] == 6
    assert benchmark_keys(client, "moldova") == tier_keys(client, "strategic_partner")
    assert client.get("/api/v1/candidates/moldova/status").status_code == 200

    assert count(session) == events + 1
    event = client.get("/api/v1/events", params={"limit": 500}).json()["items"][-1]  # public
    assert (event["kind"], event["entity_id"], event["candidate"]) == (
        "candidate.created", "moldova", "moldova")
    assert event["actor"] == "root" and event["after"]["tier"] == "strategic_partner"


def test_candidate_takes_a_past_effective_date(client, admin_headers):
    response = client.post("/api/v1/candidates", json=candidate(effective_on="2024-03-01"),
                           headers=admin_headers)
    assert response.status_code == 201
    assert response.json()["history"][0]["effective_on"] == "2024-03-01"


@pytest.mark.parametrize(
    ("fields", "field", "taken"),
    [({"slug": "georgia"}, "slug", "georgia"), ({"iso3": "GEO"}, "iso3", "GEO")],
)
def test_taken_slug_or_iso3_is_409_naming_it(client, session, admin_headers, fields, field,
                                             taken):
    events = count(session)
    response = client.post("/api/v1/candidates", json=candidate(**fields), headers=admin_headers)
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert taken in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == field
    assert count(session) == events


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"slug": "Moldova"}, "slug"),
        ({"slug": "mol dova"}, "slug"),
        ({"slug": "-moldova"}, "slug"),
        ({"slug": "mol--dova"}, "slug"),
        ({"slug": "m" * 81}, "slug"),
        ({"iso3": "mda"}, "iso3"),
        ({"iso3": "MD"}, "iso3"),
        ({"iso3": "MDAX"}, "iso3"),
        ({"tier": "emperor"}, "tier"),
        ({"phase": "done"}, "phase"),
        ({"model": "annexation"}, "model"),
        ({"name": "  "}, "name"),
        ({"extra": 1}, "extra"),
        ({"effective_on": TOMORROW}, "effective_on"),
    ],
)
def test_malformed_candidate_is_422_naming_the_field(client, session, admin_headers, fields,
                                                     field):
    events = count(session)
    response = client.post("/api/v1/candidates", json=candidate(**fields), headers=admin_headers)
    assert_422_naming(response, field)
    assert count(session) == events


def test_tier_change_adds_history_and_rederives_benchmarks(client, session, admin_headers):
    old_keys = benchmark_keys(client, "ukraine")
    assert "major_equipment_share" in old_keys - tier_keys(client, "strategic_partner")
    equipment = client.get("/api/v1/candidates/ukraine/updates",
                           params={"benchmark": "major_equipment_share"}).json()
    assert equipment["total"] > 0
    events = count(session)

    response = client.patch("/api/v1/candidates/ukraine", headers=admin_headers, json={
        "tier": "strategic_partner", "effective_on": "2025-09-01", "source": "Demo decision",
        "note": "moved back", "note_fr": "retour en arrière", "is_illustrative": True})
    assert response.status_code == 200, response.text
    history = response.json()["history"]
    assert history[-1] == {"tier": "strategic_partner", "phase": "outreach",
                           "effective_on": "2025-09-01", "source": "Demo decision",
                           "note": "moved back", "note_fr": "retour en arrière",
                           "is_illustrative": True}
    assert response.json()["tier"] == "strategic_partner"
    assert client.get("/api/v1/candidates/ukraine").json()["history"] == history

    assert benchmark_keys(client, "ukraine") == tier_keys(client, "strategic_partner")
    status = client.get("/api/v1/candidates/ukraine/status").json()
    assert {b["key"] for b in status["benchmarks"]} == tier_keys(client, "strategic_partner")
    again = client.get("/api/v1/candidates/ukraine/updates",
                       params={"benchmark": "major_equipment_share"}).json()
    assert again == equipment
    kept = session.scalars(select(CandidateBenchmark).join(CandidateBenchmark.definition)
                           .join(CandidateBenchmark.candidate)
                           .where(CandidateBenchmark.candidate.has(slug="ukraine"))).all()
    inactive = {cb.definition.key for cb in kept if not cb.is_active}
    assert inactive == old_keys - tier_keys(client, "strategic_partner")

    assert count(session) == events + 1
    event = last_event(client, admin_headers)
    assert event["kind"] == "candidate.updated"
    assert (event["before"]["tier"], event["after"]["tier"]) == ("interim_ally",
                                                                "strategic_partner")
    assert event["after"]["status_change"]["effective_on"] == "2025-09-01"

    back = client.patch("/api/v1/candidates/ukraine", json={"tier": "interim_ally"},
                        headers=admin_headers)
    assert back.status_code == 200
    assert back.json()["history"][-1]["effective_on"] == TODAY.isoformat()
    assert benchmark_keys(client, "ukraine") == old_keys
    assert len(session.scalars(select(CandidateBenchmark.id).where(
        CandidateBenchmark.id.in_([cb.id for cb in kept]),
        CandidateBenchmark.is_active.is_(True))).all()) == len(old_keys)


def test_phase_change_adds_history_and_keeps_benchmarks(client, admin_headers):
    keys = benchmark_keys(client, "georgia")
    response = client.patch("/api/v1/candidates/georgia", json={"phase": "accession_talks"},
                            headers=admin_headers)
    assert response.status_code == 200
    history = response.json()["history"]
    assert len(history) == 2
    assert history[-1]["tier"] == "strategic_partner"
    assert history[-1]["phase"] == "accession_talks"
    assert benchmark_keys(client, "georgia") == keys
    assert last_event(client, admin_headers)["after"]["phase"] == "accession_talks"


def test_plain_edit_adds_no_history(client, session, admin_headers):
    changes = count(session, CandidateStatusChange)
    response = client.patch("/api/v1/candidates/georgia",
                            json={"name_fr": "Géorgie (édité)", "summary": "New summary."},
                            headers=admin_headers)
    assert response.status_code == 200
    assert response.json()["name_fr"] == "Géorgie (édité)"
    assert response.json()["summary"] == "New summary."
    assert count(session, CandidateStatusChange) == changes
    event = last_event(client, admin_headers)
    assert event["before"]["name_fr"] == "Géorgie" and event["after"]["summary"] == "New summary."


def test_patch_that_changes_nothing_writes_nothing(client, session, admin_headers):
    events = count(session), count(session, CandidateStatusChange)
    response = client.patch("/api/v1/candidates/georgia",
                            json={"phase": "outreach", "name": "Georgia"}, headers=admin_headers)
    assert response.status_code == 200
    assert (count(session), count(session, CandidateStatusChange)) == events


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"tier": "strategic_partner", "effective_on": "2023-07-11"}, "effective_on",
         "2023-07-12"),
        ({"phase": "accession_talks", "effective_on": TOMORROW}, "effective_on", "today"),
        ({"effective_on": "2025-01-01"}, "effective_on", "tier or phase"),
        ({"note": "why"}, "note", "tier or phase"),
        ({"slug": "kyiv"}, "slug", ""),
        ({"iso3": "UKX"}, "iso3", ""),
        ({"name": None}, "name", "null"),
        ({"tier": None}, "tier", "null"),
        ({"tier": "emperor"}, "tier", ""),
    ],
)
def test_bad_candidate_edit_is_422_naming_the_field(client, session, admin_headers, body, field,
                                                   words):
    events = count(session), count(session, CandidateStatusChange)
    response = client.patch("/api/v1/candidates/ukraine", json=body, headers=admin_headers)
    assert_422_naming(response, field, words)
    assert (count(session), count(session, CandidateStatusChange)) == events


def test_edit_of_unknown_candidate_is_404(client, admin_headers):
    response = client.patch("/api/v1/candidates/atlantis", json={"name": "A"},
                            headers=admin_headers)
    assert response.status_code == 404 and "atlantis" in response.json()["detail"]


ADMIN_WRITES = [
    ("post", "/api/v1/candidates", candidate()),
    ("patch", "/api/v1/candidates/georgia", {"name": "Sakartvelo"}),
    ("post", "/api/v1/categories", {"key": "cyber", "title": "Cyber"}),
    ("patch", "/api/v1/categories/spending", {"title": "Money"}),
    ("post", "/api/v1/benchmarks", {"key": "x", "title": "X", "category": "spending",
                                    "kind": "milestone", "stages": ["a"],
                                    "valid_from": "2020-01-01"}),
    ("patch", "/api/v1/benchmarks/joint_exercises", {"title": "Exercises"}),
]


@pytest.mark.parametrize(("method", "url", "body"), ADMIN_WRITES)
def test_admin_routes_refuse_analysts_and_anonymous(client, session, analyst_headers, method,
                                                    url, body):
    events = count(session)
    forbidden = client.request(method, url, json=body, headers=analyst_headers)
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"] == PROBLEM
    anonymous = client.request(method, url, json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert count(session) == events


# French beside the English

def test_candidate_summary_and_status_note_in_french_round_trip(client, admin_headers):
    created = client.post("/api/v1/candidates", headers=admin_headers, json=candidate(
        summary="Aspirant.", summary_fr="État aspirant.", note="First status.",
        note_fr="Premier statut."))
    assert created.status_code == 201, created.text
    read = client.get("/api/v1/candidates/moldova").json()
    assert created.json() == read
    assert (read["summary"], read["summary_fr"]) == ("Aspirant.", "État aspirant.")
    assert (read["history"][0]["note"], read["history"][0]["note_fr"]) == (
        "First status.", "Premier statut.")

    edited = client.patch("/api/v1/candidates/moldova", headers=admin_headers, json={
        "summary_fr": "Candidat.", "phase": "accession_talks", "note": "Talks open.",
        "note_fr": "Pourparlers ouverts."})
    assert edited.status_code == 200, edited.text
    read = client.get("/api/v1/candidates/moldova").json()
    assert (read["summary"], read["summary_fr"]) == ("Aspirant.", "Candidat.")
    assert read["history"][-1]["note_fr"] == "Pourparlers ouverts."


def test_french_note_alone_needs_a_change_of_tier_or_phase(client, admin_headers):
    response = client.patch("/api/v1/candidates/georgia", headers=admin_headers,
                            json={"note_fr": "pourquoi"})
    assert response.status_code == 422
    assert "note_fr" in response.text


def test_null_french_text_is_refused(client, admin_headers):
    response = client.patch("/api/v1/candidates/georgia", headers=admin_headers,
                            json={"summary_fr": None})
    assert response.status_code == 422


# Reading

SLUGS = {"bosnia-and-herzegovina", "georgia", "ukraine", "finland", "sweden"}


def test_candidates_list_is_paginated(client):
    body = client.get("/api/v1/candidates").json()
    assert {c["slug"] for c in body["items"]} == SLUGS
    assert (body["total"], body["limit"], body["offset"]) == (5, 50, 0)

    page = client.get("/api/v1/candidates", params={"limit": 2, "offset": 2}).json()
    assert len(page["items"]) == 2 and page["total"] == 5
    assert page["items"][0]["slug"] == body["items"][2]["slug"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"phase": "member"}, {"finland", "sweden"}),
        ({"tier": "full_candidate", "phase": "member"}, {"finland", "sweden"}),
    ],
)
def test_candidates_filter(client, params, expected):
    items = client.get("/api/v1/candidates", params=params).json()["items"]
    assert {c["slug"] for c in items} == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tier": "emperor"}, "tier"),
        ({"phase": "done"}, "phase"),
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"limit": "many"}, "limit"),
    ],
)
def test_bad_query_parameter_is_422_naming_it(client, params, field):
    response = client.get("/api/v1/candidates", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert field in [e["field"] for e in response.json()["errors"]]
    assert field in response.json()["detail"]


def test_candidate_detail_has_dated_history(client):
    body = client.get("/api/v1/candidates/finland").json()
    assert body["iso3"] == "FIN" and body["phase"] == "member"
    phases = [h["phase"] for h in body["history"]]
    assert phases[-1] == "member"
    assert body["history"][-1]["effective_on"] == "2023-04-04"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/candidates/atlantis",
        "/api/v1/candidates/atlantis/benchmarks",
        "/api/v1/candidates/atlantis/updates",
        "/api/v1/candidates/atlantis/reports",
        "/api/v1/candidates/atlantis/ratifications",
    ],
)
def test_unknown_slug_is_404_problem_naming_it(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 404 and "atlantis" in body["detail"]


def test_candidate_benchmarks_follow_the_tier(client):
    body = client.get("/api/v1/candidates/georgia/benchmarks").json()
    assert body["total"] == len(body["items"]) > 0
    spending = next(b for b in body["items"] if b["key"] == "defence_spending_gdp")
    assert spending["kind"] == "numeric" and spending["unit"] == "% of GDP"
    assert isinstance(spending["target"], float)
    milestones = [b for b in body["items"] if b["kind"] == "milestone"]
    assert all(b["target"] in b["stages"] for b in milestones)


def test_reading_changes_nothing(client, session):
    def counts():
        return [session.scalar(select(func.count()).select_from(t))
                for t in (ProgressUpdate, ProgressReport, RatificationStepRecord, Event)]

    before = counts()
    for slug in SLUGS:
        for suffix in ("", "/benchmarks", "/updates", "/reports", "/ratifications"):
            assert client.get(f"/api/v1/candidates/{slug}{suffix}").status_code == 200
            assert client.post(f"/api/v1/candidates/{slug}{suffix}").status_code in {401, 405}
    assert counts() == before
