"""`python -m bench.run`: builds a synthetic data set at a chosen scale, starts the server as
production does (`accession serve --workers 2`), loads it on loopback with bounded generators and
prints a table of what it measured beside the targets. A bare FastAPI endpoint served with the
same settings is measured in every round, so each throughput is also a ratio to it. The same
results go to bench/results/<date>-<backend>.json (and a Markdown table beside it)."""

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text

from app.db import make_engine
from app.models import Event, ProgressUpdate
from bench import fixtures, live, load, probes, profile, servers
from bench.fixtures import PROJECT_ROOT, Fixture

RESULTS = Path(__file__).resolve().parent / "results"
WORKERS = 2
READ_CONNECTIONS = 32
BATCH = 500
BATCH_CONNECTIONS = 4
SINGLE_CONNECTIONS = 16
LIVE_CLIENTS = 1000
# A read load with a write every second is only tried on a page whose uncached computation
# takes less than this: beyond it, every write would queue one computation per reader.
MIXED_MAX_COMPUTE_MS = 1000

# Targets of the issue.
READ_RATIO = 0.5
READ_P99_MS = 25
FRESH_SECONDS = 2
BATCH_UPDATES_PER_S = 10_000
SINGLE_UPDATES_PER_S = 300
SINGLE_P99_MS = 100
HISTORY_RATIO = 1.5
LIVE_SECONDS = 2
LIVE_RSS_MB = 300


@dataclass
class Bench:
    args: argparse.Namespace
    fixture: Fixture
    engine: Engine
    workdir: Path
    rng: random.Random
    bare: servers.Server | None = None
    app: servers.Server | None = None

    def log(self, message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    def count_updates(self) -> int:
        with self.engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(ProgressUpdate)) or 0

    def newest_event(self) -> int:
        with self.engine.connect() as connection:
            return connection.scalar(select(func.max(Event.id))) or 0

    def benchmarks(self) -> list[dict[str, object]]:
        return self.fixture.benchmarks[fixtures.HISTORY_TIER]

    def random_item(self, source: str) -> dict[str, object]:
        benchmark = self.rng.choice(self.benchmarks())
        first = max(benchmark["valid_from"], date(2019, 1, 1))  # type: ignore[type-var]
        span = (datetime.now(UTC).date() - timedelta(days=1) - first).days  # type: ignore[operator]
        as_of = first + timedelta(days=self.rng.randrange(max(1, span)))  # type: ignore[operator]
        return fixtures.update_item(benchmark, as_of, source, self.rng)


def updates_path(slug: str) -> str:
    return f"/api/v1/candidates/{slug}/updates"


# One round ----------------------------------------------------------------------------------

def read_urls(b: Bench) -> dict[str, str]:
    assert b.bare and b.app
    slug = b.fixture.read_slug
    return {
        "bare": f"{b.bare.url}/bare",
        "health": f"{b.app.url}/health",
        "candidate_page": f"{b.app.url}/candidates/{slug}",
        "status_api": f"{b.app.url}/api/v1/candidates/{slug}/status",
        "dashboard": f"{b.app.url}/",
    }


def measure_reads(b: Bench) -> dict[str, Any]:
    assert b.bare and b.app
    results = {}
    for name, url in read_urls(b).items():
        server = b.bare if name == "bare" else b.app
        first_ms = probes.warm(url)
        probes.quiesce(server)
        result = load.wrk(url, connections=READ_CONNECTIONS, duration=b.args.duration)
        results[name] = {**result.as_dict(), "first_ms": first_ms}
        b.log(f"  {name:15} {result.rps:9,.0f} req/s  p50 {result.p50_ms:7.2f} ms  "
              f"p99 {result.p99_ms:7.2f} ms  errors {result.non_2xx + result.socket_errors}"
              f"  (first request {first_ms:,.0f} ms)")
    return results


