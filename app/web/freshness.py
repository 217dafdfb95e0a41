"""Conditional GET and the rendering cache for pages. Every change the public can see appends
a public event, so (newest public event, today's date, language, build) identifies the content
of a page at a URL: the ETag, and the key of the cache that serves repeated reads without
rendering. A write makes a new event, so the next read renders afresh: no stale page."""

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.evaluation import today
from app.events.service import latest_public_change
from app.i18n import current_language

BUILD_ID = str(time.time_ns())  # a restart may bring new templates: new validators
CACHE_SIZE = 1024


class RenderCache:
    """A small thread-safe LRU of rendered pages."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key: tuple[str, str], body: bytes) -> None:
        with self._lock:
            self._items[key] = body
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


page_cache = RenderCache(CACHE_SIZE)


def fresh_or_render(
    request: Request, session: Session, build: Callable[[], HTMLResponse]
) -> Response:
    event_id, changed_at, published_at = latest_public_change(session)
    language = current_language.get()
    token = (f"{event_id}-{published_at}-{today().isoformat()}-{language}-{BUILD_ID}-"
             f"{request.url.path}")
    token += f"?{request.url.query}"
    etag = 'W/"' + hashlib.sha256(token.encode()).hexdigest()[:20] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if changed_at is not None:
        headers["Last-Modified"] = format_datetime(changed_at, usegmt=True)

    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    since = request.headers.get("if-modified-since")
    if since and changed_at is not None and "if-none-match" not in request.headers:
        try:
            if changed_at.replace(microsecond=0) <= parsedate_to_datetime(since):
                return Response(status_code=304, headers=headers)
        except (TypeError, ValueError):
            pass

    request.state.last_updated = changed_at
    request.state.event_id = event_id
    key = (etag, str(request.url))
    body = page_cache.get(key)
    if body is None:
        response = build()
        if response.status_code != 200:
            return response
        body = bytes(response.body)
        page_cache.put(key, body)
    return HTMLResponse(body, headers=headers)
