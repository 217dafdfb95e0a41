"""Readiness read as a policymaker reads it: within its tier, in words, with missing data shown
as a gap (not 0 %), and never compared across tiers without saying so."""

import re

from app.web.templating import label


def _status(client, slug):
    return client.get(f"/api/v1/candidates/{slug}/status").json()


def _aspirant_tables(html: str) -> str:
    """The overview's tables of aspirants, after the Needs attention section."""
    return html[html.index('<section class="tier-group"'):]


def test_the_overview_says_what_each_readiness_figure_counts(client):
    html = _aspirant_tables(client.get("/").text)
    for slug in ("ukraine", "georgia", "bosnia-and-herzegovina"):
        status = _status(client, slug)
        row = re.search(rf'href="/candidates/{slug}".*?</tr>', html, re.S).group(0)
        met, total = status["counts"]["met"], len(status["benchmarks"])
        words = (f"Meets {met} of {total} benchmark{'s' if total != 1 else ''} of its tier "
                 f"({label(status['tier'])})")
        assert words in row
        assert f"{round(status['readiness'])}% weighted progress" in row
        missing = status["counts"]["no_data"]
        assert (f"no data for {missing} of {total}, counted as no progress" in row) == bool(
            missing)


def test_a_category_without_data_is_a_gap_not_zero(client):
    """Georgia's legislation benchmarks include one without any measurement."""
    status = _status(client, "georgia")
    gaps = [c for c in status["categories"] if c["counts"]["no_data"]]
    assert gaps, "the demo has a benchmark without data"
    html = client.get("/candidates/georgia").text
    for category in gaps:
        total = sum(category["counts"].values())
        assert f"no data for {category['counts']['no_data']} of {total}" in html
        if category["counts"]["no_data"] == total:
            assert category["readiness"] is None
    # Category figures say what they are: progress, not a bare share.
    assert re.search(r"\d+% progress", html)


def test_no_measurement_at_all_is_no_readiness(client, admin_headers):
    created = client.post("/api/v1/candidates", headers=admin_headers, json={
        "slug": "testland", "iso3": "TST", "name": "Testland", "tier": "interim_ally",
        "model": "hybrid_integration", "phase": "outreach"})
    assert created.status_code == 201, created.text
    status = _status(client, "testland")
    assert status["benchmarks"] and status["readiness"] is None
    assert all(c["readiness"] is None for c in status["categories"])
    html = client.get("/candidates/testland").text
    assert not re.search(r"(?<![\d.,])0(\xa0| )?%", html)
    assert "No benchmark of its tier has a measurement" in html


def test_compare_warns_when_tiers_differ_and_leaves_members_unscored(client):
    same = client.get("/compare", params={"c": ["georgia", "bosnia-and-herzegovina"]}).text
    assert 'id="across-tiers"' not in same
    mixed = client.get("/compare", params={"c": ["georgia", "ukraine"]}).text
    assert 'id="across-tiers"' in mixed and "not comparable" in mixed
    assert "benchmarks of its tier (Interim ally)" in mixed
    assert "benchmarks of its tier (Strategic partner)" in mixed
    with_member = client.get("/compare", params={"c": ["ukraine", "finland"]}).text
    assert "Member: not scored" in with_member
    default = client.get("/compare").text
    assert "Member: not scored" not in default  # the default choice is aspirants


def test_illustrative_tiers_and_readiness_are_marked_on_the_overview_and_compare(client):
    overview = _aspirant_tables(client.get("/").text)
    row = re.search(r'href="/candidates/ukraine".*?</tr>', overview, re.S).group(0)
    assert 'class="tag">illustrative<' in row  # the readiness
    assert 'class="tag">illustrative tier<' in row  # the tier assignment
    compare = client.get("/compare", params={"c": ["ukraine", "georgia"]}).text
    readiness_row = re.search(r"Readiness within its tier</th>.*?</tr>", compare, re.S).group(0)
    assert readiness_row.count('class="tag">illustrative<') == 2  # each candidate's figure
