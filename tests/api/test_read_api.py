"""The read API over the demo data set, through HTTP, on each backend."""

import pytest
from sqlalchemy import func, select

from app.models import Event, ProgressReport, ProgressUpdate, RatificationStepRecord

PROBLEM = "application/problem+json"
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


def test_reports_are_published_only(client, session):
    ukraine_reports = client.get("/api/v1/candidates/ukraine/reports").json()
    assert ukraine_reports["total"] >= 1
    assert {r["status"] for r in ukraine_reports["items"]} == {"published"}
    drafts = session.scalars(
        select(ProgressReport.title).where(ProgressReport.status == "draft")
    ).all()
    assert drafts, "the demo data set holds a draft to hide"
    titles = {r["title"] for r in ukraine_reports["items"]}
    assert not titles & set(drafts)


def test_ratifications_of_finland_and_sweden(client):
    finland = client.get("/api/v1/candidates/finland/ratifications", params={"limit": 500}).json()
    sweden = client.get("/api/v1/candidates/sweden/ratifications", params={"limit": 500}).json()
    # Finland needed the 30 members before it; Sweden the 31 including Finland.
    assert finland["total"] == 30 and sweden["total"] == 31
    assert "FIN" in {r["member"]["iso3"] for r in sweden["items"]}
    assert "SWE" not in {r["member"]["iso3"] for r in finland["items"]}
    hungary = next(r for r in sweden["items"] if r["member"]["iso3"] == "HUN")
    assert (hungary["status"], hungary["status_on"]) == ("deposited", "2024-03-07")
    assert [s["step"] for s in hungary["steps"]][0] == "parliament_approved"
    assert all(r["status"] != "pending" for r in finland["items"])


def test_aspirant_ratifications_are_pending_for_every_member(client):
    body = client.get("/api/v1/candidates/georgia/ratifications", params={"limit": 500}).json()
    assert body["total"] == 32
    assert {r["status"] for r in body["items"]} == {"pending"}


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


def test_members(client):
    body = client.get("/api/v1/members", params={"limit": 10, "offset": 30}).json()
    assert body["total"] == 32
    assert [m["iso3"] for m in body["items"]] == ["FIN", "SWE"]


def test_health(client):
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}


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
