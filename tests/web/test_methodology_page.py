"""The reader's methodology (/methodology): every status explained with the site's words and
symbols, the rules' own thresholds, no source path, French from the catalogue, and a worked
example computed live that agrees with the status API and follows the data."""

import html
import re
import statistics
from datetime import date, timedelta

import pytest
from babel.messages.extract import extract_from_file
from sqlalchemy import update

from app import status as rules
from app.i18n import current_language
from app.models import Candidate
from app.status import Status
from app.web.methodology import EXAMPLE_BENCHMARK, EXAMPLE_CANDIDATE, worked_example
from app.web.templating import LABELS, STATUS_SYMBOLS, TEMPLATES_DIR
from tests.helpers import ENUMS, PLACEHOLDER, french_catalogue, visible_text

STATUS_URL = f"/api/v1/candidates/{EXAMPLE_CANDIDATE}/status"


def page(client, **params) -> str:
    response = client.get("/methodology", params=params)
    assert response.status_code == 200
    return response.text


def example_figures(html_text: str) -> dict:
    """What the worked example shows, read from its machine-readable marks."""
    def find(pattern: str) -> str | None:
        match = re.search(pattern, html_text)
        return match.group(1) if match else None

    return {
        "latest": float(find(r'id="example-latest"><data value="([^"]+)"')),
        "target": float(find(r'id="example-target"><data value="([^"]+)"')),
        "projected_on": find(r'id="example-projected" data-projected-on="([^"]+)"'),
        "status": find(r'id="example-status" data-status="([^"]+)"'),
        "previous_status": find(r'id="example-change" data-previous-status="([^"]*)"') or None,
    }


def api_benchmark(client) -> dict:
    body = client.get(STATUS_URL).json()
    return next(b for b in body["benchmarks"] if b["key"] == EXAMPLE_BENCHMARK)


def test_example_figures_are_those_of_the_status_api(client):
    shown = example_figures(page(client))
    api = api_benchmark(client)
    assert shown == {"latest": api["latest"]["value"], "target": api["target"],
                     "projected_on": api["projected_on"], "status": api["status"],
                     "previous_status": api["previous_status"]}
    assert shown["projected_on"] is not None  # the example shows a projection


def test_example_follows_a_new_observation(client, analyst_headers):
    before = example_figures(page(client))
    posted = client.post(f"/api/v1/candidates/{EXAMPLE_CANDIDATE}/updates", headers=analyst_headers,
                         json={"benchmark": EXAMPLE_BENCHMARK, "value": 16.5,
                               "as_of": (date.today() - timedelta(days=1)).isoformat(),
                               "source": "Ministry of Defence annual report"})
    assert posted.status_code == 201, posted.text
    html_text = page(client)
    after = example_figures(html_text)
    api = api_benchmark(client)
    assert after["latest"] == 16.5 != before["latest"]
    assert after["status"] == api["status"] == "met" != before["status"]
    assert after["projected_on"] is None and api["projected_on"] is None
    assert "Ministry of Defence annual report" in html_text
    assert "met: 100%" in visible_text(html_text)


def test_worked_example_is_the_rules_applied_to_the_data(session):
    example = worked_example(session)
    assert example is not None
    b = example.evaluation
    # The trend's observations: within the window, at most the latest few, ending at the latest.
    assert 2 <= len(example.trend) <= rules.TREND_MAX_POINTS
    assert all(m.as_of >= example.trend_since for m in example.trend)
    assert example.trend[-1] == b.latest
    # The slope shown is the least-squares line through exactly those observations.
    xs = [(m.as_of - example.trend[0].as_of).days / rules.DAYS_PER_YEAR for m in example.trend]
    fit = statistics.linear_regression(xs, [m.value for m in example.trend])
    assert b.slope == pytest.approx(fit.slope)
    # The projection: the line continued from the latest value until it reaches the target.
    reached = b.latest.as_of + timedelta(days=example.days_needed)
    assert reached == (b.behind_trend_on or b.projected_on)
    # The category's readiness is the weighted average of its rows, no data counting 0.
    rows = example.rows
    assert example.category.readiness == pytest.approx(
        sum(r.weighted for r in rows) / sum(r.weight for r in rows))
    assert EXAMPLE_BENCHMARK in {x.spec.key for x in example.category.benchmarks}


