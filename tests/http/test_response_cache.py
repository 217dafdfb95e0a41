"""The response cache against a real server on a real database: repeated public reads are
served from memory with validators, and a write is never followed by a stale read — at once in
the process that wrote, within two seconds in another worker."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
import pytest
from sqlalchemy.orm import Session

from app.demo import load_demo
from tests.conftest import upgrade
from tests.live import cpu_alone, live_server


@pytest.fixture(scope="module")
def engine_with_demo(databases):
    engine = databases.create()
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    return engine


def post(server, headers, value, as_of="2026-01-15"):
    response = httpx.post(f"{server.url}/api/v1/candidates/georgia/updates", headers=headers,
                          json={"benchmark": "defence_spending_gdp", "value": value,
                                "as_of": as_of, "source": "cache test"}, timeout=10)
    assert response.status_code == 201, response.text


def test_repeated_reads_are_cached_with_validators(engine_with_demo):
    with live_server(engine_with_demo) as server:
        for path in ("/candidates/georgia", "/api/v1/candidates/georgia/status", "/"):
            first = httpx.get(server.url + path)
            second = httpx.get(server.url + path)
            assert second.headers["x-cache"] == "hit" and second.content == first.content
            assert second.headers["etag"] == first.headers["etag"]
            assert "content-security-policy" in second.headers  # headers added to hits too
            not_modified = httpx.get(server.url + path,
                                     headers={"If-None-Match": first.headers["etag"]})
            assert not_modified.status_code == 304
            since = httpx.get(server.url + path,
                              headers={"If-Modified-Since": first.headers["last-modified"]})
            assert since.status_code == 304
        french = httpx.get(server.url + "/candidates/georgia", headers={"Accept-Language": "fr"})
        assert french.headers["x-cache"] == "miss" and 'lang="fr"' in french.text
        # A token holder's view is not the public's: never served from the cache.
        private = httpx.get(server.url + "/api/v1/candidates",
                            headers=server.token("reader"))
        assert "x-cache" not in private.headers


def test_a_write_is_visible_at_once_in_the_same_process(engine_with_demo):
    with live_server(engine_with_demo, workers=1) as server:
        headers = server.token("same-process")
        before = httpx.get(server.url + "/candidates/georgia")
        assert httpx.get(server.url + "/candidates/georgia").headers["x-cache"] == "hit"
        post(server, headers, 6.12)
        after = httpx.get(server.url + "/candidates/georgia",
                          headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and "6.12" in after.text
        status = httpx.get(server.url + "/api/v1/candidates/georgia/status").json()
        spending = next(b for b in status["benchmarks"] if b["key"] == "defence_spending_gdp")
        assert spending["latest"]["value"] == 6.12


def test_a_write_reaches_every_worker_within_two_seconds(engine_with_demo):
    with cpu_alone(), live_server(engine_with_demo, workers=2) as server:  # timed
        headers = server.token("two-workers")
        for _ in range(20):  # warm both workers' caches
            httpx.get(server.url + "/candidates/georgia")
        posted_at = time.monotonic()
        post(server, headers, 6.34, as_of="2026-01-16")
        # Two seconds after the write, every worker serves the new page: ten reads asked from
        # then on (new connections spread over both workers) all show it. (Counting reads made
        # within the two seconds would measure how fast a changed page renders, not whether the
        # change reached every worker.)
        time.sleep(max(0.0, posted_at + 2.0 - time.monotonic()))
        seen = ["6.34" in httpx.get(server.url + "/candidates/georgia").text for _ in range(10)]
        assert all(seen), f"a worker still served the old page: {seen}"


def test_readers_arriving_together_after_a_change_share_one_computation(engine_with_demo):
    """Single flight: of 16 readers who ask for a changed page at once, one computes it (a
    miss) and the others get its answer (hits), all of it the new content."""
    with live_server(engine_with_demo, workers=1) as server:
        post(server, server.token("single-flight"), 3.33, as_of="2026-01-20")
        time.sleep(1.5)  # the change feed has seen the write: the version stays put below
        url = server.url + "/candidates/georgia?flight=1"  # a URL no one has asked for yet

        ready = threading.Barrier(16)

        def read() -> httpx.Response:
            with httpx.Client(timeout=30) as client:
                client.get(server.url + "/health")  # connected: the reads below start together
                ready.wait()
                return client.get(url)

        with ThreadPoolExecutor(16) as pool:  # threads: a test may run inside an event loop
            responses = list(pool.map(lambda _: read(), range(16)))
        assert all(r.status_code == 200 for r in responses)
        assert Counter(r.headers["x-cache"] for r in responses) == {"miss": 1, "hit": 15}
        assert len({r.content for r in responses}) == 1
        assert "3.33" in responses[0].text


def test_the_cache_is_bounded_by_bytes_not_entries():
    from app.http.cache import CachedResponse, ResponseCache

    cache = ResponseCache(budget_bytes=10_000, max_item_bytes=4_000)

    def entry(size: int) -> CachedResponse:
        return CachedResponse(200, [(b"content-type", b"text/html")], b"x" * size, 'W/"e"')

    for n in range(10):
        cache.put("v1", f"page-{n}", entry(2_000))
    assert cache.size_bytes <= 10_000 and len(cache) == 3  # ~2.5 kB each with overheads
    assert cache.get("v1", "page-9") is not None and cache.get("v1", "page-0") is None
    cache.put("v1", "huge", entry(5_000))  # over the per-item limit: never kept
    assert cache.get("v1", "huge") is None
    cache.put("v1", "page-9", entry(100))  # replaced, not counted twice
    assert cache.size_bytes == sum(e.size + len(k) for k, e in cache._items.items())
    cache.put("v2", "page-0", entry(100))  # a new version empties it
    assert len(cache) == 1 and cache.get("v1", "page-9") is None


def test_previews_are_never_looked_up_nor_stored():
    from starlette.datastructures import Headers

    from app.http.cache import is_cacheable

    def cacheable(path: str) -> bool:
        return is_cacheable({"method": "GET", "path": path}, Headers())

    assert cacheable("/reports/5") and cacheable("/api/v1/reports")
    assert not cacheable("/reports/5/preview")


def test_an_answer_marked_private_or_no_store_is_never_stored():
    from types import SimpleNamespace

    from starlette.testclient import TestClient

    from app.http.cache import ResponseCache, ResponseCacheMiddleware

    async def site(scope, receive, send):
        control = {"/private": b"private", "/no-store": b"no-store",
                   "/both": b"Private, No-Store"}.get(scope["path"], b"")
        headers = [(b"content-type", b"text/plain")]
        if control:
            headers.append((b"cache-control", control))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"answer"})

    feed = SimpleNamespace(is_current=True, version="1", changed_at=None, published_at=None)
    cache = ResponseCache(budget_bytes=100_000, max_item_bytes=10_000)
    client = TestClient(ResponseCacheMiddleware(site, feed, routes=[], cache=cache,
                                                today=date.today))
    for path in ("/private", "/no-store", "/both"):
        for _ in range(2):
            response = client.get(path)
            assert "x-cache" not in response.headers, path
            assert response.headers["cache-control"] == {
                "/private": "private", "/no-store": "no-store",
                "/both": "Private, No-Store"}[path]
    assert len(cache) == 0
    client.get("/public")
    assert client.get("/public").headers["x-cache"] == "hit"  # the same answer unmarked is kept
