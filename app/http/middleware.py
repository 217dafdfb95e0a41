"""Headers every response carries (security, language), set in one pure ASGI middleware so
the cost per request stays small."""

import asyncio
import hashlib
import json
import logging
import re
import time
import uuid
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM_JSON, problem
from app.http.cache import RESPONSE_CACHE_FLAG
from app.i18n import COOKIE, LANGUAGES, choose_language, current_language

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI styles its widgets inline; its page alone allows inline styles.
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
# A chart's embed page is made to be framed by any site (issue 16); it alone. It still runs no
# inline script and loads nothing from elsewhere.
EMBED_PREFIX = "/embed/"
EMBED_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "frame-ancestors 'none'", "frame-ancestors *"
)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
ONE_YEAR = 365 * 24 * 3600
# What ConditionalGet may hold to hash a body the response cache does not see (a token
# holder's API read: paginated, so well under this); a larger one streams without an ETag.
ETAG_HASH_MAX_BYTES = 1024 * 1024


class SiteHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        language = choose_language(request)
        remember = request.query_params.get("lang") in LANGUAGES
        authenticated = "authorization" in request.headers
        path = scope["path"]
        token = current_language.set(language)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                embeddable = path.startswith(EMBED_PREFIX)
                for name, value in SECURITY_HEADERS.items():
                    if not (embeddable and name == "x-frame-options"):
                        headers.setdefault(name, value)
                headers.setdefault("content-security-policy",
                                   DOCS_CONTENT_SECURITY_POLICY if path == "/docs"
                                   else EMBED_CONTENT_SECURITY_POLICY if embeddable
                                   else CONTENT_SECURITY_POLICY)
                if path.startswith("/static/"):
                    # Asset URLs carry a content hash (?v=), so they may be kept for a year.
                    cache = ("public, max-age=31536000, immutable" if request.query_params.get("v")
                             else "public, max-age=3600")
                    headers["cache-control"] = cache
                elif path.startswith("/api/"):
                    # A token holder's answer is theirs alone: no cache may keep or share it.
                    if "authorization" not in headers.get("vary", "").lower():
                        headers.add_vary_header("Authorization")
                    if authenticated:
                        headers["cache-control"] = "private, no-store"
                else:
                    headers.setdefault("content-language", language)
                    headers.add_vary_header("Accept-Language")
                    headers.add_vary_header("Cookie")
                if remember:
                    headers.append("set-cookie", f"{COOKIE}={language}; Path=/; "
                                   f"Max-Age={ONE_YEAR}; SameSite=Lax")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            current_language.reset(token)


