"""`GET /api/v1/attention`: public, paginated, filtered by horizon, tier, phase and date; the
same statuses as each candidate's status read."""

from datetime import timedelta

import pytest
from starlette.datastructures import Headers

from app.evaluation import today
from app.http.cache import QueryParameters, is_cacheable, normalised_query
from app.main import create_app
from tests.factories import IA, add_candidate

ITEM_FIELDS = {"candidate", "tier", "benchmark", "due_on", "days_left", "status", "progress",
               "latest", "is_illustrative"}


def attention(client, **params):
    response = client.get("/api/v1/attention", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ours(body, slug):
    return [(i["benchmark"]["key"], i["days_left"]) for i in body["items"]
            if i["candidate"]["slug"] == slug]


def test_lists_what_is_late_or_due_soon_without_a_token(client, session):
    add_candidate(session, "testland", "Testland",
                  due={"defence_spending_gdp": -12, "joint_exercises": 30,
                       "nato_standards_adoption": 200, "civilian_control_law": -100},
                  met={"civilian_control_law"}, values={"defence_spending_gdp": 0.5})
    body = attention(client)
    assert body["as_of"] == today().isoformat()
    assert body["due_by"] == (today() + timedelta(90)).isoformat()
    assert ours(body, "testland") == [("defence_spending_gdp", -12), ("joint_exercises", 30)]
    assert body["total"] == len(body["items"]) <= body["limit"] == 50
    item = next(i for i in body["items"] if i["candidate"]["slug"] == "testland")
    assert set(item) == ITEM_FIELDS
    assert item["candidate"] == {"slug": "testland", "name": "Testland", "name_fr": ""}
    assert item["benchmark"]["category"] == "spending"
    assert item["due_on"] == (today() - timedelta(12)).isoformat()
    assert item["latest"] == {"value": 0.5, "as_of": (today() - timedelta(30)).isoformat()}
    # As the candidate's own status says.
    status = client.get("/api/v1/candidates/testland/status").json()
    spending = next(b for b in status["benchmarks"] if b["key"] == "defence_spending_gdp")
    assert (item["status"], item["progress"], item["due_on"]) == (
        spending["status"], spending["progress"], spending["due_on"])
    assert item["status"] == "overdue"
    for every in body["items"]:
        assert every["status"] != "met" and every["candidate"]["slug"] not in {"finland",
                                                                               "sweden"}


def test_within_days_tier_phase_and_as_of(client, session):
    add_candidate(session, "testland", "Testland",
                  due={"defence_spending_gdp": -12, "joint_exercises": 30,
                       "nato_standards_adoption": 200})
    add_candidate(session, "ialand", "Ialand", tier=IA, due={"joint_exercises": 5})
    assert ours(attention(client, within_days=29), "testland") == [("defence_spending_gdp", -12)]
    assert ours(attention(client, within_days=365), "testland")[-1] == (
        "nato_standards_adoption", 200)
    interim = attention(client, tier=IA)
    assert {i["tier"] for i in interim["items"]} == {IA}
    assert ours(interim, "ialand") == [("joint_exercises", 5)] and not ours(interim, "testland")
    assert attention(client, phase="member")["total"] == 0
    assert ours(attention(client, phase="outreach"), "testland")
    earlier = attention(client, as_of=(today() - timedelta(10)).isoformat())
    assert earlier["as_of"] == (today() - timedelta(10)).isoformat()
    assert ours(earlier, "testland") == [("defence_spending_gdp", -2), ("joint_exercises", 40)]


def test_pages_add_up_to_the_whole_list(client, session):
    for k in range(7):
        add_candidate(session, f"many-{k}", f"Many {k}", due={"joint_exercises": k - 3})
    whole = attention(client, limit=500)
    assert whole["total"] == len(whole["items"]) > 7
    pages = [attention(client, limit=3, offset=offset) for offset in range(0, whole["total"], 3)]
    assert {p["total"] for p in pages} == {whole["total"]}
    assert [i for p in pages for i in p["items"]] == whole["items"]
    assert all(len(p["items"]) == 3 for p in pages[:-1])
    assert attention(client, offset=whole["total"])["items"] == []


@pytest.mark.parametrize(("params", "field"), [
    ({"within_days": -1}, "within_days"),
    ({"within_days": 3651}, "within_days"),
    ({"within_days": "soon"}, "within_days"),
    ({"within_days": 1.5}, "within_days"),
    ({"tier": "emperor"}, "tier"),
    ({"phase": "retired"}, "phase"),
    ({"as_of": "2024-13-01"}, "as_of"),
    ({"as_of": "2999-01-01"}, "as_of"),
    ({"limit": 0}, "limit"),
])
def test_bad_parameters_are_422_naming_them(client, params, field):
    response = client.get("/api/v1/attention", params=params)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_the_widest_and_narrowest_horizons_are_accepted(client):
    assert attention(client, within_days=0)["due_by"] == today().isoformat()
    assert attention(client, within_days=3650)["total"] >= attention(client)["total"]


def test_documented_with_parameters_and_an_example(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/attention"]["get"]
    assert "not met" in " ".join(operation["description"].split())
    assert "security" not in operation  # a public read
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) >= {"within_days", "tier", "phase", "as_of", "limit", "offset"}
    assert parameters["within_days"]["schema"]["default"] == 90
    assert (parameters["within_days"]["schema"]["minimum"],
            parameters["within_days"]["schema"]["maximum"]) == (0, 3650)
    example = operation["responses"]["200"]["content"]["application/json"]["example"]
    assert set(example["items"][0]) == ITEM_FIELDS


def test_a_public_read_the_response_cache_keeps_per_parameters_and_day():
    """Cached like the other public reads: its parameters are in the key (anything else is
    dropped), and so is the date (app/http/cache.py), since days left change every day."""
    app = create_app(response_cache=False)
    scope = {"type": "http", "method": "GET", "path": "/api/v1/attention", "headers": []}
    assert is_cacheable(scope, Headers(scope=scope))
    read = QueryParameters(app.routes).read_by(scope)
    assert read >= {"within_days", "tier", "phase", "as_of", "limit", "offset"}
    assert normalised_query("within_days=30&junk=1&tier=interim_ally", read) == (
        "tier=interim_ally&within_days=30")
