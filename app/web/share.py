"""Sharing beyond the site: a candidate's one-page brief (to print and hand over), and each
benchmark's chart as an embed page other sites may frame and as a standalone SVG file. Only the
embed route may be framed (app.http.middleware.EMBED_CONTENT_SECURITY_POLICY)."""

import textwrap
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from app.accession.service import load_accessions
from app.attention.service import candidate_attention
from app.benchmarks.service import AppliedBenchmark, get_definition
from app.candidates.deps import AsOfQuery
from app.candidates.service import get_candidate
from app.config import get_settings
from app.db import SessionDep
from app.errors import NotFound
from app.evaluation import (
    benchmark_is_illustrative,
    history_chart_points,
    load_statuses,
    rests_on_illustrative,
    today,
)
from app.i18n import current_language, format_day, gettext
from app.models import BenchmarkDefinition, Candidate, Phase
from app.status import BenchmarkEvaluation, Status
from app.web.as_of import ReviewDep
from app.web.benchmark_charts import CHART_POINTS, benchmark_chart, chart_points
from app.web.charts import ChartPoint
from app.web.downloads import attachment
from app.web.maps import DrawnMap, load_geography, load_ratification_map, map_svg
from app.web.sources import SourceNotes, first_url, short_name
from app.web.templating import label, localized, render
from app.web.wording import measure, status_sentence, target_words

router = APIRouter(include_in_schema=False)

BRIEF_CHARTS = 4  # the most urgent benchmarks drawn on the brief: more would not fit one A4 page
MEMBER_BRIEF_CHARTS = 2  # a member's figures are comparators: two give their shape
# The order the brief draws its charts in: what a minister must act on first.
URGENCY = {Status.overdue: 0, Status.off_track: 1, Status.at_risk: 2, Status.no_data: 3,
           Status.on_track: 4, Status.met: 5}
# The standalone SVG styles itself (it is opened on its own, or in an <img>): its only
# allowance is its own <style>; no script, no outside resource.
SVG_CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
SVG_STYLE = """
svg { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.heading { font-size: 17px; font-weight: 700; fill: #0b0c0c; }
.subheading, .line { font-size: 12px; fill: #505a5f; }
.mark { font-size: 12px; font-weight: 700; fill: #7a4b00; }
.grid { stroke: #dcdcdc; stroke-width: 1; }
.axis, .target-label, .due-label, .today-label, .chart-empty { font-size: 11px; fill: #505a5f; }
.unit { font-weight: 600; }
.axis-line { stroke: #6b6b6b; stroke-width: 1; }
.series { fill: none; stroke: #1d4f91; stroke-width: 2.5; stroke-linejoin: round; }
.point { fill: #1d4f91; }
.point.revised { fill: #fff; stroke: #1d4f91; stroke-width: 2; }
.series-self { stroke: #8a5a00; stroke-dasharray: 6 4; }
.point-self { fill: #8a5a00; }
.target { stroke: #00703c; stroke-width: 2; stroke-dasharray: 6 4; }
.target-label { fill: #00703c; font-weight: 600; }
.due { stroke: #b3261e; stroke-width: 1.5; stroke-dasharray: 2 3; }
.today { stroke: #444; stroke-width: 1.5; }
.illustrative-mark { font-size: 11px; font-weight: 600; fill: #7a4b00; }
"""
SVG_WIDTH, SVG_CHART_HEIGHT = 640, 290  # the full chart of app.web.charts.history_chart
SVG_LINE_CHARACTERS = 95  # a line of 12px text across 640 units, wrapped short of the edge


def permalink(path: str, as_of: date | None = None) -> str:
    """The absolute address of a page as this reader sees it: the date it describes, and the
    language when not the default one (a French brief's link opens in French)."""
    query = {}
    if as_of is not None:
        query["as_of"] = as_of.isoformat()
    if current_language.get() != "en":
        query["lang"] = current_language.get()
    return get_settings().site_url + path + (f"?{urlencode(query)}" if query else "")


