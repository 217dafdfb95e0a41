"""Every page and download as it stood on a date (`?as_of=`): the banner with the previous and
next quarterly review, the status API's statuses for that date, nothing that came later, links
that keep the date, and a clear 422 for a bad one."""

import csv
import io
import json
import re
from datetime import date, timedelta
from html import unescape

import pytest

from app.evaluation import today
from app.i18n import current_language, format_day
from app.status import quarter_end_after, quarter_end_before
from app.web.as_of import review_dates
from app.web.templating import label, percent

REVIEW = "2025-06-30"
HTML = {"accept": "text/html"}
PAGES = [(path, REVIEW) for path in (
    "/", "/candidates/georgia", "/candidates/georgia/benchmarks/defence_spending_gdp",
    "/attention", "/compare", "/framework", "/methodology")] + [
    ("/reports/2", "2026-03-31")]  # published in January 2026


def day(value, style="medium", language="en"):
    token = current_language.set(language)
    try:
        return format_day(date.fromisoformat(value) if isinstance(value, str) else value, style)
    finally:
        current_language.reset(token)


def benchmark_item(html, key):
    match = re.search(rf'<li class="benchmark" id="benchmark-{key}">.*?</li>\n', html, re.S)
    assert match, f"no benchmark {key}"
    return match.group(0)


def hrefs(html):
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]


@pytest.mark.parametrize("path, review", PAGES)
def test_every_page_as_of_a_review_has_the_banner_and_the_reviews_around_it(
    client, path, review
):
    response = client.get(f"{path}?as_of={review}")
    assert response.status_code == 200
    html = response.text
    assert f"As it stood on {day(review, 'long')}" in html
    previous = quarter_end_before(date.fromisoformat(review))
    following = quarter_end_after(date.fromisoformat(review))
    assert f'rel="prev" href="?as_of={previous}">Previous review: {day(previous, "long")}' in html
    assert f'rel="next" href="?as_of={following}">Next review: {day(following, "long")}' in html
    assert f'<a class="as-of-today" href="{path}">Back to today</a>' in html
    assert 'data-live="off"' in html  # live.js leaves the page alone
    assert "As it stood on" not in client.get(path).text
    assert 'data-live="off"' not in client.get(path).text


def test_the_banner_is_in_french_with_the_language_switch_keeping_the_date(client):
    html = client.get(f"/candidates/georgia?as_of={REVIEW}&lang=fr").text
    assert day(REVIEW, "long", "fr") in html and "30 juin 2025" in html
    english = re.search(r'<a href="([^"]+)" lang="en"', html).group(1)
    assert f"as_of={REVIEW}" in unescape(english)


def test_no_next_review_after_today(client):
    last = quarter_end_before(today())
    html = client.get(f"/?as_of={last}").text
    assert f'rel="prev" href="?as_of={quarter_end_before(last)}"' in html
    assert ('rel="next"' in html) == (quarter_end_after(last) <= today())


def test_the_candidate_page_shows_the_status_api_answer_for_that_date(client):
    for slug, as_of in [("georgia", REVIEW), ("ukraine", "2023-06-30"),
                        ("ukraine", "2023-09-30"), ("sweden", "2023-06-30")]:
        api = client.get(f"/api/v1/candidates/{slug}/status?as_of={as_of}").json()
        html = client.get(f"/candidates/{slug}?as_of={as_of}").text
        assert api["as_of"] == as_of
        facts = re.search(r'<dl class="summary-list">.*?</dl>', html, re.S).group(0)
        assert f"<dt>Tier</dt><dd>{label(api['tier'])}" in facts
        assert f"<dt>Phase</dt><dd>{label(api['phase'])}</dd>" in facts
        if api["phase"] != "member":
            readiness = re.search(r'<span class="big-figure">([^<]+)</span>', html).group(1)
            assert readiness == (percent(api["readiness"]) if api["readiness"] is not None
                                 else "no data")
        for b in api["benchmarks"]:
            item = benchmark_item(html, b["key"])
            if api["phase"] != "member":
                assert f"status-{b['status']}" in item
            if b["latest"]:
                assert f"(as of {day(b['latest']['as_of'])})" in item
            else:
                assert "<dt>Latest</dt><dd>no data</dd>" in item


