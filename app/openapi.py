"""The OpenAPI document: FastAPI's, finished in one place. Each operation lists the errors it
can answer (not the same list everywhere), each with the shared problem+json schema; reads that
take an optional token say so; the description links back to the site and to the keys."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.errors import PROBLEM_JSON

WRITE_METHODS = {"post", "put", "patch", "delete"}
# Query parameters that name something by its key: an unknown one is a 404, as in a path.
LOOKUP_QUERY = {"candidate"}

DESCRIPTION = """\
The API behind the [Accession Tracker site](/): candidates, benchmarks, progress updates,
reports and the change feed. Reads are public; writes take an API token (`Authorization: Bearer
…`, from `accession tokens create`). Worked examples in curl and Python, each run by the tests:
`docs/analysts.md` in the source.

**Keys.** Progress updates name what was measured by an indicator key or a benchmark key; the
valid keys, units, bounds and (for milestones) stages are listed by
[`GET /api/v1/indicators`](/api/v1/indicators) and [`GET /api/v1/benchmarks`](/api/v1/benchmarks),
the candidates by [`GET /api/v1/candidates`](/api/v1/candidates). The examples use the demo
data set's keys (`defence_spending_gdp`, `joint_exercises`, `civilian_control_law`, …).

**Errors** are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) `application/problem+json`
bodies; a 422 names each refused field in `errors`.
"""

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A problem (RFC 9457). Some carry more members (`thing`, `value`, "
                   "`max_bytes`…).",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "`about:blank` or a URI naming the problem."},
        "title": {"type": "string", "description": "The status's phrase."},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What went wrong, for a person."},
        "errors": {
            "type": "array",
            "description": "On a 422: each refused field.",
            "items": {
                "type": "object",
                "required": ["loc", "field", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"},
                                                                 {"type": "integer"}]},
                            "description": 'Where, e.g. `["body", "updates", 0, "value"]`.'},
                    "field": {"type": "string", "description":
                              "Where, as the client wrote it: `updates[3].as_of`, `period`."},
                    "msg": {"type": "string"},
                    "type": {"type": "string", "description":
                             "A stable code to switch on (the list: docs/errors.md)."},
                },
            },
        },
    },
    "additionalProperties": True,
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# Why an operation may meet each error, when the route says nothing more precise.
REASONS = {
    400: "The Host header names a host this server does not serve.",
    401: "The token is missing, unknown, expired or revoked.",
    403: "The token's role may not do this.",
    404: "Nothing has that key or id.",
    409: "It conflicts with what is stored (a duplicate, or a stale correction).",
    413: "The body is larger than the server accepts.",
    422: "The input is refused; `errors` names each field.",
    429: "Too many requests from this address or token; see Retry-After.",
    503: "The database is unavailable or busy; see Retry-After.",
}


def error_statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The errors the plumbing can answer for this operation, from what it takes: a token, a
    path parameter, a body, any input. Routes add their own (412, 415, 428…)."""
    statuses = {400, 503}
    security = operation.get("security") or []
    if security:
        statuses |= {401, 429}
        if {} not in security:
            statuses.add(403)
    if "{" in path or any(p["name"] in LOOKUP_QUERY for p in operation.get("parameters", [])):
        statuses.add(404)
    if method in WRITE_METHODS:
        statuses |= {409, 429}
    if "requestBody" in operation:
        statuses.add(413)
    if "requestBody" in operation or operation.get("parameters"):
        statuses.add(422)
    return statuses


def _optional_security(security: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """FastAPI adds the bearer requirement to the `[{}, bearer]` a route declares: one of each,
    the empty one (no token) first."""
    unique: list[dict[str, Any]] = []
    for requirement in security:
        if requirement not in unique:
            unique.append(requirement)
    if {} in unique:
        unique.remove({})
        unique.insert(0, {})
    return unique


def _has_schema(response: dict[str, Any]) -> bool:
    """A route that describes its own error body (/health's) keeps it."""
    return any(content.get("schema") not in (None, {}, {"type": "object"})
               and content["schema"].get("$ref") != "#/components/schemas/HTTPValidationError"
               for content in response.get("content", {}).values())


def finish_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "security" in operation:
                operation["security"] = _optional_security(operation["security"])
            responses = operation.setdefault("responses", {})
            for status in error_statuses(path, method, operation):
                responses.setdefault(str(status), {"description": REASONS[status]})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400 and not _has_schema(response):
                    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
                    if status == "422" and response.get("description") == "Validation Error":
                        response["description"] = REASONS[422]
            operation["responses"] = dict(sorted(responses.items()))
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = finish_openapi(get_openapi(
                title=app.title, version=app.version, summary=app.summary,
                description=DESCRIPTION, routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
