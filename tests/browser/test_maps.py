"""Issue 20 in Chromium: the maps at desktop and phone width, reached by keyboard, with no
serious axe violation. Screenshots of Sweden's ratification map (today and as of 30 June 2023)
and of the overview map go to artifacts/screenshots/issue20-*."""

import pytest
from playwright.sync_api import Page

from tests.browser.axe import serious_violations

MAPS = {
    "sweden": "/candidates/sweden",
    "sweden-2023-06-30": "/candidates/sweden?as_of=2023-06-30",
    "sweden-fr": "/candidates/sweden?lang=fr",
    "overview": "/",
    "embed-sweden": "/embed/candidates/sweden/ratification-map?as_of=2023-06-30",
}


@pytest.mark.parametrize("width", [1280, 390])
def test_the_maps_fit_and_are_drawn(page: Page, site, screenshots, width):
    page.set_viewport_size({"width": width, "height": 900})
    for name, path in MAPS.items():
        page.goto(site.url + path)
        figure = page.locator("figure.map-figure").first
        box = figure.bounding_box()
        assert box and box["width"] <= width and box["height"] > 100, name
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
        shapes = page.locator("svg.map [data-iso3]").count()
        assert shapes >= 30, (name, shapes)
        figure.screenshot(path=str(screenshots / f"issue20-{name}-{width}.png"))


def test_pending_members_are_told_apart_without_colour(page: Page, site):
    """As of 30 June 2023 Hungary (not started) and Germany (ratified) differ by texture:
    one is filled with a pattern, the other with a plain colour."""
    page.goto(site.url + MAPS["sweden-2023-06-30"])
    hungary = page.locator('svg.map path[data-iso3="HUN"]')
    germany = page.locator('svg.map path[data-iso3="DEU"]')
    assert hungary.get_attribute("data-state") == "pending"
    assert germany.get_attribute("data-state") != "pending"
    fills = {hungary.get_attribute("fill"), germany.get_attribute("fill")}
    assert any(f and f.startswith("url(#") for f in fills) and len(fills) == 2


def test_an_aspirant_on_the_overview_map_is_reached_by_keyboard(page: Page, site):
    page.goto(site.url + "/")
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.getAttribute('href')")
        if page.evaluate("!!document.activeElement.closest('svg.map')"):
            assert focused.startswith("/candidates/")
            page.keyboard.press("Enter")
            page.wait_for_url(f"**{focused}")
            return
    pytest.fail("no map link reached in 80 tabs")


@pytest.mark.parametrize("name", ["sweden", "overview", "embed-sweden"])
def test_the_map_pages_pass_axe(page: Page, site, name):
    page.goto(site.url + MAPS[name])
    assert serious_violations(page) == []
