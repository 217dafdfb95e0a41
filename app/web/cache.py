"""The response cache: public reads (pages and API) served from memory at near-static speed,
while staying live. What the public can see changes only when the change feed's version moves
(a new public event, a scheduled report coming due), when this process commits a write, or when
the date changes; the cache key holds all four, so a change is never served stale: readers here
see it at once, readers of other processes or instances within a poll of the feed. The same key
is the ETag, so conditional requests get 304 without any work."""

import asyncio
import contextlib
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import write_generation
from app.evaluation import today
from app.events.feed import ChangeFeed
from app.i18n import choose_language
from app.middleware import RESPONSE_CACHE_FLAG

BUILD_ID = str(time.time_ns())  # a restart may bring new templates: new keys
CACHE_SIZE = 1024
SINGLE_FLIGHT_WAIT_SECONDS = 10  # past this a waiting reader computes the page itself
UNCACHED_PREFIXES = ("/static/", "/health", "/docs", "/openapi.json", "/api/v1/events")


@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: list[tuple[bytes, bytes]]  # as sent, validators (ETag, Last-Modified) included
    body: bytes
    etag: str


class ResponseCache:
    """A small thread-safe LRU holding responses of one version of the data: entries of an
    older version can never be served again, so a new version empties it (memory stays
    bounded by the pages of one version, not by the number of writes)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._version = ""
        self._items: OrderedDict[str, CachedResponse] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: str, key: str) -> CachedResponse | None:
        with self._lock:
            if version != self._version:
                return None
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, version: str, key: str, item: CachedResponse) -> None:
        with self._lock:
            if version != self._version:
                self._items.clear()
                self._version = version
            self._items[key] = item
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


response_cache = ResponseCache()


def is_cacheable(scope: Scope, headers: Headers) -> bool:
    path: str = scope["path"]
    return (scope["method"] == "GET" and "authorization" not in headers
            and not path.startswith(UNCACHED_PREFIXES) and not path.endswith("/stream"))


def _parse_http_date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


class ResponseCacheMiddleware:
    """Sits outside everything but the request id and CORS, so a hit costs a key and a
    lookup: the security headers, language headers and validators are stored with the body.
    A miss goes on inward (deadline, headers, the app) and its answer is kept."""

    def __init__(self, app: ASGIApp, feed: ChangeFeed, cache: ResponseCache = response_cache):
        self.app = app
        self.feed = feed
        self.cache = cache
        self._computing: dict[str, asyncio.Event] = {}  # key -> set when its answer is in

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        # A feed that cannot reach the database cannot vouch for freshness: go to the source
        # (which answers 503 while the database is away).
        if not is_cacheable(scope, headers) or not self.feed.is_current:
            await self.app(scope, receive, send)
            return

        query = scope.get("query_string", b"").decode("latin-1")
        version = "|".join((self.feed.version, str(write_generation.value), today().isoformat(),
                            BUILD_ID))
        # The language SiteHeadersMiddleware will pick, chosen the same way.
        key = "|".join((version, choose_language(Request(scope)), scope["path"], query))
        if_none_match = headers.get("if-none-match")

        cached = self.cache.get(version, key)
        if cached is not None:
            if (if_none_match is not None and cached.etag in if_none_match) or (
                    if_none_match is None and self._unmodified_since(headers)):
                await self._not_modified(send, cached.etag)
                return
            await self._send_cached(send, cached)
            return

        etag = 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:24] + '"'
        if (if_none_match is not None and etag in if_none_match) or (
                if_none_match is None and self._unmodified_since(headers)):
            await self._not_modified(send, etag)
            return

        # Single flight: after a change, the readers who ask for a page while its first reader
        # computes it wait for that answer instead of computing it thirty times over.
        computing = self._computing.get(key)
        if computing is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(computing.wait(), SINGLE_FLIGHT_WAIT_SECONDS)
            cached = self.cache.get(version, key)
            if cached is not None:
                await self._send_cached(send, cached)
                return
            # Not kept (an error, or a view of its own): compute it like the first reader.
        done = self._computing[key] = asyncio.Event()
        try:
            await self._compute(scope, receive, send, version, key, etag)
        finally:
            done.set()
            if self._computing.get(key) is done:
                del self._computing[key]

    async def _compute(self, scope: Scope, receive: Receive, send: Send, version: str, key: str,
                       etag: str) -> None:
        validators = self._validators(etag)
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                if (message["status"] != 200 or "etag" in response_headers
                        or "set-cookie" in response_headers):
                    await send(message)  # not ours to cache
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            kept = [(k, v) for k, v in start["headers"]
                    if k.lower() not in (b"etag", b"cache-control", b"last-modified")]
            self.cache.put(version, key, CachedResponse(200, [*kept, *validators], body, etag))
            await send({**start, "headers": [*kept, *validators, (b"x-cache", b"miss")]})
            await send({"type": "http.response.body", "body": body})

        scope[RESPONSE_CACHE_FLAG] = True  # ConditionalGet: validated here
        await self.app(scope, receive, capture)

    @staticmethod
    async def _send_cached(send: Send, cached: CachedResponse) -> None:
        await send({"type": "http.response.start", "status": cached.status,
                    "headers": [*cached.headers, (b"x-cache", b"hit")]})
        await send({"type": "http.response.body", "body": cached.body})

    def _validators(self, etag: str) -> list[tuple[bytes, bytes]]:
        validators = [(b"etag", etag.encode()), (b"cache-control", b"no-cache")]
        if self.feed.changed_at is not None:
            validators.append((b"last-modified",
                               format_datetime(self.feed.changed_at, usegmt=True).encode()))
        return validators

    async def _not_modified(self, send: Send, etag: str) -> None:
        await send({"type": "http.response.start", "status": 304,
                    "headers": self._validators(etag)})
        await send({"type": "http.response.body", "body": b""})

    def _unmodified_since(self, headers: Headers) -> bool:
        if "if-modified-since" not in headers:
            return False
        since = _parse_http_date(headers["if-modified-since"])
        changed = self.feed.changed_at
        return (since is not None and changed is not None and since.tzinfo is not None
                and changed.replace(microsecond=0) <= since)
