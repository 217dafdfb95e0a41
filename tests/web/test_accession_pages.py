"""Accession on the pages: the completed accessions on the overview, a member's page led by its
accession and not scored, and ratification deposits said honestly."""

import re


def test_the_overview_lists_completed_accessions_apart(client):
    html = client.get("/").text
    aspirants, completed = html.split('<h2 id="completed-heading"')
    for slug in ("finland", "sweden"):
        assert f'href="/candidates/{slug}"' not in aspirants
        assert f'href="/candidates/{slug}"' in completed
    finland_row = re.search(r'href="/candidates/finland".*?</tr>', completed, re.S).group(0)
    # Member since, application, invitation, protocol signed, last ratification.
    assert ">Apr 4, 2023<" in finland_row and ">May 18, 2022<" in finland_row
    assert ">Jun 29, 2022<" in finland_row and ">Jul 5, 2022<" in finland_row
    assert "%" not in finland_row  # not scored


def test_a_members_page_leads_with_its_accession_and_is_not_scored(client):
    html = client.get("/candidates/finland").text
    assert html.index('id="accession-heading"') < html.index('id="benchmarks-heading"')
    assert "Member since Apr 4, 2023." in html
    assert 'class="big-figure"' not in html and "weighted progress" not in html
    assert 'class="status status-' not in html  # no met / off track for a member
    assert "Figures, kept as comparators" in html


def test_missing_deposit_dates_are_not_recorded_not_missing_deposits(client):
    html = client.get("/candidates/sweden").text
    deposited = sum(1 for r in client.get("/api/v1/candidates/sweden/ratifications",
                                          params={"limit": 100}).json()["items"]
                    if any(s["step"] == "deposited" for s in r["steps"]))
    assert 0 < deposited < 31
    assert (f"The deposit of the instrument of ratification is dated for {deposited} of them"
            in html)
    assert "deposit date not recorded" in html
    assert "have deposited" not in html and "not deposited" not in html
    # The confidence column is explained, each level in words.
    assert 'id="confidence-levels"' in html
    for level in ("High", "Medium", "Low", "Inferred"):
        assert f"<dt>{level}</dt>" in html
