"""Issue 13, points 4 to 6, tried as an attacker would against a real server (uvicorn in its own
process, demo data, each backend): an author who edits a report after its review, an analyst
who hides another's figure alone, and an Idempotency-Key replayed on another candidate."""

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from app.models import IdempotencyKey
from tests.live import LiveServer, live_server
from tests.reliability.conftest import LIVE_ENV, demo_database


@dataclass
class Site:
    server: LiveServer
    http: httpx.Client
    writer: dict[str, str]
    mallory: dict[str, str]
    reviewer: dict[str, str]
    admin: dict[str, str]


@pytest.fixture(scope="module")
def site(databases) -> Iterator[Site]:
    engine = demo_database(databases)
    with live_server(engine, extra_env=LIVE_ENV) as server, httpx.Client(
            base_url=server.url, timeout=30) as http:
        yield Site(server, http, server.token("writer"), server.token("mallory"),
                   server.token("reviewer"), server.token("root", "admin"))


def measured(value: float, **fields) -> dict:
    return {"benchmark": "defence_spending_gdp", "value": value,
            "as_of": date.today().isoformat(), "source": "attack test", **fields}


def latest_value(site: Site, slug: str = "georgia") -> float | str | None:
    status = site.http.get(f"/api/v1/candidates/{slug}/status").json()
    spending = next(b for b in status["benchmarks"] if b["key"] == "defence_spending_gdp")
    return spending["latest"]["value"] if spending["latest"] else None


# 4. Four-eyes means the reviewer published what they read ----------------------------------


def a_draft(site: Site, body: str = "The text the reviewer reads.") -> tuple[int, str]:
    created = site.http.post("/api/v1/candidates/georgia/reports", headers=site.writer,
                             json={"period": "2026-Q1", "title": "Attack review", "body": body})
    assert created.status_code == 201, created.text
    return created.json()["id"], created.headers["etag"]


def test_an_edit_after_the_review_is_not_published(site):
    report_id, _ = a_draft(site)
    url = f"/api/v1/reports/{report_id}"
    reviewed = site.http.get(url, headers=site.reviewer)
    assert reviewed.json()["body"] == "The text the reviewer reads."
    # The author changes the text after the reviewer read it...
    edited = site.http.patch(url, headers={**site.writer, "If-Match": reviewed.headers["etag"]},
                             json={"body": "Text the reviewer never saw."})
    assert edited.status_code == 200, edited.text
    # ...and the reviewer's publication must not carry it out.
    publish = f"{url}/publish"
    without = site.http.post(publish, headers=site.reviewer)
    assert without.status_code == 428, without.text
    star = site.http.post(publish, headers={**site.reviewer, "If-Match": "*"})
    assert star.status_code == 428, star.text
    star_in_list = site.http.post(
        publish, headers={**site.reviewer, "If-Match": f'*, {edited.headers["etag"]}'})
    assert star_in_list.status_code == 428, star_in_list.text
    stale = site.http.post(publish, headers={**site.reviewer,
                                             "If-Match": reviewed.headers["etag"]})
    assert stale.status_code == 412, stale.text
    assert site.http.get(url).status_code == 404, "an unreviewed text went public"
    assert site.http.get(url, headers=site.reviewer).json()["status"] == "draft"

    reread = site.http.get(url, headers=site.reviewer)
    published = site.http.post(publish, headers={**site.reviewer,
                                                 "If-Match": reread.headers["etag"]})
    assert published.status_code == 200, published.text
    assert site.http.get(url).json()["body"] == reread.json()["body"]


def test_the_published_report_names_who_wrote_and_who_published_it(site):
    report_id, etag = a_draft(site)
    url = f"/api/v1/reports/{report_id}"
    edited = site.http.patch(url, headers={**site.mallory, "If-Match": etag},
                             json={"body": "Edited by a second writer."})
    assert edited.status_code == 200, edited.text
    published = site.http.post(f"{url}/publish",
                               headers={**site.reviewer, "If-Match": edited.headers["etag"]})
    assert published.status_code == 200, published.text
    read = site.http.get(url).json()
    assert (read["author"], read["editors"], read["published_by"]) == (
        "writer", ["mallory"], "reviewer")
    page = site.http.get(f"/reports/{report_id}", headers={"Accept": "text/html"}).text
    said = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "written by writer and mallory, reviewed and published by reviewer" in said.lower()


@pytest.mark.parametrize("publish_at", [
    "past", "future",
    "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00-14:00",
    "9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59-14:00",
])
def test_publish_at_is_bounded_and_edges_are_422(site, publish_at):
    now = datetime.now(UTC)
    publish_at = {"past": (now - timedelta(days=2)).isoformat(),
                  "future": (now + timedelta(days=400)).isoformat()}.get(publish_at, publish_at)
    report_id, etag = a_draft(site)
    response = site.http.post(f"/api/v1/reports/{report_id}/publish",
                              headers={**site.reviewer, "If-Match": etag},
                              json={"publish_at": publish_at})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["publish_at"]
    assert site.http.get(f"/api/v1/reports/{report_id}",
                         headers=site.reviewer).json()["status"] == "draft"


# 5. One analyst alone cannot hide another's figure -----------------------------------------


