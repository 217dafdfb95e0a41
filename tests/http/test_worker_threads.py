"""Only dependencies that do I/O go to a worker thread. FastAPI runs a plain (sync) dependency in
a thread, a hop per request that costs more than most of them do, and under load waits for the
GIL while the event loop is busy; one that only reads the app's state or the query string is
async, so it runs on the loop. These tests record which dependencies a request sends to a
thread on the paths that matter most: a progress update, a status read, a list."""

import fastapi.dependencies.utils as solving
import pytest

UPDATES = "/api/v1/candidates/georgia/updates"


@pytest.fixture
def threaded(monkeypatch) -> list[str]:
    """The names of the app's dependencies run in a worker thread, in order (not the tests'
    overrides: conftest's client hands in the test's session by a plain lambda)."""
    sent: list[str] = []
    real = solving.run_in_threadpool

    async def recording(call, *args, **kwargs):
        if getattr(call, "__module__", "").startswith("app."):
            sent.append(call.__name__)
        return await real(call, *args, **kwargs)

    monkeypatch.setattr(solving, "run_in_threadpool", recording)
    return sent


def update(value: float) -> dict:
    return {"benchmark": "defence_spending_gdp", "value": value, "as_of": "2025-06-30",
            "source": "Ministry of Defence budget law 2025"}


def test_posting_an_update_sends_no_dependency_to_a_thread(client, analyst_headers, threaded):
    """The first post looks the token up (in a thread of analyst_for_write's own, not counted
    here); the next ones find it accepted lately. Either way the app's state (the writer, the
    limits) is handed over on the event loop."""
    for value in (1.8, 1.9):
        response = client.post(UPDATES, json=update(value), headers=analyst_headers)
        assert response.status_code == 201, response.text
    assert threaded == []


def test_a_status_read_sends_only_its_database_read(client, threaded):
    response = client.get("/api/v1/candidates/georgia/status", params={"as_of": "2024-06-30"})
    assert response.status_code == 200, response.text
    assert threaded == ["candidate_from_path"]  # the `as_of` check stays on the loop


def test_a_list_sends_only_its_database_read(client, threaded):
    response = client.get(UPDATES, params={"limit": 5, "offset": 1})
    assert response.status_code == 200, response.text
    assert threaded == ["candidate_from_path"]  # the page's limits stay on the loop


def test_a_bad_as_of_is_still_refused(client):
    response = client.get("/api/v1/candidates/georgia/status", params={"as_of": "2999-01-01"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "as_of"]