class HostMiddleware:
    """The site names itself: every absolute link (Atom, canonical, Location) is built from
    the configured base URL, never from what a client put in `Host`, so no client can make a
    cached body point elsewhere. A request for a host that is not this site's gets 400; for
    one that is, the scope is given the base URL's scheme and host, so `url_for`,
    `request.base_url` and redirects all agree with it."""

    def __init__(self, app: ASGIApp, base_url: str, allowed_hosts: list[str]) -> None:
        self.app = app
        base = urlsplit(base_url)
        self.scheme = base.scheme or "http"
        self.netloc = base.netloc.encode("latin-1")
        self.server = (base.hostname or "", base.port or (443 if self.scheme == "https" else 80))
        self.allowed = {host.lower() for host in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = None
        for name, value in scope["headers"]:
            if name == b"host":
                sent = value
                break
        if sent != self.netloc:  # the site's own name (the usual case) needs no change
            if sent is not None and not self._is_allowed(sent.decode("latin-1")):
                await problem(400, "This server does not serve that host (Host header)."
                              )(scope, receive, send)
                return
            scope["headers"] = [(b"host", self.netloc),
                                *((k, v) for k, v in scope["headers"] if k != b"host")]
        scope["scheme"] = self.scheme
        scope["server"] = self.server
        await self.app(scope, receive, send)

    def _is_allowed(self, host: str) -> bool:
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        name = name.strip("[]").lower()
        return name in self.allowed or "*" in self.allowed


class ConditionalGetMiddleware:
    """ETag on reads the response cache does not serve (a token holder's view, or the cache
    turned off): a weak validator from the body's hash, and 304 when the client's copy is
    current. Static files, streams and responses that set their own ETag pass through, and so
    does a body larger than `max_body_bytes` (a download is not held whole to be hashed)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = ETAG_HASH_MAX_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or scope["method"] not in ("GET", "HEAD")
                or path.startswith("/static/") or path.endswith("/stream")
                or scope.get(RESPONSE_CACHE_FLAG)):  # the response cache validates these
            await self.app(scope, receive, send)
            return
        if_none_match = Request(scope).headers.get("if-none-match", "")
        start: Message | None = None
        chunks: list[bytes] = []
        buffered = 0

        async def buffer(message: Message) -> None:
            nonlocal start, buffered
            if message["type"] == "http.response.start":
                start = message
                headers = MutableHeaders(scope=message)
                if message["status"] != 200 or "etag" in headers:
                    start = None  # not ours to validate: pass through
                    await send(message)
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            buffered += len(chunks[-1])
            if message.get("more_body") and buffered > self.max_body_bytes:
                await send(start)  # too large to hash: on it goes, as it comes
                await send({"type": "http.response.body", "body": b"".join(chunks),
                            "more_body": True})
                start = None
                return
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            etag = 'W/"' + hashlib.sha256(body).hexdigest()[:24] + '"'
            headers = MutableHeaders(scope=start)
            headers["etag"] = etag
            headers.setdefault("cache-control", "no-cache")
            if etag in if_none_match:
                del headers["content-length"]
                if "content-type" in headers:
                    del headers["content-type"]
                start["status"] = 304
                await send(start)
                await send({"type": "http.response.body", "body": b""})
                return
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffer)


REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_logger = logging.getLogger("app.access")


class RequestContextMiddleware:
    """Outermost layer: a request id (the client's `X-Request-ID` if it is sane, else a new
    one) echoed on the response; one structured access-log line per request, without query
    strings or headers so no token ever reaches the log; the body-size limit (413) and the
    body-time limit (408: a client that trickles its body holds a worker's attention for
    nothing)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, body_timeout_seconds: float,
                 own_limit_paths: tuple[str, ...] = ()) -> None:
        """`own_limit_paths`: routes that enforce a body-size limit of their own (a file
        upload); the time limit still holds."""
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_seconds = body_timeout_seconds
        self.own_limit_paths = own_limit_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        offered = headers.get("x-request-id", "")
        request_id = offered if REQUEST_ID.match(offered) else uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["x-request-id"] = request_id
            await send(message)

        declared = headers.get("content-length")
        max_body_bytes = (None if scope["path"] in self.own_limit_paths
                          else self.max_body_bytes)
        if (max_body_bytes is not None and declared is not None and declared.isdigit()
                and int(declared) > max_body_bytes):
            await self._too_large(scope, receive, send_with_id)
        else:
            received = 0
            refused: int | None = None  # 413 or 408, once the body broke a limit
            body_complete = False
            responded = False

            async def guarded_receive() -> Message:
                # Past a limit the app is told the client left: it stops reading and its
                # answer is replaced by the 413 or 408 below (FastAPI would turn an exception
                # here into a 400).
                nonlocal received, refused, body_complete
                if refused is not None:
                    return {"type": "http.disconnect"}
                if body_complete:  # what follows the body is only the client leaving
                    return await receive()
                left = started + self.body_timeout_seconds - time.perf_counter()
                try:
                    message = await asyncio.wait_for(receive(), max(left, 0.001))
                except TimeoutError:
                    refused = 408
                    return {"type": "http.disconnect"}
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    body_complete = not message.get("more_body", False)
                    if max_body_bytes is not None and received > max_body_bytes:
                        refused = 413
                        return {"type": "http.disconnect"}
                return message

            async def send_unless_refused(message: Message) -> None:
                nonlocal responded
                if refused is not None:
                    return
                responded = True
                await send_with_id(message)

            try:
                await self.app(scope, guarded_receive, send_unless_refused)
            except Exception:
                if refused is None:
                    raise
            if refused == 413 and not responded:
                await self._too_large(scope, receive, send_with_id)
            elif refused == 408 and not responded:
                timeout = problem(
                    408, f"The request body did not arrive within "
                    f"{self.body_timeout_seconds:g} s.")
                timeout.headers["connection"] = "close"
                await timeout(scope, receive, send_with_id)
        if access_logger.isEnabledFor(logging.INFO):  # no JSON built for a line not written
            access_logger.info(json.dumps({
                "request_id": request_id, "method": scope["method"], "path": scope["path"],
                "status": status, "ms": round((time.perf_counter() - started) * 1000, 1),
                "client": scope["client"][0] if scope.get("client") else None,
            }))

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await problem(413, f"The request body is larger than {self.max_body_bytes} bytes.",
                      title="Content Too Large")(scope, receive, send)


