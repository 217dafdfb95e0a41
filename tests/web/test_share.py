"""Sharing (issue 16): the one-page brief, each chart's embed page (the one route other sites
may frame), its standalone SVG and its own CSV, and the share links beside every chart."""

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from app.candidates.service import get_candidate
from app.config import get_settings
from app.web.share import brief_context, shared_chart

SVG = "{http://www.w3.org/2000/svg}"
BENCHMARK = "/candidates/ukraine/benchmarks/defence_spending_gdp"


def hrefs(html: str, text: str) -> list[str]:
    """The targets of the links whose text (before any hidden words) is `text`."""
    return re.findall(rf'<a [^>]*href="([^"]+)"[^>]*>{re.escape(text)}[<]', html)


def test_embed_page_is_the_chart_alone(client):
    response = client.get("/embed" + BENCHMARK)
    assert response.status_code == 200
    html = response.text
    for chrome in ("site-header", "site-footer", "<nav", "skip-link", "freshness"):
        assert chrome not in html
    assert "<script" not in html and " style=" not in html
    assert 'class="chart-history chart-wide"' in html and "chart-narrow" in html
    assert "Defence spending (% of GDP) — Ukraine" in html
    assert "Source: " in html and "SIPRI" in html
    assert "Illustrative data, not official figures." in html
    link = re.search(r'<a href="([^"]+)" target="_blank" rel="noopener">View on Accession '
                     r'Tracker', html)
    assert link and link.group(1) == get_settings().site_url + BENCHMARK


def test_only_the_embed_page_may_be_framed(client):
    embed = client.get("/embed" + BENCHMARK).headers
    assert "frame-ancestors *" in embed["content-security-policy"]
    assert "frame-ancestors 'none'" not in embed["content-security-policy"]
    assert "script-src 'self'" in embed["content-security-policy"]  # still no inline script
    assert "x-frame-options" not in embed
    for path in ("/", "/candidates/ukraine", BENCHMARK, "/candidates/ukraine/brief",
                 BENCHMARK + ".svg", BENCHMARK + ".csv", "/api/v1/candidates"):
        headers = client.get(path).headers
        assert headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path


def test_embed_page_follows_lang_and_as_of(client):
    html = client.get("/embed" + BENCHMARK, params={"lang": "fr", "as_of": "2021-06-30"}).text
    assert '<html lang="fr">' in html
    assert "Voir sur Suivi des adhésions" in html
    assert "Au 30 juin 2021" in html
    assert f"{BENCHMARK}?as_of=2021-06-30&amp;lang=fr" in html  # its permalink keeps both


def test_svg_is_a_standalone_file_with_title_source_and_points(client, session):
    response = client.get(BENCHMARK + ".svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["content-disposition"] == (
        'attachment; filename="ukraine-defence_spending_gdp.svg"')
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script" not in policy
    root = ET.fromstring(response.content)
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "Defence spending (% of GDP) — Ukraine"
    assert root.find(f"{SVG}style") is not None  # it styles itself, opened on its own
    assert root.find(f".//{SVG}script") is None
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Source: SIPRI" in texts
    assert "Illustrative data, not official figures." in texts
    assert "meets the target of 2% of GDP" in texts
    shared = shared_chart(session, "ukraine", "defence_spending_gdp", None)
    circles = [c for c in root.iter(f"{SVG}circle") if "point" in c.get("class", "")]
    assert len(circles) == len(shared.points) > 5
    days = [c.find(f"{SVG}title").text.split(":")[0] for c in circles]
    assert days[-1] == "Dec 31, 2024"  # the latest measurement, as the page's data table


def test_benchmark_page_links_its_own_csv_svg_and_embed(client):
    html = client.get(BENCHMARK).text
    assert hrefs(html, "CSV") == [BENCHMARK + ".csv"]
    assert hrefs(html, "SVG") == [BENCHMARK + ".svg"]
    assert hrefs(html, "Permalink") == [get_settings().site_url + BENCHMARK]
    assert f'&lt;iframe src="{get_settings().site_url}/embed{BENCHMARK}"' in html
    rows = list(csv.DictReader(io.StringIO(client.get(BENCHMARK + ".csv").text)))
    assert rows and {r["benchmark"] for r in rows} == {"defence_spending_gdp"}
    assert {r["candidate"] for r in rows} == {"ukraine"}


