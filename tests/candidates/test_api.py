"""Administration through HTTP, on each backend: candidates and their tier and phase history,
categories, benchmark definitions with per-tier requirements, and ratification steps. Every
write appends one event in its own transaction."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.models import CandidateBenchmark, CandidateStatusChange
from tests.helpers import (
    PROBLEM,
    assert_422_naming,
    benchmark_keys,
    count,
    count_writes,
    last_event,
)

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


# Categories

def test_category_create_list_and_edit(client, session, admin_headers):
    events = count(session)
    before = client.get("/api/v1/categories").json()
    response = client.post("/api/v1/categories", headers=admin_headers, json={
        "key": "cyber_defence", "title": "Cyber defence", "title_fr": "Cyberdéfense"})
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/api/v1/categories/cyber_defence"
    created = response.json()
    assert created["position"] == max(c["position"] for c in before["items"]) + 1

    listed = client.get("/api/v1/categories").json()
    assert (listed["total"], listed["limit"], listed["offset"]) == (before["total"] + 1, 50, 0)
    assert listed["items"][-1] == created
    page = client.get("/api/v1/categories", params={"limit": 1, "offset": 1}).json()
    assert page["items"] == [listed["items"][1]]

    edited = client.patch("/api/v1/categories/cyber_defence", headers=admin_headers,
                          json={"description": "Networks and data.", "position": 0})
    assert edited.status_code == 200
    assert edited.json()["description"] == "Networks and data."
    assert client.get("/api/v1/categories").json()["items"][0]["key"] == "cyber_defence"
    assert client.get("/api/v1/categories/cyber_defence").json() == edited.json()

    assert count(session) == events + 2
    event = last_event(client, admin_headers)
    assert (event["kind"], event["before"]["position"], event["after"]["position"]) == (
        "category.updated", created["position"], 0)


def test_category_rules(client, session, admin_headers):
    events = count(session)
    taken = client.post("/api/v1/categories", json={"key": "spending", "title": "Again"},
                        headers=admin_headers)
    assert taken.status_code == 409 and "spending" in taken.json()["detail"]
    assert_422_naming(client.post("/api/v1/categories", json={"key": "Cyber", "title": "C"},
                                  headers=admin_headers), "key")
    assert_422_naming(client.post("/api/v1/categories", json={"key": "cyber", "title": ""},
                                  headers=admin_headers), "title")
    assert_422_naming(client.patch("/api/v1/categories/spending", json={"key": "money"},
                                   headers=admin_headers), "key")
    assert_422_naming(client.patch("/api/v1/categories/spending", json={"title": None},
                                   headers=admin_headers), "title")
    missing = client.patch("/api/v1/categories/nope", json={"title": "N"}, headers=admin_headers)
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]
    assert client.get("/api/v1/categories/nope").status_code == 404
    assert count(session) == events


# Benchmark definitions

def numeric(**fields):
    return {"key": "cyber_budget_share", "title": "Cyber budget (% of defence budget)",
            "category": "spending", "kind": "numeric", "unit": "%",
            "direction": "higher_is_better", "min_value": 0, "max_value": 100,
            "valid_from": "2020-01-01", "source": "Illustrative", "is_illustrative": True,
            "requirements": [
                {"tier": "strategic_partner", "target": 2, "weight": 1, "due_offset_days": 730},
                {"tier": "interim_ally", "target": 5, "weight": 2, "due_on": "2030-12-31"},
            ], **fields}


def milestone(**fields):
    return {"key": "cyber_strategy", "title": "National cyber strategy",
            "category": "interoperability", "kind": "milestone",
            "stages": ["drafted", "adopted", "implemented"], "valid_from": "2020-01-01",
            "requirements": [{"tier": "full_candidate", "target": "implemented"}], **fields}


def test_benchmark_definition_is_created_and_applied(client, session, admin_headers,
                                                     analyst_headers):
    events = count_writes(session)
    response = client.post("/api/v1/benchmarks", json=numeric(), headers=admin_headers)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/api/v1/benchmarks/cyber_budget_share"
    body = response.json()
    assert [(r["tier"], r["target"], r["weight"], r["due_on"], r["due_offset_days"])
            for r in body["requirements"]] == [
        ("interim_ally", 5.0, 2.0, "2030-12-31", None),
        ("strategic_partner", 2.0, 1.0, None, 730)]
    assert client.get("/api/v1/benchmarks/cyber_budget_share").json() == body
    framework = client.get("/api/v1/framework").json()["benchmarks"]
    assert next(b for b in framework if b["key"] == "cyber_budget_share") == body

    assert "cyber_budget_share" in benchmark_keys(client, "georgia")  # strategic partner
    assert "cyber_budget_share" in benchmark_keys(client, "ukraine")  # interim ally
    assert "cyber_budget_share" not in benchmark_keys(client, "finland")
    update = client.post("/api/v1/candidates/georgia/updates", headers=analyst_headers, json={
        "benchmark": "cyber_budget_share", "value": 1.2, "as_of": "2025-06-30",
        "source": "Budget law"})
    assert update.status_code == 201, update.text

    assert count_writes(session) == events + 2
    event = [e for e in client.get("/api/v1/events", params={"limit": 500}).json()["items"]
             if e["kind"] != "benchmark_status.changed"][-2]
    assert (event["kind"], event["entity_id"], event["after"]) == (
        "benchmark.created", "cyber_budget_share", body)


def test_milestone_definition_takes_a_stage_target(client, admin_headers):
    response = client.post("/api/v1/benchmarks", json=milestone(), headers=admin_headers)
    assert response.status_code == 201, response.text
    assert response.json()["stages"] == ["drafted", "adopted", "implemented"]
    assert response.json()["requirements"][0]["target"] == "implemented"
    assert "cyber_strategy" in benchmark_keys(client, "finland")
    status = client.get("/api/v1/candidates/finland/status").json()
    assert "cyber_strategy" in {b["key"] for b in status["benchmarks"]}


def requirement(**fields):
    return {"tier": "interim_ally", "target": 5, **fields}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (milestone(requirements=[{"tier": "full_candidate", "target": "done"}]),
         "requirements[0].target", "one of the stages"),
        (milestone(requirements=[{"tier": "full_candidate", "target": 3}]),
         "requirements[0].target", "one of the stages"),
        (milestone(stages=["drafted", "drafted"]), "stages", "unique"),
        (milestone(stages=[]), "stages", ""),
        (milestone(stages=None), "stages", "needs its stages"),
        (milestone(stages=["Drafted"]), "stages[0]", ""),
        (milestone(unit="%"), "unit", "numeric"),
        (numeric(requirements=[requirement(target=150)]), "requirements[0].target",
         "above max_value"),
        (numeric(requirements=[requirement(target=-1)]), "requirements[0].target",
         "below min_value"),
        (numeric(requirements=[requirement(target="high")]), "requirements[0].target",
         "numeric"),
        (numeric(requirements=[requirement(target=True)]), "requirements[0].target",
         "boolean"),
        (numeric(requirements=[requirement(), requirement(target=6)]),
         "requirements[1].tier", "one per tier"),
        (numeric(requirements=[requirement(due_on="2030-01-01", due_offset_days=10)]),
         "requirements[0].due_offset_days", "not both"),
        (numeric(requirements=[requirement(weight=0)]), "requirements[0].weight", ""),
        (numeric(requirements=[requirement(tier="emperor")]), "requirements[0].tier", ""),
        (numeric(unit=None), "unit", "needs a unit"),
        (numeric(direction=None), "direction", "needs a direction"),
        (numeric(stages=["a"]), "stages", "only a milestone"),
        (numeric(min_value=10, max_value=10), "max_value", "above min_value"),
        (numeric(category="cyber"), "category", "cyber"),
        (numeric(kind="ranking"), "kind", ""),
        (numeric(key="Cyber Budget"), "key", ""),
        (numeric(valid_from=None), "adopted_on", ""),
    ],
)
def test_bad_benchmark_definition_is_422_naming_the_field(client, session, admin_headers, body,
                                                          field, words):
    events = count(session)
    response = client.post("/api/v1/benchmarks", json=body, headers=admin_headers)
    assert_422_naming(response, field, words)
    assert count(session) == events
    assert client.get(f"/api/v1/benchmarks/{body['key']}").status_code == 404


def test_taken_benchmark_key_is_409(client, admin_headers):
    response = client.post("/api/v1/benchmarks", json=numeric(key="defence_spending_gdp"),
                           headers=admin_headers)
    assert response.status_code == 409 and "defence_spending_gdp" in response.json()["detail"]


def test_requirements_are_replaced_and_candidates_rederived(client, session, admin_headers):
    client.post("/api/v1/benchmarks", json=numeric(), headers=admin_headers)
    events = count_writes(session)
    response = client.patch("/api/v1/benchmarks/cyber_budget_share", headers=admin_headers,
                            json={"title": "Cyber budget share", "requirements": [
                                {"tier": "interim_ally", "target": 6, "weight": 1},
                                {"tier": "full_candidate", "target": 10, "weight": 3}]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "Cyber budget share"
    assert [(r["tier"], r["target"], r["due_on"]) for r in body["requirements"]] == [
        ("full_candidate", 10.0, None), ("interim_ally", 6.0, None)]
    assert client.get("/api/v1/benchmarks/cyber_budget_share").json() == body

    assert "cyber_budget_share" not in benchmark_keys(client, "georgia")
    assert "cyber_budget_share" in benchmark_keys(client, "ukraine")
    assert "cyber_budget_share" in benchmark_keys(client, "finland")
    georgia = session.scalar(select(CandidateBenchmark).join(CandidateBenchmark.definition)
                             .where(CandidateBenchmark.candidate.has(slug="georgia"),
                                    CandidateBenchmark.definition.has(key="cyber_budget_share")))
    assert georgia is not None and not georgia.is_active

    assert count_writes(session) == events + 1
    event = last_event(client, admin_headers)
    assert event["kind"] == "benchmark.updated"
    assert len(event["before"]["requirements"]) == 2 and event["after"] == body


def test_benchmark_edit_keeps_requirements_when_not_sent(client, admin_headers):
    before = client.get("/api/v1/benchmarks/joint_exercises").json()
    response = client.patch("/api/v1/benchmarks/joint_exercises", headers=admin_headers,
                            json={"description": "Exercises with allies.", "kind": "numeric",
                                  "max_value": 50})
    assert response.status_code == 200, response.text
    assert response.json()["requirements"] == before["requirements"]
    assert response.json()["max_value"] == 50


@pytest.mark.parametrize(
    ("key", "body", "field", "words"),
    [
        ("joint_exercises", {"kind": "milestone"}, "kind", "cannot change"),
        ("joint_exercises", {"max_value": 3}, "requirements", "above max_value"),
        ("defence_spending_gdp", {"max_value": 20}, "max_value", "recorded value"),
        ("defence_spending_gdp", {"retired_on": "2010-01-01"}, "retired_on", "after"),
        ("defence_spending_gdp", {"unit": None}, "unit", "needs a unit"),
        ("defence_spending_gdp", {"stages": ["a"]}, "stages", "only a milestone"),
        ("nato_standards_adoption",
         {"stages": ["adoption_plan", "partial_adoption", "full_adoption"]}, "stages",
         "gap_assessment"),
        ("nato_standards_adoption", {"stages": ["gap_assessment", "adoption_plan"]},
         "requirements", "one of the stages"),
        ("nato_standards_adoption", {"requirements": [{"tier": "interim_ally", "target": "x"}]},
         "requirements[0].target", "one of the stages"),
        ("nato_standards_adoption", {"category": "cyber"}, "category", "cyber"),
        ("nato_standards_adoption", {"key": "nato_standards"}, "key", ""),
        ("nato_standards_adoption", {"title": None}, "title", "null"),
    ],
)
def test_bad_benchmark_edit_is_422_naming_the_field(client, session, admin_headers, key, body,
                                                    field, words):
    before = client.get(f"/api/v1/benchmarks/{key}").json()
    events = count(session)
    response = client.patch(f"/api/v1/benchmarks/{key}", json=body, headers=admin_headers)
    assert_422_naming(response, field, words)
    assert count(session) == events
    assert client.get(f"/api/v1/benchmarks/{key}").json() == before


def test_unknown_benchmark_is_404(client, admin_headers):
    assert client.get("/api/v1/benchmarks/nope").status_code == 404
    response = client.patch("/api/v1/benchmarks/nope", json={"title": "N"},
                            headers=admin_headers)
    assert response.status_code == 404 and "nope" in response.json()["detail"]


def test_benchmark_list_is_paginated(client):
    body = client.get("/api/v1/benchmarks", params={"limit": 3}).json()
    assert len(body["items"]) == 3 and body["total"] == 8


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
