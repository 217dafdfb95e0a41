"""Honest wording (issue 15, point 4): what each status sentence says holds together, stage names
and units come from labelled data in both languages, and no stored key reaches a page."""

import re
from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import pytest

from app.i18n import current_language
from app.status import Status, Trend, evaluate_benchmark
from app.web.wording import measure, status_sentence, trend_words
from tests.factories import SPENDING, m
from tests.helpers import ENUMS, visible_text

SPENDING_INDICATOR = SimpleNamespace(kind="numeric", unit="% of GDP", stage_labels=None,
                                     unit_labels={"en": {"one": "% of GDP", "other": "% of GDP"},
                                                  "fr": {"one": "% du PIB", "other": "% du PIB"}})


def every_page(client) -> list[str]:
    """Every page a reader can reach (the methodology and API docs name the API's fields and
    values on purpose, so they are left out)."""
    slugs = [c["slug"] for c in client.get("/api/v1/candidates",
                                           params={"limit": 100}).json()["items"]]
    pages = ["/", "/?phase=member", "/attention", "/attention?within_days=3650",
             "/compare?" + "&".join(f"c={s}" for s in slugs), "/framework"]
    for slug in slugs:
        pages.append(f"/candidates/{slug}")
        for b in client.get(f"/api/v1/candidates/{slug}/status").json()["benchmarks"]:
            pages.append(f"/candidates/{slug}/benchmarks/{b['key']}")
        for r in client.get(f"/api/v1/candidates/{slug}/reports").json()["items"]:
            pages.append(f"/reports/{r['id']}")
    return pages


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_stored_key_reaches_a_page(client, language):
    stages = {s for i in client.get("/api/v1/indicators", params={"limit": 100}).json()["items"]
              for s in i["stages"] or []}
    keys = {k for k in stages | {v.value for e in ENUMS for v in e} if "_" in k}
    assert {"in_force", "interim_accreditation", "on_track", "strategic_partner"} <= keys
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, keys))) + r")\b")
    for path in every_page(client):
        response = client.get(path, params={"lang": language})
        assert response.status_code == 200, path
        leaked = pattern.findall(visible_text(response.text))
        assert not leaked, (path, sorted(set(leaked)))


def test_units_take_the_plural_form_of_their_language(client):
    english = client.get("/candidates/georgia").text
    french = client.get("/candidates/georgia", params={"lang": "fr"}).text
    status = client.get("/api/v1/candidates/georgia/status").json()
    exercises = next(b for b in status["benchmarks"] if b["key"] == "joint_exercises")
    assert exercises["latest"]["value"] == 1  # the demo's Georgia: one exercise in 2025
    assert "1 exercise per year" in english and "1 exercises" not in english
    assert "1 exercice par an" in french
    benchmarks = french.split('id="benchmarks-heading"')[1].split("</section>")[0]
    assert "% du PIB" in benchmarks and "% of GDP" not in visible_text(benchmarks)


def test_stage_names_come_from_labels_in_both_languages(client):
    english = client.get("/candidates/ukraine").text
    french = client.get("/candidates/ukraine", params={"lang": "fr"}).text
    assert "Interim accreditation" in english and "Accréditation provisoire" in french


def test_a_met_benchmark_has_a_neutral_trend():
    falling = [m(1, "2023-06-30", 3.0), m(2, "2023-12-31", 2.8), m(3, "2024-06-30", 2.6),
               m(4, "2024-12-31", 2.4)]
    evaluation = evaluate_benchmark(SPENDING, falling, date(2025, 6, 30))
    assert evaluation.status is Status.met and evaluation.trend is Trend.worsening
    token = current_language.set("en")
    try:
        assert trend_words(evaluation) == ("neutral", "above target, falling")
        assert status_sentence(evaluation, SPENDING_INDICATOR) == (
            "2.4% of GDP on Dec 31, 2024 meets the target of 2% of GDP.")
    finally:
        current_language.reset(token)


