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
    assessed_by: str = "independent"  # "self": the candidate's own figure, drawn apart


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


def _legend(x: float, y: float) -> str:
    """The two series' keys, side by side: the independent figures, and the self-assessed."""
    return (f'<g class="legend"><line class="series" x1="{x}" x2="{x + 16}" y1="{y - 4}" '
            f'y2="{y - 4}"/><circle class="point" cx="{x + 8}" cy="{y - 4}" r="3"/>'
            f'<text class="axis" x="{x + 22}" y="{y}">{escape(gettext("Independent"))}</text>'
            f'<line class="series series-self" x1="{x + 130}" x2="{x + 146}" y1="{y - 4}" '
            f'y2="{y - 4}"/><rect class="point point-self" x="{x + 135}" y="{y - 7}" '
            f'width="6" height="6"/><text class="axis" x="{x + 152}" y="{y}">'
            f'{escape(gettext("Self-assessed"))}</text></g>')


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
    lines; revised values as hollow points; self-assessed points (assessed_by "self") as a
    second, dashed series with square markers and a legend. Milestones plot the stage number
    (1 = first stage) with the stage names on the axis. A compact chart keeps a minimal axis:
    the first and last value with their years. A narrow chart is the full one drawn for a
    phone: SVG text scales with the chart, so a phone (328 px wide at 360) needs fewer units
    across to keep its text at 11 px or more; the page shows one or the other by the room it
    has (site.css)."""
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

    own = [p for p in points if p.assessed_by == "self"]
    every = points
    points = [p for p in points if p.assessed_by != "self"] or own
    if points is own:  # only self-assessed figures: they are the series, said in the legend
        own = []
    days = [p.day.toordinal() for p in every] + [today.toordinal()]
    if due_on is not None and not compact:
        days.append(due_on.toordinal())
    values = [p.value for p in every] + ([target] if target is not None else [])
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
    self_words = gettext("self-assessed")
    if own:
        line = " ".join(f"{x(p.day):.1f},{y(p.value):.1f}" for p in own)
        parts.append(f'<polyline class="series series-self" points="{line}"/>')
        for p in own:
            label = f"{format_day(p.day)}: {value_words(p.value)} ({self_words})"
            parts.append(f'<rect class="point point-self" x="{x(p.day) - radius:.1f}" '
                         f'y="{y(p.value) - radius:.1f}" width="{2 * radius}" '
                         f'height="{2 * radius}"><title>{escape(label)}</title></rect>')
        if not compact:
            parts.append(_legend(left if not narrow else 4,
                                 height - (22 if narrow else 4)))
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
    if own:
        desc += " " + gettext("The dashed line with square points is the candidate's own "
                              "(self-assessed) figures: %(count)d, latest %(value)s.") % {
            "count": len(own), "value": value_words(own[-1].value)}
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


def _named(name: str, value: str) -> str:
    """"Name: value", as the reader's language punctuates it."""
    return gettext("%(name)s: %(value)s") % {"name": name, "value": value}


@dataclass(frozen=True)
class TimelinePhase:
    words: str  # the phase, in the reader's words
    day: date | None  # entered (or projected); None: the next phase cannot be projected
    is_current: bool = False
    is_projected: bool = False


@dataclass(frozen=True)
class TimelineTarget:
    words: str  # the target's title
    projected_on: date | None
    is_met: bool
    is_critical: bool = False


