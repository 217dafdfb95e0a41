"""Needs attention on the overview, on each candidate's page and on its own page /attention:
rows with links, due dates and days in words, in English and French, without JavaScript."""

import re
from datetime import timedelta

from app.evaluation import today
from app.i18n import current_language, format_day
from app.web import pages
from tests.factories import IA, add_candidate, grow
from tests.helpers import count_queries


def section(html):
    """The Needs attention section of a page."""
    match = re.search(r'<section class="attention".*?</section>', html, re.S)
    assert match, "no Needs attention section"
    return match.group(0)


def benchmark_links(html):
    """(slug, key) of each row's benchmark link, in order."""
    return re.findall(r'<a href="/candidates/([a-z0-9-]+)/benchmarks/([a-z0-9_]+)">', html)


def day(days, language="en"):
    token = current_language.set(language)
    try:
        return format_day(today() + timedelta(days))
    finally:
        current_language.reset(token)


def add_testland(session):
    add_candidate(session, "testland", "Testland",
                  due={"defence_spending_gdp": -12, "joint_exercises": 30,
                       "nato_standards_adoption": 200, "civilian_control_law": -100},
                  met={"civilian_control_law"}, values={"defence_spending_gdp": 0.5})


def test_overview_shows_what_is_late_and_due_soon(client, session):
    add_testland(session)
    html = section(client.get("/").text)
    assert "<h2" in html and "Needs attention" in html
    assert '<a href="/candidates/testland">Testland</a>' in html
    late = re.search(r'<a href="/candidates/testland/benchmarks/defence_spending_gdp">.*?</tr>',
                     html, re.S).group(0)
    assert day(-12) in late and f'datetime="{today() - timedelta(12)}"' in late
    assert "12 days late" in late and "status-overdue" in late
    soon = re.search(r'<a href="/candidates/testland/benchmarks/joint_exercises">.*?</tr>',
                     html, re.S).group(0)
    assert day(30) in soon and "30 days left" in soon and "status-no_data" in soon
    for not_listed in ("nato_standards_adoption", "civilian_control_law"):
        assert f"/candidates/testland/benchmarks/{not_listed}" not in html
    assert "/candidates/sweden" not in html and "/candidates/finland" not in html
    assert '<a href="/attention">' in html


def test_overview_shows_the_most_urgent_ten_of_the_whole_list(client, session):
    for k in range(12):
        add_candidate(session, f"many-{k:02d}", f"Many {k:02d}", due={"joint_exercises": k - 20})
    whole = client.get("/api/v1/attention").json()
    assert whole["total"] > pages.ATTENTION_SHOWN
    shown = benchmark_links(section(client.get("/").text))
    assert shown == [(i["candidate"]["slug"], i["benchmark"]["key"])
                     for i in whole["items"][:pages.ATTENTION_SHOWN]]
    # Sorted by readiness, every candidate is evaluated anyway: the same ten.
    assert benchmark_links(section(client.get("/", params={"sort": "readiness"}).text)) == shown


def test_overview_follows_its_filters(client, session):
    add_testland(session)
    add_candidate(session, "ialand", "Ialand", tier=IA, due={"joint_exercises": 5})
    html = section(client.get("/", params={"tier": IA}).text)
    assert "/candidates/ialand/benchmarks/joint_exercises" in html and "5 days left" in html
    assert "testland" not in html
    assert '<a href="/attention?tier=interim_ally">' in html
    members = section(client.get("/", params={"phase": "member"}).text)
    assert "accession is complete" in members and "<table" not in members


def test_singular_days_and_due_today(client, session):
    add_candidate(session, "testland", "Testland",
                  due={"defence_spending_gdp": -1, "joint_exercises": 1, "civilian_control_law": 0})
    html = section(client.get("/candidates/testland").text)
    assert "1 day late" in html and "1 day left" in html and "due today" in html
    assert "1 days" not in html


