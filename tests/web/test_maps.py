"""The map drawing (app/web/maps.py) over the shipped geography: one shape per country asked
for, its state in a class, words and a texture; nothing dropped silently; small enough."""

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.web.maps import LegendEntry, MapCountry, draw_map, load_geography

SVG = "{http://www.w3.org/2000/svg}"
DATA = Path(__file__).resolve().parents[2] / "app" / "data"
LEGEND = [LegendEntry("deposited", "Instrument deposited"),
          LegendEntry("parliament_approved", "Parliament approved"),
          LegendEntry("pending", "Not started")]


def member_codes() -> list[str]:
    with (DATA / "member_states.csv").open(newline="") as f:
        return [row["iso3"] for row in csv.DictReader(f)]


def test_every_european_member_and_aspirant_has_an_outline() -> None:
    geography = load_geography()
    missing = {code for code in member_codes() if code not in geography.paths}
    assert missing == {"USA", "CAN"}  # across the Atlantic: the pages list them under the map
    assert {"BIH", "GEO", "UKR", "FIN", "SWE", "LUX", "MNE", "MKD", "MLT"} <= set(geography.paths)
    assert "Natural Earth" in geography.source and "world-atlas 2.0.2" in geography.source


def draw(countries: list[MapCountry]) -> tuple[ET.Element, object]:
    drawn = draw_map("m", load_geography(), countries, LEGEND, title="Ratification of <X>",
                     description="Each member state by its step")
    return ET.fromstring(str(drawn.svg)), drawn


def test_one_shape_per_country_with_its_state_and_words() -> None:
    countries = [MapCountry(code, "deposited" if i % 2 else "pending", f"{code}: step & date")
                 for i, code in enumerate(member_codes())]
    countries.append(MapCountry("SWE", "candidate", "Sweden, the candidate", highlighted=True))
    svg, drawn = draw(countries)
    shapes = [p for p in svg.iter(f"{SVG}path") if p.get("data-iso3")]
    assert sorted(p.get("data-iso3") for p in shapes) == sorted(
        c.iso3 for c in countries if c.iso3 not in {"USA", "CAN"})
    hungary = next(p for p in shapes if p.get("data-iso3") == "HUN")
    assert hungary.get("data-state") == ("deposited" if member_codes().index("HUN") % 2
                                         else "pending")
    state = hungary.get("data-state")  # coloured by a class when solid, else by its pattern
    assert ("map-fill-deposited" in hungary.get("class") if state == "deposited"
            else hungary.get("fill") == "url(#m-pending)")
    groups = {g.get("aria-label") for g in svg.iter(f"{SVG}g") if g.get("role") == "img"}
    assert "HUN: step & date" in groups  # escaped in the markup, read back as written
    # The candidate is drawn last (on top) and marked.
    assert shapes[-1].get("data-iso3") == "SWE" and "map-highlighted" in shapes[-1].get("class")
    assert sorted(c.iso3 for c in drawn.unmapped) == ["CAN", "USA"]
    assert svg.find(f"{SVG}title").text == "Ratification of <X>"


def test_states_differ_by_texture_not_only_colour() -> None:
    svg, drawn = draw([MapCountry("FIN", "parliament_approved", "Finland")])
    patterns = {p.get("id") for p in svg.iter(f"{SVG}pattern")}
    assert patterns == {"m-parliament_approved", "m-pending"}  # the first state is solid
    finland = next(p for p in svg.iter(f"{SVG}path") if p.get("data-iso3") == "FIN")
    assert finland.get("fill") == "url(#m-parliament_approved)"
    assert [entry.key for entry, _ in drawn.legend] == ["deposited", "parliament_approved",
                                                         "pending"]
    swatch = ET.fromstring(str(drawn.legend[1][1]))
    assert swatch.find(f"{SVG}defs/{SVG}pattern") is not None


@pytest.mark.parametrize("code", ["LUX", "MNE", "MKD", "MLT"])
def test_small_states_get_a_marker_to_find_them(code: str) -> None:
    svg, _ = draw([MapCountry(code, "deposited", code)])
    assert any("map-marker" in (c.get("class") or "") for c in svg.iter(f"{SVG}circle"))


def test_large_states_get_no_marker() -> None:
    svg, _ = draw([MapCountry("FRA", "deposited", "France")])
    assert not [c for c in svg.iter(f"{SVG}circle") if "map-marker" in (c.get("class") or "")]


def test_a_linked_country_is_a_link_named_in_words() -> None:
    svg, _ = draw([MapCountry("UKR", "at_risk", "Ukraine: 2 at risk", href="/candidates/ukraine")])
    link = next(svg.iter(f"{SVG}a"))
    assert link.get("href") == "/candidates/ukraine" and link.get("aria-label") == (
        "Ukraine: 2 at risk")


def test_the_map_frames_the_countries_it_is_about() -> None:
    whole = load_geography().view_box
    svg, _ = draw([MapCountry("FRA", "deposited", "France"), MapCountry("POL", "pending", "P")])
    x, y, width, height = (int(v) for v in svg.get("viewBox").split())
    assert width < whole[2] / 2 and height < whole[3] / 2
    france, poland = load_geography().boxes["FRA"], load_geography().boxes["POL"]
    assert x <= france[0] and x + width >= poland[2] and y <= min(france[1], poland[1])


def test_the_map_is_light() -> None:
    countries = [MapCountry(code, "pending", code) for code in load_geography().paths]
    svg, drawn = draw(countries)
    assert len(str(drawn.svg).encode()) < 150_000


def page_map(client, url: str) -> tuple[ET.Element, str]:
    response = client.get(url)
    assert response.status_code == 200
    start = response.text.index('<svg class="map"')
    end = response.text.index("</svg>", start) + len("</svg>")
    return ET.fromstring(response.text[start:end]), response.text