def measure_compute(b: Bench) -> dict[str, Any]:
    """Uncached request times: the pages' computation, and the history comparison."""
    assert b.app
    app, f, budget = b.app.url, b.fixture, 2 * b.args.duration
    probes.quiesce(b.app)
    pages = probes.uncached_timings({
        "candidate_page": f"{app}/candidates/{f.read_slug}",
        "status_api": f"{app}/api/v1/candidates/{f.read_slug}/status",
    }, samples=b.args.samples, budget=budget)
    pages |= probes.uncached_timings({"dashboard": f"{app}/"}, samples=b.args.samples,
                                     budget=budget)
    history_urls = {
        "html_long": f"{app}/candidates/{f.long_slug}",
        "html_short": f"{app}/candidates/{f.short_slug}",
        "api_long": f"{app}/api/v1/candidates/{f.long_slug}/status",
        "api_short": f"{app}/api/v1/candidates/{f.short_slug}/status",
    }
    history = probes.uncached_timings({k: history_urls[k] for k in ("html_long", "html_short")},
                                      samples=b.args.samples, budget=budget)
    history |= probes.uncached_timings({k: history_urls[k] for k in ("api_long", "api_short")},
                                       samples=b.args.samples, budget=budget)
    for url in history_urls.values():
        probes.warm(url, streak=2, fast_ms=1e9)
    cached = probes.cached_timings(history_urls, samples=10)
    for name, times in {**pages, **history}.items():
        b.log(f"  uncached {name:15} median {statistics.median(times):9,.1f} ms "
              f"({len(times)} samples)")
    return {"uncached_ms": {**pages, **history}, "cached_ms": cached}


def fresh_write(b: Bench, round_no: int, source: str) -> dict[str, object]:
    """A write that visibly changes the freshness candidate's row on the dashboard: its joint
    exercises flip between none (progress 0) and above target (met) from round to round."""
    benchmark = next((x for x in b.benchmarks() if x["key"] == "joint_exercises"),
                     next(x for x in b.benchmarks() if x["kind"] == "numeric"))
    target = float(benchmark["target"] or 1.0)  # type: ignore[arg-type]
    value = 0.0 if round_no % 2 == 0 else target * 1.5
    return {"benchmark": benchmark["key"], "value": value,
            "as_of": datetime.now(UTC).date().isoformat(), "source": source}


def measure_freshness(b: Bench, round_no: int) -> list[dict[str, Any]]:
    assert b.app
    app, slug = b.app.url, b.fixture.fresh_slug
    marked = [f"{app}/candidates/{slug}", f"{app}/api/v1/candidates/{slug}/status"]
    changed = [f"{app}/"]
    for url in marked + changed:
        probes.warm(url)
    probes.quiesce(b.app)
    nonce = f"bench-fresh-{round_no}-{time.time_ns()}"
    write = (app + updates_path(slug), b.fixture.tokens[0], fresh_write(b, round_no, nonce))
    results = probes.freshness(marked, changed, write, nonce, timeout=90)
    for r in results:
        b.log(f"  fresh after {r.seconds:6.2f} s  {r.url}  ({r.polls} polls, "
              f"{r.stale_after_fresh} stale after fresh)")
    return [asdict(r) for r in results]


def measure_mixed(b: Bench, compute: dict[str, Any]) -> dict[str, Any]:
    """Reads while an analyst posts one update a second: every write invalidates the cache."""
    assert b.app
    results: dict[str, Any] = {}
    slug = b.fixture.ingest_slugs[0]
    items = [b.random_item("Synthetic benchmark data — trickle") for _ in range(50)]
    for name, url in (("candidate_page", read_urls(b)["candidate_page"]),
                      ("dashboard", read_urls(b)["dashboard"])):
        computed = statistics.median(compute["uncached_ms"][name])
        if computed > MIXED_MAX_COMPUTE_MS:
            results[name] = {"skipped": f"uncached computation takes {computed:,.0f} ms: with a "
                             "write a second, readers would queue a computation each"}
            b.log(f"  mixed {name}: skipped ({computed:,.0f} ms to compute)")
            continue
        probes.warm(url)
        probes.quiesce(b.app)
        with load.Trickle(b.app.url + updates_path(slug), b.fixture.tokens[1], items) as trickle:
            result = load.wrk(url, connections=READ_CONNECTIONS, duration=b.args.duration)
        results[name] = {**result.as_dict(), "writes": trickle.posted,
                         "failed_writes": trickle.failed}
        b.log(f"  mixed {name:15} {result.rps:9,.0f} req/s  p99 {result.p99_ms:7.2f} ms  "
              f"with {trickle.posted} writes")
        probes.quiesce(b.app)
    return results


