"""Server-rendered SVG charts: they draw and print without JavaScript, carry a title and a
description for screen readers, and pages show the data table behind each one. Pure functions:
numbers in, markup out. Sizes are in SVG units; the CSS scales them to the container."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

from app.i18n import format_day, format_number, format_percent, gettext

COMPACT_CHARACTER_WIDTH = 6  # about the width of a character of the 11-unit axis font


def _svg(chart_id: str, width: int, height: int, title: str, desc: str, body: str,
         css_class: str) -> Markup:
    return Markup(
        f'<svg class="{css_class}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>{body}</svg>'
    )


def progress_bar(chart_id: str, percent: float | None, title: str) -> Markup:
    """A 0–100 % bar; no data draws an empty, outlined bar."""
    shown = 0.0 if percent is None else max(0.0, min(100.0, percent))
    words = gettext("no data") if percent is None else format_percent(shown, 0)
    body = (
        '<rect class="bar-track" x="0" y="0" width="100" height="10" rx="1"/>'
        f'<rect class="bar-fill" x="0" y="0" width="{shown:.2f}" height="10" rx="1"/>'
    )
    return _svg(chart_id, 100, 10, title, words, body, "chart-bar")


@dataclass(frozen=True)
class ChartPoint:
    day: date
    value: float  # the stage number (1 = first stage) for milestones
    is_revision: bool = False  # the value corrects or revises an earlier one


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering low..high."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(1, most - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _year_ticks(first: date, last: date, narrow: bool = False) -> list[date]:
    span = last.year - first.year
    if narrow:  # four-digit years need some 40 units each
        span *= 2
    step = 1 if span <= 8 else 2 if span <= 16 else 5 if span <= 40 else 10
    start = first.year + 1 if (first.month, first.day) != (1, 1) else first.year
    start += (-start) % step
    return [date(year, 1, 1) for year in range(start, last.year + 1, step)]


def _shorten(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def history_chart(
    chart_id: str,
    points: Sequence[ChartPoint],
    *,
    title: str,
    today: date,
    target: float | None = None,
    target_words: str = "",
    due_on: date | None = None,
    stage_names: Sequence[str] = (),
    unit: str = "",
    value_words: Callable[[float], str] = lambda v: format_number(v),
    is_illustrative: bool = False,
    compact: bool = False,
    narrow: bool = False,
) -> Markup:
    """Measured values over time as a line with round ticks in the unit and years on the time
    axis; the target as a labelled dashed line, the due date and today as labelled vertical
    lines; revised values as hollow points. Milestones plot the stage number (1 = first stage)
    with the stage names on the axis. A compact chart keeps a minimal axis: the first and last
    value with their years. A narrow chart is the full one drawn for a phone: SVG text scales
    with the chart, so a phone (328 px wide at 360) needs fewer units across to keep its text at
    11 px or more; the page shows one or the other by the room it has (site.css)."""
    if compact:
        width, height, left, right, top, bottom = 240, 84, 4, 4, 6, 20
        variant = ""
    elif narrow:
        width, height, left, right, top, bottom = 340, 296, 52, 10, 30, 56
        variant = " chart-narrow"
    else:
        width, height, left, right, top, bottom = 640, 290, 78, 20, 30, 40
        variant = " chart-wide"
    label_length = 14 if narrow else 24
    if stage_names and not compact:
        left = 120 if narrow else 150  # room for the stage names
    if not points:
        desc = gettext("No measurement yet.")
        body = (f'<text class="chart-empty" x="{width / 2}" y="{height / 2}" '
                f'text-anchor="middle">{escape(desc)}</text>')
        return _svg(chart_id, width, height, title, desc, body, "chart-history" + variant)

    days = [p.day.toordinal() for p in points] + [today.toordinal()]
    if due_on is not None and not compact:
        days.append(due_on.toordinal())
    values = [p.value for p in points] + ([target] if target is not None else [])
    x_min, x_max = min(days), max(days)
    if x_max - x_min < 60:
        x_min, x_max = x_min - 180, x_max + 180
    if stage_names:
        ticks = [float(i + 1) for i in range(len(stage_names))]
        y_min, y_max = 0.5, len(stage_names) + 0.5
    else:
        ticks = nice_ticks(min(0.0, min(values)), max(values), most=5 if narrow else 6)
        y_min, y_max = ticks[0], ticks[-1]

    def x(day: date) -> float:
        return left + (day.toordinal() - x_min) / (x_max - x_min) * (width - left - right)

    def y(value: float) -> float:
        return top + (1 - (value - y_min) / (y_max - y_min)) * (height - top - bottom)

    parts = []
    base = height - bottom
    if not compact:
        for value in ticks:
            text = stage_names[int(value) - 1] if stage_names else format_number(value)
            parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" '
                         f'y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
                         f'<text class="axis y-tick" x="{left - 6}" y="{y(value) + 4:.1f}" '
                         f'text-anchor="end">{escape(_shorten(text, label_length))}</text>')
        if unit and not stage_names:
            unit_at = 'x="4" text-anchor="start"' if narrow else f'x="{left - 6}" text-anchor="end"'
            parts.append(f'<text class="axis unit" {unit_at} y="{top - 14}">{escape(unit)}</text>')
        parts.append(f'<line class="axis-line" x1="{left}" x2="{width - right}" '
                     f'y1="{base}" y2="{base}"/>')
        for tick in _year_ticks(date.fromordinal(x_min), date.fromordinal(x_max), narrow):
            parts.append(f'<line class="axis-line" x1="{x(tick):.1f}" x2="{x(tick):.1f}" '
                         f'y1="{base}" y2="{base + 5}"/>'
                         f'<text class="axis x-tick" x="{x(tick):.1f}" y="{base + 18}" '
                         f'text-anchor="middle">{tick.year}</text>')
    if target is not None:
        parts.append(f'<line class="target" x1="{left}" x2="{width - right}" '
                     f'y1="{y(target):.1f}" y2="{y(target):.1f}"/>')
        if not compact:
            label = gettext("Target: %(target)s") % {"target": target_words}
            # Right-aligned, inside the plot: clear of the series' start and of the y axis.
            above = y(target) - 5 if y(target) - 5 > top + 12 else y(target) + 14
            parts.append(f'<text class="target-label" x="{width - right - 8}" '
                         f'y="{above:.1f}" text-anchor="end">{escape(label)}</text>')
    markers = [(today, "today", gettext("Today"))]
    if due_on is not None and x_min <= due_on.toordinal() <= x_max:
        markers.append((due_on, "due", gettext("Due %(day)s") % {"day": format_day(due_on)}))
    for day, css, words in markers:
        parts.append(f'<line class="{css}" x1="{x(day):.1f}" x2="{x(day):.1f}" '
                     f'y1="{top}" y2="{base}"/>')
        if not compact:
            anchor = "end" if x(day) > width / 2 else "start"
            shift = -4 if anchor == "end" else 4
            row = top - 4 if css == "due" else top + 10
            parts.append(f'<text class="{css}-label" x="{x(day) + shift:.1f}" y="{row}" '
                         f'text-anchor="{anchor}">{escape(words)}</text>')
    line = " ".join(f"{x(p.day):.1f},{y(p.value):.1f}" for p in points)
    parts.append(f'<polyline class="series" points="{line}"/>')
    radius = 2.5 if compact else 4
    revised_words = gettext("revised value")
    for p in points:
        css = "point revised" if p.is_revision else "point"
        label = f"{format_day(p.day)}: {value_words(p.value)}"
        if p.is_revision:
            label += f" ({revised_words})"
        parts.append(f'<circle class="{css}" cx="{x(p.day):.1f}" cy="{y(p.value):.1f}" '
                     f'r="{radius}"><title>{escape(label)}</title></circle>')
    first, last = points[0], points[-1]
    if compact:  # a minimal axis: the first and the last value, with their years
        first_words = f"{first.day.year}: {value_words(first.value)}"
        last_words = f"{last.day.year}: {value_words(last.value)}"
        # Labels that would run into each other (long stage names): the first keeps its year,
        # the last (what a reader looks for) as much of its words as fit. The description
        # below has both in full.
        room = (width - left - right) // COMPACT_CHARACTER_WIDTH - 2
        if len(first_words) + len(last_words) > room:
            first_words = str(first.day.year)
            if len(first_words) + len(last_words) > room:
                last_words = last_words[:room - len(first_words) - 1].rstrip() + "…"
        parts.append(f'<text class="axis" x="{left}" y="{height - 4}">'
                     f'{escape(first_words)}</text>'
                     f'<text class="axis" x="{width - right}" y="{height - 4}" '
                     f'text-anchor="end">{escape(last_words)}</text>')
    desc = gettext("%(count)d measurements from %(first)s to %(last)s; latest %(value)s.") % {
        "count": len(points), "first": format_day(first.day), "last": format_day(last.day),
        "value": value_words(last.value),
    }
    if is_illustrative:  # said on the chart itself, which may be shared on its own
        mark = gettext("Illustrative data, not official figures.")
        desc += " " + mark
        if narrow:  # below the time axis, where the line has room
            parts.append(f'<text class="illustrative-mark" x="4" y="{height - 6}">'
                         f'{escape(mark)}</text>')
        elif not compact:
            parts.append(f'<text class="illustrative-mark" x="{left}" y="{top - 14}">'
                         f'{escape(mark)}</text>')
    return _svg(chart_id, width, height, title, desc, "".join(parts), "chart-history" + variant)


def ratification_chart(chart_id: str, counts: dict[str, int], total: int) -> Markup:
    """One bar split by each member state's latest step, the furthest first: deposited, the
    head of state's assent, parliament's approval, ..., then pending."""
    order = ["deposited", "head_of_state_assent", "parliament_approved",
             "upper_chamber_approved", "lower_chamber_approved", "government_approved",
             "protocol_signed", "pending"]
    x = 0.0
    parts = []
    for step in order:
        share = counts.get(step, 0) / total * 100 if total else 0
        if share:
            parts.append(f'<rect class="ratif-{step}" x="{x:.2f}" y="0" width="{share:.2f}" '
                         f'height="10"/>')
        x += share
    ratified = total - counts.get("pending", 0)
    desc = gettext("%(ratified)d of %(total)d member states have ratified.") % {
        "ratified": ratified, "total": total}
    return _svg(chart_id, 100, 10, gettext("Ratification progress"), desc, "".join(parts),
                "chart-bar chart-ratification")
