"""The live page's load: many Server-Sent Events clients on one server process, then one update;
how long until every client has it, and the server's memory meanwhile. Clients are raw asyncio
sockets (an httpx stream each would cost the load generator more than the server)."""

import asyncio
import json
import resource
import statistics
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from bench.servers import Server

CONNECT_WAVE = 100


def raise_open_files(needed: int) -> int:
    """Lifts this process's open-file limit (inherited by the servers it starts) to the hard
    limit when the soft one is short of `needed`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        soft = hard if hard == resource.RLIM_INFINITY else min(hard, max(needed, soft))
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


@dataclass
class LiveResult:
    clients: int
    connected: int
    delivered: int
    delivery_p50_s: float
    delivery_max_s: float
    connect_seconds: float
    rss_idle_mb: float
    rss_connected_mb: float
    rss_peak_mb: float
    post_status: int
    errors: list[str] = field(default_factory=list)


class RssSampler:
    def __init__(self, server: Server, every: float = 0.1) -> None:
        self.server, self.every = server, every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.rss_bytes())
            self._stop.wait(self.every)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def _client(host: str, port: int, path: str, marker: bytes,
                  ready: "asyncio.Queue[bool]", received: dict[int, float], index: int,
                  stop: asyncio.Event, errors: list[str]) -> None:
    """One reader: reports on `ready` once subscribed (True) or failed (False), then notes
    when the event carrying `marker` arrives."""
    writer = None
    reported = False
    try:
        reader, writer = await asyncio.open_connection(host, port)
        # A thousand readers are a thousand addresses (here as the proxy in front forwards
        # them): one address may hold only a few streams.
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     f"X-Forwarded-For: 10.{index // 65536 % 256}.{index // 256 % 256}."
                     f"{index % 256}\r\n"
                     "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n".encode())
        await writer.drain()
        status = await reader.readline()
        if not status.startswith(b"HTTP/1.1 200"):
            errors.append(f"client {index}: {status!r}")
            return
        buffer = b""
        while not stop.is_set():
            chunk = await reader.read(65536)
            if not chunk:
                errors.append(f"client {index}: stream closed")
                return
            buffer += chunk
            if not reported and b"connected" in buffer:
                reported = True
                ready.put_nowait(True)
            if marker in buffer:
                received[index] = time.perf_counter()
                await stop.wait()
                return
            buffer = buffer[-512:]
    except (OSError, asyncio.IncompleteReadError) as exc:
        errors.append(f"client {index}: {type(exc).__name__}: {exc}")
    finally:
        if not reported:
            ready.put_nowait(False)
        if writer is not None:
            writer.close()


async def _run(server: Server, clients: int, after: int, post: dict[str, object],
               post_url: str, token: str, marker: bytes, settle: float, wait: float
               ) -> LiveResult:
    parts = urlsplit(server.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = f"/api/v1/events/stream?after={after}"
    received: dict[int, float] = {}
    errors: list[str] = []
    stop = asyncio.Event()
    ready: asyncio.Queue[bool] = asyncio.Queue()
    rss_idle = server.rss_bytes()
    tasks = []
    with RssSampler(server) as sampler:
        started = time.perf_counter()
        for first in range(0, clients, CONNECT_WAVE):
            for index in range(first, min(clients, first + CONNECT_WAVE)):
                tasks.append(asyncio.create_task(_client(
                    host, port, path, marker, ready, received, index, stop, errors)))
            await asyncio.sleep(0.05)
        connected = answered = 0
        deadline = time.perf_counter() + 60
        while answered < clients and time.perf_counter() < deadline:
            try:
                connected += await asyncio.wait_for(ready.get(), timeout=1)
                answered += 1
            except TimeoutError:
                pass
        connect_seconds = time.perf_counter() - started
        await asyncio.sleep(settle)
        rss_connected = server.rss_bytes()

        async with httpx.AsyncClient(timeout=30) as http:
            posted_at = time.perf_counter()
            response = await http.post(post_url, content=json.dumps(post), headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        deadline = time.perf_counter() + wait
        while len(received) < connected and time.perf_counter() < deadline:
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    delays = sorted(t - posted_at for t in received.values())
    return LiveResult(
        clients=clients, connected=connected, delivered=len(received),
        delivery_p50_s=statistics.median(delays) if delays else float("nan"),
        delivery_max_s=delays[-1] if delays else float("nan"),
        connect_seconds=connect_seconds,
        rss_idle_mb=rss_idle / 2**20, rss_connected_mb=rss_connected / 2**20,
        rss_peak_mb=sampler.peak / 2**20, post_status=response.status_code,
        errors=errors[:10],
    )


def fan_out(server: Server, *, clients: int, after: int, post: dict[str, object],
            post_url: str, token: str, marker: str, settle: float = 2.0, wait: float = 10.0
            ) -> LiveResult:
    """Connects `clients` streams (resuming after event `after`, so none can miss the update
    however late its subscription lands), posts `post` once they are all connected, and times
    each client's receipt of the event carrying `marker` from the moment the POST was sent."""
    raise_open_files(clients + 512)
    return asyncio.run(_run(server, clients, after, post, post_url, token, marker.encode(),
                            settle, wait))