def latest_words(definition: BenchmarkDefinition, applied: AppliedBenchmark | None,
                 b: BenchmarkEvaluation | None) -> str:
    if b is None or b.latest is None:
        return gettext("no data")
    latest = b.latest.value if b.latest.value is not None else b.latest.stage
    return gettext("%(value)s (as of %(day)s)") % {
        "value": measure(definition, latest, applied.target_value if applied else None),
        "day": format_day(b.latest.as_of)}


def value_against_target(definition: BenchmarkDefinition, applied: AppliedBenchmark | None,
                         b: BenchmarkEvaluation | None, *, is_member: bool) -> str:
    """The latest value against the target in one sentence: the status sentence of an
    aspirant; a member's figure (not scored) beside the target of its former tier."""
    if b is not None and not is_member:
        return status_sentence(b, definition)
    words = gettext("Latest: %(latest)s.") % {"latest": latest_words(definition, applied, b)}
    if applied is not None:
        words += " " + gettext("Target: %(target)s") % {
            "target": target_words(definition, applied.target_value, applied.target_stage)} + "."
    return words


def source_words(b: BenchmarkEvaluation | None) -> str:
    """The source of the latest value, short, with its vintage."""
    if b is None or b.latest is None or not b.latest.source:
        return ""
    words = short_name(b.latest.source)
    return f"{words} ({b.latest.vintage})" if b.latest.vintage else words


@dataclass(frozen=True)
class SharedChart:
    """One benchmark's chart as shared on its own, with what it needs to be read alone."""

    candidate: Candidate
    definition: BenchmarkDefinition
    applied: AppliedBenchmark | None  # None: no longer asked of the candidate's tier
    evaluation: BenchmarkEvaluation | None
    points: list[ChartPoint]
    as_of: date
    is_member: bool
    is_illustrative: bool
    chart: Markup  # the full chart, wide
    narrow_chart: Markup  # the same for a narrow frame (site.css shows one by the room it has)

    @property
    def title(self) -> str:
        return localized(self.definition, "title")

    @property
    def words(self) -> str:
        return value_against_target(self.definition, self.applied, self.evaluation,
                                    is_member=self.is_member)

    @property
    def source(self) -> str:
        return source_words(self.evaluation)

    @property
    def source_url(self) -> str | None:
        latest = self.evaluation.latest if self.evaluation else None
        return first_url(latest.source) if latest and latest.source else None

    @property
    def status(self) -> str | None:
        """The status, but for a member (not scored) or a benchmark no longer asked."""
        return None if self.is_member or self.evaluation is None else str(self.evaluation.status)

    def permalink(self, as_of: date | None) -> str:
        return permalink(f"/candidates/{self.candidate.slug}/benchmarks/{self.definition.key}",
                         as_of)


def shared_chart(session: Session, slug: str, key: str, as_of: date | None) -> SharedChart:
    """A candidate's benchmark chart as of a date (default today), as the benchmark page draws
    it: the series' whole history. Unknown slug or key: NotFound."""
    candidate = get_candidate(session, slug)
    definition = get_definition(session, key)
    status = load_statuses(session, [candidate], as_of=as_of)[candidate.id]
    as_of = status.evaluation.as_of
    applied = next((a for a in status.applied if a.definition.key == key), None)
    evaluation = next((b for b in status.evaluation.benchmarks if b.spec.key == key), None)
    points = [ChartPoint(*point) for point in history_chart_points(
        session, (candidate.id, definition.indicator_id), definition.stages or [], as_of,
        CHART_POINTS)]
    measured_illustrative = any(m.is_illustrative for m in status.measurements.get(key, ()))
    is_illustrative = measured_illustrative or bool(
        applied and benchmark_is_illustrative(applied, evaluation.latest if evaluation else None))
    return SharedChart(
        candidate=candidate, definition=definition, applied=applied, evaluation=evaluation,
        points=points, as_of=as_of, is_member=status.standing.phase == Phase.member,
        is_illustrative=is_illustrative,
        chart=benchmark_chart(f"chart-{key}", definition, applied, points, as_of,
                              is_illustrative=measured_illustrative),
        narrow_chart=benchmark_chart(f"chart-{key}-narrow", definition, applied, points, as_of,
                                     is_illustrative=measured_illustrative, narrow=True))


