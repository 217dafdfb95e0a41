"""The upload benchmark (issue 17): 100,000 rows as CSV and as XLSX, each sent to a fresh
`accession serve` (one worker) on the demo database through POST /api/v1/imports, timed from
the first byte sent to the 201, with the server's peak resident memory (VmHWM of its process,
which includes start-up). Target: under 20 s and under 300 MB on two cores, SQLite and PostgreSQL.

    .venv/bin/python -m bench.imports [--rows 100000] [--postgres] [--formats csv,xlsx]

`--postgres` uses ACCESSION_BENCH_POSTGRES_URL if set (a fresh database on it, dropped after),
otherwise a throwaway server from scripts/throwaway-postgres with fsync on. It prints a Markdown
table and exits 1 when a target is missed.
"""

import argparse
import csv
import os
import random
import re
import sys
import tempfile
import threading
import time
from contextlib import AbstractContextManager, ExitStack, nullcontext
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.service import create_user, issue_token
from app.db import make_engine
from app.imports.rows import XLSX_TYPE
from app.models import BenchmarkKind, Candidate, Indicator, ProgressUpdate, Role
from bench.fixtures import accession
from bench.servers import (
    app_server,
    descendants,
    fresh_postgres_database,
    rss_bytes,
    throwaway_postgres,
)

TARGET_SECONDS = 20.0
TARGET_BYTES = 300 * 1024 * 1024
COLUMNS = ["candidate", "indicator", "value", "as_of", "source", "note", "vintage",
           "published_on", "observation_status"]


def rows(url: str, count: int, seed: int = 17) -> list[list[object]]:
    """`count` valid rows over the demo's candidates and indicators: numbers inside each
    indicator's sane range, stages among its stages, dates in the past ten years."""
    engine = make_engine(url)
    with Session(engine) as session:
        slugs = list(session.scalars(select(Candidate.slug).order_by(Candidate.slug)))
        indicators = list(session.scalars(select(Indicator).order_by(Indicator.key)))
    engine.dispose()
    rng = random.Random(seed)
    first = date.today() - timedelta(days=3650)
    out: list[list[object]] = []
    for n in range(count):
        indicator = indicators[n % len(indicators)]
        if indicator.kind == BenchmarkKind.numeric:
            low = indicator.min_value if indicator.min_value is not None else 0.0
            high = indicator.max_value if indicator.max_value is not None else low + 100.0
            value: object = round(rng.uniform(low, high), 3)
        else:
            value = rng.choice(indicator.stages or [""])
        as_of = first + timedelta(days=rng.randrange(3640))
        out.append([rng.choice(slugs), indicator.key, value, as_of.isoformat(),
                    f"Bench source {n % 50}", f"row {n}" if n % 10 == 0 else "",
                    f"Release {as_of.year}" if n % 3 == 0 else "", "",
                    ("final", "provisional", "estimate")[n % 3]])
    return out


