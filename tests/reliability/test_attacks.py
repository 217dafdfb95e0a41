"""The attacks of issue 13, tried against the real server as an attacker would: uvicorn in its
own processes (`accession serve --workers 2`) on SQLite with the demo data and 6,000 more
updates. Each test failed on the code before its fix (docs/security.md says how)."""

import datetime
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.models import Event
from tests.live import cpu_alone, live_server
from tests.reliability.conftest import LIVE_ENV, sqlite_demo_database

MB = 1024 * 1024
CACHE_BUDGET = 64 * MB  # the default of ACCESSION_RESPONSE_CACHE_BYTES
BODY_TIMEOUT = 4  # seconds, set on the attacked server (the default is longer)
# A realistic provenance string: the download grows to a few MB, as on a real deployment.
SOURCE = ("SIPRI Military Expenditure Database, April 2025 release, table 'Share of GDP', "
          "https://www.sipri.org/databases/milex (retrieved for the attack test)")


def worker_pids(server) -> list[int]:
    """uvicorn's worker processes (with one worker, the server process itself)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == server.process.pid and b"multiprocessing-fork" in cmdline:
            children.append(int(stat.parent.name))
    return children or [server.process.pid]


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def post_updates(server, headers, count: int) -> None:
    start = datetime.date(2014, 1, 2)
    for first in range(0, count, 500):
        items = [{"benchmark": "defence_spending_gdp", "value": 1 + (n % 100) / 100,
                  "as_of": (start + datetime.timedelta(days=n % 4000)).isoformat(),
                  "source": SOURCE, "note": f"attack load {n}"}
                 for n in range(first, min(count, first + 500))]
        response = httpx.post(f"{server.url}/api/v1/candidates/georgia/updates",
                              headers=headers, json={"updates": items}, timeout=60)
        assert response.status_code == 201, response.text[:300]


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    engine = sqlite_demo_database(tmp_path_factory.mktemp("attacks"))
    env = {**LIVE_ENV, "ACCESSION_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT)}
    # Its reads are timed: not beside Chromium (see tests.live.cpu_alone).
    with cpu_alone(), live_server(engine, workers=2, extra_env=env) as server:
        post_updates(server, server.token("loader"), 6000)
        yield server


def grown(before: dict[int, int], server) -> dict[int, int]:
    return {pid: rss(pid) - before.get(pid, 0) for pid in worker_pids(server)}


# 1. The response cache is bounded by bytes, and junk query strings do not split its key.

@pytest.mark.parametrize("path", ["/dataset.json", "/"])
def test_junk_query_strings_cannot_grow_the_workers(attacked, path):
    with httpx.Client(timeout=60) as client:
        for _ in range(4):  # both workers have served it once
            assert client.get(attacked.url + path).status_code == 200
        before = {pid: rss(pid) for pid in worker_pids(attacked)}
        limit = CACHE_BUDGET + 32 * MB

        def fetch(n: int) -> int:
            # Half of them with a token, which a page or download does not read: it must not
            # turn the cache off for them either.
            headers = {"Authorization": f"Bearer junk-{n}"} if n % 2 else {}
            with client.stream("GET", f"{attacked.url}{path}?junk={n}",
                               headers=headers) as response:
                for _ in response.iter_bytes(256 * 1024):
                    pass
                return response.status_code

        with ThreadPoolExecutor(4) as pool:
            for first in range(0, 1000, 100):
                assert set(pool.map(fetch, range(first, first + 100))) == {200}
                growth = grown(before, attacked)
                # Checked as it goes: the code before the fix grew by GBs, and fails here early.
                assert max(growth.values()) < limit, (first, growth)
        growth = grown(before, attacked)
        assert max(growth.values()) < limit, growth
        # A parameter the route does not read is not part of the key: a hit, the same body.
        plain = client.get(attacked.url + path)
        junk = client.get(f"{attacked.url}{path}?junk=other&utm_source=x")
        assert junk.headers.get("x-cache") == "hit" and junk.content == plain.content


# 2. Event streams cannot take the site down.

def open_stream(port: int, address: str, after: int = 0, *, read_status: bool = False,
                receive_buffer: int | None = None) -> tuple[socket.socket, str | None]:
    """A client that asks for the stream and (past the status line, if asked) never reads."""
    sock = socket.socket()
    if receive_buffer:  # before connecting, so the window it advertises is small
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET /api/v1/events/stream?after={after} HTTP/1.1\r\n"
                 f"Host: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
                 f"X-Forwarded-For: {address}\r\n\r\n".encode())
    status = None
    if read_status:
        sock.settimeout(10)
        line = b""
        while not line.endswith(b"\r\n"):
            chunk = sock.recv(1)
            if not chunk:
                break
            line += chunk
        status = line.decode(errors="replace").split(" ")[1] if line else "closed"
    return sock, status


def port_of(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def timed_get(url: str, headers: dict[str, str] | None = None) -> float:
    started = time.monotonic()
    response = httpx.get(url, headers=headers, timeout=10)
    assert response.status_code == 200, response.text[:200]
    return time.monotonic() - started


def test_a_flood_of_streams_cannot_take_the_site_down(attacked):
    port = port_of(attacked)
    token = attacked.token("stream-watcher")
    before = {pid: rss(pid) for pid in worker_pids(attacked)}
    sockets = []
    try:
        for n in range(300):  # distinct clients, as a trusted proxy forwards them
            sockets.append(open_stream(port, f"10.{n // 250}.{n % 250}.1")[0])
        statuses = []
        for _ in range(50):  # one address
            sock, status = open_stream(port, "192.0.2.7", read_status=True)
            sockets.append(sock)
            statuses.append(status)
        # 16 per address and server, whichever worker each connection reaches.
        assert statuses.count("429") >= 30 and statuses.count("200") == 16, statuses
        assert set(statuses) <= {"200", "429"}, statuses
        for _ in range(5):
            assert timed_get(attacked.url + "/") < 1
            assert timed_get(attacked.url + "/api/v1/candidates/georgia/status", token) < 1
            time.sleep(1)
        sizes = {pid: rss(pid) for pid in worker_pids(attacked)}
        assert max(sizes.values()) < 300 * MB, (before, sizes)
    finally:
        for sock in sockets:
            sock.close()
    # The slots come back once the clients are gone.
    deadline = time.monotonic() + 20
    while True:
        sock, status = open_stream(port, "192.0.2.7", read_status=True)
        sock.close()
        if status == "200" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status == "200"


def test_a_refused_stream_is_a_problem_with_retry_after(attacked):
    held = []
    try:
        with httpx.Client(timeout=10) as client:
            for _ in range(40):  # the address's 16 streams, wherever they land, then refusal
                response = client.send(
                    client.build_request("GET", attacked.url + "/api/v1/events/stream",
                                         headers={"X-Forwarded-For": "192.0.2.9"}),
                    stream=True)
                if response.status_code != 200:
                    break
                held.append(response)
            assert response.status_code == 429, response.status_code
            assert len(held) == 16  # the default, counted across the two workers
            assert response.headers["content-type"].startswith("application/problem+json")
            assert int(response.headers["retry-after"]) >= 1
            assert "streams" in json.loads(response.read())["detail"]
    finally:
        for response in held:
            response.close()


def test_a_stream_that_does_not_read_is_dropped(attacked):
    """Its backlog (6,000 events) fills its buffers; the server ends it instead of holding it."""
    sock, _ = open_stream(port_of(attacked), "198.51.100.1", receive_buffer=4096)
    try:
        time.sleep(15)  # past the send timeout, reading nothing
        sock.settimeout(5)
        received = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break  # the server closed it
            received += len(chunk)
        else:
            pytest.fail(f"the stream was still open after {received} bytes")
    finally:
        sock.close()
    # Dropped on purpose: said at INFO, not as an error a client could repeat at will.
    log = Path(attacked.log_path).read_text(errors="replace")
    assert "an event stream was dropped: its client did not read" in log
    assert "ASGI callable returned without completing response" not in log


def test_a_stream_refuses_a_backlog_older_than_the_retention_window(tmp_path):
    engine = sqlite_demo_database(tmp_path)
    with Session(engine) as session:
        old = session.execute(insert(Event).values(
            kind="test.old", entity="test", entity_id="1", is_public=True,
            occurred_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=50),
        ).returning(Event.id)).scalar_one()
        session.commit()
    env = {"ACCESSION_STREAM_RETENTION_HOURS": "48", "ACCESSION_STREAMS_TOTAL": "2"}
    with live_server(engine, extra_env=env) as server, httpx.Client(timeout=10) as client:
        gone = client.get(f"{server.url}/api/v1/events/stream?after={old - 1}")
        assert gone.status_code == 410, gone.text[:200]
        assert gone.headers["content-type"].startswith("application/problem+json")
        assert "/api/v1/events" in gone.json()["detail"]
        # Resuming after the old event is fine. The per-process limit (2 here) answers 503.
        held = [open_stream(port_of(server), f"203.0.113.{n}", after=old, read_status=True)
                for n in range(2)]
        try:
            assert [status for _, status in held] == ["200", "200"]
            full = client.get(f"{server.url}/api/v1/events/stream?after={old}",
                              headers={"X-Forwarded-For": "203.0.113.99"})
            assert full.status_code == 503 and int(full.headers["retry-after"]) >= 1
            assert full.headers["content-type"].startswith("application/problem+json")
        finally:
            for sock, _ in held:
                sock.close()


# 3. Links are not taken from the Host header.

def test_the_host_header_cannot_poison_links(attacked):
    with httpx.Client(timeout=10) as client:
        for _ in range(2):
            evil = client.get(attacked.url + "/feed.atom", headers={"Host": "evil.example"})
            assert evil.status_code == 400
        # An allowed alias of the server gets the configured links, not its own name.
        alias = client.get(attacked.url + "/feed.atom",
                           headers={"Host": f"localhost:{port_of(attacked)}"})
        feed = client.get(attacked.url + "/feed.atom")
        for response in (alias, feed):
            assert response.status_code == 200
            assert "evil.example" not in response.text and "localhost" not in response.text
            assert f'href="{attacked.url}/feed.atom"' in response.text
        page = client.get(attacked.url + "/candidates/georgia",
                          headers={"Host": f"localhost:{port_of(attacked)}"})
        assert f'<link rel="canonical" href="{attacked.url}/candidates/georgia">' in page.text


# 7. Slow and odd clients.

def test_a_slowloris_header_is_cut_off(attacked):
    sock = socket.create_connection(("127.0.0.1", port_of(attacked)))
    try:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sock.settimeout(1)
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 30 and not closed:
            try:
                closed = sock.recv(4096) == b"" or True  # a 408, or the connection closed
            except TimeoutError:
                sock.sendall(f"X-Slow-{int(time.monotonic())}: 1\r\n".encode())
                time.sleep(4)
            except ConnectionError:
                closed = True
        assert closed, "a header sent one line every 5 s was still accepted after 30 s"
        assert time.monotonic() - started < 20
    finally:
        sock.close()


def test_a_slow_body_is_408_not_503(attacked):
    sock = socket.create_connection(("127.0.0.1", port_of(attacked)))
    try:
        token = attacked.token("slow-body")["Authorization"]
        sock.sendall(f"POST /api/v1/candidates/georgia/updates HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: {token}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 200\r\n\r\n{{\"benchmark\": ".encode())
        sock.settimeout(BODY_TIMEOUT + 15)
        answer = sock.recv(65536).decode(errors="replace")
        assert answer.startswith("HTTP/1.1 408"), answer[:300]
        assert "application/problem+json" in answer
    finally:
        sock.close()


def get_routes(client: httpx.Client, base: str) -> list[str]:
    paths = [p for p, ops in client.get(base + "/openapi.json").json()["paths"].items()
             if "get" in ops and "{" not in p and not p.endswith("/stream")]
    return [*paths, "/", "/candidates/georgia", "/compare", "/framework", "/methodology",
            "/feed.atom", "/dataset.csv", "/candidates/georgia.json", "/health", "/docs",
            "/static/css/site.css", "/api/v1/candidates/georgia/status"]


def test_head_works_on_every_get_route(attacked):
    with httpx.Client(timeout=30) as client:
        for path in get_routes(client, attacked.url):
            got = client.get(attacked.url + path)
            head = client.head(attacked.url + path)
            # Public reads answer 200; those that need a token, 401 alike.
            assert head.status_code == got.status_code, path
            assert got.status_code in (200, 401), path
            assert head.content == b"", path
            assert head.headers["content-type"] == got.headers["content-type"], path
        stream = client.head(attacked.url + "/api/v1/events/stream")
        assert stream.status_code == 200 and stream.content == b""


@pytest.mark.parametrize("as_of", ["0001-01-01", "0001-01-02", "1000-06-30", "9999-12-31"])
def test_dates_at_the_edges_are_422(attacked, as_of):
    response = httpx.get(f"{attacked.url}/api/v1/candidates/georgia/status?as_of={as_of}",
                         timeout=10)
    assert response.status_code == 422, response.text[:300]
    assert response.json()["errors"][0]["loc"] == ["query", "as_of"]


def test_a_recorded_date_at_the_edge_is_422(attacked):
    response = httpx.post(
        f"{attacked.url}/api/v1/candidates/georgia/ratifications/HUN/steps",
        headers=attacked.token("edge-dates"), timeout=10,
        json={"step": "signed", "occurred_on": "0001-01-01", "source": "edge test"})
    assert response.status_code == 422, response.text[:300]
    assert response.json()["errors"][0]["loc"] == ["body", "occurred_on"]


# 8. The failed-login limit does not lock out valid tokens.

def test_failed_logins_do_not_lock_out_a_valid_token(tmp_path):
    engine = sqlite_demo_database(tmp_path)
    env = {"ACCESSION_AUTH_FAILURES_PER_MINUTE": "10", "ACCESSION_WRITES_PER_MINUTE": "600"}
    with live_server(engine, extra_env=env) as server, httpx.Client(timeout=10) as client:
        valid = server.token("valid")
        codes = [client.get(server.url + "/api/v1/events",
                            headers={"Authorization": f"Bearer wrong-{n}"}).status_code
                 for n in range(20)]
        assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}, codes
        assert client.get(server.url + "/api/v1/events", headers=valid).status_code == 200
        posted = client.post(server.url + "/api/v1/candidates/georgia/updates", headers=valid,
                             json={"benchmark": "defence_spending_gdp", "value": 2.1,
                                   "as_of": "2025-06-30", "source": "login-limit test"})
        assert posted.status_code == 201, posted.text
        # Failures still count against the address.
        again = client.get(server.url + "/api/v1/events",
                           headers={"Authorization": "Bearer wrong-again"})
        assert again.status_code == 429 and int(again.headers["retry-after"]) >= 1


# 9. Small leaks.

def test_if_modified_since_sees_a_scheduled_publication(attacked):
    author, reviewer = attacked.token("ims-author"), attacked.token("ims-reviewer")
    with httpx.Client(timeout=10) as client:
        created = client.post(attacked.url + "/api/v1/candidates/georgia/reports",
                              headers=author, json={"period": "2026-Q3",
                                                    "title": "Scheduled review IMS",
                                                    "body": "Text."})
        assert created.status_code == 201, created.text
        publish_at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=4)
        published = client.post(
            f"{attacked.url}/api/v1/reports/{created.json()['id']}/publish",
            headers={**reviewer, "If-Match": created.headers["etag"]},
            json={"publish_at": publish_at.isoformat()})
        assert published.status_code == 200, published.text
        time.sleep(1.5)  # the feed has seen the (public) publication event
        page = client.get(attacked.url + "/candidates/georgia")
        assert "Scheduled review IMS" not in page.text
        while datetime.datetime.now(datetime.UTC) < publish_at + datetime.timedelta(seconds=1.5):
            time.sleep(0.2)
        later = client.get(attacked.url + "/candidates/georgia",
                           headers={"If-Modified-Since": page.headers["last-modified"]})
        assert later.status_code == 200 and "Scheduled review IMS" in later.text


def test_empty_csv_cells_stay_empty(attacked):
    import csv
    import io

    text = httpx.get(attacked.url + "/dataset.csv", timeout=60).text
    rows = list(csv.reader(io.StringIO(text)))
    assert not [row for row in rows if "'" in row], "a lone ' where a cell was empty"
    assert any("" in row for row in rows[1:])


def test_authenticated_api_answers_are_private(attacked):
    token = attacked.token("private-reader")
    for path in ("/api/v1/candidates", "/api/v1/events", "/api/v1/candidates/georgia/status"):
        response = httpx.get(attacked.url + path, headers=token, timeout=10)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "private, no-store", path
        assert "authorization" in response.headers["vary"].lower(), path
        public = httpx.get(attacked.url + path, timeout=10)
        assert "authorization" in public.headers.get("vary", "").lower(), path


def test_the_event_stream_events_are_json(attacked):
    """Sanity: what the streams carry is still the event log (after the paging rework)."""
    with httpx.Client(timeout=10) as client, client.stream(
            "GET", attacked.url + "/api/v1/events/stream?after=0",
            headers={"X-Forwarded-For": "198.51.100.77"}) as response:
        assert response.status_code == 200
        seen = []
        for line in response.iter_lines():
            if line.startswith("id: "):
                seen.append(int(line[4:]))
            elif line.startswith("data: "):
                json.loads(line[6:])
            if len(seen) >= 1200:
                break
        assert seen == sorted(seen) and len(set(seen)) == len(seen) == 1200
