"""Access control around the API: rate limits, body size, CORS, request ids, logs."""

import logging

import pytest

from app.auth.deps import AuthState
from app.config import get_settings

URL = "/api/v1/candidates/georgia/updates"


@pytest.fixture
def tight_limits(client, setting):
    """The client's app, with the limits these settings give."""
    setting("AUTH_FAILURES_PER_MINUTE", "3")
    setting("WRITES_PER_MINUTE", "2")
    client.app.state.auth = AuthState(get_settings())


def test_failed_authentication_is_rate_limited(client, tight_limits, analyst_headers):
    bad = {"Authorization": "Bearer guessed-token-number-one"}
    codes = [client.post(URL, json={}, headers=bad).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    refused = client.post(URL, json={}, headers=bad)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.headers["content-type"] == "application/problem+json"
    # A good token from the same address is still checked and served (its body is checked
    # next: 422); only failures count against the address.
    assert client.post(URL, json={}, headers=analyst_headers).status_code == 422
    assert client.post(URL, json={}, headers=bad).status_code == 429


def test_writes_are_rate_limited_per_token(client, tight_limits, analyst_headers,
                                           second_analyst_headers):
    body = {"benchmark": "defence_spending_gdp", "value": 1.9, "as_of": "2025-06-30",
            "source": "test"}
    codes = [client.post(URL, json=body, headers=analyst_headers).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert client.post(URL, json=body, headers=second_analyst_headers).status_code == 201
    assert client.get("/api/v1/candidates").status_code == 200  # reads are not counted


def test_oversized_body_is_413(client, analyst_headers):
    huge = b'{"updates": [' + b'{"benchmark": "x"},' * 70_000 + b"{}]}"
    response = client.post(URL, content=huge, headers={**analyst_headers,
                                                       "content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_cors_is_closed_by_default(client):
    response = client.options(URL, headers={"Origin": "https://evil.example",
                                            "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in response.headers
    get = client.get("/api/v1/candidates", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in get.headers


def test_request_id_is_echoed_or_made(client):
    assert client.get("/health", headers={"X-Request-ID": "abc-123"}).headers[
        "x-request-id"] == "abc-123"
    made = client.get("/health", headers={"X-Request-ID": "bad id\n"}).headers["x-request-id"]
    assert len(made) == 32 and made.isalnum()


def test_access_log_is_structured_and_holds_no_secret(client, analyst_headers, caplog):
    token = analyst_headers["Authorization"].split()[1]
    with caplog.at_level(logging.INFO, logger="app.access"):
        client.post(URL + "?token=" + token, json={}, headers=analyst_headers)
    lines = [r.getMessage() for r in caplog.records if r.name == "app.access"]
    assert lines and '"status": 422' in lines[-1] and '"request_id"' in lines[-1]
    assert all(token not in line for line in lines)
