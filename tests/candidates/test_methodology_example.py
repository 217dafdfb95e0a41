"""The worked example of docs/status-rules.md, section 0, computed from the demo data."""

from app.web.templating import PROJECT_ROOT


def test_ukraine_as_of_mid_2023_is_rated_as_the_methodology_says(client):
    text = (PROJECT_ROOT / "docs" / "status-rules.md").read_text()
    assert "### Worked example: Ukraine as of 30 June 2023" in text
    body = client.get("/api/v1/candidates/ukraine/status",
                      params={"as_of": "2023-06-30"}).json()
    assert body["tier"] == "strategic_partner"
    keys = {b["key"] for b in body["benchmarks"]}
    assert "defence_core_3_5_gdp" not in keys
    spending = next(b for b in body["benchmarks"] if b["key"] == "defence_spending_gdp")
    assert spending["target"] == 1.5 and spending["due_on"] == "2023-12-31"
    latest = spending["latest"]
    assert (latest["value"], latest["as_of"], latest["vintage"]) == (
        34.0, "2022-12-31", "SIPRI 2023")
    assert latest["recorded_at"].startswith("2023-04-24")
    assert spending["status"] == "met"
    for figure in ("**1.5 %**", "**31 December 2023**", "**34.0 %**", "**met**"):
        assert figure in text
