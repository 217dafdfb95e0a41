"""Server-drawn maps: country outlines (app/data/geography.json, written once by
scripts/build_geography.py) coloured by what each country is in one question — its step in a
ratification, an aspirant's status. Pure: the geography and the countries' states in, SVG out.

Every coloured country carries its state three ways, so colour is never the only one: a fill
colour, a pattern (hatching, dots) that reads in greyscale and for every colour-vision
deficiency, and an accessible name and title in words. Countries too small to find at phone
width get a marker at their centre. The page keeps the same data in a table beside the map."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from app.accession.service import has_protocol
from app.benchmarks.service import Standing
from app.evaluation import load_asked, today
from app.i18n import format_day, gettext
from app.members.service import list_member_states
from app.models import Candidate, MemberState
from app.ratifications import pipeline
from app.ratifications.service import PENDING, Ratification, list_ratifications
from app.status import CandidateEvaluation
from app.web.templating import label, localized

GEOGRAPHY_FILE = Path(__file__).resolve().parent.parent / "data" / "geography.json"
MAP_STYLESHEET = Path(__file__).resolve().parent.parent.parent / "static" / "css" / "maps.css"
MAP_MARGIN = 25  # map units around the countries a map is about
SMALL_COUNTRY_AREA = 600.0  # square map units (of 1,000 across; North Macedonia 552): a marker too
MARKER_RADIUS = 8

# Patterns by legend position: the first (usually "done") solid, the rest told apart by texture.
PATTERNS = ("solid", "hatch", "dots", "cross", "vertical", "horizontal", "backhatch", "grid",
            "blank")


@dataclass(frozen=True)
class Geography:
    view_box: tuple[int, int, int, int]
    paths: dict[str, str]  # ISO alpha-3 → SVG path
    labels: dict[str, tuple[int, int]]  # a point inside each country's largest part
    areas: dict[str, int]
    boxes: dict[str, tuple[int, int, int, int]]  # left, top, right, bottom
    other_land: tuple[str, ...]  # land with no ISO code: drawn, never named
    source: str


@cache
def load_geography(path: Path = GEOGRAPHY_FILE) -> Geography:
    """Read once per process: the outlines are projected and simplified at build time."""
    data: dict[str, Any] = json.loads(path.read_text())
    countries = data["countries"]
    return Geography(
        view_box=tuple(data["view_box"]),  # type: ignore[arg-type]
        paths={code: c["path"] for code, c in countries.items()},
        labels={code: tuple(c["label"]) for code, c in countries.items()},  # type: ignore[misc]
        areas={code: c["area"] for code, c in countries.items()},
        boxes={code: tuple(c["bbox"]) for code, c in countries.items()},  # type: ignore[misc]
        other_land=tuple(data.get("other_land", ())),
        source=data["source"],
    )


@dataclass(frozen=True)
class LegendEntry:
    key: str  # the state's key, also its CSS class: map-<key>
    label: str  # in words, in the page's language


@dataclass(frozen=True)
class MapCountry:
    iso3: str
    state: str  # a LegendEntry key
    name: str  # the accessible name, in words: "Hungary: parliament approved on 26 February 2024"
    href: str | None = None
    highlighted: bool = False  # the candidate a ratification map is about


@dataclass(frozen=True)
class DrawnMap:
    svg: Markup
    legend: list[tuple[LegendEntry, Markup]]  # each state's words and swatch, shown in HTML
    unmapped: list[MapCountry]  # countries the geography has no outline for: listed by the page
    map_id: str = ""
    view_box: tuple[int, int, int, int] = (0, 0, 0, 0)
    shapes: str = ""  # the SVG's content: pattern definitions, land, countries
    paints: dict[str, str] = field(default_factory=dict)  # each state's fill attribute


def draw_map(map_id: str, geography: Geography, countries: Sequence[MapCountry],
             legend: Sequence[LegendEntry], *, title: str, description: str) -> DrawnMap:
    """The map of `countries` over the land of `geography`, with `legend` drawn in its corner.
    Countries not in the geography are returned to be listed, never dropped silently."""
    patterns = {entry.key: PATTERNS[min(i, len(PATTERNS) - 1)] for i, entry in enumerate(legend)}
    drawn = {c.iso3 for c in countries}
    body = [_defs(map_id, legend, patterns)]
    body += ['<g class="map-land" aria-hidden="true">']
    body += [f'<path d="{p}"/>' for code, p in geography.paths.items() if code not in drawn]
    body += [f'<path d="{p}"/>' for p in geography.other_land]
    body += ["</g>"]
    unmapped = []
    highlighted = []
    for country in countries:
        if country.iso3 not in geography.paths:
            unmapped.append(country)
            continue
        shape = _shape(map_id, geography, country, patterns)
        (highlighted if country.highlighted else body).append(shape)
    body += highlighted  # drawn last, so its outline is on top
    view_box = _frame(geography, [c.iso3 for c in countries])
    x0, y0, width, height = view_box
    shapes = "".join(body)
    svg = Markup(
        f'<svg class="map" id="{map_id}" viewBox="{x0} {y0} {width} {height}" role="group" '
        f'aria-labelledby="{map_id}-title {map_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{map_id}-title">{escape(title)}</title>'
        f'<desc id="{map_id}-desc">{escape(description)}</desc>{shapes}</svg>')
    swatches = [(entry, _swatch(f"{map_id}-swatch", entry, patterns)) for entry in legend]
    paints = {entry.key: _paint(map_id, entry.key, patterns[entry.key]) for entry in legend}
    return DrawnMap(svg, swatches, unmapped, map_id, view_box, shapes, paints)


def _frame(geography: Geography, codes: Sequence[str]) -> tuple[int, int, int, int]:
    """The part of the geography around `codes` (the whole of it when none is on it), so a
    map of Europe's states does not spend half its width on Russia and the Atlantic."""
    x0, y0, width, height = geography.view_box
    boxes = [geography.boxes[code] for code in codes if code in geography.boxes]
    if not boxes:
        return x0, y0, width, height
    left = max(x0, min(b[0] for b in boxes) - MAP_MARGIN)
    top = max(y0, min(b[1] for b in boxes) - MAP_MARGIN)
    right = min(x0 + width, max(b[2] for b in boxes) + MAP_MARGIN)
    bottom = min(y0 + height, max(b[3] for b in boxes) + MAP_MARGIN)
    return left, top, right - left, bottom - top


