"""The downloads (app/web/downloads.py): a candidate's CSV and JSON, the whole data set read and
sent a page at a time, the Atom feed, and CSV cells that cannot become formulas."""

import csv
import io
import json
import xml.etree.ElementTree as ET


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