def test_page_without_the_demo_candidate_omits_the_example(client, session):
    session.execute(update(Candidate).where(Candidate.slug == EXAMPLE_CANDIDATE)
                    .values(slug="elsewhere"))
    session.flush()
    assert worked_example(session) is None
    html_text = page(client)
    assert 'id="example' not in html_text and 'href="#example"' not in html_text
    assert 'id="statuses"' in html_text


def test_page_has_its_sections_and_names_no_source_path(client):
    html_text = page(client)
    for anchor in ("statuses", "readiness", "projections", "as-of", "sources", "example"):
        assert f'id="{anchor}"' in html_text and f'href="#{anchor}"' in html_text
    assert "app/" not in html_text and ".py" not in html_text
    assert "<code>docs/status-rules.md</code>" in html_text
    assert (f'href="/candidates/{EXAMPLE_CANDIDATE}/benchmarks/{EXAMPLE_BENCHMARK}"'
            in html_text)


def test_page_quotes_the_thresholds_the_rules_use(client):
    text = visible_text(page(client))
    for phrase in (f"at most {rules.AT_RISK_GRACE_DAYS} days after its due date",
                   f"at least {rules.NEAR_TARGET_PROGRESS:.0f}% of the way",
                   f"in the last {rules.TREND_WINDOW_YEARS} years",
                   f"at most the {rules.TREND_MAX_POINTS} most recent",
                   f"fewer than {rules.TREND_MIN_POINTS} observations",
                   f"less than {rules.FLAT_SLOPE_SHARE * 100:.0f}% of the distance",
                   f"more than {rules.PROJECTION_HORIZON_YEARS} years"):
        assert phrase in text, phrase


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_status_is_explained_with_the_badges_words(client, language):
    html_text = page(client, lang=language)
    statuses = html_text[html_text.index('id="statuses"'):html_text.index('id="readiness"')]
    token = current_language.set(language)
    try:
        from app.i18n import gettext
        words = {s: gettext(LABELS[s.value]) for s in Status}
    finally:
        current_language.reset(token)
    for s in Status:
        badge = (f'<span class="status status-{s.value}"><span class="status-symbol" '
                 f'aria-hidden="true">{STATUS_SYMBOLS[s.value]}</span> {words[s]}</span>')
        assert badge in statuses, s
        explained = statuses.split(badge, 1)[1].split("</dd>", 1)[0]
        assert len(visible_text(explained)) > 40, s


def test_french_page_shows_no_english_sentence_of_the_catalogue(client):
    """Each message of the page, cut at its placeholders: no English piece of four words or
    more may appear on the French page (the catalogue has French for every one)."""
    french = html.unescape(visible_text(page(client, lang="fr")))
    english = html.unescape(visible_text(page(client, lang="en")))
    messages = [m for _, m, _, _ in extract_from_file(
        "jinja2", str(TEMPLATES_DIR / "methodology.html"), options={"trim_blocks": "true"})]
    catalog = french_catalogue()
    checked = 0
    for message in messages:
        msgid = message if isinstance(message, str) else message[0]
        assert catalog.get(msgid) and catalog.get(msgid).string, msgid
        for piece in PLACEHOLDER.sub("\0", msgid.replace("%%", "%")).split("\0"):
            if len(piece.split()) >= 4:
                checked += piece.strip() in english  # some only show in some cases
                assert piece.strip() not in french, piece
    assert checked > 20
    assert "Niveau de préparation" in french


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_stored_key_reaches_the_page(client, language):
    """As for every other page (tests/web/test_honest_wording.py): readers see words, not
    `on_track` or `interim_ally`."""
    keys = {v.value for e in ENUMS for v in e if "_" in v.value}
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, keys))) + r")\b")
    assert not pattern.findall(visible_text(page(client, lang=language)))
