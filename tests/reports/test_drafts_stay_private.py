"""A draft is never visible to an anonymous reader, through any route: API, pages, feeds,
downloads, the event log."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.candidates.service import get_candidate
from app.models import ProgressReport

SECRET = "Unpublished-findings-7Q"


@pytest.fixture
def hidden_reports(session) -> list[int]:
    georgia = get_candidate(session, "georgia")
    now = datetime.now(UTC)
    draft = ProgressReport(candidate_id=georgia.id, period="2026-Q1", title=f"{SECRET} draft",
                           body=SECRET, status="draft", created_at=now, updated_at=now)
    scheduled = ProgressReport(candidate_id=georgia.id, period="2026-Q1",
                               title=f"{SECRET} scheduled", body=SECRET, status="published",
                               published_at=now + timedelta(days=2), created_at=now,
                               updated_at=now)
    session.add_all([draft, scheduled])
    session.commit()
    return [draft.id, scheduled.id]


PUBLIC_ROUTES = [
    "/", "/candidates/georgia", "/compare?c=georgia", "/framework", "/feed.atom",
    "/candidates/georgia.json", "/candidates/georgia.csv", "/dataset.json", "/dataset.csv",
    "/api/v1/candidates/georgia/reports", "/api/v1/events?limit=500",
]


@pytest.mark.parametrize("path", PUBLIC_ROUTES)
def test_no_public_route_shows_a_draft(client, hidden_reports, path):
    response = client.get(path)
    assert response.status_code == 200
    assert SECRET not in response.text


def test_draft_and_scheduled_reports_are_missing_to_the_public(client, hidden_reports):
    for report_id in hidden_reports:
        assert client.get(f"/api/v1/reports/{report_id}").status_code == 404
        page = client.get(f"/reports/{report_id}", headers={"accept": "text/html"})
        assert page.status_code == 404 and SECRET not in page.text


def test_analysts_do_see_drafts(client, hidden_reports, analyst_headers, session):
    draft = session.scalars(select(ProgressReport).where(ProgressReport.id == hidden_reports[0]))
    assert draft.one().status == "draft"
    response = client.get(f"/api/v1/reports/{hidden_reports[0]}", headers=analyst_headers)
    assert response.status_code == 200 and SECRET in response.text
