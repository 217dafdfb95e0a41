"""`GET /api/v1/members`: the member states, paginated."""


def test_members(client):
    body = client.get("/api/v1/members", params={"limit": 10, "offset": 30}).json()
    assert body["total"] == 32
    assert [m["iso3"] for m in body["items"]] == ["FIN", "SWE"]
