"""The review queue: analysts list the drafts awaiting review (anonymous readers get 401, never
a silently ignored filter), and each draft carries a signed preview link to a read-only page
for reviewers without a token, which expires, dies with an edit, leads to the public page once
published, and is never indexed nor kept by any cache."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import app.reports.service as report_service
from app.config import get_settings
from app.db import get_session
from app.demo import load_demo
from app.main import create_app
from app.models import ProgressReport, ReportStatus
from tests.conftest import upgrade
from tests.live import live_server

QUEUE = "/api/v1/reports"
GEORGIA = "/api/v1/candidates/georgia/reports"
SECRET_BODY = "Unpublished finding: the *budget* rose 7 %."


def create(client, headers, slug="georgia", title="Draft for review", body=SECRET_BODY):
    response = client.post(f"/api/v1/candidates/{slug}/reports", headers=headers,
                           json={"period": "2025-Q4", "title": title, "body": body})
    assert response.status_code == 201, response.text
    return response.json()


def publish(client, report, headers):
    current = client.get(f"/api/v1/reports/{report['id']}", headers=headers).headers["etag"]
    response = client.post(f"/api/v1/reports/{report['id']}/publish",
                           headers={**headers, "If-Match": current})
    assert response.status_code == 200, response.text
    return response.json()


def drafts_in_db(session, slug=None) -> set[int]:
    query = select(ProgressReport).where(ProgressReport.status == ReportStatus.draft)
    return {r.id for r in session.scalars(query) if slug is None or r.candidate.slug == slug}


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def with_token(url: str, token: str) -> str:
    return url.split("?")[0] + "?token=" + token


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


@pytest.fixture
def draft(client, analyst_headers):
    return create(client, analyst_headers)


# --- the queue -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [QUEUE, GEORGIA, f"{QUEUE}?candidate=georgia"])
def test_anonymous_reader_asking_for_drafts_gets_401(client, draft, path):
    response = client.get(path, params={"status": "draft"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401 and "token" in response.json()["detail"]
    assert SECRET_BODY not in response.text


@pytest.mark.parametrize("path", [QUEUE, GEORGIA])
def test_an_invalid_token_for_drafts_is_401(client, draft, path):
    response = client.get(path, params={"status": "draft"},
                          headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401


@pytest.mark.parametrize("path", [QUEUE, GEORGIA])
@pytest.mark.parametrize("status", ["drafts", "DRAFT", "pending", ""])
def test_an_unknown_status_is_422_naming_the_field(client, analyst_headers, path, status):
    response = client.get(path, params={"status": status}, headers=analyst_headers)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["status"]


def test_the_queue_holds_every_draft_and_nothing_published(client, session, analyst_headers,
                                                           second_analyst_headers):
    kept = create(client, analyst_headers, title="Still a draft")
    published = publish(client, create(client, analyst_headers, slug="ukraine"),
                        second_analyst_headers)
    response = client.get(QUEUE, params={"status": "draft", "limit": 500},
                          headers=second_analyst_headers)
    assert response.status_code == 200
    queue = response.json()
    ids = {r["id"] for r in queue["items"]}
    assert ids == drafts_in_db(session) and queue["total"] == len(ids) >= 2
    assert kept["id"] in ids and published["id"] not in ids
    assert {r["status"] for r in queue["items"]} == {"draft"}
    assert response.headers["cache-control"] == "private, no-store"
    assert "Authorization" in response.headers["vary"]


def test_the_draft_waiting_longest_comes_first(client, session, analyst_headers):
    newer = create(client, analyst_headers, title="Created first, but recently")
    older = create(client, analyst_headers, title="Created later, dated earlier")
    session.get(ProgressReport, older["id"]).created_at = datetime.now(UTC) - timedelta(days=400)
    session.commit()
    items = client.get(QUEUE, params={"status": "draft", "limit": 500},
                       headers=analyst_headers).json()["items"]
    order = [r["id"] for r in items]
    assert order.index(older["id"]) < order.index(newer["id"])
    waited = [datetime.fromisoformat(r["created_at"]) for r in items]
    assert waited == sorted(waited)
    # Pages follow the same order.
    first = client.get(QUEUE, params={"status": "draft", "limit": 1, "offset": 0},
                       headers=analyst_headers).json()
    second = client.get(QUEUE, params={"status": "draft", "limit": 1, "offset": 1},
                        headers=analyst_headers).json()
    assert [first["items"][0]["id"], second["items"][0]["id"]] == order[:2]
    assert first["total"] == len(order)


def test_the_queue_narrows_to_one_candidate(client, session, analyst_headers):
    georgian = create(client, analyst_headers)
    ukrainian = create(client, analyst_headers, slug="ukraine")
    filtered = client.get(QUEUE, params={"status": "draft", "candidate": "georgia",
                                         "limit": 500}, headers=analyst_headers).json()
    by_path = client.get(GEORGIA, params={"status": "draft", "limit": 500},
                         headers=analyst_headers)
    assert by_path.headers["cache-control"] == "private, no-store"
    ids = {r["id"] for r in filtered["items"]}
    assert ids == {r["id"] for r in by_path.json()["items"]} == drafts_in_db(session, "georgia")
    assert georgian["id"] in ids and ukrainian["id"] not in ids
    unknown = client.get(QUEUE, params={"status": "draft", "candidate": "atlantis"},
                         headers=analyst_headers)
    assert unknown.status_code == 404


def test_the_published_list_is_unchanged_and_public(client, session, analyst_headers,
                                                    second_analyst_headers):
    draft = create(client, analyst_headers)
    published = publish(client, create(client, analyst_headers, title="Now public"),
                        second_analyst_headers)
    public_ids = set(session.scalars(select(ProgressReport.id).where(
        ProgressReport.status == ReportStatus.published,
        ProgressReport.published_at <= datetime.now(UTC))))
    for params, headers in (({}, {}), ({"status": "published"}, {}), ({}, analyst_headers)):
        response = client.get(QUEUE, params={"limit": 500, **params}, headers=headers)
        assert response.status_code == 200
        items = response.json()["items"]
        assert {r["id"] for r in items} == public_ids and published["id"] in public_ids
        assert draft["id"] not in public_ids
        assert all(r["status"] == "published" and r["preview_url"] is None
                   and r["preview_expires_at"] is None for r in items)
        newest_first = [r["published_at"] for r in items]
        assert newest_first == sorted(newest_first, reverse=True)
    assert "no-store" not in client.get(QUEUE).headers.get("cache-control", "")
    georgia = client.get(GEORGIA, params={"limit": 500}).json()["items"]
    assert {r["id"] for r in georgia} == {
        r["id"] for r in client.get(QUEUE, params={"candidate": "georgia", "limit": 500})
        .json()["items"]}


def test_the_schema_documents_the_queue_and_its_links(client):
    schema = client.get("/openapi.json").json()
    for path in (QUEUE, "/api/v1/candidates/{slug}/reports"):
        operation = schema["paths"][path]["get"]
        assert {} in operation["security"] and {"HTTPBearer": []} in operation["security"], path
        unauthorized = operation["responses"]["401"]
        assert "status=draft" in unauthorized["description"], path
        assert "application/problem+json" in unauthorized["content"], path
        status = next(p for p in operation["parameters"] if p["name"] == "status")
        assert status["schema"]["default"] == "published" and "draft" in status["description"]
    assert schema["components"]["schemas"]["ReportStatus"]["enum"] == ["draft", "published"]
    read = schema["components"]["schemas"]["ReportRead"]
    assert {"preview_url", "preview_expires_at"} <= set(read["required"])
    assert "preview_expires_at" in read["properties"]["preview_url"]["description"]


# --- preview links ---------------------------------------------------------------------------

def test_each_draft_read_with_a_token_carries_a_preview_link(client, draft, analyst_headers):
    queued = next(r for r in client.get(QUEUE, params={"status": "draft", "limit": 500},
                                        headers=analyst_headers).json()["items"]
                  if r["id"] == draft["id"])
    read = client.get(f"/api/v1/reports/{draft['id']}", headers=analyst_headers).json()
    for shown in (draft, queued, read):
        assert shown["preview_url"].startswith(
            f"{get_settings().site_url}/reports/{draft['id']}/preview?token=")
        expires = datetime.fromisoformat(shown["preview_expires_at"])
        assert abs(expires - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)


def test_the_preview_shows_the_draft_as_published_with_a_banner(client, draft):
    response = client.get(draft["preview_url"])  # no token: the link is the credential
    assert response.status_code == 200
    page = response.text
    assert '<h1><span lang="en">Draft for review' in page
    assert "Unpublished finding: the <em>budget</em>" in page
    assert "Draft — not published, preview for reviewers." in text_of(page)
    assert "Written by ana." in text_of(page)
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert 'rel="canonical"' not in page and "<form" not in page
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    french = client.get(draft["preview_url"] + "&lang=fr")
    assert "Brouillon — non publié, aperçu pour les relecteurs." in text_of(french.text)
    # The public page of the same report still knows nothing of it.
    assert client.get(f"/reports/{draft['id']}").status_code == 404


def test_the_preview_is_read_only(client, draft):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert client.request(method, draft["preview_url"]).status_code == 405, method


def tampered(draft: dict, other: dict) -> dict[str, str]:
    version, expires, signature = token_of(draft["preview_url"]).split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return {
        "signature": with_token(draft["preview_url"], f"{version}.{expires}.{flipped}"),
        "version": with_token(draft["preview_url"], f"{int(version) + 1}.{expires}.{signature}"),
        "expiry": with_token(draft["preview_url"],
                             f"{version}.{int(expires) + 86_400}.{signature}"),
        "another report's": with_token(other["preview_url"], token_of(draft["preview_url"])),
        "cut short": draft["preview_url"][:-5],
        "no token": draft["preview_url"].split("?")[0],
    }


def test_a_tampered_link_is_403_and_shows_nothing(client, draft, analyst_headers):
    other = create(client, analyst_headers, title="Another draft", body="Another body")
    for what, url in tampered(draft, other).items():
        response = client.get(url, headers={"accept": "text/html"})
        assert response.status_code == 403, what
        assert "This preview link is not valid" in response.text, what
        assert SECRET_BODY not in response.text and "Another body" not in response.text, what
        assert response.headers["x-robots-tag"] == "noindex, nofollow", what
        assert response.headers["cache-control"] == "private, no-store", what


def test_a_link_signed_with_another_key_is_403(client, draft, monkeypatch):
    monkeypatch.setattr(report_service, "_preview_key", lambda: b"k" * 32)
    assert client.get(draft["preview_url"]).status_code == 403


def test_an_expired_link_is_410_saying_so(client, draft, monkeypatch):
    expires = datetime.fromisoformat(draft["preview_expires_at"])
    monkeypatch.setattr(report_service, "utcnow", lambda: expires - timedelta(seconds=1))
    assert client.get(draft["preview_url"]).status_code == 200
    monkeypatch.setattr(report_service, "utcnow", lambda: expires)
    response = client.get(draft["preview_url"])
    assert response.status_code == 410
    assert "This preview link has expired" in response.text
    assert SECRET_BODY not in response.text
    assert response.headers["cache-control"] == "private, no-store"


def test_the_expiry_follows_the_setting(client, analyst_headers, monkeypatch):
    monkeypatch.setattr(get_settings(), "preview_link_days", 0.5)
    shown = create(client, analyst_headers)
    expires = datetime.fromisoformat(shown["preview_expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=12))) < timedelta(minutes=1)


def test_a_link_to_an_edited_draft_is_410_saying_it_changed(client, draft, analyst_headers):
    edited = client.patch(f"/api/v1/reports/{draft['id']}", json={"body": "Rewritten text"},
                          headers={**analyst_headers, "If-Match": draft["etag"]})
    assert edited.status_code == 200
    stale = client.get(draft["preview_url"])
    assert stale.status_code == 410
    said = text_of(stale.text)
    assert "The draft has changed since this link was made" in said
    assert "This link was for version 1 of the draft; it is now at version 2." in said
    assert "Rewritten text" not in stale.text and SECRET_BODY not in stale.text
    fresh = client.get(edited.json()["preview_url"])
    assert fresh.status_code == 200 and "Rewritten text" in fresh.text


def test_a_link_to_a_published_report_leads_to_its_public_page(client, draft, analyst_headers,
                                                               second_analyst_headers,
                                                               monkeypatch):
    publish(client, draft, second_analyst_headers)
    response = client.get(draft["preview_url"], follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"{get_settings().site_url}/reports/{draft['id']}"
    assert response.headers["cache-control"] == "private, no-store"
    assert client.get(draft["preview_url"]).status_code == 200  # the public page
    # The page is public now: even an expired link leads there.
    later = datetime.fromisoformat(draft["preview_expires_at"]) + timedelta(days=1)
    monkeypatch.setattr(report_service, "utcnow", lambda: later)
    assert client.get(draft["preview_url"], follow_redirects=False).status_code == 303
    assert client.get(f"/api/v1/reports/{draft['id']}",
                      headers=analyst_headers).json()["preview_url"] is None


# --- the response cache ----------------------------------------------------------------------

@pytest.fixture
def cached_client(session):
    """The site with its response cache on, reading the test's session: the cache keys on the
    change feed, which does not see uncommitted rows, but what it may store does not depend
    on that."""
    app = create_app(response_cache=True)
    app.state.change_feed.session_factory = lambda: Session(session.get_bind().engine)
    app.dependency_overrides[get_session] = lambda: session
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


def test_the_response_cache_never_keeps_a_preview(cached_client, draft, monkeypatch):
    # The cache is on and works for public pages...
    cached_client.get("/methodology")
    assert cached_client.get("/methodology").headers["x-cache"] == "hit"
    # ...but each preview is answered afresh, with its own headers.
    for _ in range(2):
        response = cached_client.get(draft["preview_url"])
        assert response.status_code == 200 and SECRET_BODY.split("*")[0] in response.text
        assert "x-cache" not in response.headers
        assert response.headers["cache-control"] == "private, no-store"
    assert len(cached_client.app.state.response_cache) == 1  # /methodology alone
    # A second caller without the token gets no copy of it.
    bare = cached_client.get(draft["preview_url"].split("?")[0])
    assert bare.status_code == 403 and "Unpublished finding" not in bare.text
    # Nor does anyone once the link has expired, at the very address that worked before.
    later = datetime.fromisoformat(draft["preview_expires_at"])
    monkeypatch.setattr(report_service, "utcnow", lambda: later)
    assert cached_client.get(draft["preview_url"]).status_code == 410


def test_every_worker_of_a_server_honours_the_links_of_the_others(databases, monkeypatch):
    """`accession serve` hands its workers one key (a random one here: none is configured),
    so a link signed by one worker holds at every other."""
    monkeypatch.delenv("ACCESSION_SECRET_KEY", raising=False)
    engine = databases.create()
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    with live_server(engine, workers=2) as server:
        headers = server.token("ana")
        created = httpx.post(f"{server.url}{GEORGIA}", headers=headers, timeout=10,
                             json={"period": "2025-Q4", "title": "Two workers", "body": "x"})
        assert created.status_code == 201, created.text
        answers = [httpx.get(created.json()["preview_url"], timeout=10).status_code
                   for _ in range(20)]  # new connections spread over both workers
        assert answers == [200] * 20
    engine.dispose()
