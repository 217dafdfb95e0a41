"""Against a real server: the change feed delivers what another client posts, resumes after a
reconnect without loss, never shows private events; concurrent writers lose nothing."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Event, ProgressUpdate
from tests.helpers import demo_server_fixture  # noqa: F401 (a fixture)


def post_update(server, headers, value: float, as_of: str = "2025-06-30") -> dict:
    response = httpx.post(
        f"{server.url}/api/v1/candidates/georgia/updates", headers=headers,
        json={"benchmark": "defence_spending_gdp", "value": value, "as_of": as_of,
              "source": "live test"}, timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["items"][0]


class StreamReader:
    """Reads an SSE stream in a thread, collecting (id, kind, data) tuples."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.events: list[tuple[int, str, dict]] = []
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url, headers or {}),
                                        daemon=True)
        self._thread.start()
        assert self.connected.wait(10), "the stream did not open"

    def _read(self, url: str, headers: dict[str, str]) -> None:
        with httpx.stream("GET", url, headers=headers, timeout=30) as response:
            assert response.status_code == 200
            event_id, kind = None, None
            for line in response.iter_lines():
                self.connected.set()
                if self._stop.is_set():
                    return
                if line.startswith("id:"):
                    event_id = int(line[3:].strip())
                elif line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:") and event_id is not None:
                    self.events.append((event_id, kind or "", json.loads(line[5:])))

    def wait_for(self, predicate, timeout: float = 2.0) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if any(predicate(e) for e in self.events):
                return time.monotonic() - start
            time.sleep(0.02)
        raise AssertionError(f"no matching event within {timeout}s: {self.events[-3:]}")

    def close(self) -> None:
        self._stop.set()


def test_stream_delivers_another_clients_update_within_two_seconds(server):
    headers = server.token("poster")
    reader = StreamReader(f"{server.url}/api/v1/events/stream")
    try:
        posted = post_update(server, headers, 1.93)
        waited = reader.wait_for(lambda e: e[2]["after"]["id"] == posted["id"], timeout=2.0)
        assert waited < 2.0
        event = next(e for e in reader.events if e[2]["after"]["id"] == posted["id"])
        assert event[1] == "progress_update.created" and event[2]["candidate"] == "georgia"
    finally:
        reader.close()


def test_stream_resumes_from_last_event_id_without_loss(server):
    headers = server.token("resumer")
    first = StreamReader(f"{server.url}/api/v1/events/stream")
    posted = post_update(server, headers, 1.81)
    first.wait_for(lambda e: e[2]["after"]["id"] == posted["id"])
    last_seen = max(e[0] for e in first.events)
    first.close()

    # Posted while nobody listens.
    missed = [post_update(server, headers, 1.7 + n / 100)["id"] for n in range(5)]
    second = StreamReader(f"{server.url}/api/v1/events/stream",
                          headers={"Last-Event-ID": str(last_seen)})
    try:
        second.wait_for(lambda e: e[2]["after"]["id"] == missed[-1])
        received = [e[2]["after"]["id"] for e in second.events]
        assert received[:5] == missed
        ids = [e[0] for e in second.events]
        assert ids == sorted(set(ids)) and min(ids) > last_seen
    finally:
        second.close()


def test_stream_and_event_list_hide_private_events(server):
    draft = httpx.post(f"{server.url}/api/v1/candidates/georgia/reports",
                       headers=server.token("drafter"),
                       json={"period": "2026-Q1", "title": "Secret draft", "body": "not yet"})
    assert draft.status_code == 201
    with Session(server.engine) as session:
        private_kinds = set(session.scalars(
            select(Event.kind).where(Event.is_public.is_(False))
        ))
    assert "report.created" in private_kinds
    public = httpx.get(f"{server.url}/api/v1/events", params={"limit": 500}).json()
    assert not {e["kind"] for e in public["items"]} & private_kinds
    reader = StreamReader(f"{server.url}/api/v1/events/stream", headers={"Last-Event-ID": "0"})
    try:
        time.sleep(1.0)
        assert reader.events, "the backlog from 0 holds the demo's public event at least"
        assert not {e[1] for e in reader.events} & private_kinds
        assert "Secret draft" not in json.dumps([e[2] for e in reader.events])
    finally:
        reader.close()


def test_concurrent_writers_lose_nothing(server):
    headers = [server.token(f"writer{n}") for n in range(8)]

    def count(model):
        with Session(server.engine) as session:
            return session.scalar(select(func.count()).select_from(model))

    before = count(ProgressUpdate), count(Event)

    def write(n: int) -> list[int]:
        return [post_update(server, headers[n], 1.5 + i / 1000, as_of="2025-03-31")["id"]
                for i in range(15)]

    with ThreadPoolExecutor(8) as pool:
        ids = [i for batch in pool.map(write, range(8)) for i in batch]
    assert len(set(ids)) == 120
    assert count(ProgressUpdate) == before[0] + 120
    assert count(Event) == before[1] + 120