def measure_ingest(b: Bench) -> dict[str, Any]:
    assert b.app
    f = b.fixture
    results = {}
    for name, size, connections, variants in (("batch", BATCH, BATCH_CONNECTIONS, 16),
                                              ("single", 1, SINGLE_CONNECTIONS, 256)):
        prepared = []
        for k in range(variants):
            slug = f.ingest_slugs[k % len(f.ingest_slugs)]
            source = f"Synthetic benchmark data — {name} {k}"
            items = [b.random_item(source) for _ in range(size)]
            body = {"updates": items} if size > 1 else items[0]
            prepared.append((updates_path(slug), f.tokens[k % len(f.tokens)], json.dumps(body)))
        script = load.post_script(b.workdir / f"{name}.lua", prepared)
        probes.quiesce(b.app)
        before = b.count_updates()
        result = load.wrk(b.app.url + "/", connections=connections, duration=b.args.duration,
                          script=script, timeout="30s")
        probes.quiesce(b.app)
        stored = b.count_updates() - before
        created = result.statuses.get("201", 0)
        per_second = created * size / result.duration
        results[name] = {
            **result.as_dict(), "batch_size": size, "created_requests": created,
            "updates_per_s": per_second, "rows_stored": stored,
            # Answers still in flight when wrk stopped may have stored rows too.
            "rows_match": created * size <= stored <= (created + connections) * size,
        }
        b.log(f"  ingest {name:6} {per_second:9,.0f} updates/s  ({result.rps:,.1f} req/s, "
              f"p99 {result.p99_ms:,.1f} ms, statuses {result.statuses}, "
              f"{stored} rows stored)")
    return results


def measure_round(b: Bench, round_no: int) -> dict[str, Any]:
    assert b.app
    load_average = os.getloadavg()[0]
    b.log(f"round {round_no + 1}/{b.args.repeat}: reads ({b.args.duration:g} s each); "
          f"load average {load_average:.2f}")
    result: dict[str, Any] = {"round": round_no + 1, "load_average_before": load_average,
                              "reads": measure_reads(b)}
    b.log("  uncached computation")
    result["compute"] = measure_compute(b)
    b.log("  freshness")
    result["freshness"] = measure_freshness(b, round_no)
    b.log("  reads during writes")
    result["mixed"] = measure_mixed(b, result["compute"])
    b.log("  ingest")
    result["ingest"] = measure_ingest(b)
    result["load_average_after"] = os.getloadavg()[0]
    return result


def measure_live(b: Bench, server: servers.Server, round_no: int) -> dict[str, Any]:
    slug = b.fixture.ingest_slugs[1 % len(b.fixture.ingest_slugs)]
    nonce = f"bench-live-{round_no}-{time.time_ns()}"
    result = live.fan_out(
        server, clients=LIVE_CLIENTS, after=b.newest_event(), post=b.random_item(nonce),
        post_url=server.url + updates_path(slug), token=b.fixture.tokens[2], marker=nonce)
    b.log(f"  live: {result.connected}/{result.clients} connected in "
          f"{result.connect_seconds:.1f} s, {result.delivered} delivered, max "
          f"{result.delivery_max_s:.2f} s, RSS {result.rss_idle_mb:.0f} MB idle, "
          f"{result.rss_peak_mb:.0f} MB peak")
    probes.quiesce(server)
    return asdict(result)


# Profiles -----------------------------------------------------------------------------------

