"""The OpenAPI document: each operation's own errors as problem+json, optional tokens said as
such, the way back to the site and to the valid keys."""

WRITE_METHODS = ("post", "put", "patch", "delete")


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_no_response_has_an_empty_schema(client):
    schema = client.get("/openapi.json").json()
    empty = [f"{method.upper()} {path} {status} {media}"
             for path, method, operation in operations(schema)
             for status, response in operation["responses"].items()
             for media, content in response.get("content", {}).items()
             if media.endswith("json") and content.get("schema") in (None, {}, {"type": "object"})]
    assert empty == []


def test_every_error_is_problem_json_with_its_errors_array(client):
    schema = client.get("/openapi.json").json()
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    item = problem["properties"]["errors"]["items"]
    assert set(item["properties"]) == {"loc", "field", "msg", "type"}
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if int(status) >= 400 and path != "/health":  # a monitor reads its own body
                assert response["content"] == {"application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"}}}, (path, method, status)


def test_operations_list_their_own_errors_not_the_same_everywhere(client):
    paths = client.get("/openapi.json").json()["paths"]
    public_list = set(paths["/api/v1/candidates"]["get"]["responses"])
    assert not public_list & {"401", "403", "404", "409", "413"}
    write = set(paths["/api/v1/candidates/{slug}/updates"]["post"]["responses"])
    assert {"401", "403", "404", "409", "413", "422", "429"} <= write
    assert {"412", "428"} <= set(paths["/api/v1/reports/{report_id}/publish"]["post"]["responses"])
    assert "415" in paths["/api/v1/imports"]["post"]["responses"]


def test_reads_that_take_an_optional_token_say_so_once(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/events", "/api/v1/reports", "/api/v1/candidates/{slug}/reports",
                 "/api/v1/reports/{report_id}"):
        assert paths[path]["get"]["security"] == [{}, {"HTTPBearer": []}], path
        assert "403" not in paths[path]["get"]["responses"]
    assert paths["/api/v1/retractions"]["get"]["security"] == [{"HTTPBearer": []}]


def test_keys_and_stages_are_linked_and_the_site_too(client):
    description = client.get("/openapi.json").json()["info"]["description"]
    for link in ("](/)", "](/api/v1/indicators)", "](/api/v1/benchmarks)"):
        assert link in description
    page = client.get("/docs").text
    assert 'href="/"' in page and 'href="/api/v1/indicators"' in page
    assert "<script>" not in page  # CSP: Swagger UI starts from static/js/swagger-init.js
    assert client.get("/api/v1/indicators").status_code == 200
