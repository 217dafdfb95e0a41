"""HTTP done right: validators and 304s on pages and API reads, cache headers on assets,
security headers on every response, and the downloads."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

from app.config import get_settings
from app.web.templating import static_url

PAGES = ["/", "/candidates/ukraine", "/candidates/ukraine/benchmarks/defence_spending_gdp",
         "/compare?c=georgia&c=ukraine", "/framework", "/methodology"]


@pytest.mark.parametrize("path", [*PAGES, "/api/v1/candidates", "/api/v1/framework",
                                  "/api/v1/candidates/georgia/status", "/candidates/nope",
                                  "/static/css/site.css"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_validators_and_answer_304(client, path):
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize("path", ["/api/v1/candidates", "/api/v1/candidates/georgia/status",
                                  "/api/v1/candidates/georgia/updates", "/api/v1/members"])
def test_api_reads_answer_304(client, path):
    first = client.get(path)
    etag = first.headers["etag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_static_assets_are_cacheable(client):
    versioned = client.get(static_url("css/site.css"))
    assert "immutable" in versioned.headers["cache-control"]
    assert "max-age" in client.get("/static/css/site.css").headers["cache-control"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_reference_only_local_assets(client, path):
    html = client.get(path).text
    # Every asset (src, and href outside a link to read) stays on this site; the canonical
    # link names this site by its configured address. A source may be linked for the reader
    # to follow, never fetched by the page, and without passing on where the reader came from.
    site = get_settings().site_url
    assert f'<link rel="canonical" href="{site}/' in html
    html = html.replace(f'href="{site}/', 'href="/')
    assert not re.findall(r'<(?!a\s)[^>]*\b(?:src|href)="(?:https?:)?//', html)
    for link in re.findall(r'<a\s[^>]*href="(?:https?:)?//[^>]*>', html):
        assert 'rel="noopener noreferrer"' in link, link
    assert "<script>" not in html and " on" + "load=" not in html


def test_framework_page_shows_data_not_template_text(client, session):
    from sqlalchemy import select

    from app.models import Instrument

    instrument = session.scalars(select(Instrument).limit(1)).one()
    instrument.cost_category = "Edited by an admin"
    session.commit()
    html = client.get("/framework").text
    assert "Edited by an admin" in html
    for words in ("Speed of integration", "Risk exposure", "Domestic reform depth",
                  "Resource allocation", "Strategic partnership agreement"):
        assert words in html


def test_compare_page_lines_up_candidates(client):
    html = client.get("/compare", params=[("c", "georgia"), ("c", "ukraine"),
                                          ("c", "atlantis")]).text
    assert "Georgia" in html and "Ukraine" in html and "atlantis" in html  # named as unknown


def test_candidate_downloads(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/candidates/ukraine.csv").text)))
    assert rows and all(r["source"] for r in rows)
    assert {r["is_illustrative"] for r in rows} == {"True", "False"}
    document = client.get("/candidates/ukraine.json").json()
    assert document["slug"] == "ukraine" and document["status"]["benchmarks"]
    assert document["ratification_steps"] == [] and document["updates"]


def test_whole_dataset_download(client):
    dataset = json.loads(client.get("/dataset.json").content)
    assert {c["slug"] for c in dataset["candidates"]} >= {"finland", "ukraine"}
    finland = next(c for c in dataset["candidates"] if c["slug"] == "finland")
    assert len(finland["ratification_steps"]) >= 30
    assert client.get("/dataset.csv").text.startswith("candidate,iso3,benchmark")


def test_downloads_are_read_and_sent_a_page_at_a_time(client, session, monkeypatch):
    """No download is held whole: updates are read ROWS_PER_PIECE at a time, each page from
    where the last ended, and the pages put together are the whole ordered list."""
    from sqlalchemy import select

    from app.candidates.service import list_candidates
    from app.models import ProgressUpdate
    from app.web import downloads

    monkeypatch.setattr(downloads, "ROWS_PER_PIECE", 3)
    candidates, _ = list_candidates(session)
    pages = list(downloads.update_row_pages(session, candidates))
    assert len(pages) > 3 and all(1 <= len(page) <= 3 for page in pages)
    ids = [row["update_id"] for page in pages for row in page]
    assert ids == list(session.scalars(
        select(ProgressUpdate.id)
        .order_by(ProgressUpdate.candidate_id, ProgressUpdate.as_of, ProgressUpdate.id)))
    # The streamed documents are whole and in order.
    ukraine = client.get("/candidates/ukraine.json").json()
    assert [u["update_id"] for u in ukraine["updates"]] == [
        i for i, row in ((r["update_id"], r) for page in pages for r in page)
        if row["candidate"] == "ukraine"]
    rows = list(csv.DictReader(io.StringIO(client.get("/dataset.csv").text)))
    assert [int(r["update_id"]) for r in rows] == ids


def test_atom_feed_lists_published_reports(client):
    response = client.get("/feed.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) >= 3


def test_csv_cells_cannot_become_formulas(client, analyst_headers):
    client.post("/api/v1/candidates/georgia/updates", headers=analyst_headers,
                json={"benchmark": "defence_spending_gdp", "value": 2.0, "as_of": "2025-12-30",
                      "source": "=HYPERLINK(\"http://evil\")"})
    text = client.get("/candidates/georgia.csv").text
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


@pytest.mark.parametrize("allowed, host, served", [
    (["tracker.example.org"], "tracker.example.org", True),
    (["tracker.example.org"], "Tracker.Example.org:443", True),
    (["tracker.example.org"], "evil.example", False),
    (["::1"], "[::1]:8000", True),
    (["::1"], "[::1]", True),
    (["*"], "anything.example", True),
])
def test_which_hosts_are_served(allowed, host, served):
    from app.http.middleware import HostMiddleware

    assert HostMiddleware(None, "https://tracker.example.org", allowed)._is_allowed(host) is served
