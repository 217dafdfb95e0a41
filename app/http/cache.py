"""The response cache: public reads (pages and API) served from memory at near-static speed,
while staying live. What the public can see changes only when the change feed's version moves
(a new public event, a scheduled report coming due), when this process commits a write, or when
the date changes; the cache key holds all four, so a change is never served stale: readers here
see it at once, readers of other processes or instances within a poll of the feed. The same key
is the ETag, so conditional requests get 304 without any work."""

import asyncio
import contextlib
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock_time
from email.utils import format_datetime, parsedate_to_datetime
from typing import Protocol
from urllib.parse import parse_qsl, urlencode

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.db import subscribe
from app.i18n import choose_language

BUILD_ID = str(time.time_ns())  # a restart may bring new templates: new keys
SINGLE_FLIGHT_WAIT_SECONDS = 10  # past this a waiting reader computes the page itself
UNCACHED_PREFIXES = ("/static/", "/health", "/docs", "/openapi.json", "/api/v1/events")
# Event streams; and drafts' previews, which only their link's holder may see, and only until
# it expires or the draft changes (neither of which moves the cache's version).
UNCACHED_SUFFIXES = ("/stream", "/preview")
# Read by the site-wide middleware (the language switch), whatever the route.
SITE_QUERY_PARAMETERS = frozenset({"lang"})
# Besides its body, what an entry costs: its key, headers and bookkeeping (an estimate).
ENTRY_OVERHEAD_BYTES = 512
ROUTE_MEMO_SIZE = 4096  # paths whose route was looked up, remembered (each path ≤ 512 chars)
# Set in the scope of a request the cache validates, so ConditionalGetMiddleware leaves it be.
RESPONSE_CACHE_FLAG = "accession.response_cache"


class Feed(Protocol):
    """What the cache reads of the change feed (app.events.feed.ChangeFeed)."""

    @property
    def is_current(self) -> bool: ...
    @property
    def version(self) -> str: ...
    @property
    def changed_at(self) -> datetime | None: ...
    @property
    def published_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class CachedResponse:
    status: int
    headers: list[tuple[bytes, bytes]]  # as sent, validators (ETag, Last-Modified) included
    body: bytes
    etag: str

    @property
    def size(self) -> int:
        return (len(self.body) + sum(len(k) + len(v) for k, v in self.headers)
                + ENTRY_OVERHEAD_BYTES)


