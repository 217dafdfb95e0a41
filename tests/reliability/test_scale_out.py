"""Two server instances on one PostgreSQL database behave as one service: an update posted to
either appears on the other's event stream and on its pages and API within two seconds, even
where the other had already cached those pages."""

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date

import httpx
import pytest

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
