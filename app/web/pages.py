"""GET-only HTML pages. Each gathers what it shows through the services and hands a finished
context to its template; templates never query."""

from datetime import date
from itertools import groupby
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.accession.service import has_protocol, load_accessions
from app.attention.service import (
    DEFAULT_WITHIN_DAYS,
    MAX_WITHIN_DAYS,
    Attention,
    candidate_attention,
    first_attention,
    list_attention,
)
from app.auth.deps import FullEvaluation, allow_full_evaluation
from app.benchmarks.service import (
    list_expansion_models,
    list_tiers,
    targets_in_force,
)
from app.candidates.service import (
    SortKey,
    get_candidate,
    list_candidates,
    list_overview_candidates,
    sort_candidates,
)
from app.db import SessionDep
from app.evaluation import (
    benchmark_is_illustrative,
    end_of_day,
    history_chart_points,
    load_statuses,
    rests_on_illustrative,
    revised_vintages,
    today,
)
from app.framework import list_instruments
from app.gates.service import list_gates, next_phase_path
from app.http.pagination import page_count, page_of
from app.members.service import list_member_states
from app.models import Phase, ProgressReport, ReportStatus, Tier
from app.progress.service import corrections_of, last_recorded, list_series, retracted_on
from app.ratifications.service import (
    list_ratifications,
    ratification_counts,
    ratification_pipeline,
)
from app.reports.preview import MAX_TOKEN_LENGTH, PreviewRefused
from app.reports.rendering import render_markdown
from app.reports.service import (
    get_published_report,
    get_report_preview,
    list_published_reports,
    writers,
)
from app.schema_types import MAX_ID
from app.web.as_of import ReviewDep, dated, viewing
from app.web.benchmark_charts import CHART_POINTS, benchmark_chart, chart_points
from app.web.charts import ChartPoint, progress_bar, ratification_chart
from app.web.feeds import status_feed_path
from app.web.maps import load_geography, overview_map, ratification_map
from app.web.methodology import (
    METHODOLOGY_RULES,
    path_example,
    pipeline_example,
    worked_example,
)
from app.web.path_view import path_section
from app.web.sources import SourceNotes
from app.web.templating import localized, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 100  # rows of a benchmark's update table per page
ATTENTION_SHOWN = 10  # the overview's Needs attention: the most urgent items; /attention has all