def take_profiles(b: Bench, stamp: str) -> Path:
    """py-spy on the two workers under the loads that missed or matter most."""
    assert b.app
    app, f, d = b.app.url, b.fixture, b.args.duration
    urls = read_urls(b)
    out = b.args.output / f"{stamp}-profiles.txt"
    sections = []

    def uncached(url: str, seconds: float) -> None:
        deadline = time.perf_counter() + seconds
        with probes.fresh_client() as client:
            while time.perf_counter() < deadline:
                client.get(probes.uncached_url(url, "profile")).raise_for_status()

    single = b.workdir / "single.lua"
    batch = b.workdir / "batch.lua"
    loads = [
        ("GET candidate page, 32 connections (cached)", lambda: load.wrk(
            urls["candidate_page"], duration=d), urls["candidate_page"]),
        ("GET status API, 32 connections (cached)", lambda: load.wrk(
            urls["status_api"], duration=d), urls["status_api"]),
        ("GET dashboard, 32 connections (cached)", lambda: load.wrk(
            urls["dashboard"], duration=d), urls["dashboard"]),
        ("GET long-history candidate page, uncached, sequential", lambda: uncached(
            f"{app}/candidates/{f.long_slug}", 2 * d), None),
        ("GET dashboard, uncached, one request", lambda: uncached(urls["dashboard"], 1),
         None),
        ("POST single updates, 16 connections", lambda: load.wrk(
            app + "/", connections=SINGLE_CONNECTIONS, duration=d, script=single,
            timeout="30s"), None),
        ("POST batches of 500, 4 connections", lambda: load.wrk(
            app + "/", connections=BATCH_CONNECTIONS, duration=d, script=batch,
            timeout="30s"), None),
    ]
    for n, (title, run, warm_url) in enumerate(loads):
        if warm_url:
            probes.warm(warm_url)
        probes.quiesce(b.app)
        b.log(f"  profiling: {title}")
        raw = b.workdir / f"profile-{n}.txt"
        started = time.perf_counter()
        try:
            profile.record(b.app, raw, run)
            summary = profile.summarise(raw)
        except (RuntimeError, OSError, ValueError) as exc:  # a profile is an extra
            summary = f"  failed: {exc}\n"
        elapsed = time.perf_counter() - started
        sections.append(f"## {title} ({elapsed:.0f} s)\n{summary}")
        # Collapsed stacks (flamegraph.pl, speedscope): bench/results/*.collapsed, not kept in git.
        if raw.exists():
            shutil.copy(raw, b.args.output / f"{stamp}-profile-{n}.collapsed")
    out.write_text("\n".join(sections))
    return out


# Summary ------------------------------------------------------------------------------------

def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(passed: bool | None) -> str:
    return "—" if passed is None else "PASS" if passed else "MISS"


