"""Processes the benchmark starts and stops: the application as `accession serve` runs it, the
bare endpoint under the same uvicorn settings, and a throwaway PostgreSQL server. Each is
stopped by its own process id (and its own process group), nothing else."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from bench.fixtures import ACCESSION, PROJECT_ROOT

PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pids(self) -> list[int]:
        """The server process and its workers (uvicorn's supervisor spawns them)."""
        return [self.process.pid, *descendants(self.process.pid)]

    def rss_bytes(self) -> int:
        return sum(rss_bytes(pid) for pid in self.pids)


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rss_bytes(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


def server_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "ACCESSION_DATABASE_URL": database_url,
        "ACCESSION_ENVIRONMENT": "production",
        "ACCESSION_LOG_LEVEL": "warning",
        # The per-token write limit is policy, not capacity: lifted so the ingest figures show
        # what the server can store (with the default, 600 a minute, each token is refused
        # past 10 writes a second per worker).
        "ACCESSION_WRITES_PER_MINUTE": "100000000",
    }


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path,
                  timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}:\n"
                               + log.read_text()[-3000:])
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s:\n" + log.read_text()[-3000:])


@contextmanager
def started(name: str, command: list[str], env: dict[str, str], ready_path: str, port: int,
            workdir: Path) -> Iterator[Server]:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until_up(server.url + ready_path, process, log)
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    # Its own session: whatever worker outlived the supervisor goes with it.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def app_server(database_url: str, workers: int, workdir: Path, name: str = "app"
               ) -> AbstractContextManager[Server]:
    port = free_port()
    command = [ACCESSION, "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers)]
    return started(name, command, server_env(database_url), "/health", port, workdir)


def bare_server(workers: int, workdir: Path) -> AbstractContextManager[Server]:
    """uvicorn with what `accession serve` passes it: host, port, workers, log level, proxy
    headers (the event loop and HTTP parser are uvicorn's defaults in both)."""
    port = free_port()
    command = [PYTHON, "-m", "uvicorn", "bench.bare_app:app", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--log-level", "warning",
               "--proxy-headers", "--no-access-log"]
    return started("bare", command, dict(os.environ), "/bare", port, workdir)


# PostgreSQL ---------------------------------------------------------------------------------

@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A fresh server from scripts/throwaway-postgres, restarted with fsync on: a 201 must mean
    the rows are on disk, as with SQLite's synchronous=FULL. (The script turns fsync off on the
    command line, which ALTER SYSTEM cannot override.)"""
    script = PROJECT_ROOT / "scripts" / "throwaway-postgres"
    done = subprocess.run([str(script), "start"], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"throwaway-postgres failed:\n{done.stdout}{done.stderr}")
    exports = dict(re.findall(r"export (\w+)=(\S+)", done.stdout))
    url, directory = exports["ACCESSION_TEST_POSTGRES_URL"], exports["PGTMP"]
    try:
        _restart_durable(directory, make_url(url).port or 5432)
        yield url
    finally:
        subprocess.run([str(script), "stop", directory], capture_output=True, check=False)


def _restart_durable(directory: str, port: int) -> None:
    pg_bin = max(Path("/usr/lib/postgresql").glob("*/bin"),
                 key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)])
    command = [str(pg_bin / "pg_ctl"), "-D", f"{directory}/data", "-l", f"{directory}/log",
               "-w", "-m", "fast", "restart", "-o",
               f"-h 127.0.0.1 -p {port} -k {directory} -c fsync=on -c synchronous_commit=on "
               "-c max_connections=200"]
    if os.getuid() == 0:  # initdb and pg_ctl refuse to run as root
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"restarting PostgreSQL with fsync on failed:\n{done.stdout}"
                           f"{done.stderr}")


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new database on a server someone else runs (ACCESSION_BENCH_POSTGRES_URL), dropped
    afterwards."""
    import psycopg

    base = make_url(server_url)
    name = f"accession_bench_{os.getpid()}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
