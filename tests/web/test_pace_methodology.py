"""The methodology page's pace and assessment example, computed live: its figures are the
status API's for the same candidate, benchmark and date."""

import re

import pytest

from app.web.methodology import EXAMPLE_BENCHMARK, EXAMPLE_CANDIDATE
from app.web.templating import PROJECT_ROOT

AS_OF = "2026-01-31"


def figure(html: str, element_id: str) -> str:
    found = re.search(rf'<dd id="{element_id}"[^>]*>(.*?)</dd>', html, re.S)
    assert found, element_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).replace("\u00a0", " ")


def test_methodology_works_the_pace_and_the_divergence_through_live(client):
    body = client.get(f"/api/v1/candidates/{EXAMPLE_CANDIDATE}/status",
                      params={"as_of": AS_OF}).json()
    b = next(b for b in body["benchmarks"] if b["key"] == EXAMPLE_BENCHMARK)
    html = client.get("/methodology", params={"as_of": AS_OF}).text
    assert 'id="pace-heading"' in html
    required = re.search(r'data-required-pace="([^"]+)"', html).group(1)
    assert float(required) == pytest.approx(b["required_pace"])
    assert float(re.search(r'data-pace-ratio="([^"]+)"', html).group(1)) == pytest.approx(
        b["pace_ratio"])
    assert figure(html, "example-required-pace").endswith(
        f"= +{b['required_pace']:.2f} points")
    assert figure(html, "example-achieved-pace") == f"+{b['achieved_pace']:.2f} points"
    divergence = figure(html, "example-divergence")
    assert "15.6%" in divergence and "14.2%" in divergence and "= 0.7." in divergence
    assert 'data-flagged="true"' in html and b["divergence"]["flagged"]


def test_methodology_pace_example_in_french(client):
    html = client.get("/methodology", params={"as_of": AS_OF, "lang": "fr"}).text
    assert "Rythme nécessaire" in html
    # French takes the singular below 2: "0,52 point".
    assert figure(html, "example-required-pace").endswith("= +0,52 point")


def test_docs_explain_pace_and_assessment():
    text = (PROJECT_ROOT / "docs" / "status-rules.md").read_text()
    for words in ("## 12. Pace, and self- and independent assessment", "`required_pace`",
                  "`achieved_pace`", "`pace_ratio`", "`status_basis`", "`divergence`",
                  "ACCESSION_ASSESSMENT_DIVERGENCE_SHARE"):
        assert words in text