def chart_svg(shared: SharedChart, link: str) -> str:
    """The chart as a file that reads on its own: a heading (benchmark, candidate, status),
    the chart, then the value against the target, the source and vintage, the illustrative
    mark and where it comes from. Styled by its own <style>; no script."""
    heading = f"{shared.title} — {localized(shared.candidate, 'name')}"
    sub = gettext("As of %(day)s") % {"day": format_day(shared.as_of)}
    if shared.status:
        sub += " · " + gettext("Status: %(status)s") % {"status": label(shared.status)}
    lines = textwrap.wrap(shared.words, SVG_LINE_CHARACTERS)
    if shared.source:
        lines += textwrap.wrap(gettext("Source: %(source)s") % {"source": shared.source},
                               SVG_LINE_CHARACTERS)
    mark = gettext("Illustrative data, not official figures.") if shared.is_illustrative else ""
    # An address has no space to wrap at: cut where the line ends.
    where = gettext("Accession Tracker: %(url)s") % {"url": link}
    lines += [where[i:i + SVG_LINE_CHARACTERS] for i in range(0, len(where), SVG_LINE_CHARACTERS)]
    top = 52
    bottom = top + SVG_CHART_HEIGHT
    height = bottom + 18 * (len(lines) + bool(mark)) + 8
    chart = str(shared.chart).replace(
        "<svg ", f'<svg x="0" y="{top}" width="{SVG_WIDTH}" height="{SVG_CHART_HEIGHT}" ', 1)
    texts = [f'<text class="heading" x="8" y="22">{escape(heading)}</text>',
             f'<text class="subheading" x="8" y="42">{escape(sub)}</text>']
    y = bottom + 18
    if mark:
        texts.append(f'<text class="mark" x="8" y="{y}">{escape(mark)}</text>')
        y += 18
    for line in lines:
        texts.append(f'<text class="line" x="8" y="{y}">{escape(line)}</text>')
        y += 18
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_WIDTH}" height="{height}" '
        f'viewBox="0 0 {SVG_WIDTH} {height}" role="img" aria-labelledby="svg-title" '
        f'lang="{current_language.get()}">'
        f'<title id="svg-title">{escape(heading)}</title>'
        f'<style>{SVG_STYLE}</style>'
        f'<rect width="{SVG_WIDTH}" height="{height}" fill="#ffffff"/>'
        + "".join(texts) + chart + "</svg>\n"
    )


def brief_context(session: Session, candidate: Candidate, as_of: date | None) -> dict[str, Any]:
    """What the one-page brief shows: standing and readiness, every benchmark in a line,
    Needs attention, the charts of the most urgent benchmarks, their sources, and the date it
    describes with its permalink."""
    status = load_statuses(session, [candidate], as_of=as_of)[candidate.id]
    evaluation = status.evaluation
    is_member = status.standing.phase == Phase.member
    applied = {a.definition.key: a for a in status.applied}
    sources = SourceNotes(prefix="brief-source")
    rows = []
    for b in evaluation.benchmarks:
        a = applied[b.spec.key]
        rows.append({
            "evaluation": b, "applied": a, "title": localized(a.definition, "title"),
            "latest": latest_words(a.definition, a, b),
            "target": target_words(a.definition, a.target_value, a.target_stage),
            "is_illustrative": benchmark_is_illustrative(a, b.latest),
            "source": sources.ref(b.latest.source) if b.latest else "",
            "points": chart_points(status, b.spec.key, evaluation.as_of),
        })
    if is_member:  # comparators: the first figures measured, as the page lists them
        drawn = [r for r in rows if r["points"]][:MEMBER_BRIEF_CHARTS]
    else:
        by_urgency = sorted(rows, key=lambda r: (
            URGENCY[r["evaluation"].status], r["applied"].due_on or date.max))
        drawn = [r for r in by_urgency if r["points"]][:BRIEF_CHARTS]
    charts = [{
        "title": r["title"], "key": r["evaluation"].spec.key, "status": r["evaluation"].status,
        "chart": benchmark_chart(
            f"brief-chart-{r['evaluation'].spec.key}", r["applied"].definition, r["applied"],
            r["points"], evaluation.as_of, compact=True,
            is_illustrative=any(m.is_illustrative
                                for m in status.measurements[r["evaluation"].spec.key])),
    } for r in drawn]
    return {
        "candidate": candidate, "evaluation": evaluation, "rows": rows, "charts": charts,
        "is_member": is_member, "tier": status.standing.tier,
        "phase": status.standing.phase,
        "is_illustrative": rests_on_illustrative(status),
        "tier_is_illustrative": status.standing.tier_is_illustrative,
        "attention": candidate_attention(candidate, status),
        "accession": load_accessions(session, [candidate])[candidate.id],
        "ratification_map": load_ratification_map(session, candidate, as_of,
                                                  standing=status.standing),
        "map_source": load_geography().source,
        "sources": sources, "as_of": evaluation.as_of,
        "permalink": permalink(f"/candidates/{candidate.slug}/brief", as_of),
    }


