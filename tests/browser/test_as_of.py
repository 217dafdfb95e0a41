"""A page as of a past date in a real browser: the picker and the banner's links walk the
quarterly reviews without JavaScript, and live updates leave such a page alone."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import serious_violations


def test_an_as_of_page_does_not_listen_for_live_updates(page: Page, site):
    streams: list[str] = []
    page.on("request", lambda r: streams.append(r.url) if "/events/stream" in r.url else None)
    page.goto(site.url + "/candidates/georgia?as_of=2025-06-30")
    expect(page.locator("#as-of-heading")).to_have_text("As it stood on June 30, 2025")
    page.goto(site.url + "/candidates/georgia")  # today: live.js opens its stream
    expect(page.locator("html.live")).to_have_count(1, timeout=5000)
    assert len(streams) == 1 and "as_of" not in page.url
    page.goto(site.url + "/candidates/georgia?as_of=2025-06-30")
    page.wait_for_load_state("networkidle")
    expect(page.locator("html.live")).to_have_count(0)
    assert len(streams) == 1  # none opened by the page as of a date


def test_the_picker_and_the_banner_walk_the_reviews_without_javascript(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url + "/candidates/ukraine")
    expect(page.locator("#as-of-heading")).to_have_count(0)
    page.get_by_label("Quarterly review", exact=True).select_option("2023-06-30")
    page.get_by_role("button", name="Show").first.click()
    expect(page).to_have_url(re.compile(r"/candidates/ukraine\?as_of=2023-06-30$"))
    expect(page.locator("#as-of-heading")).to_have_text("As it stood on June 30, 2023")
    expect(page.locator(".summary-list")).to_contain_text("Strategic partner")
    page.get_by_role("link", name="Next review: September 30, 2023").click()
    expect(page.locator(".summary-list")).to_contain_text("Interim ally")
    page.get_by_role("link", name="Previous review: June 30, 2023").click()
    expect(page.locator("#as-of-heading")).to_have_text("As it stood on June 30, 2023")
    page.get_by_label("Any date", exact=True).fill("2024-02-10")
    page.locator(".as-of-banner").get_by_role("button", name="Show").last.click()
    expect(page.locator("#as-of-heading")).to_have_text("As it stood on February 10, 2024")
    page.get_by_role("link", name="Back to today").click()
    expect(page).to_have_url(re.compile(r"/candidates/ukraine$"))
    expect(page.locator("#as-of-heading")).to_have_count(0)
    context.close()


@pytest.mark.parametrize("path", ["/candidates/georgia", "/", "/candidates/sweden?as_of=2023-06-30",
                                  "/?as_of=2025-06-30"])
def test_the_banner_and_picker_pass_axe(page: Page, site, path):
    page.goto(site.url + path)
    assert serious_violations(page) == []
