"""Two server instances on one PostgreSQL database behave as one service: an update posted to
either appears on the other's event stream and on its pages and API within two seconds, even
where the other had already cached those pages."""

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from itertools import pairwise

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Event
from app.progress.ingest import LOCK_CANDIDATES_FROM
from app.status_feed import CHANGE_KIND
from tests.live import LiveServer, live_server
from tests.reliability.conftest import LIVE_ENV, demo_database

pytestmark = [pytest.mark.postgres,
              pytest.mark.parametrize("databases", ["postgresql"], indirect=True)]

WITHIN = 2.0  # seconds, from the 201 on one instance to the change on the other


@pytest.fixture(scope="module")
def instances(databases) -> Iterator[tuple[LiveServer, LiveServer]]:
    engine = demo_database(databases)
    with live_server(engine, extra_env=LIVE_ENV) as first, \
            live_server(engine, extra_env=LIVE_ENV) as second:
        yield first, second


class Stream:
    """Reads a Server-Sent Events stream in a thread, keeping each event's data."""

    def __init__(self, url: str) -> None:
        self.events: list[dict] = []
        self.opened = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self._thread.start()
        assert self.opened.wait(10), "the stream did not open"

    def _read(self, url: str) -> None:
        try:
            with httpx.stream("GET", url, timeout=30) as response:
                assert response.status_code == 200
                for line in response.iter_lines():
                    self.opened.set()
                    if self._stop.is_set():
                        return
                    if line.startswith("data:"):
                        self.events.append(json.loads(line[5:]))
        except httpx.TransportError:
            pass  # the server stopped at the end of the module

    def close(self) -> None:
        self._stop.set()


def eventually(check, within: float) -> float:
    """Seconds until `check()` is true; fails after `within`."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within, f"not within {within}s"
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.mark.parametrize("direction", ["first-to-second", "second-to-first"])
def test_an_update_on_one_instance_reaches_the_other_within_two_seconds(instances, direction):
    poster, reader = instances if direction == "first-to-second" else instances[::-1]
    page, latest = f"{reader.url}/candidates/georgia", \
        f"{reader.url}/api/v1/candidates/georgia/updates?benchmark=defence_spending_gdp&limit=1"
    # Read first, so the reader has these in its response cache when the change comes.
    assert httpx.get(page, timeout=10).status_code == 200
    assert httpx.get(latest, timeout=10).status_code == 200
    stream = Stream(f"{reader.url}/api/v1/events/stream")
    try:
        source = f"scale-out {direction} {uuid.uuid4().hex[:8]}"
        response = httpx.post(
            f"{poster.url}/api/v1/candidates/georgia/updates", headers=poster.token(source[-8:]),
            json={"benchmark": "defence_spending_gdp", "value": 2.34,
                  "as_of": date.today().isoformat(), "source": source}, timeout=10)
        assert response.status_code == 201, response.text
        posted = response.json()["items"][0]["id"]
        acknowledged = time.monotonic()

        eventually(lambda: any(e["after"] and e["after"].get("id") == posted
                               for e in stream.events), WITHIN)
        left = WITHIN - (time.monotonic() - acknowledged)
        eventually(lambda: source in httpx.get(page, timeout=10).text, max(left, 0.01))
        left = WITHIN - (time.monotonic() - acknowledged)
        eventually(lambda: httpx.get(latest, timeout=10).json()["items"][0]["id"] == posted,
                   max(left, 0.01))
    finally:
        stream.close()
    event = next(e for e in stream.events if e["after"] and e["after"].get("id") == posted)
    assert event["kind"] == "progress_update.created" and event["candidate"] == "georgia"


@pytest.mark.parametrize("batches", [False, True], ids=["singles", "batches-and-singles"])
def test_writers_on_both_instances_record_one_unbroken_chain_of_status_changes(instances,
                                                                               batches):
    """Writers on both instances post figures to one series at once, some meeting Georgia's
    target (1.5 %) and some not. Each write reads the status before it and records a change
    if its figure moves it; whatever the interleaving, the changes recorded form one chain
    (each one's `from` is the previous one's `to`) that ends in the status read afterwards:
    no write read a stale status, none missed another's. With batches, half the writers post
    batches large enough to read under the candidate's lock (LOCK_CANDIDATES_FROM), among
    the others' single updates read under the event-order lock."""
    first, _ = instances
    key = "defence_spending_gdp"

    def status() -> str:
        body = httpx.get(f"{first.url}/api/v1/candidates/georgia/status", timeout=10).json()
        return next(b["status"] for b in body["benchmarks"] if b["key"] == key)

    def changes_after(event_id: int) -> list[dict]:
        with Session(first.engine) as session:
            return [e.after for e in session.scalars(
                select(Event).where(Event.kind == CHANGE_KIND, Event.id > event_id)
                .order_by(Event.id)) if e.after["candidate"] == "georgia"
                and e.after["benchmark"] == key]

    with Session(first.engine) as session:
        start = session.scalar(select(func.max(Event.id)))
    before = status()
    as_of = date.today().isoformat()

    def write(instance: LiveServer, n: int) -> None:
        headers = instance.token(f"chain{n}{'-batches' if batches else ''}")
        size = LOCK_CANDIDATES_FROM if batches and n % 2 else 1
        for i in range(12):
            value = 1.6 if (n + i) % 3 else 1.2  # met, or short of 1.5
            items = [{"benchmark": key, "value": value, "as_of": as_of,
                      "source": f"chain {n}.{i}.{k}"} for k in range(size)]
            response = httpx.post(
                f"{instance.url}/api/v1/candidates/georgia/updates", headers=headers,
                json={"updates": items} if size > 1 else items[0], timeout=30)
            assert response.status_code == 201, response.text

    threads = [threading.Thread(target=write, args=(instance, n))
               for n, instance in enumerate(instances * 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    recorded = changes_after(start)
    assert len(recorded) >= 2  # the figures moved it both ways
    assert recorded[0]["from"] == before
    for previous, change in pairwise(recorded):
        assert change["from"] == previous["to"], (previous, change)
    eventually(lambda: status() == recorded[-1]["to"], WITHIN)  # the page's cache catches up
