"""Writes app/data/geography.json: the outlines of Europe and its neighbours, projected and
simplified once, for the maps the pages draw.

    .venv/bin/pip install pycountry   # ISO 3166 numeric → alpha-3, at build time only
    .venv/bin/python scripts/build_geography.py [--tarball world-atlas-2.0.2.tgz]

Source: Natural Earth's 1:50m admin-0 countries (public domain), as TopoJSON in the maintained
npm package `world-atlas` (version pinned below, ISC licence), downloaded from the npm registry
and checked against the registry's sha512. Countries are keyed by ISO 3166 alpha-3 code (what
candidates and member states carry), so a state an admin adds is on the map without code.

Projection: Lambert azimuthal equal-area centred on 10° E, 52° N (the European Environment
Agency's ETRS89-LAEA), so areas compare fairly; cut to a window from Iceland to the Caspian and
from North Africa to the North Cape; simplified (Douglas-Peucker, half a unit of a 1,000-unit
wide map: under a pixel at any size the pages draw it) with whole coordinates in relative SVG
path commands. A country whose every part is smaller than the simplification keeps its largest
part, so Luxembourg and Malta stay on the map."""

import argparse
import base64
import hashlib
import io
import json
import math
import tarfile
import urllib.request
from pathlib import Path

VERSION = "2.0.2"
TARBALL = f"https://registry.npmjs.org/world-atlas/-/world-atlas-{VERSION}.tgz"
SHA512 = ("IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFH"
          "cYa5ChG0LQ==")
MEMBER = "package/countries-50m.json"
OUTPUT = Path(__file__).resolve().parent.parent / "app" / "data" / "geography.json"

CENTRE = (10.0, 52.0)  # ETRS89-LAEA's centre, in degrees
WIDTH = 1000  # map units across; the height follows from the window
# The window, in degrees at its corners' edges: west of Iceland to east of the Caucasus, the
# North African coast to the North Cape. Projected, then cut as a rectangle.
WEST, EAST, SOUTH, NORTH = -25.0, 50.0, 33.0, 71.5
TOLERANCE = 0.5  # map units
SMALLEST_PART = 4.0  # square map units: smaller islands are left out (a country keeps one part)


def fetch(tarball: Path | None) -> dict:
    data = tarball.read_bytes() if tarball else urllib.request.urlopen(TARBALL, timeout=60).read()
    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != SHA512:
        raise SystemExit(f"world-atlas {VERSION}: sha512 {digest} is not the registry's {SHA512}")
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        member = archive.extractfile(MEMBER)
        assert member is not None
        return json.load(member)


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON's quantized, delta-encoded arcs as longitude/latitude points."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)  # consecutive arcs share their end point
    return points


def polygons(geometry: dict) -> list[list[list[int]]]:
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


def project(lon: float, lat: float) -> tuple[float, float]:
    """Lambert azimuthal equal-area, on the unit sphere; y grows northwards."""
    lam, phi = math.radians(lon - CENTRE[0]), math.radians(lat)
    phi0 = math.radians(CENTRE[1])
    k = math.sqrt(2 / (1 + math.sin(phi0) * math.sin(phi)
                       + math.cos(phi0) * math.cos(phi) * math.cos(lam)))
    x = k * math.cos(phi) * math.sin(lam)
    y = k * (math.cos(phi0) * math.sin(phi) - math.sin(phi0) * math.cos(phi) * math.cos(lam))
    return x, y


def window() -> tuple[float, float, float, float]:
    """The projected rectangle holding the window's edges."""
    edge = [project(WEST, lat) for lat in range(int(SOUTH), int(NORTH) + 1)]
    edge += [project(EAST, lat) for lat in range(int(SOUTH), int(NORTH) + 1)]
    edge += [project(lon, SOUTH) for lon in range(int(WEST), int(EAST) + 1)]
    edge += [project(lon, NORTH) for lon in range(int(WEST), int(EAST) + 1)]
    xs, ys = [p[0] for p in edge], [p[1] for p in edge]
    return min(xs), max(xs), min(ys), max(ys)