def _shape(map_id: str, geography: Geography, country: MapCountry,
           patterns: dict[str, str]) -> str:
    name = escape(country.name)
    # A class colours a solid state; a pattern (which holds the colour) fills the others: the
    # page's CSP allows no inline style, and a class's fill would win over the attribute.
    solid = patterns.get(country.state) == "solid"
    classes = "map-country" + (f" map-fill-{escape(country.state)}" if solid else "")
    if country.highlighted:
        classes += " map-highlighted"
    fill = "" if solid else f' fill="url(#{map_id}-{escape(country.state)})"'
    parts = [f'<path class="{classes}"{fill} d="{geography.paths[country.iso3]}" '
             f'data-iso3="{country.iso3}" data-state="{escape(country.state)}"/>']
    if geography.areas.get(country.iso3, 0) < SMALL_COUNTRY_AREA:
        x, y = geography.labels[country.iso3]
        parts.append(f'<circle class="{classes} map-marker"{fill} cx="{x}" cy="{y}" '
                     f'r="{MARKER_RADIUS}"/>')
    inner = f"<title>{name}</title>{''.join(parts)}"
    if country.href:
        return (f'<a class="map-link" href="{escape(country.href)}" aria-label="{name}">'
                f"{inner}</a>")
    return f'<g role="img" aria-label="{name}">{inner}</g>'


# The overview: an aspirant by the worst status among its benchmarks with data (a summary a
# map can colour; readiness figures are not compared across tiers, and a map would compare them).
SUMMARIES = ("summary_on_track", "summary_at_risk", "summary_off_track", "summary_no_data")


def status_summary(counts: Mapping[str, int]) -> str:
    if counts.get("off_track") or counts.get("overdue"):
        return "summary_off_track"
    if counts.get("at_risk"):
        return "summary_at_risk"
    if counts.get("met") or counts.get("on_track"):
        return "summary_on_track"
    return "summary_no_data"


def overview_legend() -> list[LegendEntry]:
    return [
        LegendEntry("summary_on_track",
                    gettext("Aspirant: every benchmark with figures met or on track")),
        LegendEntry("summary_at_risk", gettext("Aspirant: at least one benchmark at risk")),
        LegendEntry("summary_off_track",
                    gettext("Aspirant: at least one benchmark off track or overdue")),
        LegendEntry("summary_no_data", gettext("Aspirant: no figures yet")),
        LegendEntry("joined", gettext("Completed accession")),
        LegendEntry("member", gettext("Member state")),
    ]