def test_one_analyst_alone_cannot_hide_anothers_figure(site):
    posted = site.http.post("/api/v1/candidates/georgia/updates", headers=site.writer,
                            json=measured(4.321))
    assert posted.status_code == 201, posted.text
    update_id = posted.json()["items"][0]["id"]
    assert latest_value(site) == 4.321

    asked = site.http.post(f"/api/v1/updates/{update_id}/retract", headers=site.mallory,
                           json={"reason": "I do not like this figure"})
    assert asked.status_code == 202, asked.text
    assert latest_value(site) == 4.321, "one analyst alone hid another's figure"
    retraction = asked.json()
    assert retraction["status"] == "pending"
    assert asked.headers["location"].endswith(f"/api/v1/retractions/{retraction['id']}")
    pending = site.http.get("/api/v1/retractions", params={"status": "pending"},
                            headers=site.reviewer).json()["items"]
    assert retraction["id"] in [r["id"] for r in pending]
    confirm = f"/api/v1/retractions/{retraction['id']}/confirm"
    assert site.http.post(confirm, headers=site.mallory).status_code == 403
    assert latest_value(site) == 4.321

    confirmed = site.http.post(confirm, headers=site.reviewer)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "retracted"
    assert latest_value(site) != 4.321
    undone = site.http.post(f"/api/v1/retractions/{retraction['id']}/undo",
                            headers=site.admin, json={"reason": "retracted in error"})
    assert undone.status_code == 200, undone.text
    assert latest_value(site) == 4.321, "an undone retraction did not restore the figure"

    kinds = [e["kind"] for e in site.http.get("/api/v1/events", params={"limit": 500})
             .json()["items"] if e["entity_id"] == str(update_id)]
    assert kinds == ["progress_update.created", "progress_update.retraction_requested",
                     "progress_update.retracted", "progress_update.retraction_undone"]
    page = site.http.get("/candidates/georgia/benchmarks/defence_spending_gdp").text
    row = next(r for r in page.split("<tr") if f"#{update_id}<" in r)
    for name in ("mallory", "reviewer", "root", "I do not like this figure",
                 "retracted in error"):
        assert name in row, f"the update's history on its page does not show {name!r}"


def test_an_analyst_still_retracts_their_own_figure_at_once(site):
    posted = site.http.post("/api/v1/candidates/georgia/updates", headers=site.mallory,
                            json=measured(5.432))
    update_id = posted.json()["items"][0]["id"]
    own = site.http.post(f"/api/v1/updates/{update_id}/retract", headers=site.mallory,
                         json={"reason": "my typo"})
    assert own.status_code == 200, own.text
    assert own.json()["retraction"]["reason"] == "my typo"
    assert latest_value(site) != 5.432


def test_analysts_racing_to_retract_make_one_request(site):
    """Eight analysts ask at once: one retraction is made, the others are told it exists."""
    posted = site.http.post("/api/v1/candidates/georgia/updates", headers=site.writer,
                            json=measured(6.54))
    update_id = posted.json()["items"][0]["id"]
    racers = [site.server.token(f"racer-{update_id}-{n}") for n in range(8)]
    start = threading.Barrier(len(racers))

    def ask(headers: dict[str, str]) -> int:
        with httpx.Client(base_url=site.server.url, timeout=30) as http:
            start.wait()
            return http.post(f"/api/v1/updates/{update_id}/retract", headers=headers,
                             json={"reason": "race"}).status_code

    with ThreadPoolExecutor(len(racers)) as pool:
        answers = sorted(pool.map(ask, racers))
    assert answers == [202] + [409] * (len(racers) - 1)
    listed = site.http.get("/api/v1/retractions", params={"update": update_id},
                           headers=site.reviewer).json()
    assert listed["total"] == 1


# 6. Idempotency keys are bound to the whole request -----------------------------------------


def test_a_key_replayed_on_another_candidate_is_422(site):
    headers = {**site.writer, "Idempotency-Key": "attack-key-georgia-then-ukraine"}
    body = measured(3.21)
    georgia = site.http.post("/api/v1/candidates/georgia/updates", headers=headers, json=body)
    assert georgia.status_code == 201, georgia.text
    ukraine = site.http.post("/api/v1/candidates/ukraine/updates", headers=headers, json=body)
    assert ukraine.status_code == 422, ukraine.text
    assert ["header", "Idempotency-Key"] in [e["loc"] for e in ukraine.json()["errors"]]
    assert latest_value(site, "ukraine") != 3.21
    again = site.http.post("/api/v1/candidates/georgia/updates", headers=headers, json=body)
    assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"
    assert again.json() == georgia.json()


def test_a_key_is_new_again_once_it_has_expired(site):
    headers = {**site.writer, "Idempotency-Key": "attack-key-that-expires"}
    first = site.http.post("/api/v1/candidates/georgia/updates", headers=headers,
                           json=measured(2.22))
    assert first.status_code == 201, first.text
    # A day and an hour later (the default lifetime is 24 h).
    with site.server.engine.begin() as connection:
        aged = connection.execute(
            update(IdempotencyKey).where(IdempotencyKey.key == "attack-key-that-expires")
            .values(created_at=datetime.now(UTC) - timedelta(hours=25)))
        assert aged.rowcount == 1
    other = site.http.post("/api/v1/candidates/ukraine/updates", headers=headers,
                           json=measured(2.23))
    assert other.status_code == 201, other.text
    assert "idempotent-replayed" not in other.headers
    assert other.json()["items"][0]["id"] != first.json()["items"][0]["id"]
    assert latest_value(site, "ukraine") == 2.23
