"""Illustrative everywhere (issue 15, point 5): a target that is this tool's own tiering, a
value from demonstration data, an illustrative tier assignment and any readiness resting on
them carry the mark on every page and download that shows them."""

import csv
import io
import re

MARK = 'class="tag">illustrative<'


def _card(html: str, key: str) -> str:
    return re.search(rf'id="benchmark-{key}".*?</li>', html, re.S).group(0)


def test_a_tiers_own_target_is_marked_and_an_alliance_target_is_not(client):
    """Georgia's 1.5 % (strategic partners) is this tool's tiering; 2 % for full candidates
    is the alliance's guideline."""
    georgia = client.get("/api/v1/candidates/georgia/status").json()
    spending = next(b for b in georgia["benchmarks"] if b["key"] == "defence_spending_gdp")
    assert spending["target"] == 1.5 and spending["target_is_illustrative"] is True
    target = re.search(r"<dt>Target</dt><dd>(.*?)</dd>",
                       _card(client.get("/candidates/georgia").text, "defence_spending_gdp"),
                       re.S).group(1)
    assert MARK in target

    finland = client.get("/api/v1/candidates/finland/status").json()
    full = next(b for b in finland["benchmarks"] if b["key"] == "defence_spending_gdp")
    assert full["target"] == 2.0 and full["target_is_illustrative"] is False
    target = re.search(r"<dt>Target</dt><dd>(.*?)</dd>",
                       _card(client.get("/candidates/finland").text, "defence_spending_gdp"),
                       re.S).group(1)
    assert MARK not in target

    framework = client.get("/framework").text
    tables = framework.split('class="tier"')
    strategic = next(t for t in tables if 'id="tier-strategic_partner"' in t)
    full_tier = next(t for t in tables if 'id="tier-full_candidate"' in t)
    spending_row = r"Defence spending \(% of GDP\)</th>.*?</tr>"
    assert MARK in re.search(spending_row, strategic, re.S).group(0)
    assert MARK not in re.search(spending_row, full_tier, re.S).group(0)


def test_requirements_say_whether_they_are_illustrative_in_the_api(client):
    body = client.get("/api/v1/benchmarks/defence_spending_gdp").json()
    flags = {r["tier"]: r["is_illustrative"] for r in body["requirements"]}
    assert flags == {"strategic_partner": True, "interim_ally": True, "full_candidate": False}


def test_charts_of_illustrative_data_say_so_on_the_chart(client):
    html = client.get("/candidates/ukraine/benchmarks/joint_exercises").text
    chart = html.split('<figure class="chart">')[1].split("</figure>")[0]
    assert "Illustrative data, not official figures." in chart
    real = client.get("/candidates/finland/benchmarks/defence_spending_gdp").text
    assert "Illustrative data" not in real.split('<figure class="chart">')[1]


def test_downloads_carry_an_is_illustrative_column(client):
    for url in ("/candidates/ukraine.csv", "/candidates/ukraine/benchmarks/joint_exercises.csv",
                "/dataset.csv"):
        rows = list(csv.DictReader(io.StringIO(client.get(url).text)))
        assert rows and "is_illustrative" in rows[0], url
    exercises = list(csv.DictReader(io.StringIO(
        client.get("/candidates/ukraine/benchmarks/joint_exercises.csv").text)))
    assert {r["is_illustrative"] for r in exercises} == {"True"}
    document = client.get("/candidates/ukraine.json").json()
    assert document["status"]["is_illustrative"] is True


def test_percent_never_rounds_a_shortfall_up_to_100():
    from app.web.templating import percent

    assert percent(99.6) == "99%" and percent(100.0) == "100%" and percent(None) == "—"