def overview_map(aspirants: Sequence[tuple[Candidate, CandidateEvaluation, str]],
                 members: Sequence[MemberState], completed: set[str], as_of: date) -> DrawnMap:
    """The aspirants listed (each with its evaluation and the link to its page) by their status
    summary, the member states of `as_of` in a neutral tone, completed accessions (their ISO
    codes) marked."""
    countries = []
    listed = {candidate.iso3 for candidate, _, _ in aspirants}
    for candidate, evaluation, href in aspirants:
        counts = ", ".join(f"{n} {label(status).lower()}"
                           for status, n in evaluation.counts.items() if n)
        countries.append(MapCountry(
            candidate.iso3, status_summary(evaluation.counts),
            gettext("%(name)s: %(counts)s") % {"name": localized(candidate, "name"),
                                               "counts": counts or gettext("no benchmark")},
            href=href))
    for member in members:
        if member.iso3 in listed or member.joined_on > as_of:
            continue
        if member.iso3 in completed:
            words = gettext("%(name)s: member since %(day)s (completed accession)") % {
                "name": localized(member, "name"), "day": format_day(member.joined_on)}
            countries.append(MapCountry(member.iso3, "joined", words))
        else:
            countries.append(MapCountry(member.iso3, "member", gettext(
                "%(name)s: member state") % {"name": localized(member, "name")}))
    return draw_map("overview-map", load_geography(), countries, overview_legend(),
                    title=gettext("Map of the aspirants and the member states"),
                    description=gettext("Each aspirant listed on this page by the worst status "
                                         "among its benchmarks; member states in grey."))


# A ratification: each ratifying member by the step it stands at, furthest first.
RATIFICATION_STATES = (*reversed(pipeline.STEPS), PENDING)


def ratification_map(candidate: Candidate, ratifications: Sequence[Ratification],
                     members: Sequence[MemberState], as_of: date) -> DrawnMap:
    """Each member state whose ratification the candidate needs by the step it stands at on
    `as_of` (the steps of its own procedure), the candidate highlighted, the other member
    states of that day (those that joined after the protocol) in grey."""
    countries = []
    for r in ratifications:
        name = localized(r.member, "name")
        if r.latest is None:
            words = gettext("%(member)s: not started") % {"member": name}
        else:
            words = gettext("%(member)s: %(step)s on %(day)s") % {
                "member": name, "step": _lower_first(label(r.status)),
                "day": format_day(r.latest.occurred_on, "long")}
        countries.append(MapCountry(r.member.iso3, r.status, words))
    ratifying = {r.member.iso3 for r in ratifications}
    for member in members:
        if member.iso3 not in ratifying and member.iso3 != candidate.iso3 \
                and member.joined_on <= as_of:
            countries.append(MapCountry(member.iso3, "not_ratifying", gettext(
                "%(name)s: member state, not asked to ratify (it joined after the protocol "
                "was signed)") % {"name": localized(member, "name")}))
    countries.append(MapCountry(candidate.iso3, "candidate", gettext(
        "%(name)s: the candidate") % {"name": localized(candidate, "name")}, highlighted=True))
    shown = {c.state for c in countries}
    legend = [LegendEntry(state, gettext("Not started") if state == PENDING else label(state))
              for state in RATIFICATION_STATES if state in shown]
    legend.append(LegendEntry("candidate", gettext("The candidate")))
    if "not_ratifying" in shown:
        legend.append(LegendEntry("not_ratifying", gettext("Member state not asked to ratify")))
    done = sum(1 for r in ratifications if r.standing.is_ratified)
    return draw_map(
        "ratification-map", load_geography(), countries, legend,
        title=gettext("Ratification of %(candidate)s's accession, by member state") % {
            "candidate": localized(candidate, "name")},
        description=gettext("%(done)d of %(total)d member states have ratified, as of "
                            "%(day)s.") % {"done": done, "total": len(ratifications),
                                           "day": format_day(as_of, "long")})