def test_a_projection_in_the_past_is_behind_the_trend_not_today():
    rising = [m(1, "2022-06-30", 1.0), m(2, "2022-12-31", 1.25), m(3, "2023-06-30", 1.5)]
    as_of = date(2025, 6, 30)
    evaluation = evaluate_benchmark(SPENDING, rising, as_of)
    assert evaluation.status is not Status.met
    assert evaluation.behind_trend_on is not None and evaluation.behind_trend_on < as_of
    token = current_language.set("en")
    try:
        sentence = status_sentence(evaluation, SPENDING_INDICATOR)
    finally:
        current_language.reset(token)
    assert "Behind its own trend" in sentence and "today" not in sentence
    assert "Jun 30, 2025" not in sentence  # the evaluation date is not a projection


def test_overdue_improving_and_projected_far_out_are_said_in_one_sentence():
    late = replace(SPENDING, due_on=date(2024, 12, 31))
    slow = [m(1, "2023-06-30", 1.0), m(2, "2023-12-31", 1.02), m(3, "2024-06-30", 1.04),
            m(4, "2024-12-31", 1.06)]
    evaluation = evaluate_benchmark(late, slow, date(2025, 6, 30))
    assert evaluation.status is Status.overdue and evaluation.trend is Trend.improving
    token = current_language.set("en")
    try:
        sentence = status_sentence(evaluation, SPENDING_INDICATOR)
    finally:
        current_language.reset(token)
    assert sentence.startswith("Overdue since Dec 31, 2024: 1.06% of GDP on Dec 31, 2024")
    assert "Improving, but" in sentence


def test_pages_show_the_sentence_not_the_apis_english_reason(client):
    status = client.get("/api/v1/candidates/bosnia-and-herzegovina/status").json()
    html = client.get("/candidates/bosnia-and-herzegovina").text
    for b in status["benchmarks"]:
        assert b["reason"] not in html
    overdue = [b for b in status["benchmarks"] if b["status"] == "overdue"]
    assert overdue
    for b in overdue:
        card = re.search(rf'id="benchmark-{b["key"]}".*?</li>', html, re.S).group(0)
        assert "Overdue since" in card, b["key"]


def test_measure_reads_stages_and_numbers():
    indicator = SimpleNamespace(kind="milestone", unit=None, unit_labels=None,
                                stage_labels={"in_force": {"en": "In force", "fr": "En vigueur"}})
    token = current_language.set("fr")
    try:
        assert measure(indicator, "in_force") == "En vigueur"
        assert measure(indicator, "not_labelled") == "Not labelled"
        assert measure(SPENDING_INDICATOR, 2.5) == "2,5\u00a0% du PIB"
    finally:
        current_language.reset(token)


def test_a_value_short_of_a_round_target_never_reads_as_it(client):
    """Sweden 2024: 1.9977175% of GDP in SIPRI; shown as "2 %" it would read as meeting 2 %."""
    token = current_language.set("en")
    try:
        assert measure(SPENDING_INDICATOR, 1.9977175, 2.0) == "1.998% of GDP"
        assert measure(SPENDING_INDICATOR, 1.9977175) == "2% of GDP"  # no target beside it
        assert measure(SPENDING_INDICATOR, 2.0, 2.0) == "2% of GDP"
        assert measure(SPENDING_INDICATOR, 2.2997918, 2.0) == "2.3% of GDP"
        assert measure(SPENDING_INDICATOR, 1.99999, 2.0) == "1.99999% of GDP"
        assert measure(SPENDING_INDICATOR, 1.497, 1.5) == "1.497% of GDP"
        assert measure(SPENDING_INDICATOR, 3.5001, 3.5) == "3.5001% of GDP"
    finally:
        current_language.reset(token)
    html = client.get("/candidates/sweden").text
    assert "1.998% of GDP" in html
