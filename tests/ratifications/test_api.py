"""The ratifications API as a pipeline (issue 18): each member's current and next step and days
in step, as of a date; steps refused out of their procedure's order; member states' procedures,
read by anyone and replaced by admins only."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.evaluation import today
from app.models import Event, RatificationProcedureStep, RatificationStepRecord

PROBLEM = "application/problem+json"


def count(session, model=Event):
    return session.scalar(select(func.count()).select_from(model))


def ratifications(client, slug, **params):
    response = client.get(f"/api/v1/candidates/{slug}/ratifications",
                          params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return {r["member"]["iso3"]: r for r in response.json()["items"]}


def assert_422_naming(response, field, type_=None):
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert field in errors, errors
    if type_:
        assert errors[field]["type"] == type_, errors


# Reading: current step, next step, days in step


def test_every_member_has_its_current_and_next_step_and_days_in_step(client):
    sweden = ratifications(client, "sweden")
    hungary = sweden["HUN"]
    days = (today() - date(2024, 3, 7)).days
    assert (hungary["current_step"], hungary["next_step"], hungary["days_in_step"]) == (
        "deposited", None, days)
    assert (hungary["status"], hungary["status_on"]) == ("deposited", "2024-03-07")  # kept
    assert [s["step"] for s in hungary["steps"]] == [
        "parliament_approved", "parliament_approved", "head_of_state_assent", "deposited"]
    turkey = sweden["TUR"]
    assert (turkey["current_step"], turkey["next_step"]) == ("head_of_state_assent", "deposited")
    canada = sweden["CAN"]
    assert (canada["current_step"], canada["next_step"], canada["days_in_step"]) == (
        "parliament_approved", "head_of_state_assent", (today() - date(2022, 7, 5)).days)


def test_as_of_a_past_date_members_not_started_count_days_since_the_protocol(client):
    sweden = ratifications(client, "sweden", as_of="2023-06-30")
    for iso3 in ("HUN", "TUR"):
        member = sweden[iso3]
        assert (member["status"], member["current_step"], member["next_step"]) == (
            "pending", None, "parliament_approved")
        assert member["days_in_step"] == (date(2023, 6, 30) - date(2022, 7, 5)).days
        assert member["steps"] == []
    finland = sweden["FIN"]
    assert (finland["current_step"], finland["days_in_step"]) == ("deposited", 87)
    turkey = ratifications(client, "sweden", as_of="2024-01-24")["TUR"]
    assert (turkey["current_step"], turkey["next_step"], turkey["days_in_step"]) == (
        "parliament_approved", "head_of_state_assent", 1)


def test_before_the_protocol_a_member_not_started_has_no_days(client):
    georgia = ratifications(client, "georgia")
    assert {(r["current_step"], r["next_step"], r["days_in_step"]) for r in georgia.values()} == {
        (None, "protocol_signed", None)}


def test_as_of_in_the_future_is_422(client):
    tomorrow = (today() + timedelta(days=1)).isoformat()
    response = client.get("/api/v1/candidates/sweden/ratifications", params={"as_of": tomorrow})
    assert_422_naming(response, "as_of", "future_date")


# Writing: steps in their procedure's order, not before the protocol


def step(step="parliament_approved", occurred_on="2025-05-20", **fields):
    return {"step": step, "occurred_on": occurred_on, "source": "Plenary record", **fields}


def post(client, headers, iso3, body, slug="georgia"):
    return client.post(f"/api/v1/candidates/{slug}/ratifications/{iso3}/steps", json=body,
                       headers=headers)


def sign_protocol(client, admin_headers, on="2025-01-10"):
    response = client.post("/api/v1/candidates/georgia/accession", headers=admin_headers,
                           json={"milestone": "protocol_signed", "occurred_on": on,
                                 "source": "Protocol signed in Brussels"})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("iso3", "earlier", "body", "field", "type_"),
    [
        # a step not in the member's procedure (Greece: one chamber; no government step)
        ("GRC", [], step("lower_chamber_approved"), "step", "step_not_in_procedure"),
        ("GRC", [], step("government_approved"), "step", "step_not_in_procedure"),
        # out of order: deposited before parliament's approval
        ("GRC", [], step("deposited"), "step", "step_out_of_order"),
        ("GRC", [step()], step("deposited", "2025-05-21"), "step", "step_out_of_order"),
        # two chambers (France): the upper before the lower
        ("FRA", [], step("upper_chamber_approved"), "step", "step_out_of_order"),
        # dated after a later step already recorded
        ("GRC", [step(), step("head_of_state_assent", "2025-05-22")],
         step(occurred_on="2025-05-23"), "occurred_on", "step_out_of_order"),
        # before the member's previous step
        ("GRC", [step()], step("head_of_state_assent", "2025-05-19"), "occurred_on",
         "before_previous_step"),
        ("FRA", [step("lower_chamber_approved")], step("upper_chamber_approved", "2025-05-01"),
         "occurred_on", "before_previous_step"),
        # before the protocol was signed (the candidate's milestone, 2025-01-10)
        ("GRC", [], step(occurred_on="2025-01-09"), "occurred_on", "before_protocol"),
        # before the member's own protocol_signed step
        ("GRC", [step("protocol_signed", "2025-02-01")], step(occurred_on="2025-01-20"),
         "occurred_on", "before_protocol"),
    ],
)
def test_a_step_out_of_order_is_422_naming_the_field_nothing_stored(
        client, session, analyst_headers, admin_headers, iso3, earlier, body, field, type_):
    sign_protocol(client, admin_headers)
    for accepted in earlier:
        assert post(client, analyst_headers, iso3, accepted).status_code == 201
    events, steps = count(session), count(session, RatificationStepRecord)
    response = post(client, analyst_headers, iso3, body)
    assert_422_naming(response, field, type_)
    assert (count(session), count(session, RatificationStepRecord)) == (events, steps)


def test_steps_in_order_are_taken_and_signed_is_still_a_step(client, analyst_headers,
                                                            admin_headers):
    sign_protocol(client, admin_headers)
    assert post(client, analyst_headers, "GRC", step(occurred_on="2025-02-10")).status_code == 201
    signed = post(client, analyst_headers, "GRC", step("signed", "2025-02-12"))
    assert signed.status_code == 201, signed.text
    deposited = post(client, analyst_headers, "GRC", step("deposited", "2025-02-20"))
    body = deposited.json()
    assert (body["current_step"], body["next_step"]) == ("deposited", None)
    assert [s["step"] for s in body["steps"]] == ["parliament_approved", "head_of_state_assent",
                                                  "deposited"]
    # A two-chamber member may record its whole parliament's approval at once.
    whole = post(client, analyst_headers, "FRA", step(occurred_on="2025-03-01"))
    assert whole.status_code == 201, whole.text
    assert whole.json()["next_step"] == "head_of_state_assent"


# Procedures


def test_anyone_reads_a_members_procedure_with_its_source(client):
    france = client.get("/api/v1/members/FRA/procedure").json()
    assert france["steps"] == ["protocol_signed", "lower_chamber_approved",
                               "upper_chamber_approved", "head_of_state_assent", "deposited"]
    assert "art. 53" in france["source"] and france["is_default"] is False
    greece = client.get("/api/v1/members/GRC/procedure").json()
    assert greece["steps"] == ["protocol_signed", "parliament_approved", "head_of_state_assent",
                               "deposited"]
    assert greece["is_default"] is True and "default procedure" in greece["source"]
    assert client.get("/api/v1/members/XYZ/procedure").status_code == 404


def test_every_member_state_has_a_procedure_seeded(session):
    members = session.scalar(select(func.count(func.distinct(
        RatificationProcedureStep.member_iso3))))
    assert members == 32


PROCEDURE = {"steps": ["protocol_signed", "government_approved", "parliament_approved",
                       "head_of_state_assent", "deposited"],
             "source": "Constitution of Greece, art. 36"}


def test_an_admin_replaces_a_procedure_and_it_is_an_event(client, session, admin_headers,
                                                          analyst_headers):
    events = count(session)
    response = client.put("/api/v1/members/GRC/procedure", json=PROCEDURE, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["steps"] == PROCEDURE["steps"]
    assert response.json()["is_default"] is False
    assert client.get("/api/v1/members/GRC/procedure").json()["steps"] == PROCEDURE["steps"]
    assert count(session) == events + 1
    event = session.scalars(select(Event).order_by(Event.id.desc())).first()
    assert (event.kind, event.entity_id) == ("ratification_procedure.updated", "GRC")
    assert event.before["steps"][1] == "parliament_approved"
    assert event.after == {"steps": PROCEDURE["steps"], "source": PROCEDURE["source"]}
    # Steps now follow the new procedure: the government approves before parliament.
    assert_422_naming(post(client, analyst_headers, "GRC", step()), "step", "step_out_of_order")
    assert post(client, analyst_headers, "GRC", step("government_approved")).status_code == 201


def test_the_old_step_name_is_taken_in_a_procedure(client, admin_headers):
    response = client.put("/api/v1/members/GRC/procedure", headers=admin_headers,
                          json={"steps": ["parliament_approved", "signed", "deposited"],
                                "source": "s"})
    assert response.status_code == 200, response.text
    assert response.json()["steps"] == ["parliament_approved", "head_of_state_assent",
                                        "deposited"]


@pytest.mark.parametrize(
    ("steps", "field", "type_"),
    [
        (["protocol_signed", "vetoed", "deposited"], "steps[1]", None),
        (["protocol_signed", "parliament_approved", "parliament_approved", "deposited"],
         "steps[2]", "duplicate_step"),
        (["protocol_signed", "deposited", "parliament_approved"], "steps[1]",
         "deposited_not_last"),
        (["protocol_signed", "parliament_approved"], "steps[1]", "deposited_not_last"),
        ([], "steps", "empty_procedure"),
        (["protocol_signed", "lower_chamber_approved", "parliament_approved", "deposited"],
         "steps[1]", "mixed_chambers"),
    ],
)
def test_a_bad_procedure_is_422_naming_the_step_nothing_stored(client, session, admin_headers,
                                                               steps, field, type_):
    before = client.get("/api/v1/members/GRC/procedure").json()
    events = count(session)
    response = client.put("/api/v1/members/GRC/procedure", headers=admin_headers,
                          json={"steps": steps, "source": "s"})
    assert_422_naming(response, field, type_)
    assert client.get("/api/v1/members/GRC/procedure").json() == before
    assert count(session) == events


def test_only_admins_replace_a_procedure(client, session, analyst_headers):
    events = count(session)
    assert client.put("/api/v1/members/GRC/procedure", json=PROCEDURE).status_code == 401
    response = client.put("/api/v1/members/GRC/procedure", json=PROCEDURE,
                          headers=analyst_headers)
    assert response.status_code == 403
    assert count(session) == events
    assert "government_approved" not in client.get("/api/v1/members/GRC/procedure").json()["steps"]


def test_a_procedure_of_an_unknown_member_is_404(client, admin_headers):
    response = client.put("/api/v1/members/XYZ/procedure", json=PROCEDURE, headers=admin_headers)
    assert response.status_code == 404


# Reading: the ratifications of members and aspirants

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