class HeadMiddleware:
    """HEAD on every GET route (RFC 9110: the GET's status and headers, no body). FastAPI's
    routes answer only the methods they name; this asks for the GET, sends its start and drops
    its body. A stream is told the client left once its headers are out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        answered = asyncio.Event()

        async def receive_until_answered() -> Message:
            # Whoever waits for the client (a stream, a streamed download) hears it left as
            # soon as the headers are out, and stops producing a body no one will get.
            if answered.is_set():
                return {"type": "http.disconnect"}
            receiving = asyncio.ensure_future(receive())
            waiting = asyncio.ensure_future(answered.wait())
            done, _ = await asyncio.wait({receiving, waiting},
                                         return_when=asyncio.FIRST_COMPLETED)
            if receiving in done:
                waiting.cancel()
                return receiving.result()
            receiving.cancel()
            return {"type": "http.disconnect"}

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.start" and not answered.is_set():
                answered.set()
                await send(message)
                await send({"type": "http.response.body", "body": b""})

        # A copy: the server's own scope still says HEAD, so it sends no body either.
        await self.app({**scope, "method": "GET"}, receive_until_answered, send_headers_only)


class DeadlineMiddleware:
    """A request that has not begun to answer within `seconds` of its body's arrival gets 503
    problem+json with Retry-After. A database that accepts connections but never replies
    would otherwise hold the client forever: the worker thread cannot be interrupted, so it is
    left to finish and its late answer is dropped. The wait for the body itself is bounded by
    `body_seconds` (a slow body is RequestContextMiddleware's 408). Event streams are
    long-lived by design and are left alone."""

    def __init__(self, app: ASGIApp, seconds: float, body_seconds: float,
                 long_paths: tuple[str, ...] = ()) -> None:
        """`long_paths`: routes whose work is long by design (a file import checks and stores
        100,000 rows), left alone like event streams."""
        self.app = app
        self.seconds = seconds
        self.body_seconds = body_seconds
        self.long_paths = long_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["path"].endswith("/stream")
                or scope["path"] in self.long_paths):
            await self.app(scope, receive, send)
            return
        responded = False
        abandoned = False
        headers = Headers(scope=scope)
        # The clock runs from when the body is in: a slow body is the client's delay, not the
        # database's, and RequestContextMiddleware answers it with 408.
        body_in = asyncio.Event()
        if headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers:
            body_in.set()

        async def watched_receive() -> Message:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_in.set()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal responded
            if abandoned:
                return
            responded = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, watched_receive, guarded_send))
        body_wait = asyncio.ensure_future(body_in.wait())
        await asyncio.wait({task, body_wait}, timeout=self.body_seconds,
                           return_when=asyncio.FIRST_COMPLETED)
        body_wait.cancel()
        done, _ = await asyncio.wait({task}, timeout=self.seconds)
        if task in done or responded:
            await task
            return
        abandoned = True
        task.add_done_callback(_log_abandoned)
        wants_page = (not scope["path"].startswith("/api/")
                      and "text/html" in headers.get("accept", ""))
        if scope["path"] == "/health":  # the same shape /health gives when it can answer
            content_type = b"application/json"
            body = json.dumps({"status": "unavailable", "database": "unreachable"}).encode()
        elif wants_page:
            content_type = b"text/html; charset=utf-8"
            body = UNAVAILABLE_PAGE
        else:
            content_type = PROBLEM_JSON.encode()
            body = problem(503, "The service could not answer in time (its database is not "
                                "responding); try again shortly.").body
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", content_type), (b"retry-after", b"5"),
            (b"content-length", str(len(body)).encode()),
        ]})
        await send({"type": "http.response.body", "body": body})


UNAVAILABLE_PAGE = (
    b'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Service unavailable'
    b'</title><link rel="stylesheet" href="/static/css/site.css"></head><body><main '
    b'class="container"><h1>The service is unavailable</h1><p>Its database is not responding. '
    b'Please try again in a moment.</p></main></body></html>'
)


def _log_abandoned(task: "asyncio.Future[None]") -> None:
    if not task.cancelled() and task.exception() is not None:
        logging.getLogger("app.errors").warning(
            "a request abandoned at its deadline failed later: %r", task.exception())