def summarise(b: Bench, rounds: list[dict[str, Any]], lives: list[dict[str, Any]]
              ) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []

    def row(metric: str, value: str, target: str, ratio: str, passed: bool | None) -> None:
        rows.append({"metric": metric, "value": value, "target": target, "ratio": ratio,
                     "result": verdict(passed)})

    bare = [r["reads"]["bare"] for r in rounds]
    row(f"bare FastAPI endpoint ({WORKERS} workers)",
        f"{med([x['rps'] for x in bare]):,.0f} req/s, p50 {med([x['p50_ms'] for x in bare]):.1f}"
        f" ms, p99 {med([x['p99_ms'] for x in bare]):.1f} ms", "reference", "1.00", None)

    slug = b.fixture.read_slug
    reads = (
        ("health", "GET /health (one database query; reference)", False),
        ("candidate_page", f"GET /candidates/{slug}", True),
        ("status_api", f"GET /api/v1/candidates/{slug}/status", True),
        ("dashboard", f"GET / ({b.fixture.counts['candidates']:,} candidates)", True),
    )
    for name, label, is_target in reads:
        runs = [r["reads"][name] for r in rounds]
        ratio = med([r["reads"][name]["rps"] / r["reads"]["bare"]["rps"] for r in rounds])
        p99 = med([x["p99_ms"] for x in runs])
        errors = sum(x["non_2xx"] + x["socket_errors"] for x in runs)
        value = (f"{med([x['rps'] for x in runs]):,.0f} req/s, p50 "
                 f"{med([x['p50_ms'] for x in runs]):.1f} ms, p99 {p99:.1f} ms"
                 + (f", {errors} errors" if errors else ""))
        row(label, value,
            f"≥ {READ_RATIO:.0%} of bare, p99 < {READ_P99_MS} ms" if is_target else "",
            f"{ratio:.2f}",
            (ratio >= READ_RATIO and p99 < READ_P99_MS and not errors) if is_target else None)

    compute = [r["compute"]["uncached_ms"] for r in rounds]
    for name, label in (("candidate_page", f"uncached GET /candidates/{slug}"),
                        ("status_api", f"uncached GET /api/v1/candidates/{slug}/status"),
                        ("dashboard", "uncached GET / (first reader after a change)")):
        times = [t for c in compute for t in c[name]]
        row(label, f"{med(times):,.1f} ms median ({len(times)} samples)", "", "", None)

    long_n, short_n = b.fixture.size.long_history, b.fixture.size.short_history
    for kind, label in (("html", "status page /candidates/{slug}"),
                        ("api", "status API")):
        long_t = [t for c in compute for t in c[f"{kind}_long"]]
        short_t = [t for c in compute for t in c[f"{kind}_short"]]
        ratio = med(long_t) / med(short_t)
        cached_long = med([t for r in rounds for t in r["compute"]["cached_ms"][f"{kind}_long"]])
        row(f"history: {label}, {long_n:,} vs {short_n} updates per benchmark (uncached)",
            f"{med(long_t):,.1f} ms vs {med(short_t):,.1f} ms = {ratio:,.1f}× "
            f"({len(long_t)}/{len(short_t)} samples; cached {cached_long:,.1f} ms)",
            f"≤ {HISTORY_RATIO}×", "", ratio <= HISTORY_RATIO)

    fresh: dict[str, list[float]] = {}
    for r in rounds:
        for item in r["freshness"]:
            path = "/" + item["url"].split("/", 3)[3]
            fresh.setdefault(path, []).append(item["seconds"])
    for path, seconds in fresh.items():
        row(f"freshness: a new update visible on {path}",
            f"{med(seconds):.2f} s median, {max(seconds):.2f} s worst",
            f"≤ {FRESH_SECONDS} s", "", max(seconds) <= FRESH_SECONDS)

    for name, label in (("candidate_page", f"GET /candidates/{slug}"), ("dashboard", "GET /")):
        runs = [r["mixed"][name] for r in rounds]
        if any("skipped" in x for x in runs):
            reason = next(x["skipped"] for x in runs if "skipped" in x)
            row(f"{label} while 1 update/s is posted", f"not run: {reason}", "", "", None)
            continue
        ratio = med([r["mixed"][name]["rps"] / r["reads"]["bare"]["rps"] for r in rounds])
        errors = sum(x["non_2xx"] + x["socket_errors"] for x in runs)
        row(f"{label} while 1 update/s is posted",
            f"{med([x['rps'] for x in runs]):,.0f} req/s, p99 "
            f"{med([x['p99_ms'] for x in runs]):.1f} ms" + (f", {errors} errors" if errors else ""),
            "", f"{ratio:.2f}", None)

    def per_bare(name: str) -> float:
        """Updates stored a second, per request a second of the bare endpoint."""
        return med([r["ingest"][name]["updates_per_s"] / r["reads"]["bare"]["rps"]
                    for r in rounds])

    batch = [r["ingest"]["batch"] for r in rounds]
    per_s = med([x["updates_per_s"] for x in batch])
    refused = sum(x["requests"] - x["created_requests"] for x in batch)
    row(f"ingest: batches of {BATCH}, {BATCH_CONNECTIONS} concurrent clients",
        f"{per_s:,.0f} updates/s, p99 {med([x['p99_ms'] for x in batch]):,.0f} ms per batch"
        + (f", {refused} refused" if refused else ""),
        f"≥ {BATCH_UPDATES_PER_S:,} updates/s",
        f"{per_bare('batch'):.2f}",
        per_s >= BATCH_UPDATES_PER_S and all(x["rows_match"] for x in batch) and not refused)
    single = [r["ingest"]["single"] for r in rounds]
    per_s = med([x["updates_per_s"] for x in single])
    p99 = med([x["p99_ms"] for x in single])
    refused = sum(x["requests"] - x["created_requests"] for x in single)
    row(f"ingest: single updates, {SINGLE_CONNECTIONS} concurrent writers",
        f"{per_s:,.0f} updates/s, p99 {p99:,.1f} ms" + (f", {refused} refused" if refused else ""),
        f"≥ {SINGLE_UPDATES_PER_S} updates/s, p99 < {SINGLE_P99_MS} ms",
        f"{per_bare('single'):.3f}",
        per_s >= SINGLE_UPDATES_PER_S and p99 < SINGLE_P99_MS and not refused
        and all(x["rows_match"] for x in single))

    if lives:
        held = min(x["connected"] for x in lives)
        delivered = min(x["delivered"] for x in lives)
        worst = max(x["delivery_max_s"] for x in lives)
        peak = max(x["rss_peak_mb"] for x in lives)
        row(f"live: {LIVE_CLIENTS:,} event-stream clients on 1 process",
            f"{held:,} held, {delivered:,} got the update; slowest "
            f"{med([x['delivery_max_s'] for x in lives]):.2f} s median, {worst:.2f} s worst",
            f"all, ≤ {LIVE_SECONDS} s", "",
            held == LIVE_CLIENTS and delivered == held and worst <= LIVE_SECONDS)
        row("live: server memory (RSS)",
            f"{peak:,.0f} MB peak ({lives[0]['rss_idle_mb']:,.0f} MB before the first "
            "clients)", f"< {LIVE_RSS_MB} MB", "", peak < LIVE_RSS_MB)
    return rows


