"""Failures answer with a problem a client can act on, never a stack trace."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db import get_session, make_engine
from app.main import create_app

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:9/nowhere"


def client_with_unreachable_database() -> TestClient:
    engine = make_engine(UNREACHABLE, timeout_seconds=1)
    app = create_app()
    app.dependency_overrides[get_session] = lambda: Session(engine)
    return TestClient(app, raise_server_exceptions=False, base_url="http://127.0.0.1:8000")


def test_unreachable_database_is_503_with_retry_after():
    with client_with_unreachable_database() as client:
        response = client.get("/api/v1/candidates")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "5"
        assert "Traceback" not in response.text

        health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["database"] == "unreachable"


def test_unexpected_error_is_500_problem_without_trace():
    app = create_app()

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False, base_url="http://127.0.0.1:8000") as client:
        response = client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret internals" not in response.text


def test_unknown_api_route_is_404_problem():
    with TestClient(create_app(), base_url="http://127.0.0.1:8000") as client:
        response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_method_not_allowed_names_every_method_of_the_path(client):
    response = client.put("/api/v1/candidates/georgia/updates", json={})
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/problem+json")
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "POST"}


def test_schema_says_which_reads_take_a_token_or_none(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/events", "/api/v1/reports/{report_id}"):
        assert {} in paths[path]["get"]["security"], path  # anonymous readers are welcome
    assert {} not in paths["/api/v1/candidates/{slug}/updates"]["post"]["security"]
