"""The public site in a real browser: every page loads cleanly and makes no external request,
filters and sorting work, analysts' posts appear live, the language switch works, the pages
work without JavaScript (phone widths and axe-core: test_every_reader.py)."""

import re
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Page, expect

PAGES = {
    "overview": "/",
    "candidate": "/candidates/ukraine",
    "member": "/candidates/finland",
    "benchmark": "/candidates/ukraine/benchmarks/defence_spending_gdp",
    "milestone": "/candidates/georgia/benchmarks/nato_standards_adoption",
    "report": "/reports/1",
    "compare": "/compare?c=georgia&c=ukraine&c=bosnia-and-herzegovina",
    "framework": "/framework",
    "methodology": "/methodology",
    "overview-fr": "/?lang=fr",
    "not-found": "/candidates/atlantis",
}


def watch(page: Page, base: str) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    return errors, outside


@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly_with_local_assets_only(page: Page, site, screenshots, name):
    errors, outside = watch(page, site.url)
    response = page.goto(site.url + PAGES[name])
    assert response is not None
    assert response.status == (404 if name == "not-found" else 200)
    page.wait_for_load_state("networkidle") if name != "candidate" else None
    if name == "not-found":
        errors = [e for e in errors if "404" not in e]  # the browser logs the 404 itself
    assert errors == []
    assert outside == []
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def test_filter_and_sort(page: Page, site):
    page.goto(site.url + "/")
    page.select_option("#phase", "member")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"phase=member"))
    rows = page.locator("table.completed tbody th[scope=row]")
    expect(rows).to_have_text(["Finland", "Sweden"])  # completed accessions, apart

    page.goto(site.url + "/")
    # Each tier has its own table, sorted within the tier.
    table = page.locator("table.overview").first
    sort_button = table.locator("thead").get_by_role("button", name=re.compile(r"^Readiness"))
    sort_button.click()
    values = [float(v) for v in table.locator("tbody td.readiness")
              .evaluate_all("cells => cells.map(c => c.dataset.sort)")]
    assert values == sorted(values)
    sort_button.click()
    values = [float(v) for v in table.locator("tbody td.readiness")
              .evaluate_all("cells => cells.map(c => c.dataset.sort)")]
    assert values == sorted(values, reverse=True)


def post_spending(site, value: float, token_name: str) -> None:
    response = httpx.post(
        f"{site.url}/api/v1/candidates/georgia/updates", headers=site.token(token_name),
        json={"benchmark": "defence_spending_gdp", "value": value,
              "as_of": datetime.now(UTC).date().isoformat(), "source": "browser test"},
        timeout=10,
    )
    assert response.status_code == 201, response.text


def test_a_posted_update_appears_within_two_seconds(page: Page, site):
    page.goto(site.url + "/candidates/georgia")
    expect(page.locator("html.live")).to_have_count(1, timeout=5000)  # the stream is open
    card = page.locator("#benchmark-defence_spending_gdp")
    expect(card).not_to_contain_text("4.44")
    post_spending(site, 4.44, "live-poster")
    expect(card).to_contain_text("4.44", timeout=2000)


def test_the_page_reconnects_after_a_server_restart(page: Page, site):
    page.goto(site.url + "/candidates/georgia")
    expect(page.locator("html.live")).to_have_count(1, timeout=5000)
    site.restart()
    post_spending(site, 4.56, "restart-poster")
    expect(page.locator("#benchmark-defence_spending_gdp")).to_contain_text("4.56",
                                                                         timeout=10_000)


def test_a_page_refused_a_stream_rechecks_itself(browser, tmp_path):
    """An office behind one address: past its streams, a page is refused one (429) and falls
    back to re-checking itself (every 30 s; shortened here), so it still shows new figures."""
    from sqlalchemy.orm import Session

    from app.db import make_engine
    from app.demo import load_demo
    from tests.conftest import upgrade
    from tests.live import live_server

    engine = make_engine(f"sqlite:///{tmp_path}/office.db")
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    with live_server(engine, extra_env={"ACCESSION_STREAMS_PER_CLIENT": "1"}) as office:
        first, second = browser.new_context(), browser.new_context()
        try:
            live = first.new_page()
            live.goto(office.url + "/candidates/georgia")
            expect(live.locator("html.live")).to_have_count(1, timeout=5000)
            refused = second.new_page()
            refused.add_init_script("window.ACCESSION_RECHECK_MS = 1500;")
            refused.goto(office.url + "/candidates/georgia")
            expect(refused.locator("html.polling")).to_have_count(1, timeout=5000)
            expect(refused.locator("html.live")).to_have_count(0)
            post_spending(office, 4.71, "office-poster")
            for page in (live, refused):
                expect(page.locator("#benchmark-defence_spending_gdp")).to_contain_text(
                    "4.71", timeout=5000)
        finally:
            first.close()
            second.close()
    engine.dispose()


def test_language_switch_is_remembered(page: Page, site):
    page.goto(site.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.goto(site.url + "/candidates/finland")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_pages_work_without_javascript(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url + "/?phase=member&sort=readiness")
    expect(page.locator("table.completed tbody th[scope=row]")).to_have_count(2)
    page.goto(site.url + "/candidates/ukraine")
    expect(page.locator("svg.chart-history").first).to_be_visible()
    expect(page.locator("#benchmark-defence_spending_gdp")).to_contain_text("Met")
    context.close()


def test_keyboard_reaches_the_content_first(page: Page, site):
    page.goto(site.url + "/candidates/ukraine")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text("Skip to main content")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    # The filters of the overview are plain form controls, reachable and usable by keyboard.
    page.goto(site.url + "/")
    page.focus("#phase")
    page.keyboard.press("End")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"phase=member"))


def test_pages_print_without_navigation(page: Page, site, screenshots):
    page.goto(site.url + "/candidates/finland")
    page.emulate_media(media="print")
    expect(page.locator(".site-header nav")).to_be_hidden()
    expect(page.locator(".filters, .language-switch").first).to_be_hidden()
    # The print is a summary on one page (tests/browser/test_share.py counts it): the bars
    # stay, the sparklines and data tables go, and a line says where the full page is.
    expect(page.locator("svg.chart-bar").first).to_be_visible()
    expect(page.locator(".print-note")).to_be_visible()
    page.pdf(path=str(screenshots / "candidate-print.pdf"))
    assert (screenshots / "candidate-print.pdf").stat().st_size > 10_000
