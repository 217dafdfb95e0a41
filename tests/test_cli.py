"""The `accession` command end to end, as `make run` uses it: migrate, load the demo data,
serve with uvicorn in its own process, and answer over real HTTP — on each backend."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ACCESSION = str(Path(sys.executable).with_name("accession"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ACCESSION, *args], env=env, capture_output=True, text=True,
                          timeout=120)


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{url} did not answer within {timeout}s")


@pytest.fixture
def cli_env(empty_engine) -> dict[str, str]:
    url = empty_engine.url.render_as_string(hide_password=False)
    empty_engine.dispose()
    return {**os.environ, "ACCESSION_DATABASE_URL": url}


def test_upgrade_demo_and_serve(cli_env):
    assert run(cli_env, "db", "upgrade").returncode == 0
    loaded = run(cli_env, "demo", "--if-empty")
    assert loaded.returncode == 0 and "Demo data loaded" in loaded.stdout

    again = run(cli_env, "demo", "--if-empty")
    assert again.returncode == 0 and "not loaded" in again.stdout
    refused = run(cli_env, "demo")
    assert refused.returncode == 1 and "empty database" in refused.stderr

    port = free_port()
    server = subprocess.Popen([ACCESSION, "serve", "--port", str(port)], env=cli_env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/health", server)
        candidates = httpx.get(f"{base}/api/v1/candidates").json()
        assert candidates["total"] == 5
        page = httpx.get(f"{base}/candidates/ukraine")
        assert page.status_code == 200 and "Ukraine" in page.text
        assert httpx.get(f"{base}/static/css/site.css").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_help_lists_the_commands():
    result = subprocess.run([ACCESSION, "--help"], capture_output=True, text=True, timeout=30)
    for name in ("serve", "db", "demo"):
        assert name in result.stdout
