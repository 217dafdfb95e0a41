"""Every write route × every kind of caller: anonymous, analyst, admin, a revoked token and an
expired token. Unknown or dead credentials get 401 with a Bearer challenge, a role that may not
gets 403, and a caller who may gets the write done."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.auth.service import create_user, issue_token, revoke_token
from app.candidates.service import get_candidate
from app.main import create_app
from app.models import ProgressReport, ProgressUpdate
from app.progress.retractions import retract_progress_update
from tests.conftest import bearer

ANALYST, ADMIN = "analyst", "admin"


def write_routes(draft_id: int, update_id: int,
                 retraction_id: int) -> list[tuple[str, str, str, dict | bytes | None]]:
    """(method, path, least role, a valid body) for every route that writes."""
    return [
        ("POST", "/api/v1/candidates/georgia/updates", ANALYST,
         {"benchmark": "defence_spending_gdp", "value": 1.9, "as_of": "2025-06-30",
          "source": "test"}),
        ("POST", f"/api/v1/updates/{update_id}/retract", ANALYST, {"reason": "test"}),
        ("POST", f"/api/v1/retractions/{retraction_id}/confirm", ANALYST, None),
        ("POST", f"/api/v1/retractions/{retraction_id}/undo", ADMIN, {"reason": "test"}),
        ("POST", "/api/v1/candidates/georgia/reports", ANALYST,
         {"period": "2026-Q1", "title": "Review", "body": "Text"}),
        ("PATCH", f"/api/v1/reports/{draft_id}", ANALYST, {"title": "Edited"}),
        ("POST", f"/api/v1/reports/{draft_id}/publish", ANALYST, {}),
        ("POST", "/api/v1/candidates/georgia/ratifications/FRA/steps", ANALYST,
         {"step": "parliament_approved", "occurred_on": "2025-01-15", "source": "test"}),
        ("PUT", "/api/v1/members/FRA/procedure", ADMIN,
         {"steps": ["protocol_signed", "parliament_approved", "deposited"], "source": "test"}),
        ("POST", "/api/v1/candidates", ADMIN,
         {"slug": "testland", "iso3": "TST", "name": "Testland", "tier": "interim_ally",
          "model": "hybrid_integration", "phase": "outreach"}),
        ("PATCH", "/api/v1/candidates/georgia", ADMIN, {"phase": "accession_talks"}),
        ("POST", "/api/v1/candidates/georgia/accession", ADMIN,
         {"milestone": "application_submitted", "occurred_on": "2025-01-15", "source": "test"}),
        ("POST", "/api/v1/categories", ADMIN, {"key": "cyber", "title": "Cyber defence"}),
        ("PATCH", "/api/v1/categories/spending", ADMIN, {"title": "Defence spending (edited)"}),
        ("POST", "/api/v1/benchmarks", ADMIN,
         {"key": "cyber_units", "title": "Cyber units", "category": "interoperability",
          "kind": "numeric", "unit": "units", "direction": "higher_is_better",
          "valid_from": "2020-01-01",
          "requirements": [{"tier": "full_candidate", "target": 3, "weight": 1}]}),
        ("PATCH", "/api/v1/benchmarks/joint_exercises", ADMIN, {"title": "Joint exercises"}),
        ("POST", "/api/v1/gates", ADMIN,
         {"tier": "strategic_partner", "to_phase": "ratification", "targets": ["joint_exercises"]}),
        ("PATCH", "/api/v1/gates/1", ADMIN, {"note": "edited"}),  # the demo's first gate
        ("POST", "/api/v1/imports", ANALYST,  # a CSV file, the body itself
         b"candidate,indicator,value,as_of,source\ngeorgia,defence_spending_gdp,1.9,2025-06-30,t\n"),
    ]


def test_the_matrix_covers_every_write_route():
    covered = {(m, p) for m, p, _, _ in write_routes(1, 1, 1)}
    # Every write route appears in the matrix: a new one must be added here to pass.
    shapes = {(m.upper(), p.replace("{report_id}", "1").replace("{update_id}", "1")
               .replace("{retraction_id}", "1").replace("{gate_id}", "1")
               .replace("{slug}", "georgia").replace("{member_iso3}", "FRA")
               .replace("{key}", "spending" if "categories" in p else "joint_exercises"))
              for p, operations in create_app().openapi()["paths"].items()
              for m in operations if m not in ("get", "head")}
    assert shapes == covered


@pytest.fixture
def callers(session) -> dict[str, dict[str, str]]:
    analyst = create_user(session, "matrix-analyst", "analyst")
    admin = create_user(session, "matrix-admin", "admin")
    revoked = issue_token(session, admin)
    revoke_token(session, str(revoked.record.id))
    expired = issue_token(session, admin, expires_in=timedelta(seconds=-1))
    return {
        "anonymous": {},
        "analyst": bearer(issue_token(session, analyst).token),
        "admin": bearer(issue_token(session, admin).token),
        "revoked": bearer(revoked.token),
        "expired": bearer(expired.token),
        "forged": bearer("not-a-token-at-all-but-long-enough"),
    }


@pytest.fixture
def targets(session) -> tuple[int, int, int]:
    """A draft without an author (anyone may publish it), an update to retract, and a
    retraction of another update that a third person asked for (anyone may confirm it)."""
    draft = ProgressReport(candidate_id=get_candidate(session, "georgia").id, period="2026-Q1",
                           title="Draft", body="x", status="draft",
                           created_at=datetime.now(UTC), updated_at=datetime.now(UTC))
    session.add(draft)
    session.commit()
    first, second = session.scalars(select(ProgressUpdate.id).order_by(ProgressUpdate.id)
                                    .limit(2)).all()
    pending = retract_progress_update(session, second, "asked by a third person",
                                      author=create_user(session, "matrix-third", "analyst"))
    return draft.id, first, pending.id


CALLERS = ["anonymous", "revoked", "expired", "forged", "analyst", "admin"]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("index", range(len(write_routes(1, 1, 1))))
def test_write_route_authorization(client, callers, targets, caller, index):
    method, path, role, body = write_routes(*targets)[index]
    headers = dict(callers[caller])
    report = f"/api/v1/reports/{targets[0]}"
    if path in (report, f"{report}/publish"):
        headers["If-Match"] = client.get(report, headers=callers["admin"]).headers["etag"]
    if isinstance(body, bytes):
        response = client.request(method, path, content=body,
                                  headers={**headers, "Content-Type": "text/csv"})
    else:
        response = client.request(method, path, json=body, headers=headers)
    if caller in ("anonymous", "revoked", "expired", "forged"):
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"] == "application/problem+json"
    elif caller == "analyst" and role == ADMIN:
        assert response.status_code == 403, response.text
    else:
        assert response.status_code in (200, 201, 202), response.text


def test_revoked_and_expired_tokens_say_why(client, callers):
    url = "/api/v1/candidates/georgia/updates"
    assert "revoked" in client.post(url, json={}, headers=callers["revoked"]).json()["detail"]
    assert "expired" in client.post(url, json={}, headers=callers["expired"]).json()["detail"]


def test_the_token_is_checked_before_the_candidate_exists(client, callers):
    """Without a valid token, a write learns nothing, not even which candidates exist."""
    body = {"benchmark": "defence_spending_gdp", "value": 2.0, "as_of": "2025-06-30",
            "source": "s"}
    url = "/api/v1/candidates/no-such-candidate/updates"
    for caller in ("anonymous", "revoked", "forged"):
        assert client.post(url, json=body, headers=callers[caller]).status_code == 401
    assert client.post(url, json=body, headers=callers["analyst"]).status_code == 404


def test_anonymous_reads_public_data(client):
    assert client.get("/api/v1/candidates").status_code == 200
    assert client.get("/api/v1/framework").status_code == 200
    today = date.today().isoformat()
    assert client.get("/api/v1/candidates/georgia/status", params={"as_of": today}).status_code \
        == 200