def states(svg: ET.Element) -> dict[str, str]:
    return {p.get("data-iso3"): p.get("data-state") for p in svg.iter(f"{SVG}path")
            if p.get("data-iso3")}


def test_the_overview_maps_the_aspirants_members_and_completed_accessions(client):
    svg, html = page_map(client, "/")
    shown = states(svg)
    for aspirant in ("UKR", "GEO", "BIH"):
        assert shown[aspirant].startswith("summary_")
    links = {a.get("href") for a in svg.iter(f"{SVG}a")}
    assert links == {"/candidates/ukraine", "/candidates/georgia",
                     "/candidates/bosnia-and-herzegovina"}
    assert shown["FIN"] == shown["SWE"] == "joined"
    assert shown["FRA"] == shown["TUR"] == "member"
    assert "RUS" not in shown  # land, not a state of the question
    assert "Not on this map" in html and "United States: member state" in html


def test_the_overview_map_as_of_a_date(client):
    svg, _ = page_map(client, "/?as_of=2023-06-30")
    shown = states(svg)
    assert shown["FIN"] == "joined"  # a member since 4 April 2023
    assert shown["SWE"].startswith("summary_")  # still an aspirant then
    assert "/candidates/sweden?as_of=2023-06-30" in {a.get("href") for a in svg.iter(f"{SVG}a")}


def test_the_overview_map_in_french(client):
    svg, html = page_map(client, "/?lang=fr")
    names = {g.get("aria-label") for g in svg.iter(f"{SVG}g") if g.get("role") == "img"}
    assert "Finlande\u00a0: membre depuis le 4 avr. 2023 (adhésion achevée)" in names
    assert "Allemagne\u00a0: État membre" in names
    assert "Hors de cette carte" in html


def test_the_overview_as_of_a_date_links_to_needs_attention_of_that_date(client):
    _, html = page_map(client, "/?as_of=2023-06-30")
    assert 'href="/attention?as_of=2023-06-30"' in html


def ratification_states(client, url: str) -> tuple[dict[str, str], ET.Element, str]:
    response = client.get(url)
    assert response.status_code == 200, url
    start = response.text.index('<svg class="map" id="ratification-map"')
    end = response.text.index("</svg>", start) + len("</svg>")
    svg = ET.fromstring(response.text[start:end])
    return states(svg), svg, response.text


def test_the_ratification_map_shows_each_member_by_its_step(client):
    shown, svg, html = ratification_states(client, "/candidates/sweden")
    members = set(member_codes()) - {"SWE", "USA", "CAN"}  # Finland, a member since, ratified
    assert set(shown) - {"SWE"} == members
    assert shown["SWE"] == "candidate"
    sweden = next(p for p in svg.iter(f"{SVG}path") if p.get("data-iso3") == "SWE")
    assert "map-highlighted" in sweden.get("class")
    assert shown["FIN"] != "not_ratifying"
    assert shown["HUN"] in {"parliament_approved", "head_of_state_assent", "deposited"}
    names = {g.get("aria-label") for g in svg.iter(f"{SVG}g") if g.get("role") == "img"}
    assert "Hungary: instrument deposited on March 7, 2024" in names
    _, svg, _ = ratification_states(client, "/candidates/sweden?as_of=2024-03-01")
    names = {g.get("aria-label") for g in svg.iter(f"{SVG}g") if g.get("role") == "img"}
    assert "Hungary: parliament approved on February 26, 2024" in names
    assert "Not on this map" in html  # Canada and the United States, listed


def test_a_member_that_joined_after_the_protocol_is_not_asked_to_ratify(client):
    shown, _, html = ratification_states(client, "/candidates/finland")
    assert shown["SWE"] == "not_ratifying"  # a member since March 2024, after Finland's protocol
    assert "Member state not asked to ratify" in html


def test_stepping_back_through_swedens_ratification(client):
    today, _, _ = ratification_states(client, "/candidates/sweden")
    then, _, _ = ratification_states(client, "/candidates/sweden?as_of=2023-06-30")
    started = {code for code, state in then.items()
               if state not in {"pending", "candidate", "not_ratifying"}}
    assert then["HUN"] == then["TUR"] == "pending"
    assert len(started) < len({code for code, state in today.items()
                               if state not in {"pending", "candidate", "not_ratifying"}})


def test_the_ratification_map_in_french(client):
    _, svg, _ = ratification_states(client, "/candidates/sweden?as_of=2024-03-01&lang=fr")
    names = {g.get("aria-label") for g in svg.iter(f"{SVG}g") if g.get("role") == "img"}
    assert "Hongrie\u00a0: approuvé par le Parlement le 26 février 2024" in names


def test_no_ratification_map_before_a_protocol(client):
    assert 'id="ratification-map"' not in client.get("/candidates/georgia").text
    assert client.get("/embed/candidates/georgia/ratification-map").status_code == 404
    assert client.get("/candidates/georgia/ratification-map.svg").status_code == 404


def test_the_ratification_map_alone_and_as_a_file(client):
    embed = client.get("/embed/candidates/sweden/ratification-map?as_of=2023-06-30")
    assert embed.status_code == 200 and 'id="ratification-map"' in embed.text
    assert "site-header" not in embed.text
    svg = client.get("/candidates/sweden/ratification-map.svg?as_of=2023-06-30")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "attachment" in svg.headers["content-disposition"]
    root = ET.fromstring(svg.text)
    assert ".map-fill-deposited" in root.find(f"{SVG}style").text  # keeps its colours
    assert len(svg.content) < 150_000
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Not started" in texts and any("June 30, 2023" in (t or "") for t in texts)
    assert client.get("/candidates/sweden/brief").text.count('id="ratification-map"') == 1