def format_table(rows: list[dict[str, str]], markdown: bool = False) -> str:
    columns = ("metric", "value", "target", "ratio", "result")
    headers = {"metric": "metric", "value": "value (median of rounds)", "target": "target",
               "ratio": "× bare", "result": "result"}
    if markdown:
        lines = ["| " + " | ".join(headers[c] for c in columns) + " |",
                 "|" + "|".join("---" for _ in columns) + "|"]
        lines += ["| " + " | ".join(r[c] for c in columns) + " |" for r in rows]
        return "\n".join(lines)
    widths = {c: max(len(headers[c]), *(len(r[c]) for r in rows)) for c in columns}
    line = "  ".join(headers[c].ljust(widths[c]) for c in columns)
    out = [line, "-" * len(line)]
    out += ["  ".join(r[c].ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(out)


# Setting up ---------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk_version = subprocess.run([load.require_wrk(), "--version"], capture_output=True,
                                 text=True).stdout.split("\n")[0]
    return {"cores": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "python": platform.python_version(), "wrk": wrk_version.strip()}


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True,
                              text=True).stdout

    changed = [line[3:] for line in git("status", "--porcelain").splitlines()
               if not line[3:].startswith("bench/")]
    return {"commit": git("rev-parse", "HEAD").strip(), "uncommitted_changes": changed}


def database_settings(engine: Engine) -> dict[str, Any]:
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            return {"sqlite": connection.exec_driver_sql("select sqlite_version()").scalar(),
                    "journal_mode": connection.exec_driver_sql("PRAGMA journal_mode").scalar(),
                    "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(
                        connection.exec_driver_sql("PRAGMA synchronous").scalar(), "?")}
    with engine.connect() as connection:
        return {name: connection.execute(text(f"SHOW {name}")).scalar()
                for name in ("server_version", "fsync", "synchronous_commit",
                             "shared_buffers", "max_connections")}