class ResponseCache:
    """A thread-safe LRU holding responses of one version of the data, bounded by bytes: an
    anonymous visitor chooses what is asked for, so the budget, not a number of entries, is
    what keeps a worker's memory in bounds. Entries of an older version can never be served
    again, so a new version empties it. One per app (create_app)."""

    def __init__(self, budget_bytes: int, max_item_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self.max_item_bytes = min(max_item_bytes, budget_bytes)
        self.size_bytes = 0
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
        size = item.size + len(key)
        if size > self.max_item_bytes:
            return
        with self._lock:
            if version != self._version:
                self._items.clear()
                self.size_bytes = 0
                self._version = version
            replaced = self._items.pop(key, None)
            if replaced is not None:
                self.size_bytes -= replaced.size + len(key)
            while self._items and self.size_bytes + size > self.budget_bytes:
                old_key, old = self._items.popitem(last=False)
                self.size_bytes -= old.size + len(old_key)
            self._items[key] = item
            self.size_bytes += size

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size_bytes = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> "ResponseCache":
        return cls(settings.response_cache_bytes, settings.response_cache_max_item_bytes)


class CommitCount:
    """Counts this process's commits that changed something (app.db's "changes committed"
    hook). The cache keys on it, so a reader here sees a write made here at once, without
    waiting for the change feed's poll."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()
        subscribe(self)

    def changes_committed(self) -> None:
        with self._lock:
            self.value += 1


class QueryParameters:
    """Which query parameters the route of a path reads: the others are dropped from the
    request before it is keyed or answered, so `?junk=N` can neither split the cache into a
    thousand copies of one page nor reach a link in a cached body."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self.routes = routes
        self._table: list[tuple[re.Pattern[str], frozenset[str]]] | None = None
        self._by_path: OrderedDict[str, frozenset[str] | None] = OrderedDict()
        self._lock = threading.Lock()

    def read_by(self, scope: Scope) -> frozenset[str] | None:
        """The names the GET route of this path reads, or None when no route matches."""
        path: str = scope["path"]
        with self._lock:
            if path in self._by_path:
                return self._by_path[path]
        found = self._lookup(path)
        if len(path) <= 512:
            with self._lock:
                self._by_path[path] = found
                while len(self._by_path) > ROUTE_MEMO_SIZE:
                    self._by_path.popitem(last=False)
        return found

    def _lookup(self, path: str) -> frozenset[str] | None:
        if self._table is None:  # the routes are all in place once requests arrive
            self._table = [
                (compile_path(context.path)[0],
                 frozenset(query_names(context.original_route.dependant)))
                for context in iter_route_contexts(self.routes)
                if isinstance(context.original_route, APIRoute) and context.path
                and "GET" in (context.methods or ())
            ]
        for pattern, names in self._table:
            if pattern.match(path):
                return names | SITE_QUERY_PARAMETERS
        return None


def query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route and its dependencies declare."""
    names = {field.alias for field in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= query_names(dependency)
    return names


def normalised_query(query: str, read: frozenset[str]) -> str:
    """The parameters a route reads, in a stable order (the values of one name keep theirs)."""
    kept = [(name, value) for name, value in parse_qsl(query, keep_blank_values=True)
            if name in read]
    return urlencode(sorted(kept, key=lambda pair: pair[0]))


def is_cacheable(scope: Scope, headers: Headers) -> bool:
    """Public GETs. Only the API reads tokens: an API request with one gets its holder's own
    view, never the cache's; a page ignores a token, so sending one cannot bypass the cache."""
    path: str = scope["path"]
    return (scope["method"] == "GET"
            and not ("authorization" in headers and path.startswith("/api/"))
            and not path.startswith(UNCACHED_PREFIXES) and not path.endswith(UNCACHED_SUFFIXES))


def is_private(headers: MutableHeaders) -> bool:
    """A response its route marked as no one else's (`private`) or not to be kept
    (`no-store`): never stored, whatever its path."""
    directives = {d.strip().lower() for d in headers.get("cache-control", "").split(",")}
    return bool(directives & {"private", "no-store"})


def _parse_http_date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


class ResponseCacheMiddleware:
    """Sits outside everything but the request id and CORS, so a hit costs a key and a
    lookup: the security headers, language headers and validators are stored with the body.
    A miss goes on inward (deadline, headers, the app) and its answer is kept."""

    def __init__(self, app: ASGIApp, feed: Feed, routes: Sequence[BaseRoute],
                 cache: ResponseCache, today: Callable[[], date]):
        """`today`: the site's clock (app.evaluation.today), whose date is in every key:
        statuses such as "overdue" move with the date."""
        self.app = app
        self.feed = feed
        self.cache = cache
        self.today = today
        self.parameters = QueryParameters(routes)
        self.commits = CommitCount()
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
        if query:  # most reads have none: nothing to look up or drop
            read = self.parameters.read_by(scope)
            if read is None:  # no such page: a 404 is not kept
                await self.app(scope, receive, send)
                return
            query = normalised_query(query, read)
            scope["query_string"] = query.encode("latin-1")
        version = "|".join((self.feed.version, str(self.commits.value),
                            self.today().isoformat(), BUILD_ID))
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
        kept: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        buffered = 0
        streaming = False  # too large to keep: passed on as it comes, never held whole

        async def capture(message: Message) -> None:
            nonlocal start, kept, buffered, streaming
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                if (message["status"] != 200 or "etag" in response_headers
                        or "set-cookie" in response_headers or is_private(response_headers)):
                    await send(message)  # not ours to cache
                    return
                start = message
                kept = [(k, v) for k, v in start["headers"]
                        if k.lower() not in (b"etag", b"cache-control", b"last-modified")]
                return
            if start is None or streaming:
                await send(message)
                return
            chunk = message.get("body", b"")
            chunks.append(chunk)
            buffered += len(chunk)
            more = message.get("more_body", False)
            if buffered > self.cache.max_item_bytes and more:
                # The validators still hold: they name the version, not the bytes.
                streaming = True
                await send({**start, "headers": [*kept, *validators, (b"x-cache", b"bypass")]})
                await send({"type": "http.response.body", "body": b"".join(chunks),
                            "more_body": True})
                chunks.clear()
                return
            if more:
                return
            body = b"".join(chunks)
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

    def _last_modified(self) -> datetime | None:
        """When what the public sees last changed: the newest public event, the newest report
        publication that has come (a scheduled one appears with no event of its own), or the
        start of today (statuses such as "overdue" move with the date)."""
        moments = [m for m in (self.feed.changed_at, self.feed.published_at) if m is not None]
        if not moments:
            return None
        return max(*moments, datetime.combine(self.today(), clock_time(), UTC))

    def _validators(self, etag: str) -> list[tuple[bytes, bytes]]:
        validators = [(b"etag", etag.encode()), (b"cache-control", b"no-cache")]
        last_modified = self._last_modified()
        if last_modified is not None:
            validators.append((b"last-modified",
                               format_datetime(last_modified, usegmt=True).encode()))
        return validators

    async def _not_modified(self, send: Send, etag: str) -> None:
        await send({"type": "http.response.start", "status": 304,
                    "headers": self._validators(etag)})
        await send({"type": "http.response.body", "body": b""})

    def _unmodified_since(self, headers: Headers) -> bool:
        if "if-modified-since" not in headers:
            return False
        since = _parse_http_date(headers["if-modified-since"])
        changed = self._last_modified()
        return (since is not None and changed is not None and since.tzinfo is not None
                and changed.replace(microsecond=0) <= since)
