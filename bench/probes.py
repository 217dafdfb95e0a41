"""Measurements that are not a wrk run: sequential timings of uncached pages (the cost of the
computation, and how it grows with history), freshness after a write, and the server's CPU
going quiet between phases."""

import hashlib
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.servers import Server

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(server: Server) -> float:
    total = 0
    for pid in server.pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def quiesce(server: Server, *, timeout: float = 300, busy: float = 0.1) -> float:
    """Waits until the server uses under `busy` of a core (requests a load left queued, renders
    still running); returns how long that took."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        before = cpu_seconds(server)
        time.sleep(0.5)
        if (cpu_seconds(server) - before) / 0.5 < busy:
            break
    return time.perf_counter() - started


def fresh_client(**kwargs: object) -> httpx.Client:
    """No keep-alive: each request opens a connection, so successive requests are spread over
    the server's worker processes as new readers would be."""
    return httpx.Client(timeout=180, limits=httpx.Limits(max_keepalive_connections=0),
                        **kwargs)  # type: ignore[arg-type]


def warm(url: str, *, fast_ms: float = 50, streak: int = 6, timeout: float = 300) -> float:
    """Sequential requests on fresh connections until `streak` in a row are fast (each worker
    has computed and cached the answer). One at a time, so a cold cache costs each worker one
    computation, not one per concurrent reader. Returns the first request's time in ms."""
    first = None
    fast = 0
    started = time.perf_counter()
    with fresh_client() as client:
        while fast < streak and time.perf_counter() - started < timeout:
            t = time.perf_counter()
            client.get(url).raise_for_status()
            ms = (time.perf_counter() - t) * 1000
            first = ms if first is None else first
            fast = fast + 1 if ms < fast_ms else 0
    return first or 0.0


def timed_get(client: httpx.Client, url: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.get(url)
    ms = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return ms, response


def uncached_url(url: str, tag: str) -> str:
    """The same page asked for with `lang=en`, as a reader switching language does: the answer
    sets the language cookie, so the response cache does not keep it and the time is the cost
    of computing the page. (A parameter the page ignores no longer misses: the cache drops
    those from its key.) `tag` only makes the URL unique in logs."""
    return f"{url}{'&' if '?' in url else '?'}lang=en&bench_nocache={tag}-{time.time_ns()}"


def uncached_timings(urls: dict[str, str], *, samples: int, budget: float
                     ) -> dict[str, list[float]]:
    """Interleaved uncached requests to each URL (so drift hits all alike), up to `samples` of
    each or until `budget` seconds have passed; at least one of each."""
    times: dict[str, list[float]] = {name: [] for name in urls}
    started = time.perf_counter()
    with httpx.Client(timeout=180) as client:
        for url in urls.values():  # one untimed request each: connections, imports
            client.get(uncached_url(url, "warm")).raise_for_status()
        for i in range(samples):
            for name, url in urls.items():
                ms, _ = timed_get(client, uncached_url(url, str(i)))
                times[name].append(ms)
            if time.perf_counter() - started > budget:
                break
    return times


def cached_timings(urls: dict[str, str], *, samples: int) -> dict[str, list[float]]:
    """The same URL again and again: what a cache hit costs, to tell whether the uncached
    timings really missed."""
    with httpx.Client(timeout=180) as client:
        return {name: [timed_get(client, url)[0] for _ in range(samples)]
                for name, url in urls.items()}


@dataclass
class Freshness:
    url: str
    seconds: float  # from sending the write to the first answer of the final all-fresh streak
    polls: int
    stale_after_fresh: int  # stale answers seen after a fresh one (another worker lagging)


def post_update(url: str, token: str, item: dict[str, object]) -> tuple[float, int]:
    started = time.perf_counter()
    response = httpx.post(url, content=json.dumps(item), timeout=60, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    return started, response.status_code


def _poll(url: str, is_fresh: Callable[[httpx.Response], bool], sent: float, streak: int,
          timeout: float) -> Freshness:
    polls = stale_after = fresh = 0
    first_fresh_end = None
    with fresh_client() as client:
        while fresh < streak and time.perf_counter() - sent < timeout:
            response = client.get(url)
            polls += 1
            if is_fresh(response):
                if fresh == 0:
                    first_fresh_end = time.perf_counter()
                fresh += 1
            else:
                stale_after += 1 if first_fresh_end is not None else 0
                fresh, first_fresh_end = 0, None
            time.sleep(0.01)
    seconds = (first_fresh_end - sent) if first_fresh_end is not None else float("inf")
    return Freshness(url, seconds, polls, stale_after)


def freshness(marked: list[str], changed: list[str], write: tuple[str, str, dict[str, object]],
              marker: str, *, streak: int = 6, timeout: float = 120) -> list[Freshness]:
    """Posts one update, then polls every URL at once (one thread each, one request at a time,
    fresh connections so the workers are all asked) until `streak` answers in a row are fresh:
    for `marked` URLs, an answer that contains `marker` (the update's source); for `changed`
    ones (the dashboard shows no source), an answer whose body differs from before the write.
    """
    with fresh_client() as client:
        before = {url: hashlib.sha256(client.get(url).content).hexdigest() for url in changed}
    sent, status = post_update(*write)
    if status != 201:
        raise RuntimeError(f"the freshness write answered {status}")
    checks: dict[str, Callable[[httpx.Response], bool]] = {
        **{url: (lambda r: marker in r.text) for url in marked},
        **{url: (lambda r, url=url: hashlib.sha256(r.content).hexdigest() != before[url])
           for url in changed},
    }
    with ThreadPoolExecutor(len(checks)) as pool:
        futures = [pool.submit(_poll, url, check, sent, streak, timeout)
                   for url, check in checks.items()]
        return [f.result() for f in futures]
