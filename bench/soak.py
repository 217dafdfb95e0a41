"""Soak test: mixed readers and writers against the real server for a bounded time, on a fresh
SQLite (or PostgreSQL, `--database-url`) database with the demo data. Passes when there were
zero errors, no acknowledged update is missing, and memory stayed flat (RSS growth of all
server processes between the end of warm-up and the end under `--max-rss-growth-mb`).

    .venv/bin/python -m bench.soak --duration 180          # a few minutes
    .venv/bin/python -m bench.soak --duration 30 --readers 4 --writers 2   # CI size
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.auth.service import create_user, issue_token
from app.models import ProgressUpdate

ACCESSION = str(Path(sys.executable).with_name("accession"))
READ_PATHS = ["/", "/candidates/georgia", "/candidates/ukraine", "/api/v1/candidates",
              "/api/v1/candidates/georgia/status", "/candidates/georgia/benchmarks/"
              "defence_spending_gdp", "/compare?c=georgia&c=ukraine", "/api/v1/events?after=0"]


def rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants, in MB (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += parents.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def run(args: argparse.Namespace) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="accession-soak-"))
    url = args.database_url or f"sqlite:///{workdir / 'soak.db'}"
    env = {**os.environ, "ACCESSION_DATABASE_URL": url, "ACCESSION_LOG_LEVEL": "warning",
           "ACCESSION_WRITES_PER_MINUTE": "1000000"}
    for command in (["db", "upgrade"], ["demo"]):
        subprocess.run([ACCESSION, *command], env=env, check=True, capture_output=True)
    engine = create_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        tokens = [issue_token(session, create_user(session, f"soak{n}", "analyst")).token
                  for n in range(args.writers)]

    port = args.port
    server = subprocess.Popen([ACCESSION, "serve", "--port", str(port), "--workers",
                               str(args.workers)], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(workdir / "server.log", "wb"))  # noqa: SIM115
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)

        stop = threading.Event()
        errors: list[str] = []
        acknowledged: list[int] = []
        counts = {"reads": 0, "writes": 0}
        lock = threading.Lock()

        def reader(seed: int) -> None:
            rng = random.Random(seed)
            with httpx.Client(base_url=base, timeout=10) as client:
                while not stop.is_set():
                    path = rng.choice(READ_PATHS)
                    response = client.get(path)
                    with lock:
                        counts["reads"] += 1
                        if response.status_code != 200:
                            errors.append(f"GET {path}: {response.status_code}")

        def writer(n: int) -> None:
            rng = random.Random(1000 + n)
            headers = {"Authorization": f"Bearer {tokens[n]}"}
            with httpx.Client(base_url=base, timeout=10, headers=headers) as client:
                i = 0
                while not stop.is_set():
                    i += 1
                    size = rng.choice([1, 1, 1, 20])
                    body = {"updates": [{"benchmark": "defence_spending_gdp",
                                         "value": round(rng.uniform(0.5, 3.0), 2),
                                         "as_of": "2025-06-30", "source": f"soak {n}-{i}"}
                                        for _ in range(size)]}
                    response = client.post("/api/v1/candidates/georgia/updates", json=body)
                    with lock:
                        counts["writes"] += 1
                        if response.status_code != 201:
                            errors.append(f"POST: {response.status_code} {response.text[:200]}")
                        else:
                            acknowledged.extend(u["id"] for u in response.json()["items"])
                    time.sleep(args.write_pause)

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(args.readers)]
        threads += [threading.Thread(target=writer, args=(n,)) for n in range(args.writers)]
        for thread in threads:
            thread.start()
        time.sleep(args.warmup)
        rss_start = rss_mb(server.pid)
        samples = [rss_start]
        end = time.monotonic() + args.duration
        while time.monotonic() < end:
            time.sleep(min(5, max(0.1, end - time.monotonic())))
            samples.append(rss_mb(server.pid))
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        rss_end = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    with Session(engine) as session:
        stored = set(session.scalars(
            select(ProgressUpdate.id).where(ProgressUpdate.id.in_(acknowledged))))
        total_updates = session.scalar(select(func.count()).select_from(ProgressUpdate))
    engine.dispose()
    lost = len(set(acknowledged) - stored)
    result = {
        "duration_s": args.duration, "readers": args.readers, "writers": args.writers,
        "workers": args.workers, "reads": counts["reads"], "write_requests": counts["writes"],
        "updates_acknowledged": len(acknowledged), "updates_lost": lost,
        "updates_in_database": total_updates, "errors": len(errors),
        "first_errors": errors[:5], "rss_mb_start": round(rss_start, 1),
        "rss_mb_end": round(rss_end, 1), "rss_mb_max": round(max(samples), 1),
        "rss_growth_mb": round(rss_end - rss_start, 1),
        "rss_mb_samples": [round(x) for x in samples],
    }
    result["passed"] = (not errors and lost == 0
                        and result["rss_growth_mb"] <= args.max_rss_growth_mb)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=180, help="seconds of load")
    parser.add_argument("--warmup", type=float, default=10, help="seconds before measuring")
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write-pause", type=float, default=0.05)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--max-rss-growth-mb", type=float, default=64)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    result = run(parser.parse_args())
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
