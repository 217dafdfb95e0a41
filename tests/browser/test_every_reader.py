"""Issue 16 in a real browser: every page at phone widths and in French. Nothing is wider than
the screen, chart text stays legible, every link or control that stands alone is a 44 px
target, and axe-core finds no serious or critical violation, at desktop and phone width, in
English and French. Screenshots of every page at 390 px in both languages."""

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.axe import serious_violations

PAGES = {
    "overview": "/",
    "candidate": "/candidates/ukraine",
    "member": "/candidates/finland",
    "benchmark": "/candidates/ukraine/benchmarks/defence_spending_gdp",
    "milestone": "/candidates/georgia/benchmarks/nato_standards_adoption",
    "report": "/reports/1",
    "compare": "/compare?c=georgia&c=ukraine&c=bosnia-and-herzegovina&c=finland",
    "framework": "/framework",
    "methodology": "/methodology",
    "attention": "/attention",
    "brief": "/candidates/ukraine/brief",
    "member-brief": "/candidates/finland/brief",
    "embed": "/embed/candidates/georgia/benchmarks/nato_standards_adoption",
    "overview-as-of": "/?as_of=2025-06-30",
    "candidate-as-of": "/candidates/ukraine?as_of=2025-06-30",
    "benchmark-as-of": "/candidates/ukraine/benchmarks/defence_spending_gdp?as_of=2024-03-31",
    "not-found": "/candidates/atlantis",
}
PHONES = (360, 390, 414)
LANGUAGES = ("en", "fr")
SMALLEST_TEXT_PX = 11
SMALLEST_TARGET_PX = 44

# The rendered size of each SVG text: its font size times the scale of its chart's viewBox.
CHART_TEXT_SIZES = """() => [...document.querySelectorAll('svg text')]
  .filter(t => t.getBoundingClientRect().width > 0)
  .map(t => {
    const svg = t.ownerSVGElement, box = svg.viewBox.baseVal;
    const scale = box && box.width ? svg.getBoundingClientRect().width / box.width : 1;
    return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * scale];
  })"""
# Every visible link and control smaller than 44 px either way, but for links inside a
# sentence (WCAG 2.5.8's inline exception: their block has words besides them). A checkbox
# is tapped through its label.
SMALL_TARGETS = (Path(__file__).parent / "small_targets.js").read_text(encoding="utf-8")


def url(path: str, language: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={language}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", PHONES)
def test_every_page_fits_a_phone(page: Page, site, screenshots, width, language):
    page.set_viewport_size({"width": width, "height": 800})
    problems = []
    for name, path in PAGES.items():
        response = page.goto(site.url + url(path, language))
        assert response is not None and response.status == (404 if name == "not-found" else 200)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            problems.append(f"{name}: {overflow} px wider than the screen")
        small_text = [(text, round(size, 1)) for text, size in page.evaluate(CHART_TEXT_SIZES)
                      if size < SMALLEST_TEXT_PX]
        if small_text:
            problems.append(f"{name}: chart text under {SMALLEST_TEXT_PX} px {small_text[:3]}")
        small_targets = page.evaluate(SMALL_TARGETS, SMALLEST_TARGET_PX)
        if small_targets:
            problems.append(f"{name}: targets under {SMALLEST_TARGET_PX} px {small_targets[:5]}")
        if width == 390:
            page.screenshot(path=str(screenshots / f"issue16-{name}-{language}-390.png"),
                            full_page=True)
    assert problems == []


def test_overview_rows_are_cards_with_readiness_and_status_on_screen(page: Page, site):
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(site.url + "/?lang=fr")
    card = page.locator("table.overview tbody tr").first
    box = card.bounding_box()
    assert box is not None and box["width"] <= 360
    for cell in ("td.readiness", "ul.status-counts"):
        cell_box = card.locator(cell).bounding_box()
        assert cell_box is not None and cell_box["x"] + cell_box["width"] <= 360
    # Each value is named as its column was (the table's header is hidden on a phone).
    label = card.locator("td.readiness").evaluate(
        "td => getComputedStyle(td, '::before').content")
    assert "Niveau de préparation" in label


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", [1280, 390])
def test_axe_finds_no_serious_violation_on_any_page(page: Page, site, width, language):
    page.set_viewport_size({"width": width, "height": 900})
    found = {}
    for name, path in PAGES.items():
        page.goto(site.url + url(path, language))
        if serious := serious_violations(page):
            found[name] = serious
    assert found == {}


@pytest.mark.parametrize("width", [500, 640, 700, 1024, 1440])
def test_chart_text_stays_legible_at_every_width(page: Page, site, width):
    """Between the phones and the desktop too: the wide chart only where it has the room."""
    page.set_viewport_size({"width": width, "height": 900})
    small = {}
    for name in ("candidate", "member", "benchmark", "milestone"):
        page.goto(site.url + PAGES[name])
        sizes = [(text, round(size, 1)) for text, size in page.evaluate(CHART_TEXT_SIZES)]
        assert sizes, f"{name} shows no chart text"
        if too_small := [s for s in sizes if s[1] < SMALLEST_TEXT_PX]:
            small[name] = too_small[:3]
    assert small == {}
