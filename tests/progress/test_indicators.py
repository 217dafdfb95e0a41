"""Issue 14: what is measured (an indicator, one series per candidate) is kept apart from what
is asked (targets, versioned); values are stored as sent, with their vintage; evaluations of
a past date use the tier, targets and observations of that date."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.candidates.service import get_candidate
from app.evaluation import history_chart_points
from app.models import BenchmarkDefinition
from tests.helpers import benchmark, status_of

TODAY = datetime.now(UTC).date()


def post(client, headers, slug, **item):
    return client.post(f"/api/v1/candidates/{slug}/updates", headers=headers,
                       json={"source": "SIPRI Military Expenditure Database", **item})


def test_one_figure_is_read_by_the_2_and_the_3_5_percent_targets(client, analyst_headers):
    # Posted once, under the 3.5 % target's key: stored on the indicator both targets read.
    response = post(client, analyst_headers, "finland", benchmark="defence_core_3_5_gdp",
                    value=2.9, as_of=(TODAY - timedelta(days=1)).isoformat(),
                    vintage="SIPRI 2026")
    assert response.status_code == 201, response.text
    [stored] = response.json()["items"]
    assert stored["indicator"] == "defence_spending_gdp" and stored["vintage"] == "SIPRI 2026"
    body = status_of(client, "finland")
    guideline = benchmark(body, "defence_spending_gdp")
    core = benchmark(body, "defence_core_3_5_gdp")
    for item in (guideline, core):
        assert item["indicator"] == "defence_spending_gdp"
        assert item["latest"]["value"] == 2.9 and item["latest"]["vintage"] == "SIPRI 2026"
    assert guideline["status"] == "met" and core["status"] != "met"
    listed = client.get("/api/v1/candidates/finland/updates",
                        params={"indicator": "defence_spending_gdp"}).json()["items"]
    assert listed == client.get("/api/v1/candidates/finland/updates",
                                params={"benchmark": "defence_core_3_5_gdp"}).json()["items"]
    assert listed[0]["id"] == stored["id"]


def test_history_can_be_back_filled_for_any_indicator(client, session, analyst_headers):
    finland = post(client, analyst_headers, "finland", benchmark="defence_core_3_5_gdp",
                   value=1.2, as_of="2017-12-31")
    ukraine = post(client, analyst_headers, "ukraine", benchmark="defence_spending_gdp",
                   value=3.0161, as_of="2013-12-31")
    # Georgia's tier sets no 3.5 % target: its spending can be stored all the same.
    georgia = post(client, analyst_headers, "georgia", indicator="defence_spending_gdp",
                   value=1.7, as_of="2012-12-31", observation_status="estimate")
    for response in (finland, ukraine, georgia):
        assert response.status_code == 201, response.text
    assert georgia.json()["items"][0]["observation_status"] == "estimate"
    spending = session.scalar(select(BenchmarkDefinition)
                              .where(BenchmarkDefinition.key == "defence_spending_gdp"))
    for slug, day in (("finland", date(2017, 12, 31)), ("ukraine", date(2013, 12, 31))):
        candidate = get_candidate(session, slug)
        points = history_chart_points(session, (candidate.id, spending.indicator_id), [],
                                      TODAY, most=1000)
        assert day in {point[0] for point in points}
    page = client.get("/candidates/ukraine/benchmarks/defence_spending_gdp").text
    assert "2013-12-31" in page


def test_values_are_stored_unrounded_and_rounding_decides_nothing(client):
    listed = client.get("/api/v1/candidates/sweden/updates",
                        params={"indicator": "defence_spending_gdp", "from": "2024-12-31",
                                "to": "2024-12-31"}).json()["items"]
    assert [u["value"] for u in listed] == [1.9977175]
    assert listed[0]["vintage"] == "SIPRI 2025"
    spending = benchmark(status_of(client, "sweden", as_of="2025-06-30"), "defence_spending_gdp")
    assert spending["latest"]["value"] == 1.9977175
    assert spending["status"] != "met"  # 1.9977 % is short of 2 %


def test_a_past_date_is_evaluated_with_the_tier_and_targets_of_that_date(
        client, admin_headers):
    then = status_of(client, "ukraine", as_of="2023-06-30")
    assert then["tier"] == "strategic_partner" and then["is_what_if"] is False
    assert then["phase"] == "outreach"
    # The 3.5 % core target (adopted 2025-06-25) did not count before it existed.
    assert "defence_core_3_5_gdp" not in {b["key"] for b in status_of(
        client, "finland", as_of="2025-06-24")["benchmarks"]}
    assert "defence_core_3_5_gdp" in {b["key"] for b in status_of(
        client, "finland", as_of="2025-06-25")["benchmarks"]}
    # Finland as of mid-2022 was a candidate in accession talks, not yet a member.
    assert status_of(client, "finland", as_of="2022-06-30")["phase"] != "member"
    assert status_of(client, "finland")["phase"] == "member"
    # A tier change today does not move the due dates of an old review.
    before = status_of(client, "ukraine", as_of="2024-06-30")
    response = client.patch("/api/v1/candidates/ukraine", headers=admin_headers,
                            json={"tier": "full_candidate", "source": "test"})
    assert response.status_code == 200, response.text
    after = status_of(client, "ukraine", as_of="2024-06-30")
    assert after["tier"] == before["tier"] == "interim_ally"
    assert ([(b["key"], b["due_on"]) for b in after["benchmarks"]]
            == [(b["key"], b["due_on"]) for b in before["benchmarks"]])
    assert status_of(client, "ukraine")["tier"] == "full_candidate"


def test_a_second_correction_of_one_update_is_a_conflict(client, session, analyst_headers):
    [first] = post(client, analyst_headers, "georgia", indicator="defence_spending_gdp",
                   value=1.5, as_of="2025-03-31").json()["items"]
    [fix] = post(client, analyst_headers, "georgia", indicator="defence_spending_gdp",
                 value=1.6, as_of="2025-03-31", supersedes=first["id"]).json()["items"]
    again = post(client, analyst_headers, "georgia", indicator="defence_spending_gdp",
                 value=1.7, as_of="2025-03-31", supersedes=first["id"])
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    assert f"update {fix['id']}" in again.json()["detail"]
    assert again.json()["errors"][0]["field"] == "supersedes"
    # Two corrections of one update in one batch: the same conflict, nothing stored.
    batch = client.post("/api/v1/candidates/georgia/updates", headers=analyst_headers, json={
        "updates": [{"indicator": "defence_spending_gdp", "value": v, "as_of": "2025-03-31",
                     "source": "s", "supersedes": fix["id"]} for v in (1.8, 1.9)]})
    assert batch.status_code == 409, batch.text
    # The newest of the chain can be corrected.
    chained = post(client, analyst_headers, "georgia", indicator="defence_spending_gdp",
                   value=1.7, as_of="2025-03-31", supersedes=fix["id"])
    assert chained.status_code == 201, chained.text


def test_a_correction_from_a_newer_release_is_shown_as_a_revision(client, analyst_headers):
    listed = client.get("/api/v1/candidates/georgia/updates",
                        params={"indicator": "defence_spending_gdp", "from": "2024-12-31",
                                "to": "2024-12-31"}).json()["items"]
    [published] = [u for u in listed if u["vintage"] == "SIPRI 2025"]
    response = post(client, analyst_headers, "georgia", indicator="defence_spending_gdp",
                    value=published["value"] + 0.05, as_of="2024-12-31", vintage="SIPRI 2026",
                    published_on=TODAY.isoformat(), supersedes=published["id"])
    assert response.status_code == 201, response.text
    latest = benchmark(status_of(client, "georgia"), "defence_spending_gdp")["latest"]
    assert latest["is_revision"] is True and latest["revised_from"] == "SIPRI 2025"
    for url in ("/candidates/georgia/benchmarks/defence_spending_gdp", "/candidates/georgia"):
        assert "SIPRI 2025 → SIPRI 2026" in client.get(url).text


def test_the_demo_holds_a_real_revision_with_both_vintages(client):
    listed = client.get("/api/v1/candidates/ukraine/updates",
                        params={"indicator": "defence_spending_gdp", "from": "2022-12-31",
                                "to": "2022-12-31"}).json()["items"]
    by_vintage = {u["vintage"]: u for u in listed}
    assert by_vintage["SIPRI 2023"]["value"] == 34.0
    assert by_vintage["SIPRI 2025"]["value"] == 25.64241
    assert by_vintage["SIPRI 2025"]["supersedes"] == by_vintage["SIPRI 2023"]["id"]
    page = client.get("/candidates/ukraine/benchmarks/defence_spending_gdp").text
    assert "SIPRI 2023 → SIPRI 2025" in page


def test_a_new_version_of_a_target_applies_from_its_date(client, admin_headers):
    response = client.patch("/api/v1/benchmarks/joint_exercises", headers=admin_headers, json={
        "requirements": [{"tier": "strategic_partner", "target": 9, "weight": 1},
                         {"tier": "interim_ally", "target": 9, "weight": 1},
                         {"tier": "full_candidate", "target": 9, "weight": 1}],
        "effective_on": TODAY.isoformat()})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [v["effective_on"] for v in body["versions"]][-1] == TODAY.isoformat()
    assert len(body["versions"]) == 2 and {r["target"] for r in body["requirements"]} == {9}
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    old = benchmark(status_of(client, "georgia", as_of=yesterday), "joint_exercises")
    new = benchmark(status_of(client, "georgia"), "joint_exercises")
    assert old["target"] != 9 and new["target"] == 9
    refused = client.patch("/api/v1/benchmarks/joint_exercises", headers=admin_headers,
                           json={"effective_on": TODAY.isoformat()})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "effective_on"


def test_indicators_are_listed_with_the_targets_that_read_them(client):
    page = client.get("/api/v1/indicators", params={"limit": 2})
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["limit"] == 2 and len(body["items"]) == 2 and body["total"] >= 7
    spending = client.get("/api/v1/indicators/defence_spending_gdp").json()
    assert spending["benchmarks"] == ["defence_core_3_5_gdp", "defence_spending_gdp"]
    assert spending["kind"] == "numeric" and spending["unit"] == "% of GDP"
    assert client.get("/api/v1/indicators/nope").status_code == 404
    target = client.get("/api/v1/benchmarks/defence_core_3_5_gdp").json()
    assert target["indicator"] == "defence_spending_gdp"
    assert target["adopted_on"] == "2025-06-25" and target["retired_on"] is None


def test_two_requests_written_together_cannot_both_correct_one_update(session, analyst):
    """Requests of one writer group share a transaction: the second correction of the same
    update is a conflict, and the group's other requests are stored."""
    from app.errors import Conflict
    from app.progress.ingest import Recorded, Refused, UpdateRequest, record_update_requests
    from app.progress.schemas import ProgressUpdateCreate

    def item(**fields):
        return ProgressUpdateCreate(indicator="defence_spending_gdp", value=1.5,
                                    as_of=date(2025, 3, 31), source="s", **fields)

    [first] = record_update_requests(session, [UpdateRequest("georgia", [item()], analyst)])
    target = first.updates[0].id
    outcomes = record_update_requests(session, [
        UpdateRequest("georgia", [item(supersedes=target)], analyst),
        UpdateRequest("georgia", [item(supersedes=target)], analyst),
        UpdateRequest("ukraine", [item()], analyst),
    ])
    assert isinstance(outcomes[0], Recorded) and isinstance(outcomes[2], Recorded)
    assert isinstance(outcomes[1], Refused) and isinstance(outcomes[1].error, Conflict)
    assert "another request" in outcomes[1].error.detail