def test_day_counts_are_numbers_in_the_readers_format(client, session):
    add_candidate(session, "testland", "Testland", due={"defence_spending_gdp": -1234})
    assert "1,234 days late" in section(client.get("/candidates/testland").text)
    assert "1\u202f234 jours de retard" in section(
        client.get("/candidates/testland", params={"lang": "fr"}).text)


def test_candidate_page_shows_its_own_items(client, session):
    add_testland(session)
    add_candidate(session, "ialand", "Ialand", tier=IA, due={"joint_exercises": 5})
    html = section(client.get("/candidates/testland").text)
    assert benchmark_links(html) == [("testland", "defence_spending_gdp"),
                                     ("testland", "joint_exercises")]
    assert "12 days late" in html and "30 days left" in html
    assert '<a href="/candidates/testland">' not in html  # no candidate column on its own page
    assert "Candidate</th>" not in html


def test_a_members_page_says_why_nothing_is_listed(client):
    html = section(client.get("/candidates/sweden").text)
    assert "accession is complete" in html and "<table" not in html


def test_nothing_due_says_so(client, session):
    add_candidate(session, "testland", "Testland")  # everything due far ahead
    html = section(client.get("/candidates/testland").text)
    assert "Nothing is overdue or due by" in html and day(90) in html


def test_attention_page_lists_everything_a_page_at_a_time(client, session, monkeypatch):
    for k in range(7):
        add_candidate(session, f"many-{k}", f"Many {k}", tier=IA, due={"joint_exercises": k - 3})
    whole = client.get("/api/v1/attention", params={"tier": IA, "within_days": 30}).json()
    monkeypatch.setattr(pages, "PAGE_SIZE", 3)
    first = client.get("/attention", params={"tier": IA, "within_days": 30})
    assert first.status_code == 200
    assert f"{whole['total']} benchmarks need attention" in first.text
    assert benchmark_links(section(first.text)) == [
        (i["candidate"]["slug"], i["benchmark"]["key"]) for i in whole["items"][:3]]
    assert 'href="?tier=interim_ally&amp;phase=&amp;within_days=30&amp;page=2"' in first.text
    second = client.get("/attention", params={"tier": IA, "within_days": 30, "page": 2}).text
    assert benchmark_links(section(second)) == [
        (i["candidate"]["slug"], i["benchmark"]["key"]) for i in whole["items"][3:6]]
    assert '<option value="interim_ally" selected>' in second
    assert 'href="/api/v1/attention?tier=interim_ally&amp;within_days=30"' in second


def test_attention_page_refuses_a_bad_horizon(client):
    response = client.get("/attention", params={"within_days": 5000},
                          headers={"accept": "text/html"})
    assert response.status_code == 400
    assert "within_days" in response.text


def test_in_french(client, session):
    add_testland(session)
    overview = section(client.get("/", params={"lang": "fr"}).text)
    assert ">À surveiller</h2>" in overview
    assert "12 jours de retard" in overview and "30 jours restants" in overview
    assert day(-12, "fr") in overview
    assert "Needs attention" not in overview and "days" not in overview
    page = client.get("/attention", params={"lang": "fr"}).text
    assert "<h1>Critères à surveiller</h1>" in page and "critères à surveiller</p>" in page
    add_candidate(session, "unland", "Unland", due={"joint_exercises": -1})
    assert "1 jour de retard" in section(client.get("/candidates/unland",
                                                    params={"lang": "fr"}).text)


def test_overview_query_count_does_not_grow_when_it_must_evaluate_more(client, session,
                                                                      monkeypatch):
    """With a page of two, the shown candidates' statuses cannot answer Needs attention: the
    overview evaluates more candidates, in a fixed number of queries however many there are."""
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    before = count_queries(session, client, "/")
    grow(session)
    for k in range(30):
        add_candidate(session, f"late-{k:02d}", f"Late {k:02d}", due={"joint_exercises": -k})
    # 22: with the map's member states and the next-phase column's gates
    assert count_queries(session, client, "/") == before <= 22