def database(args: argparse.Namespace, workdir: Path) -> contextlib.AbstractContextManager[str]:
    if not args.postgres:
        return contextlib.nullcontext(f"sqlite:///{workdir / 'bench.db'}")
    server_url = os.environ.get("ACCESSION_BENCH_POSTGRES_URL")
    if server_url:
        return servers.fresh_postgres_database(server_url)
    return servers.throwaway_postgres()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--size", choices=sorted(fixtures.SIZES), default="default",
                        help="data set scale (default: 1,000 candidates, 10,000 updates per "
                             "benchmark for the long-history one)")
    parser.add_argument("--postgres", action="store_true",
                        help="PostgreSQL instead of SQLite: ACCESSION_BENCH_POSTGRES_URL (a "
                             "fresh database is created there) or a throwaway server")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; figures are medians")
    parser.add_argument("--duration", type=float, default=6, help="seconds per wrk run")
    parser.add_argument("--samples", type=int, default=15,
                        help="uncached requests per URL (fewer if they are slow)")
    parser.add_argument("--no-live", action="store_true", help="skip the event-stream test")
    parser.add_argument("--profile", action="store_true",
                        help="afterwards, profile the server with py-spy under each load")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--output", type=Path, default=RESULTS,
                        help="directory for the JSON and Markdown results")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load.require_wrk()
    if args.profile:
        profile.py_spy()
    live.raise_open_files(LIVE_CLIENTS + 1024)
    if os.getloadavg()[0] > 0.5:
        print(f"warning: load average {os.getloadavg()[0]:.2f} before starting: other work on "
              "this machine will skew the figures (the ratios less than the absolute ones)",
              flush=True)
    backend = "postgresql" if args.postgres else "sqlite"
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="accession-bench-"))
    args.output.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    stamp = f"{now.date().isoformat()}-{backend}"
    code = git_state()  # what was measured: taken before, as the code may change during a run
    try:
        with database(args, workdir) as url, contextlib.ExitStack() as stack:
            size = fixtures.SIZES[args.size]
            print(f"Accession Tracker load benchmark: {backend}, size {size.name}, "
                  f"{args.repeat} round(s) of {args.duration:g} s runs, "
                  f"{os.cpu_count()} cores", flush=True)
            fixture = fixtures.build(url, size)
            engine = make_engine(url)
            stack.callback(engine.dispose)
            b = Bench(args, fixture, engine, workdir, random.Random(2))
            b.log(f"data set built in {fixture.seconds:.1f} s: {fixture.counts}")
            b.bare = stack.enter_context(servers.bare_server(WORKERS, workdir))
            b.app = stack.enter_context(servers.app_server(url, WORKERS, workdir))
            rounds = [measure_round(b, n) for n in range(args.repeat)]
            profiles = take_profiles(b, stamp) if args.profile else None
            stack.close()  # the two-worker servers: the live test has the machine to itself
            lives = []
            if not args.no_live:
                b.log(f"live: {LIVE_CLIENTS} event-stream clients, one server process")
                with servers.app_server(url, 1, workdir, name="live") as server:
                    lives = [measure_live(b, server, n) for n in range(args.repeat)]
            engine = make_engine(url)
            settings = database_settings(engine)
            engine.dispose()
        rows = summarise(b, rounds, lives)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    table = format_table(rows)
    elapsed = time.perf_counter() - started
    print()
    print(f"{backend}, size {args.size} ({fixture.counts['candidates']:,} candidates, "
          f"{fixture.counts['progress_updates']:,} updates), {os.cpu_count()} cores, "
          f"{args.repeat} round(s), {elapsed / 60:.1f} min")
    print(table)
    report = {
        "date": now.isoformat(timespec="seconds"), "backend": backend, "machine": machine(),
        "database": settings, "git": code,
        "command": "python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv),
        "args": {k: str(v) for k, v in vars(args).items()},
        "size": asdict(fixture.size), "data": fixture.counts,
        "fixture_seconds": round(fixture.seconds, 1), "elapsed_seconds": round(elapsed, 1),
        "summary": rows, "rounds": rounds, "live": lives,
    }
    (args.output / f"{stamp}.json").write_text(json.dumps(report, indent=1, default=str))
    (args.output / f"{stamp}.md").write_text(
        f"{backend}, {now.date().isoformat()}, {os.cpu_count()} cores, size {args.size}, "
        f"{args.repeat} round(s)\n\n{format_table(rows, markdown=True)}\n")
    print(f"\nresults: {args.output / f'{stamp}.json'}")
    if profiles:
        print(f"profiles: {profiles}")
    return 0 if all(r["result"] != "MISS" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