def test_every_chart_of_the_candidate_page_can_be_shared(client):
    html = client.get("/candidates/ukraine").text
    charts = html.count('class="sparkline"')
    assert charts == 7
    keys = re.findall(r'id="embed-code-([a-z_]+)"', html)
    assert len(keys) == charts
    for key in keys:
        path = f"/candidates/ukraine/benchmarks/{key}"
        assert hrefs(html, "SVG").count(path + ".svg") == 1
        assert path + ".csv" in hrefs(html, "CSV")
        assert client.get(path + ".svg").status_code == 200
    assert 'href="/candidates/ukraine/brief"' in html
    assert 'class="print-only print-note"' in html


@pytest.mark.parametrize("path", [
    "/candidates/atlantis/brief",
    "/embed/candidates/atlantis/benchmarks/defence_spending_gdp",
    "/embed/candidates/ukraine/benchmarks/no_such_benchmark",
    "/candidates/atlantis/benchmarks/defence_spending_gdp.svg",
    "/candidates/ukraine/benchmarks/no_such_benchmark.svg",
])
def test_unknown_candidate_or_benchmark_is_404(client, path):
    assert client.get(path).status_code == 404


def test_brief_shows_every_benchmark_status_and_its_permalink(client):
    status = client.get("/api/v1/candidates/ukraine/status").json()
    html = client.get("/candidates/ukraine/brief").text
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", html, re.S)
    assert len(rows) == len(status["benchmarks"]) == 7
    for benchmark, row in zip(status["benchmarks"], rows, strict=True):
        assert benchmark["title"] in row
        assert f'status-{benchmark["status"]}' in row
    permalink = get_settings().site_url + "/candidates/ukraine/brief"
    assert f'href="{permalink}"' in html
    assert "Illustrative data, not official figures" in html
    assert "Needs attention" in html and "Law on the protection of classified" in html
    assert html.count('class="brief-chart"') == 4  # the most urgent, drawn small
    assert "site-header" in html  # a page of the site; print hides its chrome


def test_brief_as_of_a_past_date_evaluates_then(client):
    html = client.get("/candidates/ukraine/brief", params={"as_of": "2021-06-30"}).text
    assert "This brief describes Jun 30, 2021." in html
    assert "/candidates/ukraine/brief?as_of=2021-06-30" in html
    assert "Strategic partner" in html  # Ukraine's tier then (interim ally since July 2023)
    assert client.get("/candidates/ukraine/brief",
                      params={"as_of": "2999-01-01"}).status_code == 422


def test_brief_draws_the_most_urgent_benchmarks(session):
    context = brief_context(session, get_candidate(session, "ukraine"), date(2026, 12, 1))
    drawn = [c["status"] for c in context["charts"]]
    ranks = ["overdue", "off_track", "at_risk", "no_data", "on_track", "met"]
    assert [ranks.index(s) for s in drawn] == sorted(ranks.index(s) for s in drawn)
    assert drawn[0] == min((r["evaluation"].status for r in context["rows"]),
                           key=ranks.index)


def test_member_brief_is_its_accession_unscored(client):
    html = client.get("/candidates/finland/brief").text
    assert "Member since Apr 4, 2023." in html
    assert "status-" not in html  # no status: a member is not scored
    assert "Needs attention" not in html
    assert "Figures, kept as comparators" in html


def test_brief_in_french(client):
    html = client.get("/candidates/georgia/brief", params={"lang": "fr"}).text
    assert '<html lang="fr">' in html
    assert "Note d’une page" in html and "Géorgie" in html
    assert "/candidates/georgia/brief?lang=fr" in html  # its permalink opens in French
