"""Retractions with four eyes: one's own update is retracted at once, anyone else's waits for a
second analyst, an admin undoes a retraction and the value counts again; every step is a new
row, an event and a line of the update's history on its benchmark page."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.auth.service import create_user, issue_token
from app.candidates.service import get_candidate
from app.evaluation import load_statuses
from app.models import (
    Event,
    ProgressUpdate,
    RetractionConfirmation,
    RetractionUndo,
    UpdateRetraction,
)
from tests.conftest import bearer

URL = "/api/v1/candidates/georgia/updates"
BENCHMARK_PAGE = "/candidates/georgia/benchmarks/defence_spending_gdp"


def update(**fields):
    return {"benchmark": "defence_spending_gdp", "value": 1.9,
            "as_of": date.today().isoformat(), "source": "Ministry of Defence", **fields}


def post_update(client, headers, value: float) -> int:
    response = client.post(URL, json=update(value=value), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["items"][0]["id"]


def retract(client, update_id, headers, reason="wrong figure"):
    return client.post(f"/api/v1/updates/{update_id}/retract", json={"reason": reason},
                       headers=headers)


def latest(client) -> float | str | None:
    status = client.get("/api/v1/candidates/georgia/status").json()
    spending = next(b for b in status["benchmarks"] if b["key"] == "defence_spending_gdp")
    return spending["latest"]["value"] if spending["latest"] else None


def listed(client, update_id) -> dict:
    items = client.get(URL, params={"benchmark": "defence_spending_gdp", "limit": 500}).json()
    return next(u for u in items["items"] if u["id"] == update_id)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def carol_headers(session) -> dict[str, str]:
    return bearer(issue_token(session, create_user(session, "carol", "analyst")).token)


def test_own_update_is_retracted_at_once(client, analyst_headers):
    update_id = post_update(client, analyst_headers, 7.77)
    response = retract(client, update_id, analyst_headers)
    assert response.status_code == 200, response.text
    retraction = response.json()["retraction"]
    assert (retraction["status"], retraction["by"], retraction["reason"]) == (
        "retracted", "ana", "wrong figure")
    assert retraction["retracted_at"] == retraction["requested_at"]
    assert latest(client) != 7.77


def test_anothers_update_waits_for_a_second_analyst(client, session, analyst_headers,
                                                    second_analyst_headers, carol_headers):
    update_id = post_update(client, analyst_headers, 7.77)
    events_before = count(session, Event)
    asked = retract(client, update_id, second_analyst_headers, "looks like a typo")
    assert asked.status_code == 202, asked.text
    pending = asked.json()
    assert (pending["status"], pending["by"], pending["update_id"], pending["candidate"],
            pending["benchmark"], pending["retracted_at"]) == (
        "pending", "bob", update_id, "georgia", "defence_spending_gdp", None)
    assert asked.headers["location"].endswith(f"/api/v1/retractions/{pending['id']}")
    assert client.get(asked.headers["location"], headers=carol_headers).json() == pending
    # Still counted, and shown as pending.
    assert latest(client) == 7.77
    shown = listed(client, update_id)
    assert shown["retraction"] is None and shown["pending_retraction"]["id"] == pending["id"]
    assert count(session, Event) == events_before + 1

    confirm = f"/api/v1/retractions/{pending['id']}/confirm"
    refused = client.post(confirm, headers=second_analyst_headers)
    assert refused.status_code == 403 and "four-eyes" in refused.json()["detail"]
    assert latest(client) == 7.77
    confirmed = client.post(confirm, headers=carol_headers)
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert (body["status"], body["by"], body["confirmed_by"]) == ("retracted", "bob", "carol")
    assert body["retracted_at"] == body["confirmed_at"]
    assert latest(client) != 7.77
    shown = listed(client, update_id)
    assert shown["retraction"]["id"] == pending["id"] and shown["pending_retraction"] is None
    assert client.post(confirm, headers=carol_headers).status_code == 409


def test_the_updates_author_may_confirm_anothers_request(client, analyst_headers,
                                                         second_analyst_headers):
    update_id = post_update(client, analyst_headers, 7.77)
    pending = retract(client, update_id, second_analyst_headers).json()
    confirmed = client.post(f"/api/v1/retractions/{pending['id']}/confirm",
                            headers=analyst_headers)
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_by"] == "ana"


def test_an_update_without_an_author_needs_two_people(client, session, analyst_headers):
    demo = session.scalars(select(ProgressUpdate.id).where(ProgressUpdate.author_id.is_(None))
                           .order_by(ProgressUpdate.id)).first()
    assert retract(client, demo, analyst_headers).status_code == 202


def test_one_open_retraction_at_a_time(client, analyst_headers, second_analyst_headers,
                                       carol_headers):
    update_id = post_update(client, analyst_headers, 7.77)
    pending = retract(client, update_id, second_analyst_headers).json()
    for headers in (analyst_headers, carol_headers):
        again = retract(client, update_id, headers)
        assert again.status_code == 409
        assert f"/api/v1/retractions/{pending['id']}/confirm" in again.json()["detail"]
    client.post(f"/api/v1/retractions/{pending['id']}/confirm", headers=carol_headers)
    assert retract(client, update_id, analyst_headers).status_code == 409


def test_an_admin_undoes_a_retraction_and_the_value_counts_again(
        client, session, analyst_headers, second_analyst_headers, carol_headers,
        admin_headers):
    update_id = post_update(client, analyst_headers, 7.77)
    pending = retract(client, update_id, second_analyst_headers, "looks like a typo").json()
    client.post(f"/api/v1/retractions/{pending['id']}/confirm", headers=carol_headers)
    assert latest(client) != 7.77
    undo = f"/api/v1/retractions/{pending['id']}/undo"
    assert client.post(undo, json={"reason": "x"}, headers=carol_headers).status_code == 403
    assert client.post(undo, json={}, headers=admin_headers).status_code == 422
    undone = client.post(undo, json={"reason": "the figure was right"}, headers=admin_headers)
    assert undone.status_code == 200, undone.text
    body = undone.json()
    assert (body["status"], body["undone_by"], body["undo_reason"]) == (
        "undone", "root", "the figure was right")
    assert latest(client) == 7.77
    shown = listed(client, update_id)
    assert shown["retraction"] is None and shown["pending_retraction"] is None
    assert client.post(undo, json={"reason": "again"}, headers=admin_headers).status_code == 409

    # History is kept; a new retraction may follow, and it is a new row.
    again = retract(client, update_id, analyst_headers, "my own mistake after all")
    assert again.status_code == 200
    assert latest(client) != 7.77
    assert count(session, UpdateRetraction) == 2

    kinds = [(e.kind, e.actor.name) for e in session.scalars(
        select(Event).where(Event.entity == "progress_update",
                            Event.entity_id == str(update_id)).order_by(Event.id))]
    assert kinds == [("progress_update.created", "ana"),
                     ("progress_update.retraction_requested", "bob"),
                     ("progress_update.retracted", "carol"),
                     ("progress_update.retraction_undone", "root"),
                     ("progress_update.retracted", "ana")]


def test_an_admin_may_dismiss_a_pending_request(client, analyst_headers, second_analyst_headers,
                                                carol_headers, admin_headers):
    update_id = post_update(client, analyst_headers, 7.77)
    pending = retract(client, update_id, second_analyst_headers).json()
    dismissed = client.post(f"/api/v1/retractions/{pending['id']}/undo",
                            json={"reason": "not a typo"}, headers=admin_headers)
    assert dismissed.status_code == 200
    assert (dismissed.json()["status"], dismissed.json()["retracted_at"]) == ("undone", None)
    confirm = client.post(f"/api/v1/retractions/{pending['id']}/confirm", headers=carol_headers)
    assert confirm.status_code == 409
    assert latest(client) == 7.77


def test_analysts_list_pending_retractions(client, analyst_headers, second_analyst_headers,
                                           carol_headers):
    mine = post_update(client, analyst_headers, 7.71)
    theirs = post_update(client, analyst_headers, 7.72)
    retract(client, mine, analyst_headers)
    pending = retract(client, theirs, second_analyst_headers).json()
    url = "/api/v1/retractions"
    assert client.get(url).status_code == 401
    listed_pending = client.get(url, params={"status": "pending"}, headers=carol_headers).json()
    assert [r["id"] for r in listed_pending["items"]] == [pending["id"]]
    assert listed_pending["total"] == 1
    retracted = client.get(url, params={"status": "retracted"}, headers=carol_headers).json()
    assert [r["update_id"] for r in retracted["items"]] == [mine]
    of_update = client.get(url, params={"update": theirs}, headers=carol_headers).json()
    assert [r["id"] for r in of_update["items"]] == [pending["id"]]
    bad = client.get(url, params={"status": "maybe"}, headers=carol_headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
    assert client.get(f"{url}/999999", headers=carol_headers).status_code == 404
    assert client.post(f"{url}/999999/confirm", headers=carol_headers).status_code == 404


def test_the_benchmark_page_shows_each_step(client, analyst_headers, second_analyst_headers,
                                            carol_headers, admin_headers):
    update_id = post_update(client, analyst_headers, 7.77)
    pending = retract(client, update_id, second_analyst_headers, "looks like a typo").json()

    def row(lang="en") -> str:
        page = client.get(BENCHMARK_PAGE, params={"lang": lang}).text
        return next(r for r in page.split("<tr") if f"#{update_id}<" in r)

    assert "Retraction awaiting confirmation" in row() and "asked for by bob" in row()
    assert "struck" not in row().split(">")[0]
    client.post(f"/api/v1/retractions/{pending['id']}/confirm", headers=carol_headers)
    assert "Retracted" in row() and "confirmed by carol" in row()
    assert "struck" in row().split(">")[0]
    client.post(f"/api/v1/retractions/{pending['id']}/undo",
                json={"reason": "the figure was right"}, headers=admin_headers)
    text = row()
    assert "Retraction undone" in text and "undone by root" in text
    assert "the figure was right" in text and "looks like a typo" in text
    assert "struck" not in text.split(">")[0]
    assert "annulé par root" in row("fr") and "demandé par bob" in row("fr")


def test_evaluations_as_of_a_date_see_the_retraction_in_effect_then(session, analyst):
    """Retracted (at once, or on confirmation) and undone at dates in the past: the status as
    of each date counts the value only while no retraction was in effect."""
    georgia = get_candidate(session, "georgia")
    spending = next(cb for cb in georgia.benchmarks
                    if cb.definition.key == "defence_spending_gdp")
    noon = datetime(2024, 1, 10, 12, tzinfo=UTC)
    value = ProgressUpdate(candidate_id=georgia.id, indicator_id=spending.definition.indicator_id,
                           value=7.77,
                           as_of=date(2024, 1, 10), source="test", recorded_at=noon,
                           author_id=analyst.id)
    session.add(value)
    session.flush()
    asked = UpdateRetraction(update_id=value.id, reason="typo", author_id=analyst.id,
                             retracted_at=noon + timedelta(days=10), needs_confirmation=True)
    session.add(asked)
    session.flush()
    session.add_all([
        RetractionConfirmation(retraction_id=asked.id, user_id=analyst.id,
                               confirmed_at=noon + timedelta(days=20)),
        RetractionUndo(retraction_id=asked.id, user_id=analyst.id, reason="right after all",
                       undone_at=noon + timedelta(days=30)),
    ])
    again = UpdateRetraction(update_id=value.id, reason="wrong again", author_id=analyst.id,
                             retracted_at=noon + timedelta(days=40))
    session.add(again)
    session.flush()

    def latest_on(days: int) -> float | None:
        evaluation = load_statuses(session, [georgia],
                                   as_of=noon.date() + timedelta(days=days))[georgia.id].evaluation
        b = next(b for b in evaluation.benchmarks if b.spec.key == "defence_spending_gdp")
        return b.latest.value if b.latest else None

    assert latest_on(0) == 7.77    # measured
    assert latest_on(15) == 7.77   # asked for, not confirmed: still counted
    assert latest_on(20) != 7.77   # confirmed that day
    assert latest_on(29) != 7.77
    assert latest_on(30) == 7.77   # undone that day
    assert latest_on(39) == 7.77
    assert latest_on(40) != 7.77   # retracted again, at once
