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
    assert "map-" + hungary.get("data-state") in hungary.get("class")
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


def test_the_map_is_light() -> None:
    countries = [MapCountry(code, "pending", code) for code in load_geography().paths]
    svg, drawn = draw(countries)
    assert len(str(drawn.svg).encode()) < 150_000
