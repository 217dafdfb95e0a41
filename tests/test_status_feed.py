"""Status changes as events and Atom feeds (app/status_feed.py, app/web/feeds.py): a
write that moves a benchmark records one event in its own transaction, a batch one per moved
benchmark, a write that moves nothing none; retractions and new target versions too; the daily
sweep records what time changed, once; the feeds show them as valid Atom."""

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.evaluation import today
from app.models import Candidate, Event
from app.status_feed import CHANGE_KIND, record_time_status_changes
from tests.helpers import requirements_with

ATOM = "{http://www.w3.org/2005/Atom}"
BOSNIA = "bosnia-and-herzegovina"
RECENT = (date.today() - timedelta(days=20)).isoformat()  # after every demo measurement


def changes(session, slug: str | None = None, key: str | None = None) -> list[Event]:
    query = select(Event).where(Event.kind == CHANGE_KIND)
    if slug is not None:
        candidate_id = session.scalar(select(Candidate.id).where(Candidate.slug == slug))
        query = query.where(Event.candidate_id == candidate_id)
        if key is not None:
            query = query.where(Event.entity_id == f"{candidate_id}:{key}")
    return list(session.scalars(query.order_by(Event.id)))


def newest_id(session) -> int:
    return session.scalar(select(func.max(Event.id))) or 0


