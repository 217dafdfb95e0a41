"""Issue 16 in a real browser: the one-page brief and the candidate page each print on one A4
page (Chromium's own PDF, English and French); the embed page is framed by another site while
the other pages refuse it; brief and embed pages pass axe. The PDFs and print screenshots go
to artifacts/screenshots/issue16-brief-*."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page

from tests.browser.axe import serious_violations

A4_PRINTABLE = {"width": 703, "height": 1032}  # A4 at 96 px/in, less the 12 mm margins
PRINTED = {
    "ukraine-en": "/candidates/ukraine/brief",
    "ukraine-fr": "/candidates/ukraine/brief?lang=fr",
    "georgia-en": "/candidates/georgia/brief",
    "georgia-fr": "/candidates/georgia/brief?lang=fr",
    "bosnia-fr": "/candidates/bosnia-and-herzegovina/brief?lang=fr",
    "finland-en": "/candidates/finland/brief",
    "ukraine-2021-en": "/candidates/ukraine/brief?as_of=2021-06-30",
    "candidate-page-ukraine-en": "/candidates/ukraine",
    "candidate-page-ukraine-fr": "/candidates/ukraine?lang=fr",
    "candidate-page-georgia-en": "/candidates/georgia",
    "candidate-page-bosnia-fr": "/candidates/bosnia-and-herzegovina?lang=fr",
    "candidate-page-finland-fr": "/candidates/finland?lang=fr",
    "candidate-page-sweden-en": "/candidates/sweden",
}
EMBED = "/embed/candidates/ukraine/benchmarks/defence_spending_gdp"


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF Chromium wrote: its page objects, which its page tree must count too."""
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    counts = {int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)}
    counts |= {int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", pdf)}
    assert counts == {pages}, (pages, counts)
    return pages


def test_pdf_pages_counts_a_long_page(page: Page, site):
    """The count above is not always 1: the benchmark page's every update runs long."""
    page.goto(site.url + "/candidates/ukraine/benchmarks/defence_spending_gdp")
    assert pdf_pages(page.pdf(format="A4")) > 1


@pytest.mark.parametrize("name", PRINTED)
def test_prints_on_one_a4_page(page: Page, site, screenshots, name):
    page.goto(site.url + PRINTED[name])
    pdf = page.pdf(format="A4", print_background=True)
    (screenshots / f"issue16-brief-{name}.pdf").write_bytes(pdf)
    page.set_viewport_size(A4_PRINTABLE)
    page.emulate_media(media="print")
    page.screenshot(path=str(screenshots / f"issue16-brief-{name}.png"), full_page=True)
    assert pdf_pages(pdf) == 1
    text = page.locator("main").inner_text()
    if "candidate-page" in name:  # the long parts stay on the screen; a line says where
        assert page.locator(".print-note").is_visible()
        assert not page.locator("section[aria-labelledby=history-heading]").is_visible()
    else:
        assert page.locator(".brief-permalink").is_visible()
        assert not page.locator(".site-header").is_visible()
        assert ("This brief describes" in text) or ("Cette note décrit" in text)


@pytest.fixture
def other_site(site):
    """Another origin (its own port) whose page frames the embed page and the candidate page."""
    page = (f'<!doctype html><html lang="en"><title>Another site</title>'
            f'<iframe src="{site.url}{EMBED}" title="embed"></iframe>'
            f'<iframe src="{site.url}/candidates/ukraine" title="page"></iframe></html>').encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the name http.server calls)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_embed_page_is_framed_by_another_site_and_other_pages_are_not(page: Page, other_site):
    page.goto(other_site)
    page.wait_for_load_state("load")
    embed = next(f for f in page.frames if f.url.endswith(EMBED))
    assert "Defence spending" in embed.locator("h1").inner_text()
    assert embed.locator("svg.chart-history:visible").count() == 1  # wide or narrow
    (refused,) = [f for f in page.frames if f not in (page.main_frame, embed)]
    assert refused.locator("#main").count() == 0  # Chromium shows its own error instead


@pytest.mark.parametrize("path", [
    "/candidates/ukraine/brief", "/candidates/ukraine/brief?lang=fr",
    "/candidates/finland/brief?lang=fr", EMBED, EMBED + "?lang=fr",
    "/embed/candidates/georgia/benchmarks/nato_standards_adoption?lang=fr",
])
def test_axe_finds_no_serious_violation(page: Page, site, path):
    page.goto(site.url + path)
    assert serious_violations(page) == []
