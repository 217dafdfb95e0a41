"""Pace and assessment on the pages, in English and French: the pace sentence, the series a
status rests on, the divergence flag, and the benchmark chart with both series and its data
table."""

import re
from datetime import date

import pytest

from app.i18n import current_language
from app.web.charts import ChartPoint, history_chart

AS_OF = "2026-01-31"  # Ukraine's independent and self-assessed equipment figures of 2025 known


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ")


@pytest.mark.parametrize(("lang", "pace", "flag", "diverges"), [
    ("en", "Needs +0.", "Diverging assessments", "Self-assessment diverges"),
    ("fr", "Il faut +0,", "Évaluations divergentes", "L’auto-évaluation diverge"),
])
def test_candidate_page_shows_pace_and_flags_divergence(client, lang, pace, flag, diverges):
    page = client.get("/candidates/ukraine", params={"as_of": AS_OF, "lang": lang})
    assert page.status_code == 200
    text = text_of(page.text)
    assert pace in text
    assert ("points a year" if lang == "en" else "point par an") in text
    assert flag in text and diverges in text
    assert 'class="assessment divergence-flag"' in page.text


def test_benchmark_page_shows_pace_divergence_and_both_series(client):
    page = client.get("/candidates/ukraine/benchmarks/major_equipment_share",
                      params={"as_of": AS_OF})
    assert page.status_code == 200
    html = page.text
    text = text_of(html)
    assert "Needs +0." in text and "points a year; has done +" in text
    assert "Diverging assessments" in text
    assert "15.6% of defence expenditure" in text and "14.2% of defence expenditure" in text
    assert 'class="series series-self"' in html and "point-self" in html
    assert "Self-assessed" in text and "Independent" in text  # the legend and the table
    table = html[html.index('<details class="chart-data">'):]
    table = table[:table.index("</details>")]
    assert "Assessed by" in table
    assert text_of(table).count("Self-assessed") == 3  # 2023, 2024 and 2025


def test_agreeing_assessments_are_said_without_a_flag(client):
    page = client.get("/candidates/bosnia-and-herzegovina/benchmarks/joint_exercises",
                      params={"as_of": AS_OF})
    text = text_of(page.text)
    assert "Rests on the independent figure" in text
    assert "Diverging assessments" not in text


def test_french_benchmark_page_speaks_french(client):
    page = client.get("/candidates/ukraine/benchmarks/major_equipment_share",
                      params={"as_of": AS_OF, "lang": "fr"})
    text = text_of(page.text)
    assert "Rythme :" in text and "Évaluations divergentes" in text
    assert "Évalué par" in text and "Auto-évaluation" in text


def test_brief_shows_the_pace(client):
    page = client.get("/candidates/ukraine/brief", params={"as_of": AS_OF})
    assert page.status_code == 200
    assert "points a year" in text_of(page.text)
    assert "Diverging assessments" in text_of(page.text)


def test_benchmark_without_self_assessment_has_no_assessed_by_column(client):
    page = client.get("/candidates/georgia/benchmarks/defence_spending_gdp")
    table = page.text[page.text.index('<details class="chart-data">'):]
    assert "Assessed by" not in table[:table.index("</details>")]
    assert "series-self" not in page.text


def points(*rows):
    return [ChartPoint(date.fromisoformat(day), value, False, who) for day, value, who in rows]


@pytest.mark.parametrize("compact", [False, True])
def test_chart_draws_self_assessed_figures_apart(compact):
    token = current_language.set("en")
    try:
        svg = str(history_chart(
            "c", points(("2023-12-31", 12.0, "independent"), ("2024-12-31", 13.0, "independent"),
                        ("2024-12-31", 14.5, "self"), ("2025-12-31", 15.6, "self")),
            title="Equipment", today=date(2026, 1, 31), target=15.0, compact=compact))
    finally:
        current_language.reset(token)
    assert svg.count('class="series"') == 1 + (not compact)  # the legend's key too
    assert svg.count('<rect class="point point-self"') == 2 + (not compact)
    assert ("Self-assessed" in svg) is not compact  # the legend, on full charts only
    assert "(self-assessed) figures: 2, latest 15.6" in svg


def test_chart_of_self_assessed_figures_alone_draws_them_as_the_series():
    token = current_language.set("en")
    try:
        svg = str(history_chart("c", points(("2024-12-31", 14.5, "self"),
                                            ("2025-12-31", 15.6, "self")),
                                title="Equipment", today=date(2026, 1, 31)))
    finally:
        current_language.reset(token)
    assert "series-self" not in svg and svg.count('<circle class="point"') == 2