def post(client, headers, slug: str, body: dict) -> dict:
    response = client.post(f"/api/v1/candidates/{slug}/updates", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def spending(value: float, **fields) -> dict:
    return {"benchmark": "defence_spending_gdp", "value": value, "as_of": RECENT,
            "source": "Ministry of Defence, budget law", **fields}


def atom_entries(client, url: str) -> list[ET.Element]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None and feed.find(
            f"{ATOM}{required}").text, required
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    entries = feed.findall(f"{ATOM}entry")
    for entry in entries:
        for required in ("id", "title", "updated", "content"):
            assert entry.find(f"{ATOM}{required}") is not None, required
        assert entry.find(f"{ATOM}link").get("href").startswith("http")
    return entries


def test_the_demo_feeds_are_not_empty(client, session):
    assert changes(session)
    entries = atom_entries(client, "/candidates/ukraine/feed.atom")
    assert entries
    assert any("illustrative data" in e.find(f"{ATOM}title").text for e in entries)
    assert atom_entries(client, "/candidates/sweden/benchmarks/defence_spending_gdp/feed.atom")


def test_an_update_that_meets_the_target_records_one_change_seen_in_feed_and_feeds(
        client, session, analyst_headers):
    assert changes(session, BOSNIA, "defence_spending_gdp")[-1].after["to"] == "overdue"
    after = newest_id(session)
    update = post(client, analyst_headers, BOSNIA, spending(1.6))["items"][0]

    new = [e for e in changes(session) if e.id > after]
    assert len(new) == 1
    payload = new[0].after
    assert (new[0].entity, payload["candidate"], payload["benchmark"], payload["from"],
            payload["to"]) == ("candidate_benchmark", BOSNIA, "defence_spending_gdp", "overdue",
                               "met")
    assert payload["as_of"] == today().isoformat() and payload["revised"] is None
    assert payload["cause"] == {"kind": "progress_update", "update_ids": [update["id"]],
                                "count": 1}
    assert "meets" in payload["reason"]

    listed = client.get(f"/api/v1/events?after={after}").json()["items"]
    assert [e["kind"] for e in listed] == ["progress_update.created", CHANGE_KIND]
    assert listed[1]["candidate"] == BOSNIA and listed[1]["after"]["to"] == "met"

    for url in (f"/candidates/{BOSNIA}/feed.atom",
                f"/candidates/{BOSNIA}/benchmarks/defence_spending_gdp/feed.atom"):
        first = atom_entries(client, url)[0]  # newest first
        assert first.find(f"{ATOM}title").text.startswith(
            "Bosnia and Herzegovina: Defence spending (% of GDP) ≥ 1.5% of GDP is now met "
            "(was overdue)")
        assert first.find(f"{ATOM}link").get("href").endswith(
            f"/candidates/{BOSNIA}/benchmarks/defence_spending_gdp")
        assert "meets" in first.find(f"{ATOM}content").text
    other = atom_entries(client, f"/candidates/{BOSNIA}/benchmarks/joint_exercises/feed.atom")
    assert all("Defence spending" not in e.find(f"{ATOM}title").text for e in other)


def test_an_update_that_moves_nothing_records_no_change(client, session, analyst_headers):
    after = newest_id(session)
    post(client, analyst_headers, BOSNIA, spending(0.8))  # still short, still overdue
    assert [e for e in changes(session) if e.id > after] == []


def test_a_batch_records_one_change_per_benchmark_moved(client, session, analyst_headers):
    after = newest_id(session)
    post(client, analyst_headers, BOSNIA, {"updates": [
        spending(1.0, as_of=(date.today() - timedelta(days=40)).isoformat()),
        spending(1.6),  # the series' latest: met
        {"benchmark": "civilian_control_law", "value": "adopted", "as_of": RECENT,
         "source": "Official gazette"},  # met
        {"benchmark": "joint_exercises", "value": 3.5, "as_of": RECENT,
         "source": "Ministry of Defence"},  # met already
    ]})
    new = [e for e in changes(session) if e.id > after]
    assert sorted((e.after["benchmark"], e.after["from"], e.after["to"]) for e in new) == [
        ("civilian_control_law", "overdue", "met"), ("defence_spending_gdp", "overdue", "met")]
    spending_change = next(e for e in new if e.after["benchmark"] == "defence_spending_gdp")
    assert spending_change.after["cause"]["count"] == 2  # both rows of the series, one change


def test_a_retraction_that_moves_the_status_back_records_one_change(
        client, session, analyst_headers):
    update = post(client, analyst_headers, BOSNIA, spending(1.6))["items"][0]
    after = newest_id(session)
    response = client.post(f"/api/v1/updates/{update['id']}/retract",
                           json={"reason": "typo in the budget figure"}, headers=analyst_headers)
    assert response.status_code == 200, response.text
    new = [e for e in changes(session) if e.id > after]
    assert [(e.after["from"], e.after["to"], e.after["cause"]["kind"]) for e in new] == [
        ("met", "overdue", "retraction")]
    assert new[0].after["cause"]["update_id"] == update["id"]


def test_a_new_vintage_of_the_figure_is_a_revision(client, session, analyst_headers):
    first = post(client, analyst_headers, BOSNIA, spending(0.8, vintage="2025-04"))["items"][0]
    after = newest_id(session)
    post(client, analyst_headers, BOSNIA, spending(0.82, vintage="2026-04",
                                                   supersedes=first["id"]))
    new = [e for e in changes(session) if e.id > after]
    assert [(e.after["from"], e.after["to"], e.after["revised"]) for e in new] == [
        ("overdue", "overdue", "figure")]
    title = atom_entries(
        client, f"/candidates/{BOSNIA}/benchmarks/defence_spending_gdp/feed.atom")[0].find(
        f"{ATOM}title").text
    assert "figure revised" in title and "still overdue" in title


def test_a_new_target_version_records_a_revised_change(client, session, admin_headers):
    # Georgia's 1.86 % no longer meets it
    requirements = requirements_with(client, "defence_spending_gdp", "strategic_partner", 1.9)
    after = newest_id(session)
    response = client.patch("/api/v1/benchmarks/defence_spending_gdp", headers=admin_headers,
                            json={"requirements": requirements})
    assert response.status_code == 200, response.text
    new = {e.after["candidate"]: e.after for e in changes(session) if e.id > after}
    assert (new["georgia"]["from"], new["georgia"]["to"], new["georgia"]["revised"]) == (
        "met", "overdue", "target")
    assert new["georgia"]["target_value"] == 1.9
    assert new["georgia"]["cause"]["kind"] == "requirements"
    assert (new[BOSNIA]["from"], new[BOSNIA]["to"], new[BOSNIA]["revised"]) == (
        "overdue", "overdue", "target")
    assert "ukraine" not in new  # another tier: its target did not move
    title = atom_entries(client, "/candidates/georgia/feed.atom")[0].find(f"{ATOM}title").text
    assert title.startswith("Georgia: target revised: Defence spending (% of GDP) ≥ 1.9% of GDP "
                            "is now overdue (was met)")


def test_the_sweep_records_what_time_changed_once(session):
    # Ukraine's major-equipment share (14.2 % of a 15 % target) is due 2027-07-11.
    later = date(2027, 8, 1)
    recorded = record_time_status_changes(session, later)
    assert recorded > 0
    overdue = changes(session, "ukraine", "major_equipment_share")
    assert [(e.after["to"], e.after["as_of"], e.after["cause"]) for e in overdue[-1:]] == [
        ("overdue", later.isoformat(), {"kind": "time"})]
    count = len(changes(session))
    assert record_time_status_changes(session, later) == 0
    assert len(changes(session)) == count


def test_the_sweep_today_records_nothing_after_the_demo(session):
    assert record_time_status_changes(session, today()) == 0


def test_an_import_records_its_changes_once(session, analyst):
    from app.imports.service import load_rows

    after = newest_id(session)
    rows = [(n + 2, {"candidate": BOSNIA, "benchmark": "defence_spending_gdp", "value": str(v),
                     "as_of": (date.today() - timedelta(days=30 - n)).isoformat(),
                     "source": "import test"}) for n, v in enumerate((1.0, 1.2, 1.6))]
    load_rows(session, iter(rows), author=analyst)
    new = [e for e in changes(session) if e.id > after]
    assert [(e.after["from"], e.after["to"], e.after["cause"]["count"]) for e in new] == [
        ("overdue", "met", 3)]


@pytest.mark.parametrize("url", [
    "/candidates/atlantis/feed.atom",
    "/candidates/atlantis/benchmarks/defence_spending_gdp/feed.atom",
    f"/candidates/{BOSNIA}/benchmarks/no_such_benchmark/feed.atom",
])
def test_unknown_candidate_or_benchmark_feed_is_404(client, url):
    assert client.get(url).status_code == 404


def test_feeds_speak_french(client):
    response = client.get("/candidates/georgia/feed.atom?lang=fr")
    feed = ET.fromstring(response.content)
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    assert "Géorgie" in feed.find(f"{ATOM}title").text
    assert feed.find(f"{ATOM}link[@rel='self']").get("href").endswith("feed.atom?lang=fr")


@pytest.mark.parametrize(("url", "feed"), [
    ("/candidates/georgia", "/candidates/georgia/feed.atom"),
    ("/candidates/georgia/benchmarks/defence_spending_gdp",
     "/candidates/georgia/benchmarks/defence_spending_gdp/feed.atom"),
])
def test_pages_link_their_feed(client, url, feed):
    html = client.get(url).text
    assert f'<link rel="alternate" type="application/atom+xml" title="Status changes" ' \
           f'href="{feed}">' in html
    assert f'<p class="more feed-link"><a href="{feed}"' in html


def _backfill(newest):
    # 30 values a month apart, the first before every demo measurement: more than the 24
    # newest the rules read, and a new first measurement (the baseline).
    return [{"benchmark": "defence_spending_gdp", "value": 1.0 + n / 20,
             "as_of": (date(2000, 1, 31) + timedelta(days=31 * n)).isoformat(),
             "source": "back-fill"} for n in range(30)]


def _correction(newest):
    return [spending(1.7, as_of=newest.as_of.isoformat(), supersedes=newest.id,
                     vintage="a later release")]


def _recent(newest):
    return [spending(1.2), spending(1.8, as_of=date.today().isoformat())]


@pytest.mark.parametrize("bounded", [True, False], ids=["index-seeks", "window"])
@pytest.mark.parametrize("write", [_backfill, _correction, _recent])
def test_the_state_after_an_update_is_the_state_read_again(session, analyst, write, bounded,
                                                           monkeypatch):
    """The watch computes the statuses after a write of updates from what it read before and
    the updates written (no second read): the same states as reading them again. On either
    of the history's two reads (app.evaluation._load_history), which on PostgreSQL leave out
    the write's own rows, already inserted."""
    from app import evaluation
    from app.models import Indicator, ProgressUpdate

    if not bounded:
        monkeypatch.setattr(evaluation, "MAX_BOUNDED_SERIES", 0)
    from app.progress.ingest import UpdateSet, add_progress_updates
    from app.progress.schemas import ProgressUpdateCreate
    from app.status_feed import StatusWatch

    candidate_id = session.scalar(select(Candidate.id).where(Candidate.slug == BOSNIA))
    newest = session.scalars(
        select(ProgressUpdate).join(Indicator)
        .where(ProgressUpdate.candidate_id == candidate_id,
               Indicator.key == "defence_spending_gdp")
        .order_by(ProgressUpdate.as_of.desc(), ProgressUpdate.id.desc())).first()
    items = [ProgressUpdateCreate(**item) for item in write(newest)]
    watch = StatusWatch()
    [outcome] = add_progress_updates(
        session, [UpdateSet(candidate_id, items, analyst, [["body"]] * len(items))],
        statuses=watch)
    assert not outcome.errors and not outcome.conflicts
    computed = watch.states_after(session)
    assert computed
    assert computed == watch.states_after(session, read_again=True)
    assert computed != watch.before or write is _backfill