def load_ratification_map(session: Session, candidate: Candidate, as_of: date | None = None,
                          *, standing: Standing | None = None) -> DrawnMap | None:
    """The candidate's ratification map as of `as_of` (today when None); None before it has a
    protocol to ratify. `standing` (its tier and phase then), when the caller has it, saves
    reading its history again."""
    if standing is None:
        standing = load_asked(session, [candidate], as_of=as_of).standings[candidate.id]
    if not has_protocol(standing):
        return None
    ratifications = list_ratifications(session, candidate, as_of=as_of)
    members, _ = list_member_states(session)
    return ratification_map(candidate, ratifications, members, as_of or today())


@cache
def map_stylesheet() -> str:
    return MAP_STYLESHEET.read_text()


def map_svg(drawn: DrawnMap, caption: str, link: str) -> str:
    """A map as a file of its own: its stylesheet inside (a downloaded SVG has no page around
    it), its legend and where it comes from written under it."""
    x, y, width, height = drawn.view_box
    line = 24
    # (how its sample is painted, or None without one; the words)
    notes: list[tuple[str | None, str]] = [(None, caption)]
    notes += [(drawn.paints[entry.key], entry.label) for entry, _ in drawn.legend]
    notes.append((None, link))
    extra = line * (len(notes) + 1)
    texts = ""
    for i, (paint, text) in enumerate(notes):
        baseline = y + height + line * (i + 1)
        if paint:
            texts += (f'<rect {paint} stroke="#0b0c0c" width="28" height="18" x="{x + 10}" '
                      f'y="{baseline - 15}"/>')
        texts += (f'<text x="{x + (46 if paint else 10)}" y="{baseline}" '
                  f'class="map-file-text">{escape(text)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x} {y} {width} '
            f'{height + extra}" width="{width}" height="{height + extra}">'
            f"<style>{map_stylesheet()} .map-file-text {{ font: 16px sans-serif; fill: #0b0c0c; }}"
            f'</style><rect x="{x}" y="{y}" width="{width}" height="{height + extra}" '
            f'fill="#ffffff"/><svg class="map" viewBox="{x} {y} {width} {height}" '
            f'x="{x}" y="{y}" width="{width}" height="{height}">{drawn.shapes}</svg>{texts}</svg>')


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


TEXTURES = {
    "hatch": '<path d="M0 8L8 0" class="map-texture"/>',
    "dots": '<circle cx="4" cy="4" r="1.6" class="map-texture-dot"/>',
    "cross": '<path d="M0 8L8 0M0 0L8 8" class="map-texture"/>',
    "vertical": '<path d="M4 0V8" class="map-texture"/>',
    "horizontal": '<path d="M0 4H8" class="map-texture"/>',
    "backhatch": '<path d="M0 0L8 8" class="map-texture"/>',
    "grid": '<path d="M4 0V8M0 4H8" class="map-texture"/>',
    "blank": "",
}


def _defs(map_id: str, legend: Sequence[LegendEntry], patterns: dict[str, str]) -> str:
    """A pattern per state: the state's colour (from CSS, by class) under a texture in the
    page's ink, so greyscale still tells states apart."""
    return f"<defs>{''.join(_pattern(map_id, e, patterns[e.key]) for e in legend)}</defs>"


def _pattern(map_id: str, entry: LegendEntry, kind: str) -> str:
    if kind == "solid":
        return ""
    key = escape(entry.key)
    return (f'<pattern id="{map_id}-{key}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect class="map-fill-{key}" width="8" height="8"/>{TEXTURES[kind]}</pattern>')


def _paint(map_id: str, key: str, kind: str) -> str:
    """How a state is filled: a class for a solid colour, else its pattern (which holds the
    colour)."""
    key = escape(key)
    return f'class="map-fill-{key}"' if kind == "solid" else f'fill="url(#{map_id}-{key})"'


def _swatch(swatch_id: str, entry: LegendEntry, patterns: dict[str, str]) -> Markup:
    """The legend's sample of a state, drawn as the map draws it (the legend itself is HTML,
    so its words wrap and keep the page's text size on a phone)."""
    kind = patterns[entry.key]
    return Markup(f'<svg class="map-swatch" viewBox="0 0 24 16" aria-hidden="true" '
                  f'xmlns="http://www.w3.org/2000/svg"><defs>{_pattern(swatch_id, entry, kind)}'
                  f'</defs><rect {_paint(swatch_id, entry.key, kind)} width="24" height="16"/>'
                  "</svg>")
