"""With PostgreSQL stopped, a running server answers reads and writes with a quick 503 and
Retry-After (problem+json on the API, the error page on the site, never a stack trace) and
`/health` says the database is unreachable; when PostgreSQL comes back on the same port and
data directory, the same server process answers 200 and 201 again within seconds. The same
holds when PostgreSQL hangs instead (its processes stopped): no request waits past a short
timeout.

The test starts its own throwaway PostgreSQL server (scripts/throwaway-postgres), since it stops
it; without PostgreSQL's server binaries it is skipped, unless ACCESSION_TEST_REQUIRE_POSTGRES=1."""

import glob
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from app.db import make_engine
from app.demo import load_demo
from tests.conftest import REQUIRE_POSTGRES, upgrade
from tests.live import LiveServer, free_port, live_server
from tests.reliability.conftest import LIVE_ENV

pytestmark = pytest.mark.postgres

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "throwaway-postgres"
DB_TIMEOUT = 2  # ACCESSION_DB_TIMEOUT_SECONDS of the server under test
ANSWER_WITHIN = 5.0  # seconds: a request may take the database timeout plus some slack
RECOVER_WITHIN = 10.0  # seconds after PostgreSQL accepts connections again


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


@dataclass
class ThrowawayPostgres:
    """A server of our own, stopped and started again on the same port and data directory."""

    bin: Path
    directory: Path
    port: int
    url: str

    def _pg_ctl(self, *args: str) -> None:
        command = [str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        # The options scripts/throwaway-postgres starts it with.
        self._pg_ctl("-l", str(self.directory / "log"), "-w", "start", "-o",
                     f"-h 127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off "
                     "-c max_connections=200")

    def processes(self) -> list[int]:
        """The postmaster and its children (backends, background workers)."""
        postmaster = int((self.directory / "data" / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """Every PostgreSQL process stopped (SIGSTOP): the kernel still accepts connections
        and acknowledges packets, but nothing answers."""
        stopped = self.processes()
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for pid in stopped:
                os.kill(pid, signal.SIGCONT)


@pytest.fixture(scope="module")
def postgres() -> Iterator[ThrowawayPostgres]:
    bin_dir = pg_bin()
    if bin_dir is None:
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL server binaries are missing but PostgreSQL is required")
        pytest.skip("needs PostgreSQL's server binaries (apt-get install postgresql)")
    port = free_port()
    started = subprocess.run([str(SCRIPT), "start", str(port)], check=True, capture_output=True,
                             text=True, timeout=120)
    exports = dict(line.removeprefix("export ").split("=", 1)
                   for line in started.stdout.splitlines() if line.startswith("export "))
    server = ThrowawayPostgres(bin_dir, Path(exports["PGTMP"]), port,
                               exports["ACCESSION_TEST_POSTGRES_URL"])
    try:
        yield server
    finally:
        subprocess.run([str(SCRIPT), "stop", str(server.directory)], capture_output=True,
                       timeout=120)


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    html: bool = False
    write: bool = False


PROBES = [
    Probe("GET", "/api/v1/candidates"),
    Probe("GET", "/api/v1/candidates/georgia/status"),
    Probe("GET", "/api/v1/events?after=0"),
    Probe("GET", "/candidates/georgia", html=True),
    Probe("GET", "/", html=True),
    Probe("POST", "/api/v1/candidates/georgia/updates", write=True),
]
HEALTH = Probe("GET", "/health")


def send(server_url: str, probe: Probe, token: dict[str, str], n: int,
         timeout: float = ANSWER_WITHIN * 4) -> httpx.Response:
    headers = {"Accept": "text/html"} if probe.html else {"Accept": "application/json"}
    body = None
    if probe.write:
        headers.update(token)
        body = {"benchmark": "defence_spending_gdp", "value": 2.0 + n / 1000,
                "as_of": "2025-06-30", "source": f"outage test {n}"}
    # The client waits longer than the server may take, so a hang shows as slowness, not as
    # a client timeout.
    return httpx.request(probe.method, server_url + probe.path, headers=headers, json=body,
                         timeout=timeout)


@pytest.fixture(scope="module")
def outage_server(postgres) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    engine = make_engine(postgres.url)
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    env = {**LIVE_ENV, "ACCESSION_DB_TIMEOUT_SECONDS": str(DB_TIMEOUT)}
    with live_server(engine, extra_env=env) as server:
        token = server.token("outage-analyst")
        engine.dispose()  # the test keeps no connection of its own open
        yield server, token


def check_unavailable(server: LiveServer, probe: Probe, response: httpx.Response,
                      took: float) -> None:
    where = f"{probe.method} {probe.path}"
    print(f"{where}: {response.status_code} in {took:.2f}s")  # shown with -s
    assert response.status_code == 503, (where, response.status_code, response.text)
    assert took < ANSWER_WITHIN, f"{where} took {took:.1f}s"
    assert int(response.headers["retry-after"]) > 0, where
    assert "Traceback" not in response.text and 'File "' not in response.text, where
    if probe.html:
        assert response.headers["content-type"].startswith("text/html"), where
    elif probe.path == "/health":
        assert response.json()["database"] == "unreachable"
    else:
        assert response.headers["content-type"] == "application/problem+json", where
        problem = response.json()
        assert problem["status"] == 503 and problem["detail"], where


def check_recovers(server: LiveServer, token: dict[str, str]) -> None:
    back = time.monotonic()
    pending = [*PROBES, HEALTH]
    while pending:
        assert time.monotonic() - back < RECOVER_WITHIN, \
            f"still failing {RECOVER_WITHIN}s after PostgreSQL came back: {pending}"
        pending = [p for p in pending
                   if send(server.url, p, token, 100).status_code != (201 if p.write else 200)]
        if pending:
            time.sleep(0.2)
    print(f"recovered {time.monotonic() - back:.2f}s after PostgreSQL came back")
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok", "database": "ok"}
    assert server.process.poll() is None, "the server restarted or died"


def test_stopped_database_is_503_with_retry_after_and_recovers_without_restart(
        postgres, outage_server):
    server, token = outage_server
    assert send(server.url, PROBES[-1], token, 0).status_code == 201
    # Pages and API reads are left unvisited before the outage: a response cache may rightly
    # answer from memory for a moment; this test is about the database path.
    postgres.stop()
    try:
        for n, probe in enumerate([*PROBES, HEALTH], start=1):
            started = time.monotonic()
            response = send(server.url, probe, token, n)
            check_unavailable(server, probe, response, time.monotonic() - started)
    finally:
        postgres.start()
    check_recovers(server, token)


def test_hung_database_is_503_within_the_timeout(postgres, outage_server):
    """PostgreSQL that accepts connections but never answers (its processes stopped, as in an
    overloaded or stuck server): connections the server already holds must not make requests
    wait forever."""
    server, token = outage_server
    # Touch the database from several requests so the server's pool holds open connections.
    for n in range(4):
        assert send(server.url, PROBES[-1], token, 200 + n).status_code == 201
        assert send(server.url, HEALTH, token, 0).status_code == 200
    with postgres.frozen(), ThreadPoolExecutor(len(PROBES) + 1) as pool:
        time.sleep(2.5)  # past the response cache's trust in its last poll of the database

        def timed(args: tuple[int, Probe]) -> tuple[Probe, httpx.Response | None, float]:
            n, probe = args
            started = time.monotonic()
            try:
                response = send(server.url, probe, token, 300 + n, timeout=ANSWER_WITHIN * 3)
            except httpx.TimeoutException:
                response = None
            return probe, response, time.monotonic() - started

        answers = list(pool.map(timed, enumerate([HEALTH, *PROBES])))
    hung = [f"{p.method} {p.path}" for p, response, _ in answers if response is None]
    assert hung == [], f"no answer within {ANSWER_WITHIN * 3}s while PostgreSQL hung: {hung}"
    for probe, response, took in answers:
        check_unavailable(server, probe, response, took)
    check_recovers(server, token)