@router.get("/candidates/{slug}/brief", response_class=HTMLResponse)
def brief_page(request: Request, slug: str, session: SessionDep, review: ReviewDep) -> Response:
    """A candidate on one A4 page, to print and hand over; as of a review with its banner."""
    candidate = get_candidate(session, slug)
    return render(request, "candidates/brief.html", review=review,
                  **brief_context(session, candidate, review.as_of))


@router.get("/embed/candidates/{slug}/benchmarks/{key}", response_class=HTMLResponse)
def embed_benchmark_page(request: Request, slug: str, key: str, session: SessionDep,
                         as_of: AsOfQuery) -> Response:
    """A benchmark's chart alone, for other sites to frame: no site chrome, no script."""
    shared = shared_chart(session, slug, key, as_of)
    return render(request, "embed/benchmark.html", shared=shared,
                  permalink=shared.permalink(as_of))


@router.get("/candidates/{slug}/benchmarks/{key}.svg")
def benchmark_svg(slug: str, key: str, session: SessionDep, as_of: AsOfQuery) -> Response:
    shared = shared_chart(session, slug, key, as_of)
    headers = {**attachment(f"{slug}-{key}.svg"),
               "Content-Security-Policy": SVG_CONTENT_SECURITY_POLICY}
    return Response(chart_svg(shared, shared.permalink(as_of)),
                    media_type="image/svg+xml; charset=utf-8", headers=headers)


def shared_ratification_map(session: Session, slug: str, as_of: date | None) -> tuple[
        Candidate, DrawnMap]:
    """The candidate and its ratification map; 404 before it has a protocol to ratify."""
    candidate = get_candidate(session, slug)
    drawn = load_ratification_map(session, candidate, as_of)
    if drawn is None:
        raise NotFound("ratification map", slug, f"{localized(candidate, 'name')} has no "
                       "accession protocol to ratify on that date, so there is no ratification "
                       "map.")
    return candidate, drawn


@router.get("/embed/candidates/{slug}/ratification-map", response_class=HTMLResponse)
def embed_ratification_map_page(request: Request, slug: str, session: SessionDep,
                                as_of: AsOfQuery) -> Response:
    """The ratification map alone, for other sites to frame, as the benchmark embeds."""
    candidate, drawn = shared_ratification_map(session, slug, as_of)
    return render(request, "embed/ratification_map.html", candidate=candidate, drawn=drawn,
                  shown_on=as_of or today(), map_source=load_geography().source,
                  permalink=permalink(f"/candidates/{slug}", as_of))


@router.get("/candidates/{slug}/ratification-map.svg")
def ratification_map_svg(slug: str, session: SessionDep, as_of: AsOfQuery) -> Response:
    candidate, drawn = shared_ratification_map(session, slug, as_of)
    caption = gettext("Ratification of %(candidate)s's accession as of %(day)s") % {
        "candidate": localized(candidate, "name"),
        "day": format_day(as_of or today(), "long")}
    headers = {**attachment(f"{slug}-ratification-map.svg"),
               "Content-Security-Policy": SVG_CONTENT_SECURITY_POLICY}
    return Response(map_svg(drawn, caption, permalink(f"/candidates/{slug}", as_of)),
                    media_type="image/svg+xml; charset=utf-8", headers=headers)
