"""Server-rendered SVG charts: they draw and print without JavaScript, carry a title and a
description for screen readers, and pages show the data table behind each one. Pure functions:
numbers in, markup out. Sizes are in SVG units; the CSS scales them to the container."""

from collections.abc import Sequence
from datetime import date
from html import escape

from markupsafe import Markup

from app.i18n import format_day, format_number, gettext


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
    words = gettext("no data") if percent is None else f"{format_number(shown, 0)} %"
    body = (
        '<rect class="bar-track" x="0" y="0" width="100" height="10" rx="1"/>'
        f'<rect class="bar-fill" x="0" y="0" width="{shown:.2f}" height="10" rx="1"/>'
    )
    return _svg(chart_id, 100, 10, title, words, body, "chart-bar")


def history_chart(
    chart_id: str,
    points: Sequence[tuple[date, float]],
    *,
    title: str,
    target: float | None = None,
    due_on: date | None = None,
    stage_names: Sequence[str] = (),
    unit: str = "",
    compact: bool = False,
) -> Markup:
    """Measured values over time as a line, the target as a dashed line and the due date as a
    vertical one. Milestones plot the stage number (1 = first stage) with stage names on the
    axis."""
    width, height = (240, 64) if compact else (640, 260)
    left, right, top, bottom = (4, 4, 4, 4) if compact else (64, 16, 16, 36)
    if not points:
        desc = gettext("No measurement yet.")
        body = (f'<text class="chart-empty" x="{width / 2}" y="{height / 2}" '
                f'text-anchor="middle">{escape(desc)}</text>')
        return _svg(chart_id, width, height, title, desc, body, "chart-history")

    days = [d.toordinal() for d, _ in points] + ([due_on.toordinal()] if due_on else [])
    values = [v for _, v in points] + ([target] if target is not None else [])
    x_min, x_max = min(days), max(days)
    if x_max == x_min:
        x_min, x_max = x_min - 180, x_max + 180
    y_min = min(0.0, min(values))
    y_max = max(values) * 1.1 if max(values) > 0 else 1.0
    if stage_names:
        y_min, y_max = 0.0, float(len(stage_names))

    def x(day: int) -> float:
        return left + (day - x_min) / (x_max - x_min) * (width - left - right)

    def y(value: float) -> float:
        return top + (1 - (value - y_min) / (y_max - y_min)) * (height - top - bottom)

    parts = []
    if not compact:
        ticks = ([(i + 1, name) for i, name in enumerate(stage_names)] if stage_names
                 else [(y_min + (y_max - y_min) * i / 4, None) for i in range(5)])
        for value, name in ticks:
            text = name if name is not None else format_number(value, 1)
            parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" '
                         f'y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
                         f'<text class="axis" x="{left - 6}" y="{y(value) + 4:.1f}" '
                         f'text-anchor="end">{escape(text[:14])}</text>')
        first, last = date.fromordinal(x_min), date.fromordinal(x_max)
        parts.append(f'<text class="axis" x="{left}" y="{height - 10}">'
                     f'{escape(format_day(first))}</text>'
                     f'<text class="axis" x="{width - right}" y="{height - 10}" '
                     f'text-anchor="end">{escape(format_day(last))}</text>')
    if target is not None:
        parts.append(f'<line class="target" x1="{left}" x2="{width - right}" '
                     f'y1="{y(target):.1f}" y2="{y(target):.1f}"/>')
        if not compact:
            parts.append(f'<text class="target-label" x="{width - right}" '
                         f'y="{y(target) - 4:.1f}" text-anchor="end">'
                         f'{escape(gettext("Target"))}</text>')
    if due_on is not None:
        parts.append(f'<line class="due" x1="{x(due_on.toordinal()):.1f}" '
                     f'x2="{x(due_on.toordinal()):.1f}" y1="{top}" y2="{height - bottom}"/>')
        if not compact:
            parts.append(f'<text class="due-label" x="{x(due_on.toordinal()) - 4:.1f}" '
                         f'y="{top + 10}" text-anchor="end">{escape(gettext("Due"))}</text>')
    line = " ".join(f"{x(d.toordinal()):.1f},{y(v):.1f}" for d, v in points)
    parts.append(f'<polyline class="series" points="{line}"/>')
    radius = 2 if compact else 3.5
    parts += [f'<circle class="point" cx="{x(d.toordinal()):.1f}" cy="{y(v):.1f}" r="{radius}"/>'
              for d, v in points]

    last_day, last_value = points[-1]
    shown = (stage_names[int(last_value) - 1] if stage_names and last_value >= 1
             else f"{format_number(last_value)} {unit}".strip())
    desc = gettext("%(count)d measurements from %(first)s to %(last)s; latest %(value)s.") % {
        "count": len(points), "first": format_day(points[0][0]), "last": format_day(last_day),
        "value": shown,
    }
    return _svg(chart_id, width, height, title, desc, "".join(parts), "chart-history")


def ratification_chart(chart_id: str, counts: dict[str, int], total: int) -> Markup:
    """One bar split by each member state's latest step: deposited, then signed, then approved
    by parliament, then pending."""
    order = ["deposited", "signed", "parliament_approved", "pending"]
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