def test_the_tier_and_phase_history_matters(client):
    before = client.get("/candidates/ukraine?as_of=2023-06-30").text
    after = client.get("/candidates/ukraine?as_of=2023-09-30").text
    assert "<dt>Tier</dt><dd>Strategic partner" in before
    assert "<dt>Tier</dt><dd>Interim ally" in after
    assert day("2023-07-12") not in before and day("2023-07-12") in after  # the history
    sweden = client.get("/candidates/sweden?as_of=2023-06-30").text
    assert "<dt>Phase</dt><dd>Ratification</dd>" in sweden
    joined = f"Member since {day('2024-03-07')}."  # the accession section's
    assert joined not in sweden and joined in client.get("/candidates/sweden").text
    overview = client.get("/?as_of=2023-06-30").text
    assert '<a href="/candidates/sweden?as_of=2023-06-30">' in overview
    completed = re.search(r'<section aria-labelledby="completed-heading">.*?</section>',
                          overview, re.S).group(0)
    assert "/candidates/finland?as_of=2023-06-30" in completed  # a member since April 2023
    assert "/candidates/sweden" not in completed


def test_an_update_recorded_after_the_date_is_left_out(client, analyst_headers):
    key = "defence_spending_gdp"
    before = client.get(f"/api/v1/candidates/georgia/status?as_of={REVIEW}").json()
    posted = client.post("/api/v1/candidates/georgia/updates", headers=analyst_headers,
                         json={"benchmark": key, "value": 9.5, "as_of": "2025-06-01",
                               "source": "Late-recorded figure"})
    assert posted.status_code == 201
    after = client.get(f"/api/v1/candidates/georgia/status?as_of={REVIEW}").json()
    assert after == before  # measured before the date, but recorded today
    for path in (f"/candidates/georgia?as_of={REVIEW}",
                 f"/candidates/georgia/benchmarks/{key}?as_of={REVIEW}"):
        assert "Late-recorded figure" not in client.get(path).text
    assert "Late-recorded figure" in client.get(f"/candidates/georgia/benchmarks/{key}").text


def test_a_report_published_after_the_date_does_not_show(client):
    published = client.get("/candidates/georgia").text
    assert re.search(r'<a href="/reports/\d+">2025-Q4', published)
    html = client.get("/candidates/georgia?as_of=2025-12-31").text
    assert "/reports/" not in html and "No report has been published yet." in html
    report_id = re.search(r'<a href="/reports/(\d+)">2025-Q4', published).group(1)
    assert client.get(f"/reports/{report_id}?as_of=2025-12-31",
                      headers=HTML).status_code == 404
    assert client.get(f"/reports/{report_id}?as_of=2026-01-21").status_code == 200


def test_downloads_as_of_a_date_leave_out_later_observations(client):
    end = date.fromisoformat(REVIEW) + timedelta(days=1)
    for path in ("/candidates/georgia.csv", "/candidates/georgia/benchmarks/"
                 "defence_spending_gdp.csv", "/dataset.csv"):
        everything = list(csv.DictReader(io.StringIO(client.get(path).text)))
        then = list(csv.DictReader(io.StringIO(client.get(f"{path}?as_of={REVIEW}").text)))
        assert then and (len(then) < len(everything) or "benchmarks" in path)
        assert all(row["as_of"] <= REVIEW and row["recorded_at"] < end.isoformat()
                   for row in then)
        assert [r for r in everything if r["as_of"] <= REVIEW
                and r["recorded_at"] < end.isoformat()] == then
    document = client.get(f"/candidates/georgia.json?as_of={REVIEW}").json()
    api = client.get(f"/api/v1/candidates/georgia/status?as_of={REVIEW}").json()
    assert document["status"] == json.loads(json.dumps(api))
    assert all(u["as_of"] <= REVIEW for u in document["updates"])
    dataset = client.get(f"/dataset.json?as_of={REVIEW}").json()
    assert dataset["as_of"] == REVIEW
    georgia = next(c for c in dataset["candidates"] if c["slug"] == "georgia")
    assert georgia["status"] == document["status"]


@pytest.mark.parametrize("value, why", [
    ("2025-02-30", "day value is outside expected range"),
    ("30/06/2025", "as_of"),
    ("1899-12-31", "must not be before 1900-01-01"),
    ((date.today() + timedelta(days=400)).isoformat(), "cannot be in the future"),
])
def test_a_bad_date_is_a_clear_422(client, value, why):
    for path in ("/", "/candidates/georgia", "/candidates/georgia.csv"):
        response = client.get(f"{path}?as_of={value}", headers=HTML)
        assert response.status_code == 422
        assert "as_of" in response.text and why in unescape(response.text)
    api = client.get(f"/api/v1/candidates/georgia/status?as_of={value}")
    page = client.get(f"/candidates/georgia?as_of={value}")  # as JSON: the API's problem
    assert api.status_code == page.status_code == 422
    assert page.json()["errors"][0]["field"] == "as_of"


