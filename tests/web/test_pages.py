"""The first pages: server-rendered, from the database."""

import re

import pytest

from app.candidates.service import (
    PHASE_ORDER,
    TIER_ORDER,
)
from app.models import Phase, Tier


def test_dashboard_lists_every_candidate(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for name in ("Bosnia and Herzegovina", "Georgia", "Ukraine", "Finland", "Sweden"):
        assert name in response.text
    assert 'href="/candidates/ukraine"' in response.text


def test_dashboard_filters_without_javascript(client):
    response = client.get("/", params={"phase": "member"})
    assert "Finland" in response.text and "Georgia" not in response.text


def test_dashboard_ignores_nothing_silently_on_bad_filter(client):
    response = client.get("/", params={"tier": "emperor"}, headers={"accept": "text/html"})
    assert response.status_code == 400
    assert "tier" in response.text


def test_candidate_page(client):
    response = client.get("/candidates/finland")
    assert response.status_code == 200
    assert "<h1>Finland</h1>" in response.text
    assert "Hungary" in response.text and "Mar 31, 2023" in response.text
    assert "30 of 30 member states" in response.text


def test_unknown_candidate_is_a_404_page(client):
    response = client.get("/candidates/atlantis", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "atlantis" in response.text


def test_text_from_the_database_is_escaped(client, session):
    from app.candidates.service import get_candidate

    candidate = get_candidate(session, "georgia")
    candidate.summary = "<script>alert(1)</script>"
    session.commit()
    response = client.get("/candidates/georgia")
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_api_docs_load_only_local_assets(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert "http" not in response.text.replace('"/static', "")
    for path in ("/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/js/swagger-init.js"):
        assert path in response.text
        assert client.get(path).status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "Accession Tracker"


def _slugs_shown(html):
    """The candidates of the overview's table, in order (Needs attention, above it, left out)."""
    table = re.sub(r'<section class="attention".*?</section>', "", html, flags=re.S)
    return list(dict.fromkeys(re.findall(r'href="/candidates/([a-z0-9-]+)"', table)))


@pytest.mark.parametrize("sort", ["name", "readiness", "tier", "phase"])
def test_dashboard_order_matches_each_candidates_figures(client, sort):
    """Aspirants are grouped by tier, closest to membership first, and sorted within their
    tier only (readiness is never ranked across tiers); members are listed apart, as completed
    accessions. The overview evaluates every candidate only when the order needs it
    (readiness); either way the order and figures agree with the API."""
    listed = client.get("/api/v1/candidates", params={"limit": 100}).json()["items"]
    html = client.get("/", params={"sort": sort}).text
    aspirants_html, completed_html = html.split('<h2 id="completed-heading"')
    shown = _slugs_shown(aspirants_html)
    assert sorted(shown) == sorted(c["slug"] for c in listed if c["phase"] != "member")
    assert sorted(_slugs_shown(completed_html)) == sorted(
        c["slug"] for c in listed if c["phase"] == "member")
    by_slug = {c["slug"]: c for c in listed}
    keys = {
        "name": lambda c: c["name"],
        "readiness": lambda c: -(c["readiness"] or 0),
        "tier": lambda c: c["name"],
        "phase": lambda c: (-PHASE_ORDER[Phase(c["phase"])], c["name"]),
    }
    ordered = [(-TIER_ORDER[Tier(by_slug[slug]["tier"])], keys[sort](by_slug[slug]))
               for slug in shown]
    assert ordered == sorted(ordered)
    groups = re.findall(r'<h2 id="tier-([a-z_]+)"', aspirants_html)
    assert groups == sorted({by_slug[s]["tier"] for s in shown},
                            key=lambda t: -TIER_ORDER[Tier(t)])


def test_framework_page_shows_data_not_template_text(client, session):
    from sqlalchemy import select

    from app.models import Instrument

    instrument = session.scalars(select(Instrument).limit(1)).one()
    instrument.cost_category = "Edited by an admin"
    session.commit()
    html = client.get("/framework").text
    assert "Edited by an admin" in html
    for words in ("Speed of integration", "Risk exposure", "Domestic reform depth",
                  "Resource allocation", "Strategic partnership agreement"):
        assert words in html


def test_compare_page_lines_up_candidates(client):
    html = client.get("/compare", params=[("c", "georgia"), ("c", "ukraine"),
                                          ("c", "atlantis")]).text
    assert "Georgia" in html and "Ukraine" in html and "atlantis" in html  # named as unknown
