"""The gates API: public reads, admin-only writes, each refused input named (422) or a
duplicate refused (409) with nothing stored, and every write recorded as an event."""

import pytest
from sqlalchemy import func, select

from app.models import Event, Gate

NEW = {"tier": "strategic_partner", "to_phase": "ratification",
       "targets": ["defence_spending_gdp", "joint_exercises"], "source": "test"}


def gate_id(client, tier, phase) -> int:
    items = client.get("/api/v1/gates", params={"tier": tier, "phase": phase}).json()["items"]
    assert len(items) == 1
    return items[0]["id"]


def stored(session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(Gate)),
            session.scalar(select(func.count()).select_from(Event)
                           .where(Event.entity == "gate")))


def test_the_demo_gates_are_listed_illustrative_by_tier_then_phase(client):
    body = client.get("/api/v1/gates").json()
    assert body["total"] == 5 and body["limit"] == 50 and body["offset"] == 0
    order = [(g["tier"], g["to_phase"]) for g in body["items"]]
    assert order == [("strategic_partner", "accession_talks"), ("interim_ally", "accession_talks"),
                     ("full_candidate", "accession_talks"), ("full_candidate", "ratification"),
                     ("full_candidate", "member")]
    assert all(g["is_illustrative"] for g in body["items"])
    member = body["items"][-1]
    assert member["from_phase"] == "ratification"
    # Its own targets, then the ratification gate's, then the accession-talks gate's.
    assert member["all_targets"] == ["secure_communications", "classified_information_law",
                                     "nato_standards_adoption", "joint_exercises",
                                     "defence_spending_gdp", "civilian_control_law"]


def test_gates_filter_by_tier_and_phase_and_page(client):
    assert client.get("/api/v1/gates", params={"tier": "full_candidate"}).json()["total"] == 3
    assert client.get("/api/v1/gates",
                      params={"phase": "accession_talks"}).json()["total"] == 3
    page = client.get("/api/v1/gates", params={"limit": 2, "offset": 4}).json()
    assert page["total"] == 5 and len(page["items"]) == 1
    assert client.get("/api/v1/gates", params={"phase": "nowhere"}).status_code == 422


