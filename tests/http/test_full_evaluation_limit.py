"""Answers that evaluate every candidate are limited per client address: one script varying a
query string cannot keep the workers busy. (The response cache answers repeats before the
route runs, so only computed answers count; this client has no response cache.)"""


def test_uncached_full_evaluations_are_limited_per_address(client):
    client.app.state.auth.full_evaluations.limit = 3  # this app's own limiter
    for days in (10, 20, 30):
        assert client.get("/api/v1/attention", params={"within_days": days}).status_code == 200
    refused = client.get("/api/v1/attention", params={"within_days": 40})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert client.get("/attention", params={"within_days": 40}).status_code == 429
    assert client.get("/", params={"sort": "readiness"}).status_code == 429
    assert client.get("/", params={"sort": "name"}).status_code == 200  # pages the shown
