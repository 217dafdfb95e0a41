"""The path on the pages: the candidate page's timeline (an SVG drawn wide and narrow, with
the gate's targets as a table), the flag of a phase entered with its gate unmet, the
overview's "next phase" column, the page as of a date, and the methodology's worked example;
in English and in French, each agreeing with GET /api/v1/candidates/{slug}/path."""

import re

import pytest

from app.web.templating import PROJECT_ROOT


def api_path(client, slug, **params) -> dict:
    return client.get(f"/api/v1/candidates/{slug}/path", params=params).json()


def section(html: str) -> str:
    start = html.index('<section class="path" id="path"')
    return html[start: html.index("</section>", start)]


def day_words(client, iso: str, lang: str) -> str:
    """How the page writes a date (read from the page itself: Babel's medium format)."""
    from datetime import date

    from app.i18n import current_language, format_day
    token = current_language.set(lang)
    try:
        return format_day(date.fromisoformat(iso))
    finally:
        current_language.reset(token)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_candidate_page_draws_the_path_with_its_table(client, lang):
    path = api_path(client, "ukraine")
    html = section(client.get("/candidates/ukraine", params={"lang": lang}).text)
    heading = {"en": "Path to the next phase", "fr": "Parcours vers la phase suivante"}[lang]
    assert heading in html
    # Drawn on the server, twice: wide and narrow; no script needed.
    assert html.count('class="chart-history chart-path chart-wide"') == 1
    assert html.count('class="chart-history chart-path chart-narrow"') == 1
    assert "<script" not in html
    rows = re.findall(r"<tr(?: class=\"critical\")?>\s*<th scope=\"row\">", html)
    assert len(rows) == len(path["targets"]) > 0
    for target in path["targets"]:
        assert f'/benchmarks/{target["key"]}"' in html
    assert html.count('<tr class="critical">') == 1
    assert 'class="tag"' in html  # the demo's gates are illustrative
    if path["projected_on"]:
        assert day_words(client, path["projected_on"], lang) in html
    for cell in re.findall(r'<td data-label="[^"]+">', html):
        assert cell  # every cell of the table is labelled for the phone's cards


def test_the_timeline_text_is_at_least_11_px():
    css = (PROJECT_ROOT / "static" / "css" / "site.css").read_text()
    rule = re.search(r"\.chart-path \.phase-label, [^{]+\{ font: (\d+)px", css)
    assert rule and int(rule.group(1)) >= 11
    assert ".chart-history.chart-narrow text { font-size: 12px; }" in css


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "cannot be projected"), ("fr", "ne peut être projetée")])
def test_an_unprojectable_next_phase_says_why(client, lang, words):
    path = api_path(client, "georgia")
    assert path["projected_on"] is None
    html = section(client.get("/candidates/georgia", params={"lang": lang}).text)
    critical = next(t for t in path["targets"] if t["is_critical"])
    assert words in html
    assert 'id="path-blockers"' in html
    assert critical["key"] in html


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "it is behind its own trend"), ("fr", "elle est en retard sur sa propre tendance")])
def test_a_critical_target_behind_its_trend_is_said_so_not_projected_for_today(
        client, lang, words):
    path = api_path(client, "ukraine", as_of="2026-12-01")
    assert path["reason"] == "behind_trend"
    html = section(client.get("/candidates/ukraine",
                              params={"lang": lang, "as_of": "2026-12-01"}).text)
    behind = day_words(client, "2026-11-07", lang)
    assert words in html and behind in html
    # Neither the summary nor the targets' table gives the day evaluated as a projection.
    assert '<time datetime="2026-12-01">' not in html


@pytest.mark.parametrize(("lang", "flag"), [
    ("en", "Entered with its gate unmet."),
    ("fr", "Phase commencée sans que sa porte soit franchie.")])
def test_a_phase_entered_with_its_gate_unmet_is_flagged(client, lang, flag):
    path = api_path(client, "finland", as_of="2022-06-01")
    html = section(client.get("/candidates/finland",
                              params={"as_of": "2022-06-01", "lang": lang}).text)
    assert path["entered_with_gate_unmet"] == (flag in html)
    assert path["entered_with_gate_unmet"]  # the demo's illustrative gate was not met then


def test_the_page_as_of_a_date_shows_the_path_as_it_stood(client):
    then = api_path(client, "ukraine", as_of="2022-06-30")
    html = section(client.get("/candidates/ukraine", params={"as_of": "2022-06-30"}).text)
    assert len(re.findall(r"<th scope=\"row\">", html)) == len(then["targets"])
    assert len(then["targets"]) != len(api_path(client, "ukraine")["targets"])
    assert "Jun 30, 2022" in html  # today's line is the date viewed


@pytest.mark.parametrize(("lang", "heading", "unprojectable"), [
    ("en", "Next phase", "cannot be projected"),
    ("fr", "Phase suivante", "ne peut être projetée")])
def test_the_overview_has_a_next_phase_column(client, lang, heading, unprojectable):
    html = client.get("/", params={"lang": lang}).text
    assert f'<th scope="col">{heading}</th>' in html
    cells = {}
    for row in html.split("<tr data-readiness=")[1:]:
        slug = re.search(r'<a href="/candidates/([a-z-]+)">', row).group(1)
        cells[slug] = re.search(r'class="next-phase">(.*?)</td>', row, re.S).group(1)
    for slug in ("ukraine", "georgia", "bosnia-and-herzegovina"):
        path = api_path(client, slug)
        if path["projected_on"]:
            assert f'datetime="{path["projected_on"]}"' in cells[slug]
        else:
            assert unprojectable in cells[slug]
        assert 'class="tag"' in cells[slug]  # illustrative gate


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_methodology_works_the_path_example_live(client, lang):
    html = client.get("/methodology", params={"lang": lang}).text
    path = api_path(client, "ukraine")
    assert 'id="path-rules"' in html and 'id="path-example"' in html
    critical = re.search(r'id="path-example-critical" data-critical="([^"]*)"', html).group(1)
    assert critical == (path["critical_target"] or "")
    projected = re.search(r'id="path-example-projected"(?: data-projected-on="([^"]+)")?', html)
    assert projected.group(1) == path["projected_on"]
    then = client.get("/methodology", params={"as_of": "2022-06-30"}).text
    assert re.search(r'data-critical="([^"]*)"', then).group(1) == (
        api_path(client, "ukraine", as_of="2022-06-30")["critical_target"] or "")


@pytest.mark.parametrize("narrow", [False, True])
def test_the_timeline_marks_each_target_and_the_next_phase(narrow):
    from datetime import date

    from app.web.charts import TimelinePhase, TimelineTarget, path_timeline
    svg = path_timeline(
        "p", [TimelinePhase("Outreach", date(2019, 1, 1), is_current=True),
              TimelinePhase("Accession talks", None, is_projected=True)],
        [TimelineTarget("Spending", None, True), TimelineTarget("Law", None, False, True),
         TimelineTarget("Equipment", date(2027, 5, 1), False)],
        title="The path", today=date(2025, 6, 30), is_illustrative=True, narrow=narrow)
    assert ('viewBox="0 0 340 ' if narrow else 'viewBox="0 0 640 ') in svg
    assert "Accession talks: cannot be projected" in svg
    assert svg.count("✔ met") == 1 and svg.count("✖ cannot be projected") == 1
    assert 'class="lane critical"' in svg and 'class="lane-bar"' in svg
    assert "Illustrative gate" in svg and "<desc" in svg
    assert "May 1, 2027" in svg
