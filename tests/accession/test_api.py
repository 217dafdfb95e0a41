"""A candidate's accession: milestones with their sources over the API, the completed
accessions on the overview, and ratification shown only where a protocol exists."""

import re
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


def test_the_overview_lists_completed_accessions_apart(client):
    html = client.get("/").text
    aspirants, completed = html.split('<h2 id="completed-heading"')
    for slug in ("finland", "sweden"):
        assert f'href="/candidates/{slug}"' not in aspirants
        assert f'href="/candidates/{slug}"' in completed
    finland_row = re.search(r'href="/candidates/finland".*?</tr>', completed, re.S).group(0)
    # Member since, application, invitation, protocol signed, last ratification.
    assert ">Apr 4, 2023<" in finland_row and ">May 18, 2022<" in finland_row
    assert ">Jun 29, 2022<" in finland_row and ">Jul 5, 2022<" in finland_row
    assert "%" not in finland_row  # not scored


def test_a_members_page_leads_with_its_accession_and_is_not_scored(client):
    html = client.get("/candidates/finland").text
    assert html.index('id="accession-heading"') < html.index('id="benchmarks-heading"')
    assert "Member since Apr 4, 2023." in html
    assert 'class="big-figure"' not in html and "weighted progress" not in html
    assert 'class="status status-' not in html  # no met / off track for a member
    assert "Figures, kept as comparators" in html


def test_missing_deposit_dates_are_not_recorded_not_missing_deposits(client):
    html = client.get("/candidates/sweden").text
    deposited = sum(1 for r in client.get("/api/v1/candidates/sweden/ratifications",
                                          params={"limit": 100}).json()["items"]
                    if any(s["step"] == "deposited" for s in r["steps"]))
    assert 0 < deposited < 31
    assert (f"The deposit of the instrument of ratification is dated for {deposited} of them"
            in html)
    assert "deposit date not recorded" in html
    assert "have deposited" not in html and "not deposited" not in html
    # The confidence column is explained, each level in words.
    assert 'id="confidence-levels"' in html
    for level in ("High", "Medium", "Low", "Inferred"):
        assert f"<dt>{level}</dt>" in html


def test_the_last_ratification_counts_parliaments_not_earlier_steps(session):
    """A protocol's signature or a government's approval is a step, not a ratification; with
    two chambers, the later of their votes is."""
    from app.accession.service import load_accessions
    from app.candidates.service import get_candidate
    from app.models import RatificationStepRecord
    from app.ratifications.service import ratifying_member_states

    georgia = get_candidate(session, "georgia")
    members = ratifying_member_states(session, georgia)
    start = date(2030, 1, 1)
    for member in members:
        session.add(RatificationStepRecord(candidate_id=georgia.id, member_iso3=member.iso3,
                                           step="government_approved", occurred_on=start,
                                           source="test"))
    session.flush()
    assert load_accessions(session, [georgia])[georgia.id].last_ratification is None
    for i, member in enumerate(members):
        if i == 0:  # two chambers, the upper one first: ratified on the second vote
            session.add_all([RatificationStepRecord(
                candidate_id=georgia.id, member_iso3=member.iso3, step=step,
                occurred_on=start + timedelta(days=days), source="test")
                for step, days in (("upper_chamber_approved", 10), ("lower_chamber_approved", 90))])
        else:
            session.add(RatificationStepRecord(
                candidate_id=georgia.id, member_iso3=member.iso3, step="parliament_approved",
                occurred_on=start + timedelta(days=20 + i), source="test"))
    session.flush()
    assert load_accessions(session, [georgia])[georgia.id].last_ratification == (
        start + timedelta(days=90))
