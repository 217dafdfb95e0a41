"""A real server for tests that need one: uvicorn in its own process on a database of the
current backend, with the demo data, as `accession serve` runs it."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.auth.service import create_user, issue_token

ACCESSION = str(Path(sys.executable).with_name("accession"))


@contextmanager
def cpu_alone() -> Iterator[None]:
    """Holds a lock shared by the test workers of one run: the tests that time a real server
    (under attack, across workers) and the browser tests (Chromium takes a core of its own)
    never run at the same time on a 2-core machine, so a timing measures the server, not the
    other worker. Taken once per module; the other worker waits, then goes on."""
    import fcntl

    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "solo")
    path = Path(tempfile.gettempdir()) / f"accession-tests-{run}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    engine: Engine
    process: subprocess.Popen[bytes]
    command: list[str]
    env: dict[str, str]
    log_path: str = ""  # what the server wrote (stdout and stderr)

    def restart(self) -> None:
        """Kills the server without warning and starts it again on the same port."""
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = subprocess.Popen(self.command, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_until_up(self.url, self.process)

    def token(self, name: str, role: str = "analyst") -> dict[str, str]:
        with Session(self.engine, expire_on_commit=False) as session:
            user = create_user(session, name, role)
            return {"Authorization": f"Bearer {issue_token(session, user).token}"}


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@contextmanager
def live_server(engine: Engine, *, workers: int = 1, port: int | None = None,
                extra_env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    port = port or free_port()
    # Tests hammer the API from one address: limits far above what they send, unless a test
    # sets its own.
    env = {**os.environ, "ACCESSION_AUTH_FAILURES_PER_MINUTE": "100000",
           "ACCESSION_WRITES_PER_MINUTE": "100000", **(extra_env or {}),
           "ACCESSION_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    command = [ACCESSION, "serve", "--port", str(port), "--workers", str(workers)]
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (the server writes to it until the end)
        prefix="accession-server-", suffix=".log", delete=False)
    server = LiveServer(f"http://127.0.0.1:{port}", engine,
                        subprocess.Popen(command, env=env, stdout=log, stderr=log), command, env,
                        log.name)
    try:
        try:
            wait_until_up(server.url, server.process)
        except RuntimeError as exc:
            tail = Path(log.name).read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{exc}\n--- server log ---\n{tail}") from exc
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