def test_the_picker_lists_the_quarter_ends(client):
    for path in ("/", "/candidates/georgia", f"/compare?as_of={REVIEW}"):
        html = client.get(path).text
        select = re.search(r'<select id="\w+-review" name="as_of">.*?</select>', html, re.S)
        assert select, path
        values = re.findall(r'<option value="([^"]*)"', select.group(0))
        assert values[0] == ""  # today
        ends = [date.fromisoformat(v) for v in values[1:]]
        assert ends == review_dates(date(2019, 1, 1), quarter_end_before(today()))
        assert ends[0] == quarter_end_before(today()) and ends[-1] == date(2019, 3, 31)
        assert all(quarter_end_before(d + timedelta(days=1)) == d for d in ends)
        assert re.search(r'<label for="\w+-review">Quarterly review</label>', html)
        assert re.search(r'<label for="\w+-day">Any date</label>', html)
    chosen = client.get(f"/?as_of={REVIEW}").text
    assert f'<option value="{REVIEW}" selected>' in chosen


def test_review_dates_run_from_the_first_quarter_end_to_the_last():
    assert review_dates(date(2024, 3, 31), date(2024, 12, 31)) == [
        date(2024, 12, 31), date(2024, 9, 30), date(2024, 6, 30), date(2024, 3, 31)]
    assert review_dates(date(2024, 4, 1), date(2024, 9, 30)) == [
        date(2024, 9, 30), date(2024, 6, 30)]
    assert quarter_end_after(date(2025, 6, 30)) == date(2025, 9, 30)
    assert quarter_end_after(date(2025, 12, 31)) == date(2026, 3, 31)
    assert quarter_end_after(date(2025, 5, 1)) == date(2025, 6, 30)


def test_links_keep_the_date(client):
    kept = f"as_of={REVIEW}"
    candidate = client.get(f"/candidates/georgia?{kept}").text
    links = hrefs(candidate)
    for expected in ("/candidates/georgia/benchmarks/defence_spending_gdp?",
                     "/candidates/georgia.csv?", "/candidates/georgia.json?",
                     "/compare?c=georgia&", "/dataset.csv?", "/dataset.json?", "/?",
                     "/compare?", "/framework?"):
        assert expected + kept in links, expected
    overview = client.get(f"/?{kept}").text
    assert f"/candidates/georgia?{kept}" in hrefs(overview)
    assert f'<input type="hidden" name="as_of" value="{REVIEW}">' in overview  # the filters
    compare = client.get(f"/compare?{kept}").text
    assert f'<input type="hidden" name="as_of" value="{REVIEW}">' in compare
    assert f"/candidates/georgia?{kept}" in hrefs(compare)
    benchmark = client.get(f"/candidates/georgia/benchmarks/defence_spending_gdp?{kept}").text
    assert f"/candidates/georgia?{kept}" in hrefs(benchmark)
    assert f"/candidates/georgia/benchmarks/defence_spending_gdp.csv?{kept}" in hrefs(benchmark)
    today_links = hrefs(client.get("/candidates/georgia").text)
    assert "/candidates/georgia.csv" in today_links and not any(
        "as_of=" in link for link in today_links)


def test_needs_attention_as_of_a_date_lists_what_the_api_lists(client):
    as_of = "2024-06-30"
    api = client.get(f"/api/v1/attention?as_of={as_of}&limit=200").json()
    html = client.get(f"/attention?as_of={as_of}").text
    listed = re.findall(r'<a href="/candidates/([a-z0-9-]+)/benchmarks/([a-z0-9_]+)\?as_of='
                        + as_of + '">', html)
    assert listed == [(i["candidate"]["slug"], i["benchmark"]["key"]) for i in api["items"]]
    assert listed != re.findall(r'<a href="/candidates/([a-z0-9-]+)/benchmarks/([a-z0-9_]+)">',
                                client.get("/attention").text)


def test_compare_scores_a_member_of_today_as_it_stood_before_it_joined(client):
    then = client.get("/compare?c=sweden&c=georgia&as_of=2023-06-30").text
    now = client.get("/compare?c=sweden&c=georgia").text
    assert "Member: not scored" in now and "Member: not scored" not in then
    assert 'id="across-tiers"' in then  # a full candidate then, beside a strategic partner


def test_a_summary_written_later_says_it_is_today_s(client):
    """Sweden's summary tells of its membership (2024); as of 2023 the page says the summary
    is today's, not that date's."""
    then = client.get("/candidates/sweden?as_of=2023-06-30").text
    assert "Today's summary, not as of that date" in then
    now = client.get("/candidates/sweden").text
    assert "Today's summary" not in now
