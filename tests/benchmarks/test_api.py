"""Categories, benchmark definitions with per-tier requirements, indicators and the framework
through HTTP, on each backend, in English and French. Every write appends one event in its own
transaction."""

import pytest
from sqlalchemy import select

from app.models import CandidateBenchmark
from tests.helpers import assert_422_naming, benchmark_keys, count, count_writes, last_event

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


# French beside the English

def test_category_description_in_french_round_trips(client, admin_headers):
    created = client.post("/api/v1/categories", headers=admin_headers, json={
        "key": "cyber", "title": "Cyber", "title_fr": "Cyber", "description": "Cyber defence.",
        "description_fr": "Cyberdéfense."})
    assert created.status_code == 201, created.text
    assert client.get("/api/v1/categories/cyber").json()["description_fr"] == "Cyberdéfense."
    edited = client.patch("/api/v1/categories/cyber", headers=admin_headers,
                          json={"description_fr": "La cyberdéfense."})
    assert edited.status_code == 200, edited.text
    read = client.get("/api/v1/categories/cyber").json()
    assert (read["description"], read["description_fr"]) == ("Cyber defence.",
                                                              "La cyberdéfense.")


def test_benchmark_and_indicator_descriptions_in_french_round_trip(client, admin_headers):
    created = client.post("/api/v1/benchmarks", headers=admin_headers, json=milestone(
        description="A cyber strategy.", description_fr="Une stratégie cyber."))
    assert created.status_code == 201, created.text
    assert created.json()["description_fr"] == "Une stratégie cyber."
    assert client.get("/api/v1/benchmarks/cyber_strategy").json()["description_fr"] == (
        "Une stratégie cyber.")
    assert client.get("/api/v1/indicators/cyber_strategy").json()["description_fr"] == (
        "Une stratégie cyber.")

    edited = client.patch("/api/v1/benchmarks/cyber_strategy", headers=admin_headers,
                          json={"description_fr": "La stratégie nationale cyber."})
    assert edited.status_code == 200, edited.text
    read = client.get("/api/v1/benchmarks/cyber_strategy").json()
    assert (read["description"], read["description_fr"]) == (
        "A cyber strategy.", "La stratégie nationale cyber.")
    applied = client.get("/api/v1/candidates/finland/benchmarks").json()["items"]
    assert next(b for b in applied if b["key"] == "cyber_strategy")["description_fr"] == (
        "La stratégie nationale cyber.")


def test_framework_reads_give_the_french_of_the_reference_data(client):
    framework = client.get("/api/v1/framework").json()
    for tier in framework["tiers"]:
        assert tier["description_fr"] and tier["description_fr"] != tier["description"]
    for model in framework["models"]:
        for field in ("description", "speed_of_integration", "risk_exposure", "reform_depth",
                      "resource_allocation"):
            assert model[f"{field}_fr"] and model[f"{field}_fr"] != model[field]
    for category in framework["categories"]:
        assert category["description_fr"]
    for benchmark in framework["benchmarks"]:
        assert benchmark["description_fr"]
    ukraine = client.get("/api/v1/candidates/ukraine").json()
    assert ukraine["summary_fr"].startswith("État aspirant.")
    assert all(change["note_fr"] for change in ukraine["history"])


# The framework

def test_framework(client):
    body = client.get("/api/v1/framework").json()
    assert [t["key"] for t in body["tiers"]] == ["strategic_partner", "interim_ally",
                                                 "full_candidate"]
    assert {c["key"] for c in body["categories"]} >= {"spending", "interoperability",
                                                      "legislation"}
    assert len(body["models"]) == 3
    spending = next(b for b in body["benchmarks"] if b["key"] == "defence_spending_gdp")
    assert {r["tier"] for r in spending["requirements"]} == {"strategic_partner", "interim_ally",
                                                             "full_candidate"}
