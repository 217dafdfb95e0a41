"""HTTP done right by the middleware: validators and 304s on pages and API reads, cache
headers on assets, security headers on every response, no external request from a page, and
which hosts are served."""

import re

import pytest

from app.config import get_settings
from app.web.templating import static_url

PAGES = ["/", "/candidates/ukraine", "/candidates/ukraine/benchmarks/defence_spending_gdp",
         "/compare?c=georgia&c=ukraine", "/framework", "/methodology"]


@pytest.mark.parametrize("path", [*PAGES, "/api/v1/candidates", "/api/v1/framework",
                                  "/api/v1/candidates/georgia/status", "/candidates/nope",
                                  "/static/css/site.css"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_validators_and_answer_304(client, path):
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize("path", ["/api/v1/candidates", "/api/v1/candidates/georgia/status",
                                  "/api/v1/candidates/georgia/updates", "/api/v1/members"])
def test_api_reads_answer_304(client, path):
    first = client.get(path)
    etag = first.headers["etag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_static_assets_are_cacheable(client):
    versioned = client.get(static_url("css/site.css"))
    assert "immutable" in versioned.headers["cache-control"]
    assert "max-age" in client.get("/static/css/site.css").headers["cache-control"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_reference_only_local_assets(client, path):
    html = client.get(path).text
    # Every asset (src, and href outside a link to read) stays on this site; the canonical
    # link names this site by its configured address. A source may be linked for the reader
    # to follow, never fetched by the page, and without passing on where the reader came from.
    site = get_settings().site_url
    assert f'<link rel="canonical" href="{site}/' in html
    html = html.replace(f'href="{site}/', 'href="/')
    assert not re.findall(r'<(?!a\s)[^>]*\b(?:src|href)="(?:https?:)?//', html)
    for link in re.findall(r'<a\s[^>]*href="(?:https?:)?//[^>]*>', html):
        assert 'rel="noopener noreferrer"' in link, link
    assert "<script>" not in html and " on" + "load=" not in html


@pytest.mark.parametrize("allowed, host, served", [
    (["tracker.example.org"], "tracker.example.org", True),
    (["tracker.example.org"], "Tracker.Example.org:443", True),
    (["tracker.example.org"], "evil.example", False),
    (["::1"], "[::1]:8000", True),
    (["::1"], "[::1]", True),
    (["*"], "anything.example", True),
])
def test_which_hosts_are_served(allowed, host, served):
    from app.http.middleware import HostMiddleware

    assert HostMiddleware(None, "https://tracker.example.org", allowed)._is_allowed(host) is served