def path_timeline(
    chart_id: str,
    phases: Sequence[TimelinePhase],
    targets: Sequence[TimelineTarget],
    *,
    title: str,
    today: date,
    is_illustrative: bool = False,
    narrow: bool = False,
) -> Markup:
    """A candidate's path as a timeline: the phases entered so far on their dates, the next
    phase at its projected date (or at the end, marked as not projectable), today, and a lane
    per target of the gate: met (✔), projected (a bar from today to its date; the critical one
    bold) or not projectable. The narrow variant, for a phone, puts each target's title above
    its lane (SVG text scales with the chart; see history_chart)."""
    width = 340 if narrow else 640
    left = 10 if narrow else 190
    right = 14
    lane = 34 if narrow else 24
    top = 66
    height = top + 40 + lane * len(targets) + (20 if is_illustrative else 0)
    label_length = 40 if narrow else 30  # a target's title beside (wide) or above its lane
    days = [today] + [p.day for p in phases if p.day] + [t.projected_on for t in targets
                                                         if t.projected_on]
    first, last = min(days), max(days)
    span = max(365, (last - first).days)
    first_x, last_x = first.toordinal() - span // 20, last.toordinal() + span // 8

    def x(day: date) -> float:
        return left + (day.toordinal() - first_x) / (last_x - first_x) * (width - left - right)

    axis = top + 18
    parts = [f'<line class="axis-line" x1="{left}" x2="{width - right}" y1="{axis}" '
             f'y2="{axis}"/>']
    for tick in _year_ticks(date.fromordinal(first_x), date.fromordinal(last_x), narrow):
        parts.append(f'<text class="axis x-tick" x="{x(tick):.1f}" y="{axis + 16}" '
                     f'text-anchor="middle">{tick.year}</text>')
    anchor = "end" if x(today) > width * 0.6 else "start"
    shift = -4 if anchor == "end" else 4
    parts.append(f'<line class="today" x1="{x(today):.1f}" x2="{x(today):.1f}" y1="{top - 4}" '
                 f'y2="{height - 6}"/>'
                 f'<text class="today-label" x="{x(today) + shift:.1f}" y="{top - 6}" '
                 f'text-anchor="{anchor}">{escape(format_day(today))}</text>')
    end = width - right
    for index, phase in enumerate(phases):
        at = x(phase.day) if phase.day else end - 6
        css = "phase" + (" current" if phase.is_current else "") + (
            " projected" if phase.is_projected or phase.day is None else "")
        words = phase.words if phase.day else _named(phase.words, gettext("cannot be projected"))
        if phase.day and phase.is_projected:
            words = _named(phase.words, format_day(phase.day))
        row = 16 if index % 2 == 0 else 36  # alternate rows: close dates keep their labels apart
        anchor = "end" if at > width * 0.6 else "start"
        parts.append(f'<circle class="{css}" cx="{at:.1f}" cy="{axis}" r="6">'
                     f'<title>{escape(words)}</title></circle>'
                     f'<text class="phase-label" x="{at:.1f}" y="{row}" '
                     f'text-anchor="{anchor}">{escape(_shorten(words, 44))}</text>')
    for index, target in enumerate(targets):
        y = axis + 30 + index * lane
        if narrow:
            parts.append(f'<text class="target-name" x="{left}" y="{y}">'
                         f'{escape(_shorten(target.words, label_length))}</text>')
            y += 12
        else:
            parts.append(f'<text class="target-name" x="{left - 8}" y="{y + 4}" '
                         f'text-anchor="end">{escape(_shorten(target.words, label_length))}'
                         '</text>')
        if target.is_met:
            words = gettext("met")
            parts.append(f'<text class="lane met" x="{x(today) - 4:.1f}" y="{y + 4}" '
                         f'text-anchor="end">✔ {escape(words)}</text>')
        elif target.projected_on:
            words = format_day(target.projected_on)
            css = "lane-bar critical" if target.is_critical else "lane-bar"
            start, stop = x(today), max(x(target.projected_on), x(today) + 3)
            parts.append(f'<rect class="{css}" x="{start:.1f}" y="{y - 4}" '
                         f'width="{stop - start:.1f}" height="8"/>')
            anchor = "end" if stop > width * 0.7 else "start"
            shift = -2 if anchor == "end" else 4
            at = stop + shift
            row = y - 7 if anchor == "end" else y + 4
            parts.append(f'<text class="lane" x="{at:.1f}" y="{row}" text-anchor="{anchor}">'
                         f'{escape(words)}</text>')
        else:
            words = gettext("cannot be projected")
            css = "lane critical" if target.is_critical else "lane"
            at, anchor = ((x(today) - 4, "end") if x(today) > width * 0.6
                          else (x(today) + 4, "start"))
            parts.append(f'<text class="{css}" x="{at:.1f}" y="{y + 4}" '
                         f'text-anchor="{anchor}">✖ {escape(words)}</text>')
    described = [_named(p.words, format_day(p.day) if p.day else gettext("cannot be projected"))
                 for p in phases]
    described += [_named(t.words, gettext("met") if t.is_met else format_day(t.projected_on)
                         if t.projected_on else gettext("cannot be projected"))
                  for t in targets]
    desc = ". ".join(described) + "."  # sentences: no punctuation that differs by language
    if is_illustrative:
        mark = gettext("Illustrative gate, not an alliance decision.")
        desc += " " + mark
        parts.append(f'<text class="illustrative-mark" x="4" y="{height - 6}">'
                     f'{escape(mark)}</text>')
    variant = " chart-narrow" if narrow else " chart-wide"
    return _svg(chart_id, width, height, title, desc, "".join(parts),
                "chart-history chart-path" + variant)
