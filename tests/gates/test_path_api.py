"""GET /api/v1/candidates/{slug}/path: the gate into the next phase read against the status
API's own evaluation, as of a date and for a what-if tier, parsed and refused as the status
API does."""

import pytest
from sqlalchemy import select

from app.models import Gate


def path_of(client, slug, **params):
    response = client.get(f"/api/v1/candidates/{slug}/path", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def status_of(client, slug, **params):
    return {b["key"]: b for b in
            client.get(f"/api/v1/candidates/{slug}/status", params=params).json()["benchmarks"]}


def gate_targets(client, tier, phase):
    items = client.get("/api/v1/gates", params={"tier": tier, "phase": phase}).json()["items"]
    return items[0]["all_targets"]


@pytest.mark.parametrize(("slug", "params"), [
    ("ukraine", {}), ("ukraine", {"as_of": "2022-06-30"}), ("georgia", {}),
    ("bosnia-and-herzegovina", {"as_of": "2024-12-31"}), ("georgia", {"tier": "interim_ally"}),
])
def test_each_target_reads_the_status_apis_evaluation(client, slug, params):
    path = path_of(client, slug, **params)
    statuses = status_of(client, slug, **params)
    assert path["current_phase"] == "outreach" and path["next_phase"] == "accession_talks"
    assert [t["key"] for t in path["targets"]] == gate_targets(client, path["tier"],
                                                               "accession_talks")
    for target in path["targets"]:
        status = statuses[target["key"]]
        # Behind its own trend, a target has no projected date on the path (the status
        # API moves the past date to the day evaluated), and says since when.
        projected_on = None if status["behind_trend_on"] else status["projected_on"]
        assert (target["status"], target["projected_on"], target["due_on"],
                target["behind_trend_on"]) == (
            status["status"], projected_on, status["due_on"], status["behind_trend_on"])
        assert target["is_met"] == (status["status"] == "met")
    assert path["blockers"] == [t["key"] for t in path["targets"] if not t["is_met"]]
    critical = [t["key"] for t in path["targets"] if t["is_critical"]]
    assert critical == ([path["critical_target"]] if path["critical_target"] else [])
    assert path["gate"]["is_illustrative"] and path["is_illustrative"]


def test_the_next_phase_is_projected_from_the_target_projected_last(client):
    path = path_of(client, "ukraine", as_of="2026-06-30")
    unmet = [t for t in path["targets"] if not t["is_met"]]
    assert unmet and all(t["projected_on"] for t in unmet)
    assert path["reason"] == "projected"
    assert path["projected_on"] == max(t["projected_on"] for t in unmet)
    critical = next(t for t in path["targets"] if t["is_critical"])
    assert critical["projected_on"] == path["projected_on"]
    assert critical["title"] in path["projection_note"]


def test_a_critical_target_behind_its_own_trend_projects_no_date(client):
    """Ukraine's major-equipment share (demo): on 1 December 2026 still short of its target,
    though its trend crossed it on 7 November. The status API projects it for the day
    evaluated; the path does not read that as the next phase due that day."""
    status = status_of(client, "ukraine", as_of="2026-12-01")["major_equipment_share"]
    assert status["status"] != "met" and status["behind_trend_on"] == "2026-11-07"
    path = path_of(client, "ukraine", as_of="2026-12-01")
    assert (path["reason"], path["projected_on"], path["critical_target"]) == (
        "behind_trend", None, "major_equipment_share")
    critical = next(t for t in path["targets"] if t["is_critical"])
    assert (critical["projected_on"], critical["behind_trend_on"]) == (None, "2026-11-07")
    assert "behind its own trend" in path["projection_note"]
    assert "2026-11-07" in path["projection_note"]


def test_an_unmet_target_without_projection_makes_the_next_phase_unprojectable(client):
    path = path_of(client, "georgia")
    assert path["projected_on"] is None and path["reason"] == "unprojectable"
    critical = next(t for t in path["targets"] if t["is_critical"])
    assert not critical["is_met"] and critical["projected_on"] is None
    assert critical["title"] in path["projection_note"]
    assert "cannot be projected" in path["projection_note"]


def test_as_of_reads_the_tier_and_gate_of_that_day(client):
    then = path_of(client, "ukraine", as_of="2022-06-30")
    assert then["as_of"] == "2022-06-30"
    assert then["tier"] == "strategic_partner" and then["gate"]["tier"] == "strategic_partner"
    assert path_of(client, "ukraine")["tier"] == "interim_ally"


def test_a_what_if_tier_reads_that_tiers_gate(client):
    path = path_of(client, "georgia", tier="full_candidate")
    assert path["is_what_if"] and path["tier"] == "full_candidate"
    assert path["gate"]["tier"] == "full_candidate"
    assert not path_of(client, "georgia", tier="strategic_partner")["is_what_if"]


def test_a_member_has_no_next_phase_and_is_not_graded_on_its_entry(client):
    path = path_of(client, "finland")
    assert path["current_phase"] == "member" and path["next_phase"] is None
    assert path["reason"] == "member" and path["targets"] == [] and path["blockers"] == []
    assert "no next phase" in path["projection_note"]
    assert path["entered_on"] == "2023-04-04"
    # A completed accession is not scored: no gate is checked against its figures, which are
    # comparators (the demo holds none of its classified-information law, for one).
    assert path["entry_gate"] is None
    assert path["entered_with_gate_unmet"] is False and path["unmet_on_entry"] == []
    html = client.get("/candidates/finland").text
    assert 'class="path-flag"' not in html


def test_a_phase_entered_with_its_gate_unmet_is_flagged_as_of_its_entry(client):
    path = path_of(client, "finland", as_of="2022-06-01")
    assert path["current_phase"] == "accession_talks" and path["next_phase"] == "ratification"
    assert path["entered_on"] == "2022-05-18"
    entry = status_of(client, "finland", as_of="2022-05-18")
    expected = [key for key in gate_targets(client, "full_candidate", "accession_talks")
                if key not in entry or entry[key]["status"] != "met"]
    assert path["unmet_on_entry"] == expected
    assert path["entered_with_gate_unmet"] == bool(expected)


def test_without_a_gate_no_date_is_projected(client, session):
    for gate in session.scalars(select(Gate).where(Gate.tier == "strategic_partner")):
        session.delete(gate)
    session.commit()
    path = path_of(client, "georgia")
    assert path["gate"] is None and path["targets"] == [] and path["reason"] == "no_gate"
    assert path["projected_on"] is None and "No gate" in path["projection_note"]


def test_a_gate_edit_shows_in_the_path(client, admin_headers):
    gid = client.get("/api/v1/gates", params={"tier": "strategic_partner"}).json()["items"][0]["id"]
    response = client.patch(f"/api/v1/gates/{gid}", headers=admin_headers,
                            json={"targets": ["nato_standards_adoption"]})
    assert response.status_code == 200
    path = path_of(client, "georgia")
    assert [t["key"] for t in path["targets"]] == ["nato_standards_adoption"]
    assert path["reason"] == "gate_met" and path["projected_on"] == path["as_of"]
    assert path["blockers"] == [] and path["critical_target"] is None


@pytest.mark.parametrize("params", [
    {"tier": "emperor"}, {"as_of": "2024-13-01"}, {"as_of": "yesterday"},
    {"as_of": "2999-01-01"}, {"as_of": "1899-12-31"},
])
def test_bad_tier_or_date_is_refused_as_the_status_api_refuses_it(client, params):
    path = client.get("/api/v1/candidates/georgia/path", params=params)
    status = client.get("/api/v1/candidates/georgia/status", params=params)
    assert path.status_code == status.status_code == 422
    assert path.json()["errors"] == status.json()["errors"]
    assert path.json()["errors"][0]["field"] == next(iter(params))


def test_unknown_candidate_path_is_404(client):
    response = client.get("/api/v1/candidates/atlantis/path")
    assert response.status_code == 404
    assert response.json()["detail"] == client.get(
        "/api/v1/candidates/atlantis/status").json()["detail"]


def test_the_rules_documents_worked_example_holds(client):
    """docs/status-rules.md, section 14: Ukraine and Georgia as of 30 June 2025."""
    ukraine = path_of(client, "ukraine", as_of="2025-06-30")
    assert (ukraine["tier"], ukraine["reason"], ukraine["critical_target"]) == (
        "interim_ally", "projected", "major_equipment_share")
    assert ukraine["projected_on"] == "2026-05-12" and ukraine["blockers"] == [
        "major_equipment_share"]
    georgia = path_of(client, "georgia", as_of="2025-06-30")
    assert (georgia["reason"], georgia["critical_target"], georgia["projected_on"]) == (
        "unprojectable", "civilian_control_law", None)
    assert path_of(client, "finland", as_of="2022-06-01")["unmet_on_entry"] == [
        "defence_spending_gdp", "civilian_control_law"]