def write_csv(path: Path, data: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(data)


def write_xlsx(path: Path, data: list[list[object]]) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("updates")
    sheet.append(COLUMNS)
    for row in data:
        # Dates as dates and empty cells empty, as a spreadsheet keeps them.
        sheet.append([_as_date(c) if i == 3 else (c if c != "" else None)
                      for i, c in enumerate(row)])
    workbook.save(path)


def _as_date(text: object) -> object:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return text  # a wrong date stays the text typed


def peak_rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


def cpu_seconds(pid: int) -> float:
    """User and system time the process has used (its threads included), and its children
    that have ended (the XLSX reader)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


class RssSampler:
    """The largest total resident memory of a process and its descendants (the XLSX reader is
    a child for the upload's duration), sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            total = sum(rss_bytes(p) for p in [self.pid, *descendants(self.pid)])
            self.peak = max(self.peak, total)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def token_for(url: str, name: str) -> str:
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        token = issue_token(session, create_user(session, name, Role.analyst)).token
    engine.dispose()
    return token


def count_updates(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        total = connection.scalar(select(func.count()).select_from(ProgressUpdate)) or 0
    engine.dispose()
    return total


def measure(url: str, path: Path, fmt: str, workdir: Path, expect: int = 201
            ) -> dict[str, object]:
    token = token_for(url, f"bench-upload-{fmt}")
    before = count_updates(url)
    with app_server(url, 1, workdir, name=f"upload-{fmt}") as server:
        pids = server.pids  # one worker: uvicorn serves in the command's own process
        started_rss = max(peak_rss(pid) for pid in pids)
        cpu_before = sum(cpu_seconds(pid) for pid in pids)
        load_before = os.getloadavg()[0]
        with path.open("rb") as handle, RssSampler(server.process.pid) as sampler:
            started = time.perf_counter()
            response = httpx.post(
                f"{server.url}/api/v1/imports", content=handle, timeout=600,
                headers={"Authorization": f"Bearer {token}",
                         "Content-Type": "text/csv" if fmt == "csv" else XLSX_TYPE})
            seconds = time.perf_counter() - started
        peak = max(peak_rss(pid) for pid in pids)
        cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
        load = max(load_before, os.getloadavg()[0])
    if response.status_code != expect:
        raise RuntimeError(f"{fmt}: {response.status_code} {response.text[:2000]}")
    # Refused, every row has one problem: the figure is the problems counted.
    stored = response.json()["stored" if expect == 201 else "error_count"]
    assert count_updates(url) == before + (stored if expect == 201 else 0)
    return {"format": fmt, "bytes": path.stat().st_size, "rows": stored, "seconds": seconds,
            "rows_per_second": stored / seconds, "rss_at_start": started_rss, "peak_rss": peak,
            "server_cpu_seconds": cpu, "load_average": load, "sampled_rss": sampler.peak}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--bad", action="store_true",
                        help="Every row's date written DD/MM/YYYY: a 422 refusing every row.")
    args = parser.parse_args()

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-upload-")))
        if args.postgres:
            server_url = os.environ.get("ACCESSION_BENCH_POSTGRES_URL")
            postgres: AbstractContextManager[str] = (
                nullcontext(server_url) if server_url else throwaway_postgres())
            url = stack.enter_context(fresh_postgres_database(stack.enter_context(postgres)))
        else:
            url = f"sqlite:///{workdir}/bench.db"
        accession(["db", "upgrade"], url)
        accession(["demo"], url)
        data = rows(url, args.rows)
        if args.bad:
            for row in data:
                row[3] = "/".join(reversed(str(row[3]).split("-")))
        files = {"csv": workdir / "updates.csv", "xlsx": workdir / "updates.xlsx"}
        write_csv(files["csv"], data)
        write_xlsx(files["xlsx"], data)
        del data
        backend = "PostgreSQL" if args.postgres else "SQLite"
        results = [measure(url, files[fmt], fmt, workdir, 422 if args.bad else 201)
                   for fmt in args.formats.split(",")]
    missed = False
    print("| backend | format | file | rows | seconds | server CPU s | rows/s | peak RSS (start) "
          "| peak RSS with reader | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    if args.bad:
        backend += " (every row refused: 422)"
    for r in results:
        missed |= (r["seconds"] >= TARGET_SECONDS  # type: ignore[operator]
                   or max(r["peak_rss"], r["sampled_rss"]) >= TARGET_BYTES)  # type: ignore[call-overload]
        print(f"| {backend} | {r['format']} | {r['bytes'] / 2**20:.1f} MiB | {r['rows']:,} | "
              f"{r['seconds']:.1f} | {r['server_cpu_seconds']:.1f} | "
              f"{r['rows_per_second']:,.0f} | "
              f"{r['peak_rss'] / 2**20:.0f} MiB ({r['rss_at_start'] / 2**20:.0f} MiB) | "
              f"{r['sampled_rss'] / 2**20:.0f} MiB | "
              f"{r['load_average']:.1f} |")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