def clip(points: list[tuple[float, float]], box: tuple[float, float, float, float]
         ) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of a ring inside the rectangle (edges along it where cut)."""
    left, right, bottom, top = box
    edges = ((lambda p: p[0] >= left, lambda a, b: _at_x(a, b, left)),
             (lambda p: p[0] <= right, lambda a, b: _at_x(a, b, right)),
             (lambda p: p[1] >= bottom, lambda a, b: _at_y(a, b, bottom)),
             (lambda p: p[1] <= top, lambda a, b: _at_y(a, b, top)))
    for inside, cross in edges:
        if not points:
            break
        kept: list[tuple[float, float]] = []
        previous = points[-1]
        for point in points:
            if inside(point):
                if not inside(previous):
                    kept.append(cross(previous, point))
                kept.append(point)
            elif inside(previous):
                kept.append(cross(previous, point))
            previous = point
        points = kept
    return points


def _at_x(a: tuple[float, float], b: tuple[float, float], x: float) -> tuple[float, float]:
    return x, a[1] + (b[1] - a[1]) * (x - a[0]) / (b[0] - a[0])


def _at_y(a: tuple[float, float], b: tuple[float, float], y: float) -> tuple[float, float]:
    return a[0] + (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]), y


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, iterative (rings of thousands of points)."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        length = math.hypot(bx - ax, by - ay)
        worst, index = 0.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            d = (abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length if length
                 else math.hypot(px - ax, py - ay))
            if d > worst:
                worst, index = d, i
        if worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def area(points: list[tuple[float, float]]) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2)
                   in zip(points, points[1:] + points[:1], strict=True))) / 2


def path(rings: list[list[tuple[int, int]]]) -> str:
    """Relative SVG path commands: short, whole numbers."""
    parts = []
    for points in rings:
        x0, y0 = points[0]
        steps = [f"M{x0} {y0}"]
        x, y = x0, y0
        for px, py in points[1:]:
            steps.append(f"l{px - x} {py - y}".replace(" -", "-"))
            x, y = px, py
        parts.append("".join(steps) + "z")
    return "".join(parts)


def build(topology: dict) -> dict:
    import pycountry  # only here: the app reads the written file

    arcs = decode_arcs(topology)
    left, right, bottom, top = window()
    scale = WIDTH / (right - left)
    height = round((top - bottom) * scale)
    box = (0.0, float(WIDTH), 0.0, float(height))

    def to_map(lon: float, lat: float) -> tuple[float, float]:
        x, y = project(lon, lat)
        return (x - left) * scale, (top - y) * scale

    countries = {}
    unmatched = []
    others: list[str] = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = geometry.get("id")
        country = pycountry.countries.get(numeric=code) if code else None
        name = geometry.get("properties", {}).get("name", "?")
        parts = []
        for polygon in polygons(geometry):
            for indexes in polygon:  # the outer ring, then any holes (lakes, enclaves)
                points = clip([to_map(*p) for p in ring(arcs, indexes)], box)
                if len(points) >= 3:
                    parts.append(points)
        if not parts:
            continue
        largest = max(parts, key=area)
        kept = []
        for points in parts:
            simple = [(round(x), round(y)) for x, y in simplify(points + points[:1], TOLERANCE)]
            simple = [p for i, p in enumerate(simple) if i == 0 or p != simple[i - 1]][:-1]
            if points is largest or (len(simple) >= 3 and area(simple) >= SMALLEST_PART):
                kept.append(simple if len(simple) >= 3 else
                            [(round(x), round(y)) for x, y in points][:3])
        if country is None:  # drawn as land without a key, so the map has no hole
            unmatched.append(name)
            others.append(path(kept))
            continue
        lx, ly = _centroid(largest)
        xs, ys = [x for p in kept for x, _ in p], [y for p in kept for _, y in p]
        countries[country.alpha_3] = {
            "name": country.name, "path": path(kept), "bbox": [min(xs), min(ys), max(xs), max(ys)],
            "label": [round(lx), round(ly)], "area": round(sum(area(p) for p in parts)),
        }
    return {
        "source": "Natural Earth 1:50m admin-0 countries (public domain, naturalearthdata.com), "
                  f"as TopoJSON in the npm package world-atlas {VERSION} (ISC licence, "
                  "github.com/topojson/world-atlas)",
        "built_by": "scripts/build_geography.py",
        "projection": "Lambert azimuthal equal-area centred on 10° E, 52° N; "
                      f"window {WEST}° to {EAST}° E, {SOUTH}° to {NORTH}° N",
        "view_box": [0, 0, WIDTH, height],
        "countries": dict(sorted(countries.items())),
        # Natural Earth areas with no ISO 3166 numeric code (Kosovo, Northern Cyprus): drawn
        # as land, named by no shape.
        "without_iso_code": sorted(unmatched),
        "other_land": others,
    }


def _centroid(points: list[tuple[float, float]]) -> tuple[float, float]:
    twice = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        twice += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if abs(twice) < 1e-9:
        return points[0]
    return cx / (3 * twice), cy / (3 * twice)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tarball", type=Path, help="a downloaded world-atlas tarball")
    args = parser.parse_args()
    geography = build(fetch(args.tarball))
    OUTPUT.write_text(json.dumps(geography, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{OUTPUT}: {len(geography['countries'])} countries, {OUTPUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