@router.get("/", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    session: SessionDep,
    review: ReviewDep,
    tier: Annotated[Tier | Literal[""] | None, Query()] = None,
    phase: Annotated[Phase | Literal[""] | None, Query()] = None,
    sort: Annotated[SortKey, Query()] = "name",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """Aspirants grouped by tier (each is measured against its own tier's benchmarks, so
    readiness is never ranked across tiers), then the completed accessions. As of a date,
    each in its tier and phase of that day (from its status history, as the status API)."""
    if sort == "readiness":  # the order needs every candidate evaluated
        allow_full_evaluation(request)
    as_of = review.as_of
    candidates, completed, asked = list_overview_candidates(session, tier or None, phase or None,
                                                            as_of)
    total = len(candidates)
    # Today a candidate's own fields; as of a date, its tier and phase then.
    standing = {c.id: asked.standings[c.id] if as_of else c for c in candidates}
    # Only what the order needs is computed for every candidate; the rest for the page shown.
    statuses = load_statuses(session, candidates, asked=asked) if sort == "readiness" else {}
    updated = (last_recorded(session, [c.id for c in candidates], as_of=as_of)
               if sort == "updated" else {})
    shown_candidates, pages = page_of(sort_candidates(candidates, sort, standing, statuses,
                                                      updated), page, PAGE_SIZE)
    shown = [{"candidate": c, "tier": standing[c.id].tier, "phase": standing[c.id].phase}
             for c in shown_candidates]
    if sort != "readiness":
        statuses = load_statuses(session, shown_candidates, asked=asked)
    if sort != "updated":
        updated = last_recorded(session, [c.id for c in shown_candidates], as_of=as_of)
    categories = {a.definition.category.key: a.definition.category
                  for c in shown_candidates for a in statuses[c.id].applied}
    gates = list_gates(session)  # the "next phase" column: read once, no evaluation more
    for row in shown:
        status = statuses[row["candidate"].id]
        row["path"] = next_phase_path(status, gates)
        row["evaluation"] = status.evaluation
        row["is_illustrative"] = rests_on_illustrative(status)
        row["tier_is_illustrative"] = status.standing.tier_is_illustrative
        row["updated"] = updated.get(row["candidate"].id)
        slug = row["candidate"].slug
        row["bar"] = progress_bar(f"ready-{slug}", row["evaluation"].readiness,
                                  localized(row["candidate"], "name"))
        row["category_bars"] = [
            (c, progress_bar(f"ready-{slug}-{c.key}", c.readiness,
                             localized(categories[c.key], "title")))
            for c in row["evaluation"].categories
        ]
    groups = [(Tier(key), list(group)) for key, group in groupby(shown, key=lambda r: r["tier"])]
    # Needs attention, of the candidates listed. Evaluating all of them would cost what sorting
    # by readiness does (2 s for the benchmark's 1,000 candidates on a busy 2-core machine,
    # against 0.2 s for this page), so only the first items are found: first_attention
    # evaluates candidates in the order of their due dates, which needs no evaluation, and
    # stops once those items are sure, reusing the statuses computed above (one query, plus
    # two when those do not answer it). The whole list, counted, is /attention's.
    attention = first_attention(session, candidates, asked, first=ATTENTION_SHOWN,
                                known=statuses)
    filters = {key: value for key, value in (("tier", tier), ("phase", phase)) if value}
    members, _ = list_member_states(session)
    with viewing(as_of):  # links keep the date, as the template's do
        attention_url = dated("/attention" + (f"?{urlencode(filters)}" if filters else ""))
        aspirants_map = overview_map(
            [(row["candidate"], row["evaluation"], dated(f"/candidates/{row['candidate'].slug}"))
             for row in shown], members, {c.iso3 for c in completed}, as_of or today())
    return render(request, "dashboard.html", groups=groups, total=total, tiers=list(Tier),
                  phases=list(Phase), tier=tier or "", phase=phase or "", sort=sort,
                  page=page, pages=pages, categories=categories, completed=completed,
                  accessions=load_accessions(session, completed, as_of=as_of),
                  attention=attention, attention_url=attention_url,
                  attention_members=phase == Phase.member, review=review,
                  aspirants_map=aspirants_map, map_source=load_geography().source)


@router.get("/candidates/{slug}", response_class=HTMLResponse)
def candidate_page(request: Request, slug: str, session: SessionDep,
                   review: ReviewDep) -> Response:
    """An aspirant's status against its tier; a member's completed accession first, its
    figures kept as comparators and not scored. As of a date: the status the status API gives
    for it, in the tier and phase of that day, and only what was known or done by then."""
    as_of = review.as_of
    candidate = get_candidate(session, slug)
    status = load_statuses(session, [candidate], as_of=as_of)[candidate.id]
    standing = status.standing
    evaluation = status.evaluation
    applied = {a.definition.key: a for a in status.applied}
    revised = revised_vintages(session, [b.latest for b in evaluation.benchmarks if b.latest])
    benchmarks = []
    for b in evaluation.benchmarks:
        a = applied[b.spec.key]
        benchmarks.append({
            "evaluation": b, "applied": a,
            "is_illustrative": benchmark_is_illustrative(a, b.latest),
            "points": (points := chart_points(status, b.spec.key, evaluation.as_of)),
            "chart": benchmark_chart(
                f"chart-{b.spec.key}", a.definition, a, points, evaluation.as_of, compact=True,
                is_illustrative=any(m.is_illustrative for m in status.measurements[b.spec.key])),
            "bar": progress_bar(f"progress-{b.spec.key}", b.progress,
                                localized(a.definition, "title")),
        })
    ratifying = has_protocol(standing)
    ratifications = list_ratifications(session, candidate, as_of=as_of) if ratifying else []
    reports, _ = list_published_reports(session, candidate, limit=5, as_of=as_of)
    categories = {a.definition.category.key: a.definition.category for a in status.applied}
    return render(
        request, "candidates/detail.html",
        candidate=candidate, evaluation=evaluation, standing=standing,
        history=[h for h in candidate.status_changes
                 if as_of is None or h.effective_on <= as_of],
        benchmarks=benchmarks, categories=categories, revised=revised,
        is_member=standing.phase == Phase.member,
        is_illustrative=rests_on_illustrative(status),
        tier_is_illustrative=standing.tier_is_illustrative,
        accession=load_accessions(session, [candidate], as_of=as_of)[candidate.id],
        overall_bar=progress_bar("ready-overall", evaluation.readiness,
                                 localized(candidate, "name")),
        category_bars={c.key: progress_bar(f"ready-{c.key}", c.readiness,
                                           localized(categories[c.key], "title"))
                       for c in evaluation.categories},
        blocking=[localized(applied[b.spec.key].definition, "title")
                  for b in evaluation.benchmarks if b.status != "met" and not b.projected_on],
        ratification_applies=ratifying,
        ratifications=ratifications,
        ratification_map=ratification_map(candidate, ratifications,
                                          list_member_states(session)[0], as_of or today())
        if ratifying else None, map_source=load_geography().source,
        ratification_counts=(counts := ratification_counts(ratifications)),
        ratification_bar=ratification_chart("ratification", counts.by_status, counts.total),
        ratification_pipeline=(ratification_pipeline(session, ratifications, phase=standing.phase,
                                                     as_of=as_of) if ratifying else None),
        reports=reports,
        attention=candidate_attention(candidate, status),
        sources=SourceNotes(), review=review, status_feed=status_feed_path(candidate.slug),
        path=path_section(session, candidate, status, list_gates(session)),
    )


@router.get("/candidates/{slug}/benchmarks/{key}", response_class=HTMLResponse)
def benchmark_page(
    request: Request,
    slug: str,
    key: str,
    session: SessionDep,
    review: ReviewDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """One benchmark's status and its whole series; as of a date, the updates known then
    (measured and recorded by that day) and the corrections and retractions made by then."""
    as_of = review.as_of
    candidate = get_candidate(session, slug)
    definition, shown, total = list_series(
        session, candidate, key, limit=HISTORY_PAGE_SIZE, offset=(page - 1) * HISTORY_PAGE_SIZE,
        as_of=as_of)
    status = load_statuses(session, [candidate], as_of=as_of)[candidate.id]
    applied = next((a for a in status.applied if a.definition.key == key), None)
    evaluation = next((b for b in status.evaluation.benchmarks if b.spec.key == key), None)
    points = [ChartPoint(*point) for point in history_chart_points(
        session, (candidate.id, definition.indicator_id), definition.stages or [],
        status.evaluation.as_of, CHART_POINTS)]
    superseded_by = corrections_of(session, [u.id for u in shown], as_of=as_of)
    revised = revised_vintages(session, shown)
    pages = page_count(total, HISTORY_PAGE_SIZE)
    is_illustrative = any(m.is_illustrative for m in status.measurements.get(key, ()))
    # The chart drawn twice, for a wide and a narrow screen (app/web/charts.py).
    charts = [benchmark_chart(chart_id, definition, applied, points, status.evaluation.as_of,
                              is_illustrative=is_illustrative, narrow=narrow)
              for chart_id, narrow in (("history", False), ("history-narrow", True))]
    return render(request, "candidates/benchmark.html", candidate=candidate,
                  definition=definition, applied=applied, evaluation=evaluation,
                  updates=shown, superseded_by=superseded_by, revised=revised, charts=charts,
                  sources=SourceNotes(),
                  points=points, retractions=retractions_known(shown, as_of),
                  retracted=retracted_on(session, shown, as_of),
                  page=page, pages=pages, total=total, review=review,
                  status_feed=status_feed_path(candidate.slug, definition.key))


def retractions_known(updates, as_of: date | None) -> dict[int, list]:
    """Each update's retractions asked for by the end of `as_of` (all of them today)."""
    until = end_of_day(as_of) if as_of else None
    return {u.id: [r for r in u.retractions if until is None or r.retracted_at < until]
            for u in updates}


@router.get("/attention", response_class=HTMLResponse)
def attention_page(
    request: Request,
    session: SessionDep,
    _allowed: FullEvaluation,
    review: ReviewDep,
    tier: Annotated[Tier | Literal[""] | None, Query()] = None,
    phase: Annotated[Phase | Literal[""] | None, Query()] = None,
    within_days: Annotated[int, Query(ge=0, le=MAX_WITHIN_DAYS)] = DEFAULT_WITHIN_DAYS,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The whole Needs attention list (as GET /api/v1/attention), a page at a time."""
    attention = list_attention(session, as_of=review.as_of, within_days=within_days,
                               tier=tier or None, phase=phase or None)
    total = len(attention.items)
    items, pages = page_of(attention.items, page, PAGE_SIZE)
    shown = Attention(items, attention.as_of, attention.due_by)
    filters = {"tier": tier or "", "phase": phase or "", "within_days": within_days,
               **({"as_of": review.as_of.isoformat()} if review.as_of else {})}
    return render(request, "attention.html", attention=shown, total=total, tiers=list(Tier),
                  phases=[p for p in Phase if p != Phase.member], tier=tier or "",
                  phase=phase or "", within_days=within_days, max_days=MAX_WITHIN_DAYS,
                  page=page, pages=pages,
                  query=urlencode(filters) + "&",
                  api_url="/api/v1/attention?" + urlencode(
                      {k: v for k, v in filters.items() if v != ""}), review=review)


ReportId = Annotated[int, Path(ge=1, le=MAX_ID)]
# A draft's preview is for whoever holds its link: never kept by a cache or indexed, and the
# link (its token) never sent on to the sites the draft links to.
PREVIEW_HEADERS = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex, nofollow",
                   "Referrer-Policy": "no-referrer"}


def _report_context(report: ProgressReport) -> dict[str, Any]:
    """What reports/detail.html shows, the same for the public page and a draft's preview."""
    return {"report": report, "body_html": render_markdown(report.body),
            "writers": [user.name for user in writers(report)],
            "publisher": report.published_by.name if report.published_by else None}


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(request: Request, report_id: ReportId, session: SessionDep,
                review: ReviewDep) -> Response:
    """A published report; as of a date before its publication, not found, like a draft."""
    report = get_published_report(session, report_id, as_of=review.as_of)
    return render(request, "reports/detail.html", review=review, **_report_context(report))


@router.get("/reports/{report_id}/preview", response_class=HTMLResponse)
def report_preview_page(
    request: Request, report_id: ReportId, session: SessionDep,
    token: Annotated[str, Query(max_length=MAX_TOKEN_LENGTH)] = "",
) -> Response:
    """A draft as it will be published, for the reviewers its link (`preview_url` in the API)
    was given to; a link to a report published since leads to its public page."""
    try:
        report = get_report_preview(session, report_id, token)
    except PreviewRefused as refused:
        response: Response = render(request, "reports/preview_refused.html",
                                    status_code=refused.status_code, refused=refused)
    else:
        if report.status == ReportStatus.published:
            response = RedirectResponse(request.url_for("report_page", report_id=report_id),
                                        status_code=303)
        else:
            response = render(request, "reports/detail.html", preview=True,
                              canonical_url=None, **_report_context(report))
    response.headers.update(PREVIEW_HEADERS)
    return response


@router.get("/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    session: SessionDep,
    review: ReviewDep,
    c: Annotated[list[str], Query(max_length=80)] = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    everyone, _ = list_candidates(session)
    chosen = ([x for x in everyone if x.slug in c]
              or [x for x in everyone if x.phase != Phase.member][:3])
    statuses = load_statuses(session, chosen, as_of=review.as_of)
    keys: dict[str, object] = {}
    for candidate in chosen:
        for a in statuses[candidate.id].applied:
            keys.setdefault(a.definition.key, a.definition)
    cells = {
        (candidate.slug, b.spec.key): b
        for candidate in chosen for b in statuses[candidate.id].evaluation.benchmarks
    }
    illustrative_targets = {(candidate.slug, a.definition.key)
                            for candidate in chosen for a in statuses[candidate.id].applied
                            if a.target_is_illustrative}
    unknown = [slug for slug in c if slug not in {x.slug for x in everyone}]
    # Each one's phase on the day evaluated: a member since then was still scored then.
    phases = {x.id: statuses[x.id].standing.phase for x in chosen}
    return render(request, "compare.html", everyone=everyone, chosen=chosen, phases=phases,
                  statuses=statuses, definitions=list(keys.values()), cells=cells,
                  unknown=unknown,
                  readiness_illustrative={x.id: rests_on_illustrative(statuses[x.id])
                                          for x in chosen},
                  illustrative_targets=illustrative_targets,
                  across_tiers=len({statuses[x.id].tier for x in chosen
                                    if phases[x.id] != Phase.member}) > 1, review=review)


@router.get("/framework", response_class=HTMLResponse)
def framework_page(request: Request, session: SessionDep, review: ReviewDep) -> Response:
    candidates, _ = list_candidates(session)
    tiers = list_tiers(session)
    # What each tier asks on the day viewed: the targets then in force, each in its version
    # of that day.
    asked = targets_in_force(session, {t.key for t in tiers}, review.as_of or today())
    return render(request, "framework.html", tiers=tiers, asked=asked,
                  instruments=list_instruments(session),
                  models=list_expansion_models(session), candidates=candidates, review=review)


@router.get("/methodology", response_class=HTMLResponse)
def methodology_page(request: Request, session: SessionDep, review: ReviewDep) -> Response:
    """The rules in plain words, with a worked example computed live from the data (the
    engineering detail is the repository's docs/status-rules.md); as of a date, the example
    as it stood then."""
    return render(request, "methodology.html", example=worked_example(session, review.as_of),
                  rules=METHODOLOGY_RULES, review=review,
                  path_example=path_example(session, review.as_of),
                  pipeline_example=pipeline_example(session, review.as_of))
