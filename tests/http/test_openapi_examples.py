"""Every example a write operation shows in /docs is posted, as shown, to the demo data set and
must succeed: an example that fails when pasted fails here."""

from typing import Any

import pytest

WRITE_METHODS = ("post", "put", "patch", "delete")
SLUG = "georgia"
ADMIN_ONLY = {"/api/v1/candidates", "/api/v1/candidates/{slug}", "/api/v1/categories",
              "/api/v1/categories/{key}", "/api/v1/benchmarks", "/api/v1/benchmarks/{key}",
              "/api/v1/candidates/{slug}/accession", "/api/v1/retractions/{retraction_id}/undo",
              "/api/v1/gates", "/api/v1/gates/{gate_id}",
              "/api/v1/members/{member_iso3}/procedure"}


def write_examples(schema: dict[str, Any]) -> list[tuple[str, str, str, str, Any]]:
    """(method, path, media type, example name, value) for every example of every write."""
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in WRITE_METHODS:
                continue
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                for name, example in content.get("examples", {}).items():
                    found.append((method, path, media, name, example["value"]))
    return found


def test_every_write_with_a_body_shows_examples(client):
    schema = client.get("/openapi.json").json()
    missing = [f"{method.upper()} {path}"
               for path, operations in schema["paths"].items()
               for method, operation in operations.items()
               if method in WRITE_METHODS and "requestBody" in operation
               and not any(content.get("examples")
                           for content in operation["requestBody"]["content"].values())]
    assert missing == []


def test_updates_show_single_batch_correction_and_revision(client):
    schema = client.get("/openapi.json").json()
    names = {name for method, path, _, name, _ in write_examples(schema)
             if path == "/api/v1/candidates/{slug}/updates"}
    assert {"single", "batch", "correction", "revision"} <= names


def _draft(client, headers) -> tuple[int, str]:
    response = client.post(f"/api/v1/candidates/{SLUG}/reports", headers=headers,
                           json={"period": "2025-Q4", "title": "Draft for an example"})
    assert response.status_code == 201, response.text
    return response.json()["id"], response.headers["ETag"]


def _post_example(client, method, path, media, value, *, analyst, reviewer, admin):
    """Fills the path and whatever else the operation needs first (a draft someone else wrote
    and its ETag, an update to retract) from the demo data, then sends the example as it is
    (the correction's `supersedes` is a demo update's id)."""
    headers = dict(admin if path in ADMIN_ONLY else analyst)
    path = path.replace("{slug}", SLUG).replace("{member_iso3}", "FRA")
    path = path.replace("/categories/{key}", "/categories/spending")
    path = path.replace("/benchmarks/{key}", "/benchmarks/defence_spending_gdp")
    if "{report_id}" in path:
        report_id, etag = _draft(client, reviewer)
        path = path.replace("{report_id}", str(report_id))
        headers = dict(analyst) | {"If-Match": etag}  # publishing takes a second analyst
    if "{gate_id}" in path:
        gate = client.get("/api/v1/gates", params={"tier": "full_candidate"}).json()["items"][0]
        path = path.replace("{gate_id}", str(gate["id"]))
    if "{update_id}" in path:
        posted = client.post(f"/api/v1/candidates/{SLUG}/updates", headers=analyst,
                             json={"benchmark": "joint_exercises", "value": 3,
                                   "as_of": "2025-10-01", "source": "to retract"})
        assert posted.status_code == 201, posted.text
        path = path.replace("{update_id}", str(posted.json()["items"][0]["id"]))
    if "{retraction_id}" in path:
        posted = client.post(f"/api/v1/candidates/{SLUG}/updates", headers=reviewer,
                             json={"benchmark": "joint_exercises", "value": 3,
                                   "as_of": "2025-10-01", "source": "to retract"})
        update_id = posted.json()["items"][0]["id"]
        retraction = client.post(f"/api/v1/updates/{update_id}/retract", headers=analyst,
                                 json={"reason": "wrong figure"})
        assert retraction.status_code == 202, retraction.text
        path = path.replace("{retraction_id}", str(retraction.json()["id"]))
    assert "{" not in path, f"no demo value for a parameter of {path}"
    if media == "application/json":
        return client.request(method, path, headers=headers, json=value)
    return client.request(method, path, headers=headers | {"Content-Type": media},
                          content=value.encode())


def test_every_write_example_succeeds_when_posted(client, analyst_headers,
                                                  second_analyst_headers, admin_headers):
    examples = write_examples(client.get("/openapi.json").json())
    assert examples
    failures = []
    for method, path, media, name, value in examples:
        response = _post_example(client, method, path, media, value, analyst=analyst_headers,
                                 reviewer=second_analyst_headers, admin=admin_headers)
        if not 200 <= response.status_code < 300:
            failures.append(f"{method.upper()} {path} [{name}]: {response.status_code} "
                            f"{response.text[:300]}")
    assert failures == []


@pytest.mark.parametrize("dry_run", [True, False])
def test_the_csv_example_imports(client, analyst_headers, dry_run):
    schema = client.get("/openapi.json").json()
    csv = schema["paths"]["/api/v1/imports"]["post"]["requestBody"]["content"]["text/csv"]
    value = next(iter(csv["examples"].values()))["value"]
    response = client.post("/api/v1/imports", params={"dry_run": dry_run}, content=value,
                           headers=analyst_headers | {"Content-Type": "text/csv"})
    assert response.status_code == (200 if dry_run else 201), response.text
