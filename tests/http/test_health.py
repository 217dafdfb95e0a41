"""`GET /health`: the service and its database."""


def test_health(client):
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}