def test_one_gate_by_id_and_unknown_is_404(client):
    gid = gate_id(client, "interim_ally", "accession_talks")
    body = client.get(f"/api/v1/gates/{gid}").json()
    assert body["tier"] == "interim_ally" and "major_equipment_share" in body["targets"]
    missing = client.get("/api/v1/gates/999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_an_admin_adds_a_gate_and_the_event_records_it(client, session, admin_headers):
    response = client.post("/api/v1/gates", json=NEW, headers=admin_headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"/api/v1/gates/{body['id']}"
    assert body["from_phase"] == "accession_talks"
    assert body["targets"] == NEW["targets"] and body["is_illustrative"] is False
    event = session.scalars(select(Event).where(Event.entity == "gate")).one()
    assert event.kind == "gate.created" and event.before is None
    assert event.after["targets"] == NEW["targets"] and event.entity_id == str(body["id"])


def test_a_patch_keeps_the_previous_value_in_its_event(client, session, admin_headers):
    gid = gate_id(client, "strategic_partner", "accession_talks")
    response = client.patch(f"/api/v1/gates/{gid}", headers=admin_headers,
                            json={"targets": ["defence_spending_gdp"], "note": "narrower"})
    assert response.status_code == 200, response.text
    assert response.json()["targets"] == ["defence_spending_gdp"]
    event = session.scalars(select(Event).where(Event.kind == "gate.updated")).one()
    assert event.before["targets"] == ["defence_spending_gdp", "nato_standards_adoption",
                                       "civilian_control_law"]
    assert event.after["targets"] == ["defence_spending_gdp"]
    assert event.after["note"] == "narrower"


def test_a_patch_that_changes_nothing_records_nothing(client, session, admin_headers):
    gid = gate_id(client, "strategic_partner", "accession_talks")
    before = stored(session)
    current = client.get(f"/api/v1/gates/{gid}").json()
    response = client.patch(f"/api/v1/gates/{gid}", headers=admin_headers,
                            json={"note": current["note"]})
    assert response.status_code == 200
    assert stored(session) == before


@pytest.mark.parametrize("method", ["post", "patch"])
def test_writes_need_an_admin_token(client, analyst_headers, method):
    gid = gate_id(client, "strategic_partner", "accession_talks")
    path = "/api/v1/gates" if method == "post" else f"/api/v1/gates/{gid}"
    body = NEW if method == "post" else {"note": "x"}
    assert client.request(method, path, json=body).status_code == 401
    assert client.request(method, path, json=body, headers=analyst_headers).status_code == 403


BAD_NEW = [
    ({"targets": ["no_such_benchmark"]}, "targets[0]", "unknown_target"),
    # A full candidate's target only: nothing is asked of strategic partners.
    ({"targets": ["defence_core_3_5_gdp"]}, "targets[0]", "no_requirement_for_tier"),
    ({"targets": ["joint_exercises", "joint_exercises"]}, "targets[1]", "duplicate_target"),
    ({"to_phase": "outreach"}, "to_phase", "phase_out_of_order"),
    ({"from_phase": "outreach"}, "from_phase", "phase_out_of_order"),
    ({"to_phase": "member", "from_phase": "accession_talks"}, "from_phase",
     "phase_out_of_order"),
    ({"requires": [999999]}, "requires[0]", "unknown_gate"),
    ({"targets": []}, "targets", None),
    ({"to_phase": "nowhere"}, "to_phase", None),
    ({"is_illustrative": "yes"}, "is_illustrative", None),
]


@pytest.mark.parametrize(("change", "field", "type_"), BAD_NEW)
def test_a_bad_gate_is_refused_naming_the_field_and_nothing_is_stored(
        client, session, admin_headers, change, field, type_):
    before = stored(session)
    response = client.post("/api/v1/gates", json=NEW | change, headers=admin_headers)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert field in [e["field"] for e in errors]
    if type_:
        assert type_ in [e["type"] for e in errors if e["field"] == field]
    assert stored(session) == before


def test_a_gate_requiring_a_gate_of_another_tier_is_refused(client, session, admin_headers):
    other = gate_id(client, "full_candidate", "accession_talks")
    response = client.post("/api/v1/gates", json=NEW | {"requires": [other]},
                           headers=admin_headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "other_tier_gate"


def test_a_second_gate_for_the_same_tier_and_phase_is_409(client, session, admin_headers):
    before = stored(session)
    response = client.post("/api/v1/gates", headers=admin_headers,
                           json=NEW | {"to_phase": "accession_talks"})
    assert response.status_code == 409, response.text
    assert response.json()["errors"][0]["field"] == "to_phase"
    assert stored(session) == before
    # Moving a gate onto another's tier and phase is the same duplicate.
    gid = gate_id(client, "full_candidate", "member")
    moved = client.patch(f"/api/v1/gates/{gid}", headers=admin_headers,
                         json={"to_phase": "ratification", "requires": []})
    assert moved.status_code == 409
    assert stored(session) == before


def test_a_cycle_of_gates_is_refused(client, session, admin_headers):
    talks = gate_id(client, "full_candidate", "accession_talks")
    member = gate_id(client, "full_candidate", "member")
    before = stored(session)
    # member requires ratification, which requires talks: talks requiring member closes it.
    response = client.patch(f"/api/v1/gates/{talks}", headers=admin_headers,
                            json={"requires": [member]})
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert (error["field"], error["type"]) == ("requires", "gate_cycle")
    assert str(member) in error["msg"] and str(talks) in error["msg"]
    itself = client.patch(f"/api/v1/gates/{talks}", headers=admin_headers,
                          json={"requires": [talks]})
    assert itself.status_code == 422
    assert itself.json()["errors"][0]["type"] == "gate_cycle"
    assert stored(session) == before
    assert client.get(f"/api/v1/gates/{talks}").json()["requires"] == []


def test_a_patch_is_checked_against_the_new_tier(client, session, admin_headers):
    gid = gate_id(client, "interim_ally", "accession_talks")
    # major_equipment_share asks nothing of strategic partners; the tier already has this gate.
    response = client.patch(f"/api/v1/gates/{gid}", headers=admin_headers,
                            json={"tier": "strategic_partner"})
    assert response.status_code == 422
    assert "no_requirement_for_tier" in [e["type"] for e in response.json()["errors"]]


def test_a_gate_required_by_another_tier_cannot_change_tier(client, admin_headers):
    ratification = gate_id(client, "full_candidate", "ratification")
    response = client.patch(f"/api/v1/gates/{ratification}", headers=admin_headers,
                            json={"tier": "interim_ally", "targets": ["joint_exercises"],
                                  "requires": []})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["tier"]


def test_patch_null_is_refused(client, admin_headers):
    gid = gate_id(client, "strategic_partner", "accession_talks")
    response = client.patch(f"/api/v1/gates/{gid}", headers=admin_headers,
                            json={"targets": None})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "targets"
