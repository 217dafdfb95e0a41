"""Issue 15 in a real browser: charts a reader can read, their data a click away, and the pages
a policymaker quotes, captured in English, French and at phone width."""

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

SHOTS = {
    "overview": "/",
    "ukraine": "/candidates/ukraine",
    "sweden": "/candidates/sweden",
    "benchmark": "/candidates/ukraine/benchmarks/defence_spending_gdp",
}


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("name", SHOTS)
def test_pages_in_each_language_and_width(page: Page, site, screenshots, name, language,
                                          width):
    page.set_viewport_size({"width": width, "height": 900})
    response = page.goto(f"{site.url}{SHOTS[name]}?lang={language}")
    assert response is not None and response.status == 200
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{name} ({language}, {width} px) is {overflow} px too wide"
    suffix = "phone" if width < 600 else "desktop"
    page.screenshot(path=str(screenshots / f"issue15-{name}-{language}-{suffix}.png"),
                    full_page=True)


def test_the_benchmark_chart_has_round_ticks_dates_target_due_and_today(page: Page, site):
    page.goto(site.url + "/candidates/ukraine/benchmarks/defence_spending_gdp")
    chart = page.locator("figure.chart svg.chart-wide")
    def texts(css: str) -> list[str]:
        return chart.locator(css).evaluate_all("els => els.map(e => e.textContent)")

    ticks = [float(t) for t in texts("text.y-tick")]
    assert len(ticks) >= 3
    steps = {round(b - a, 6) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1 and steps.pop() in {1, 2, 2.5, 5, 10, 20, 25, 50}
    years = texts("text.x-tick")
    assert len(years) >= 3 and years == sorted(years)
    assert all(re.fullmatch(r"(19|20)\d\d", y) for y in years)
    assert texts("text.unit") == ["% of GDP"]
    expect(chart.locator("text.target-label")).to_have_text(re.compile(r"^Target: 2% of GDP"))
    expect(chart.locator("line.today")).to_have_count(1)
    expect(chart.locator("text.today-label")).to_have_text("Today")
    # The Ukraine 2022 revision (SIPRI 2023 -> 2025 release) is drawn as a revised point.
    revised = chart.locator("circle.revised title")
    assert revised.count() >= 1
    assert "revised value" in revised.first.evaluate("e => e.textContent")
    # The same data, a click away, and the series' own CSV.
    table = page.locator("details.chart-data").first
    expect(table.locator("table")).not_to_be_visible()
    table.locator("summary").click()
    expect(table.locator("tbody tr").first).to_be_visible()
    href = page.locator("a.chart-csv").first.get_attribute("href")
    csv = httpx.get(site.url + href)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    header = csv.text.splitlines()[0].split(",")
    assert "is_illustrative" in header and "source" in header
    assert {line.split(",")[2] for line in csv.text.splitlines()[1:]} == {"defence_spending_gdp"}


def test_small_charts_keep_a_minimal_axis(page: Page, site):
    page.goto(site.url + "/candidates/georgia")
    card = page.locator("#benchmark-defence_spending_gdp")
    texts = card.locator("figure.sparkline svg text.axis").evaluate_all(
        "els => els.map(e => e.textContent)")
    assert len(texts) == 2
    assert re.match(r"^20\d\d: [\d.]+% of GDP$", texts[0])
    assert re.match(r"^20\d\d: [\d.]+% of GDP$", texts[1])
    card.locator("details.chart-data summary").click()
    expect(card.locator("details.chart-data tbody tr").first).to_be_visible()
