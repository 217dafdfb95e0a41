"""Schemathesis against the OpenAPI schema of a real server (SQLite, demo data): every
operation but the event stream gets a bounded number of generated requests, valid and invalid,
sent with an analyst's token (an admin's on admin-only writes). No answer may be a 5xx, every
answer must match the schema, and every 4xx must be an RFC 9457 problem+json body.
A second test runs stateful scenarios along the links inferred from the schema, each from the
same starting database.

The schema is built from create_app() at import, because Schemathesis parametrizes tests at
collection (its fixture-based loader does not work with pytest 9); a test checks that the
running server serves exactly that schema.

ACCESSION_FUZZ_EXAMPLES (default 25) bounds the examples per operation; ACCESSION_FUZZ_SEED
fixes the seed
(default 7401, so CI is repeatable; set another to explore)."""

import copy
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case, CheckContext, Response
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.modes import GenerationMode

from app.main import create_app
from tests.live import LiveServer, live_server
from tests.reliability.conftest import LIVE_ENV, sqlite_demo_database

EXAMPLES = int(os.environ.get("ACCESSION_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("ACCESSION_FUZZ_SEED", "7401"))
PROBLEM_JSON = "application/problem+json"
STREAM = "/api/v1/events/stream"
# Writes only an admin may make; fuzzing them with an analyst's token would only meet 403.
ADMIN_WRITES = {
    ("POST", "/api/v1/candidates"), ("PATCH", "/api/v1/candidates/{slug}"),
    ("POST", "/api/v1/categories"), ("PATCH", "/api/v1/categories/{key}"),
    ("POST", "/api/v1/benchmarks"), ("PATCH", "/api/v1/benchmarks/{key}"),
}
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory) -> Iterator[tuple[LiveServer, dict[str, str], dict[str, str]]]:
    engine = sqlite_demo_database(tmp_path_factory.mktemp("fuzz"))
    with live_server(engine, extra_env=LIVE_ENV) as server:
        yield server, server.token("fuzz-analyst"), server.token("fuzz-admin", "admin")
    engine.dispose()


CONFIG = {
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": EXAMPLES},
    "request-timeout": 30,
    "checks": {
        # Schema-valid is not business-valid: an unknown benchmark key, a date in the future or
        # a missing If-Match are rightly 422/428, which this check would call a failure.
        "positive_data_acceptance": {"enabled": False},
        # A body over the size limit is refused before it is read (413): a rejection too.
        "negative_data_rejection": {"expected-statuses": [
            400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]},
    },
}
OPENAPI = create_app().openapi()
# A copy: the stateful run's link inference writes the links it finds into the schema it is given.
schema = schemathesis.openapi.from_dict(
    copy.deepcopy(OPENAPI), config=schemathesis.Config.from_dict(CONFIG)).exclude(path=STREAM)


def headers_for(case: Case, analyst: dict[str, str], admin: dict[str, str]) -> dict[str, str]:
    """The token for the case, unless it is a negative case that left the token out on purpose
    (the security scheme makes Authorization a required header): sent without one, it must be
    refused, not made valid by the token added here."""
    header_info = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if header_info is not None and header_info.mode == GenerationMode.NEGATIVE \
            and "authorization" not in {name.lower() for name in case.headers or {}}:
        return {}
    return admin if (case.method.upper(), case.path) in ADMIN_WRITES else analyst


def errors_are_problem_json(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 4xx is RFC 9457 problem+json with its status and a title. (Passed to each call
    rather than registered, so other Schemathesis tests in the run are not affected.)"""
    if not 400 <= response.status_code < 500:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.split(";")[0].strip() == PROBLEM_JSON, \
        f"{response.status_code} answered with {content_type!r}, not {PROBLEM_JSON}"
    body: Any = response.json()
    assert isinstance(body, dict), f"problem body is not an object: {body!r}"
    assert body.get("status") == response.status_code, f"problem status {body.get('status')!r}"
    assert isinstance(body.get("title"), str) and body["title"], "problem without a title"
    return True


def test_the_server_serves_the_schema_under_test(fuzz_server):
    server, _, _ = fuzz_server
    assert httpx.get(f"{server.url}/openapi.json", timeout=10).json() == OPENAPI


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_schema(case: Case, fuzz_server):
    server, analyst, admin = fuzz_server
    case.call_and_validate(base_url=server.url, headers=headers_for(case, analyst, admin),
                           additional_checks=[errors_are_problem_json])


# Stateful: scenarios of a few calls along the links Schemathesis infers from the schema (the
# candidate list to each candidate's status, updates, reports and ratification steps; a created
# candidate read and patched; a created report read, edited and published), so the calls that
# need an existing record get one instead of a 404. Each scenario starts from the same database
# (setup() copies a pristine one over the live file with SQLite's backup API), and the response
# cache is off: the same choices must meet the same answers, or Hypothesis rightly calls the
# test flaky.
def copy_database(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as from_, sqlite3.connect(target) as to:
        from_.backup(to)


@pytest.fixture(scope="module")
def workflow_server(tmp_path_factory) -> Iterator[None]:
    directory = tmp_path_factory.mktemp("workflows")
    engine = sqlite_demo_database(directory)
    env = {**LIVE_ENV, "ACCESSION_RESPONSE_CACHE": "false"}
    with live_server(engine, extra_env=env) as server:
        tokens = server.token("flow-analyst"), server.token("flow-admin", "admin")
        APIWorkflows.server, (APIWorkflows.analyst, APIWorkflows.admin) = server, tokens
        APIWorkflows.live = Path(engine.url.database)
        APIWorkflows.pristine = directory / "pristine.db"
        copy_database(APIWorkflows.live, APIWorkflows.pristine)
        yield
    engine.dispose()


class APIWorkflows(schema.as_state_machine()):  # type: ignore[misc]
    server: LiveServer
    analyst: dict[str, str]
    admin: dict[str, str]
    pristine: Path
    live: Path

    def setup(self) -> None:
        copy_database(self.pristine, self.live)

    def get_call_kwargs(self, case: Case) -> dict[str, Any]:
        return {"base_url": self.server.url, "headers": headers_for(case, self.analyst, self.admin)}

    def validate_response(self, response: Response, case: Case, additional_checks=None,
                          **kwargs: Any) -> None:
        super().validate_response(response, case, additional_checks=[errors_are_problem_json],
                                  **kwargs)


def test_api_workflows_conform_to_the_schema(workflow_server):
    APIWorkflows.run(settings=settings(
        max_examples=EXAMPLES, stateful_step_count=6, deadline=None, derandomize=True,
        database=None, suppress_health_check=list(HealthCheck)))
