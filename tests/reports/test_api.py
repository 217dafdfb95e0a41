"""Reports: drafts edited with ETag / If-Match, four-eyes and scheduled publication, safe
Markdown, and drafts that no anonymous reader ever sees."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

import app.reports.service as report_service
from app.models import Event, ProgressReport, ReportStatus
from tests.helpers import XSS, assert_safe

CREATE_URL = "/api/v1/candidates/georgia/reports"
LIST_URL = "/api/v1/candidates/georgia/reports"
EVENTS_URL = "/api/v1/events"


def report(**fields):
    return {"period": "2025-Q3", "title": "Georgia: review of 2025-Q3",
            "body": "# Review\n\nDefence spending **rose**.", **fields}


def url(report_id: int) -> str:
    return f"/api/v1/reports/{report_id}"


def count(session, model=ProgressReport):
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def draft(client, analyst_headers):
    response = client.post(CREATE_URL, json=report(), headers=analyst_headers)
    assert response.status_code == 201, response.text
    return response


def publish(client, report_id, headers, if_match=None, **body):
    """Publishes as a reviewer does: the version just read (its ETag as If-Match), unless
    `if_match` names another."""
    if if_match is None:
        if_match = client.get(url(report_id), headers=headers).headers.get("etag", '"none"')
    return client.post(f"{url(report_id)}/publish", json=body or None,
                       headers={**headers, "If-Match": if_match})


def listed_ids(client, headers=None):
    items = client.get(LIST_URL, params={"limit": 500}, headers=headers or {}).json()["items"]
    return {r["id"] for r in items}


def event_kinds(client, report_id, headers=None):
    events = client.get(EVENTS_URL, params={"limit": 500}, headers=headers or {}).json()
    return [e["kind"] for e in events["items"]
            if e["entity"] == "report" and e["entity_id"] == str(report_id)]


# --- create and read -------------------------------------------------------------------------

def test_create_stores_a_draft_with_etag_and_location(client, session, analyst_headers):
    before = count(session), count(session, Event)
    response = client.post(CREATE_URL, json=report(), headers=analyst_headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "draft" and created["version"] == 1
    assert created["candidate"] == "georgia" and created["author"] == "ana"
    assert created["published_at"] is None
    assert created["body_html"] == (
        "<h1>Review</h1>\n<p>Defence spending <strong>rose</strong>.</p>\n")
    assert response.headers["etag"] == created["etag"] == f'"report-{created["id"]}-v1"'
    assert response.headers["location"].endswith(url(created["id"]))
    assert "last-modified" in response.headers
    assert (count(session), count(session, Event)) == (before[0] + 1, before[1] + 1)
    event = session.scalars(select(Event).order_by(Event.id.desc())).first()
    assert (event.kind, event.is_public, event.after["title"]) == (
        "report.created", False, "Georgia: review of 2025-Q3")


def test_admin_may_create(client, admin_headers):
    response = client.post(CREATE_URL, json=report(), headers=admin_headers)
    assert response.status_code == 201


def test_title_and_period_are_stripped(client, analyst_headers):
    response = client.post(CREATE_URL, json=report(title="  Spaced  ", period=" 2025-H1 "),
                           headers=analyst_headers)
    assert response.status_code == 201
    assert (response.json()["title"], response.json()["period"]) == ("Spaced", "2025-H1")


def test_analyst_reads_a_draft_anonymous_gets_404_like_a_missing_id(client, draft,
                                                                   analyst_headers,
                                                                   second_analyst_headers):
    report_id = draft.json()["id"]
    for headers in (analyst_headers, second_analyst_headers):
        response = client.get(url(report_id), headers=headers)
        assert response.status_code == 200
        assert response.headers["etag"] == draft.headers["etag"]
        assert "private" in response.headers["cache-control"]
    hidden = client.get(url(report_id))
    missing = client.get(url(999_999))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == f"No report {report_id!r}."
    assert missing.json()["detail"] == "No report 999999."
    assert "etag" not in hidden.headers


def test_get_sends_etag_and_last_modified_and_answers_304(client, draft, analyst_headers):
    report_id, etag = draft.json()["id"], draft.headers["etag"]
    response = client.get(url(report_id), headers=analyst_headers)
    assert response.headers["etag"] == etag and response.headers["last-modified"].endswith("GMT")
    assert response.headers["vary"] == "Authorization"
    for tag in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        cached = client.get(url(report_id), headers={**analyst_headers, "If-None-Match": tag})
        assert cached.status_code == 304, tag
        assert cached.content == b"" and cached.headers["etag"] == etag
    stale = client.get(url(report_id), headers={**analyst_headers, "If-None-Match": '"old"'})
    assert stale.status_code == 200 and stale.json()["id"] == report_id


def test_anonymous_if_none_match_on_a_draft_is_still_404(client, draft):
    response = client.get(url(draft.json()["id"]), headers={"If-None-Match": "*"})
    assert response.status_code == 404


# --- edit ------------------------------------------------------------------------------------

def test_patch_with_current_etag_edits_and_bumps_version(client, session, draft,
                                                        analyst_headers):
    report_id = draft.json()["id"]
    response = client.patch(url(report_id), json={"title": "Better title", "body": "New *text*"},
                            headers={**analyst_headers, "If-Match": draft.headers["etag"]})
    assert response.status_code == 200, response.text
    edited = response.json()
    assert (edited["title"], edited["body"], edited["period"]) == (
        "Better title", "New *text*", "2025-Q3")
    assert edited["body_html"] == "<p>New <em>text</em></p>\n"
    assert edited["version"] == 2
    assert response.headers["etag"] == edited["etag"] == f'"report-{report_id}-v2"'
    assert edited["updated_at"] >= draft.json()["updated_at"]
    event = session.scalars(select(Event).order_by(Event.id.desc())).first()
    assert (event.kind, event.is_public) == ("report.updated", False)
    assert event.before == {"version": 1, "title": "Georgia: review of 2025-Q3",
                            "body": report()["body"]}
    assert event.after == {"version": 2, "title": "Better title", "body": "New *text*"}


def test_stale_etag_is_412_and_nothing_is_lost(client, session, draft, analyst_headers,
                                               second_analyst_headers):
    report_id, old_etag = draft.json()["id"], draft.headers["etag"]
    first = client.patch(url(report_id), json={"body": "Bob's edit"},
                         headers={**second_analyst_headers, "If-Match": old_etag})
    assert first.status_code == 200
    events = count(session, Event)

    late = client.patch(url(report_id), json={"body": "Ana's edit, made on version 1"},
                        headers={**analyst_headers, "If-Match": old_etag})
    assert late.status_code == 412
    assert late.headers["content-type"] == "application/problem+json"
    problem = late.json()
    assert problem["current_etag"] == first.headers["etag"]
    assert first.headers["etag"] in problem["detail"]
    current = client.get(url(report_id), headers=analyst_headers).json()
    assert (current["body"], current["version"]) == ("Bob's edit", 2)
    assert count(session, Event) == events


@pytest.mark.parametrize("if_match", ['W/"report-{id}-v1"', '"report-{id}-v9"', '"nonsense"'])
def test_weak_or_wrong_etag_is_412(client, draft, analyst_headers, if_match):
    report_id = draft.json()["id"]
    response = client.patch(url(report_id), json={"title": "x"},
                            headers={**analyst_headers, "If-Match": if_match.format(id=report_id)})
    assert response.status_code == 412


def test_patch_without_if_match_is_428(client, session, draft, analyst_headers):
    report_id = draft.json()["id"]
    for headers in (analyst_headers, {**analyst_headers, "If-Match": "*"}):
        response = client.patch(url(report_id), json={"title": "No precondition"},
                                headers=headers)
        assert response.status_code == 428
        assert response.headers["content-type"] == "application/problem+json"
        assert "If-Match" in response.json()["detail"]
    assert session.get(ProgressReport, report_id).title == "Georgia: review of 2025-Q3"


def test_patch_that_changes_nothing_keeps_the_version(client, session, draft, analyst_headers):
    events = count(session, Event)
    response = client.patch(url(draft.json()["id"]), json={"period": "2025-Q3"},
                            headers={**analyst_headers, "If-Match": draft.headers["etag"]})
    assert response.status_code == 200
    assert response.headers["etag"] == draft.headers["etag"]
    assert count(session, Event) == events


def test_patch_unknown_report_is_404(client, analyst_headers):
    response = client.patch(url(999_999), json={"title": "x"},
                            headers={**analyst_headers, "If-Match": '"report-999999-v1"'})
    assert response.status_code == 404


def test_published_report_is_not_edited(client, draft, analyst_headers,
                                        second_analyst_headers):
    report_id = draft.json()["id"]
    published = publish(client, report_id, second_analyst_headers)
    response = client.patch(url(report_id), json={"title": "Too late"},
                            headers={**analyst_headers, "If-Match": published.headers["etag"]})
    assert response.status_code == 409
    assert "new report" in response.json()["detail"]


# --- publish ---------------------------------------------------------------------------------

def test_author_cannot_publish_own_report(client, session, draft, analyst_headers):
    report_id = draft.json()["id"]
    response = publish(client, report_id, analyst_headers)
    assert response.status_code == 403
    assert "four-eyes" in response.json()["detail"]
    assert "second person" in response.json()["detail"]
    assert session.get(ProgressReport, report_id).status == ReportStatus.draft


def test_an_editor_of_the_draft_cannot_publish_it_either(client, draft, second_analyst_headers,
                                                         admin_headers):
    report_id = draft.json()["id"]
    edited = client.patch(url(report_id), json={"body": "Bob rewrote this"},
                          headers={**second_analyst_headers, "If-Match": draft.headers["etag"]})
    assert publish(client, report_id, second_analyst_headers).status_code == 403
    response = publish(client, report_id, admin_headers)
    assert response.status_code == 200
    assert response.json()["version"] == edited.json()["version"] + 1


def test_second_analyst_publishes_and_readers_see_it(client, session, draft, analyst_headers,
                                                     second_analyst_headers):
    report_id = draft.json()["id"]
    assert report_id not in listed_ids(client)
    response = publish(client, report_id, second_analyst_headers)
    assert response.status_code == 200, response.text
    published = response.json()
    assert published["status"] == "published" and published["version"] == 2
    assert published["author"] == "ana"
    assert response.headers["etag"] == f'"report-{report_id}-v2"'
    stored = session.get(ProgressReport, report_id)
    assert stored.published_by_id is not None and stored.published_by_id != stored.author_id

    public = client.get(url(report_id))
    assert public.status_code == 200
    assert public.json()["title"] == "Georgia: review of 2025-Q3"
    assert public.headers["etag"] == response.headers["etag"]
    assert report_id in listed_ids(client)
    assert event_kinds(client, report_id) == ["report.published"]
    assert event_kinds(client, report_id, analyst_headers) == ["report.created",
                                                               "report.published"]

    again = publish(client, report_id, second_analyst_headers)
    assert again.status_code == 409


def test_publish_with_stale_if_match_is_412(client, draft, analyst_headers,
                                            second_analyst_headers, admin_headers):
    report_id = draft.json()["id"]
    reviewed = draft.headers["etag"]
    client.patch(url(report_id), json={"body": "Changed after the review"},
                 headers={**analyst_headers, "If-Match": reviewed})
    stale = client.post(f"{url(report_id)}/publish",
                        headers={**second_analyst_headers, "If-Match": reviewed})
    assert stale.status_code == 412
    current = client.get(url(report_id), headers=admin_headers).headers["etag"]
    fresh = client.post(f"{url(report_id)}/publish",
                        headers={**second_analyst_headers, "If-Match": current})
    assert fresh.status_code == 200


def test_publish_unknown_report_is_404(client, second_analyst_headers):
    assert publish(client, 999_999, second_analyst_headers).status_code == 404


def test_scheduled_report_is_hidden_until_its_time(client, session, analyst_headers,
                                                   second_analyst_headers, monkeypatch):
    scheduled = client.post(CREATE_URL, json=report(title="Scheduled"),
                            headers=analyst_headers).json()
    at = datetime.now(UTC) + timedelta(hours=1)
    response = publish(client, scheduled["id"], second_analyst_headers,
                       publish_at=at.isoformat())
    assert response.status_code == 200
    assert datetime.fromisoformat(response.json()["published_at"]) == at
    assert client.get(url(scheduled["id"])).status_code == 404
    assert scheduled["id"] not in listed_ids(client)
    assert client.get(url(scheduled["id"]), headers=analyst_headers).status_code == 200
    # The publication event is public at once, but tells nothing of the text.
    [event] = [e for e in client.get(EVENTS_URL, params={"limit": 500}).json()["items"]
               if e["entity"] == "report" and e["entity_id"] == str(scheduled["id"])]
    assert "Scheduled" not in str(event) and "Defence spending" not in str(event)

    past = client.post(CREATE_URL, json=report(title="Backdated"),
                       headers=analyst_headers).json()
    asked = datetime.now(UTC) - timedelta(hours=12)
    response = publish(client, past["id"], second_analyst_headers, publish_at=asked.isoformat())
    assert response.status_code == 200
    # Never backdated: a past time means now.
    assert datetime.fromisoformat(response.json()["published_at"]) > asked + timedelta(hours=11)
    assert client.get(url(past["id"])).status_code == 200
    assert past["id"] in listed_ids(client)

    later = datetime.now(UTC) + timedelta(hours=2)
    monkeypatch.setattr(report_service, "utcnow", lambda: later)
    assert client.get(url(scheduled["id"])).status_code == 200
    assert scheduled["id"] in listed_ids(client)


def test_publish_at_in_another_zone_is_stored_in_utc(client, draft, second_analyst_headers):
    year = datetime.now(UTC).year + 1
    response = publish(client, draft.json()["id"], second_analyst_headers,
                       publish_at=f"{year}-01-01T12:00:00+02:00")
    assert response.status_code == 200
    assert datetime.fromisoformat(response.json()["published_at"]) == datetime(
        year, 1, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("if_match", [None, "*", " * ", '*, "{etag}"', '"{etag}", *', ""])
def test_publish_without_the_etag_read_is_428(client, session, draft, second_analyst_headers,
                                              if_match):
    """`*` says nothing about which version the reviewer read: refused like no If-Match."""
    report_id = draft.json()["id"]
    headers = dict(second_analyst_headers)
    if if_match is not None:
        headers["If-Match"] = if_match.format(etag=draft.headers["etag"].strip('"'))
    response = client.post(f"{url(report_id)}/publish", headers=headers)
    assert response.status_code == 428, response.text
    assert "If-Match" in response.json()["detail"]
    assert session.get(ProgressReport, report_id).status == ReportStatus.draft


def test_edit_with_a_star_among_the_etags_is_428(client, draft, analyst_headers):
    response = client.patch(url(draft.json()["id"]), json={"title": "Overwrite"},
                            headers={**analyst_headers, "If-Match": '"report-0-v0", *'})
    assert response.status_code == 428, response.text


@pytest.mark.parametrize("publish_at", [
    timedelta(days=-1, minutes=-5), timedelta(days=365, minutes=5), timedelta(days=-3650),
    "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00-14:00",
    "9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59-14:00",
])
def test_publish_at_out_of_bounds_is_422_naming_it(client, session, draft,
                                                   second_analyst_headers, publish_at):
    if isinstance(publish_at, timedelta):
        publish_at = (datetime.now(UTC) + publish_at).isoformat()
    before = count(session, Event)
    response = publish(client, draft.json()["id"], second_analyst_headers, publish_at=publish_at)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["publish_at"]
    assert session.get(ProgressReport, draft.json()["id"]).status == ReportStatus.draft
    assert count(session, Event) == before


@pytest.mark.parametrize("publish_at", [timedelta(hours=-23), timedelta(days=364)])
def test_publish_at_within_bounds_is_accepted(client, draft, second_analyst_headers,
                                              publish_at):
    response = publish(client, draft.json()["id"], second_analyst_headers,
                       publish_at=(datetime.now(UTC) + publish_at).isoformat())
    assert response.status_code == 200, response.text


def test_the_published_report_names_its_writers_and_publisher(client, session, draft,
                                                              analyst_headers,
                                                              second_analyst_headers,
                                                              admin_headers):
    report_id = draft.json()["id"]
    etag = draft.headers["etag"]
    for headers, body in ((second_analyst_headers, "Bob's text"), (analyst_headers, "Ana's"),
                          (second_analyst_headers, "Bob again")):
        edited = client.patch(url(report_id), json={"body": body},
                              headers={**headers, "If-Match": etag})
        assert edited.status_code == 200, edited.text
        etag = edited.headers["etag"]
    assert edited.json()["editors"] == ["bob", "ana"] and edited.json()["published_by"] is None
    response = publish(client, report_id, admin_headers)
    assert response.status_code == 200, response.text
    read = client.get(url(report_id)).json()
    assert (read["author"], read["editors"], read["published_by"]) == ("ana", ["bob", "ana"],
                                                                       "root")
    for lang, said in (("en", "Written by ana and bob, reviewed and published by root."),
                       ("fr", "Écrit par ana et bob, relu et publié par root.")):
        page = client.get(f"/reports/{report_id}", params={"lang": lang}).text
        assert said in " ".join(re.sub(r"<[^>]+>", " ", page).split()), lang


# --- who may write, who may read -------------------------------------------------------------

def test_anonymous_writes_are_401_with_a_challenge(client, session, draft):
    report_id, etag = draft.json()["id"], draft.headers["etag"]
    attempts = [
        client.post(CREATE_URL, json=report()),
        client.patch(url(report_id), json={"title": "x"}, headers={"If-Match": etag}),
        client.post(f"{url(report_id)}/publish"),
    ]
    for response in attempts:
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert session.get(ProgressReport, report_id).status == ReportStatus.draft


def test_create_for_unknown_candidate_is_404(client, analyst_headers):
    response = client.post("/api/v1/candidates/atlantis/reports", json=report(),
                           headers=analyst_headers)
    assert response.status_code == 404


def test_drafts_never_reach_anonymous_readers(client, session, draft, analyst_headers):
    report_id = draft.json()["id"]
    client.patch(url(report_id), json={"title": "Secret draft title"},
                 headers={**analyst_headers, "If-Match": draft.headers["etag"]})
    demo_drafts = session.scalars(
        select(ProgressReport.id).where(ProgressReport.status == ReportStatus.draft)
    ).all()
    assert report_id in demo_drafts and len(demo_drafts) >= 2
    for draft_id in demo_drafts:
        assert client.get(url(draft_id)).status_code == 404
    for slug in ("georgia", "ukraine"):
        reports = client.get(f"/api/v1/candidates/{slug}/reports", params={"limit": 500})
        assert not {r["id"] for r in reports.json()["items"]} & set(demo_drafts)
        assert {r["status"] for r in reports.json()["items"]} <= {"published"}
    events = client.get(EVENTS_URL, params={"limit": 500}).text
    assert "Secret draft title" not in events and "Georgia: review of 2025-Q3" not in events
    assert event_kinds(client, report_id) == []
    assert event_kinds(client, report_id, analyst_headers) == ["report.created",
                                                               "report.updated"]
    # An analyst's token does not make a draft public in the list either.
    assert report_id not in listed_ids(client, analyst_headers)


def test_demo_draft_without_author_can_be_published(client, session, second_analyst_headers):
    demo_draft = session.scalar(
        select(ProgressReport).where(ProgressReport.status == ReportStatus.draft)
    )
    response = publish(client, demo_draft.id, second_analyst_headers)
    assert response.status_code == 200
    assert client.get(url(demo_draft.id)).status_code == 200


# --- validation ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("body", "field"),
    [
        (report(period="2025-Q5"), "period"),
        (report(period="Q3-2025"), "period"),
        (report(period="2025-q3"), "period"),
        (report(title=""), "title"),
        (report(title="   "), "title"),
        (report(title="x" * 201), "title"),
        (report(body="x" * 100_001), "body"),
        (report(status="published"), "status"),
        (report(body="NUL\x00<script>"), "body"),
        (report(title="NUL\x00"), "title"),
        ({"title": "No period"}, "period"),
    ],
)
def test_malformed_reports_are_422_naming_the_field(client, session, analyst_headers, body,
                                                    field):
    before = count(session)
    response = client.post(CREATE_URL, json=body, headers=analyst_headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert count(session) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"period": "2025-Q0"}, "period"),
        ({"version": 7}, "version"),
    ],
)
def test_malformed_edits_are_422(client, draft, analyst_headers, body, field):
    response = client.patch(url(draft.json()["id"]), json=body,
                            headers={**analyst_headers, "If-Match": draft.headers["etag"]})
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize("body", [{"publish_at": "2030-01-01T00:00:00"},
                                  {"publish_at": "soon"}, {"when": "now"}])
def test_malformed_publications_are_422(client, draft, second_analyst_headers, body):
    response = publish(client, draft.json()["id"], second_analyst_headers, **body)
    assert response.status_code == 422


@pytest.mark.parametrize("period", ["2025-Q1", "2025-Q4", "2025-H1", "2025-H2", "2025"])
def test_periods_that_are_accepted(client, analyst_headers, period):
    response = client.post(CREATE_URL, json=report(period=period), headers=analyst_headers)
    assert response.status_code == 201


# --- safe Markdown ---------------------------------------------------------------------------


def test_xss_corpus_through_the_api(client, draft, analyst_headers, second_analyst_headers):
    report_id = draft.json()["id"]
    response = client.patch(url(report_id), json={"body": "\n\n".join(XSS)},
                            headers={**analyst_headers, "If-Match": draft.headers["etag"]})
    assert response.status_code == 200
    assert_safe(response.json()["body_html"])
    publish(client, report_id, second_analyst_headers)
    public = client.get(url(report_id)).json()
    assert public["body"] == "\n\n".join(XSS)  # the source is kept as written
    assert_safe(public["body_html"])
    [listed] = [r for r in client.get(LIST_URL).json()["items"] if r["id"] == report_id]
    assert_safe(listed["body_html"])


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
