"""A candidate's accession over the API: milestones with their sources, recorded once by
admins, and ratification only where a protocol exists."""

from datetime import date, timedelta

from app.models import Event


def _ratification_dates(client, slug):
    """Each ratifying member's first recorded step, from the ratifications API."""
    items = client.get(f"/api/v1/candidates/{slug}/ratifications",
                       params={"limit": 100}).json()["items"]
    return [min(s["occurred_on"] for s in r["steps"]) if r["steps"] else None for r in items]


def test_a_members_accession_has_its_dated_milestones(client):
    body = client.get("/api/v1/candidates/finland/accession").json()
    assert [(m["milestone"], m["occurred_on"]) for m in body["milestones"]] == [
        ("application_submitted", "2022-05-18"), ("invitation", "2022-06-29"),
        ("protocol_signed", "2022-07-05"), ("membership", "2023-04-04")]
    assert all(m["source"] for m in body["milestones"])
    firsts = _ratification_dates(client, "finland")
    assert None not in firsts and body["last_ratification"] == max(firsts)
    assert body["member_since"] == "2023-04-04" and body["ratification_applies"] is True


def test_an_aspirant_without_a_protocol_has_no_ratification(client):
    body = client.get("/api/v1/candidates/ukraine/accession").json()
    assert body["milestones"] == [] and body["ratification_applies"] is False
    assert body["last_ratification"] is None and body["member_since"] is None
    html = client.get("/candidates/ukraine").text
    assert "ratification-heading" not in html
    assert "member states have ratified" not in html


def test_admins_record_a_milestone_once(client, session, admin_headers, analyst_headers):
    milestone = {"milestone": "application_submitted", "occurred_on": "2024-02-01",
                 "source": "Letter of application"}
    url = "/api/v1/candidates/georgia/accession"
    assert client.post(url, json=milestone).status_code == 401
    assert client.post(url, json=milestone, headers=analyst_headers).status_code == 403
    events = session.query(Event).count()
    future = {**milestone, "occurred_on": (date.today() + timedelta(days=2)).isoformat()}
    refused = client.post(url, json=future, headers=admin_headers)
    assert refused.status_code == 422 and "occurred_on" in refused.text
    unknown = client.post(url, json={**milestone, "milestone": "coronation"},
                          headers=admin_headers)
    assert unknown.status_code == 422 and "milestone" in unknown.text
    assert session.query(Event).count() == events

    created = client.post(url, json=milestone, headers=admin_headers)
    assert created.status_code == 201, created.text
    assert created.json()["milestones"][0]["occurred_on"] == "2024-02-01"
    again = client.post(url, json={**milestone, "occurred_on": "2024-03-01"},
                        headers=admin_headers)
    assert again.status_code == 409
    assert client.get(url).json()["milestones"][0]["occurred_on"] == "2024-02-01"
    assert session.query(Event).count() == events + 1
    assert "Application submitted" in client.get("/candidates/georgia").text
