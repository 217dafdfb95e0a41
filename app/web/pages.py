"""GET-only HTML pages. Each gathers what it shows through the services and hands a finished
context to its template; templates never query."""

from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.attention.service import (
    DEFAULT_WITHIN_DAYS,
    MAX_WITHIN_DAYS,
    Attention,
    candidate_attention,
    first_attention,
    list_attention,
)
from app.benchmarks.service import (
    list_expansion_models,
    list_tiers,
    targets_in_force,
)
from app.candidates.service import get_candidate, list_candidates
from app.db import SessionDep
from app.evaluation import (
    history_chart_points,
    load_asked,
    load_statuses,
    revised_vintages,
    today,
)
from app.framework import list_instruments
from app.models import Phase, Tier
from app.progress.service import corrections_of, last_recorded, list_series
from app.ratifications.service import list_ratifications
from app.reports.rendering import render_markdown
from app.reports.service import get_published_report, list_published_reports, writers
from app.status import effective_measurements
from app.web.charts import history_chart, progress_bar, ratification_chart
from app.web.templating import PROJECT_ROOT, localized, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 100  # rows of a benchmark's update table per page
ATTENTION_SHOWN = 10  # the overview's Needs attention: the most urgent items; /attention has all
CHART_POINTS = 400
SortKey = Literal["name", "readiness", "tier", "phase", "updated"]
TIER_ORDER = {tier: rank for rank, tier in enumerate(Tier)}
PHASE_ORDER = {phase: rank for rank, phase in enumerate(Phase)}


def chart_points(status, key: str, as_of: date) -> list[tuple[date, float]]:
    """Effective measurements of one benchmark as chart points (stage number for milestones)."""
    applied = next(a for a in status.applied if a.definition.key == key)
    stages = applied.definition.stages or []
    points = []
    for m in effective_measurements(status.measurements[key], as_of):
        if m.value is not None:
            points.append((m.as_of, m.value))
        elif m.stage in stages:
            points.append((m.as_of, float(stages.index(m.stage) + 1)))
    return points


def _target_point(applied) -> float | None:
    stages = applied.definition.stages or []
    if applied.target_stage in stages:
        return float(stages.index(applied.target_stage) + 1)
    return applied.target_value


@router.get("/", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    session: SessionDep,
    tier: Annotated[Tier | Literal[""] | None, Query()] = None,
    phase: Annotated[Phase | Literal[""] | None, Query()] = None,
    sort: Annotated[SortKey, Query()] = "name",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    candidates, total = list_candidates(session, tier=tier or None, phase=phase or None)
    rows = [{"candidate": c} for c in candidates]
    # Read once for every candidate listed: the statuses and Needs attention below share it.
    asked = load_asked(session, candidates)
    # Only what the order needs is computed for every candidate; the rest for the page shown.
    statuses = load_statuses(session, candidates, asked=asked) if sort == "readiness" else {}
    updated = last_recorded(session, [c.id for c in candidates]) if sort == "updated" else {}
    sorters = {
        "name": lambda r: r["candidate"].name,
        "readiness": lambda r: -(statuses[r["candidate"].id].evaluation.readiness or 0),
        "tier": lambda r: (-TIER_ORDER[Tier(r["candidate"].tier)], r["candidate"].name),
        "phase": lambda r: (-PHASE_ORDER[Phase(r["candidate"].phase)], r["candidate"].name),
        "updated": lambda r: -(updated[r["candidate"].id].timestamp()
                               if updated.get(r["candidate"].id) else 0),
    }
    rows.sort(key=sorters[sort])
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    shown_candidates = [row["candidate"] for row in shown]
    if sort != "readiness":
        statuses = load_statuses(session, shown_candidates, asked=asked)
    if sort != "updated":
        updated = last_recorded(session, [c.id for c in shown_candidates])
    categories = {a.definition.category.key: a.definition.category
                  for c in shown_candidates for a in statuses[c.id].applied}
    for row in shown:
        row["evaluation"] = statuses[row["candidate"].id].evaluation
        row["updated"] = updated.get(row["candidate"].id)
        slug = row["candidate"].slug
        row["bar"] = progress_bar(f"ready-{slug}", row["evaluation"].readiness,
                                  localized(row["candidate"], "name"))
        row["category_bars"] = [
            (c, progress_bar(f"ready-{slug}-{c.key}", c.readiness,
                             localized(categories[c.key], "title")))
            for c in row["evaluation"].categories
        ]
    # Needs attention, of the candidates listed. Evaluating all of them would cost what sorting
    # by readiness does (2 s for the benchmark's 1,000 candidates on a busy 2-core machine,
    # against 0.2 s for this page), so only the first items are found: first_attention
    # evaluates candidates in the order of their due dates, which needs no evaluation, and
    # stops once those items are sure, reusing the statuses computed above (one query, plus
    # two when those do not answer it). The whole list, counted, is /attention's.
    attention = first_attention(session, candidates, asked, first=ATTENTION_SHOWN,
                                known=statuses)
    filters = {key: value for key, value in (("tier", tier), ("phase", phase)) if value}
    attention_url = "/attention" + (f"?{urlencode(filters)}" if filters else "")
    return render(request, "dashboard.html", rows=shown, total=total, tiers=list(Tier),
                  phases=list(Phase), tier=tier or "", phase=phase or "", sort=sort,
                  page=page, pages=pages, categories=categories, attention=attention,
                  attention_url=attention_url, attention_members=phase == Phase.member)


@router.get("/candidates/{slug}", response_class=HTMLResponse)
def candidate_page(request: Request, slug: str, session: SessionDep) -> Response:
    candidate = get_candidate(session, slug)
    status = load_statuses(session, [candidate])[candidate.id]
    evaluation = status.evaluation
    applied = {a.definition.key: a for a in status.applied}
    revised = revised_vintages(session, [b.latest for b in evaluation.benchmarks if b.latest])
    benchmarks = []
    for b in evaluation.benchmarks:
        a = applied[b.spec.key]
        benchmarks.append({
            "evaluation": b, "applied": a,
            "chart": history_chart(
                f"chart-{b.spec.key}", chart_points(status, b.spec.key, evaluation.as_of),
                title=localized(a.definition, "title"), target=_target_point(a),
                due_on=a.due_on,
                stage_names=a.definition.stages or (), unit=a.definition.unit or "",
                compact=True,
            ),
            "bar": progress_bar(f"progress-{b.spec.key}", b.progress,
                                localized(a.definition, "title")),
        })
    ratifications = list_ratifications(session, candidate)
    counts: dict[str, int] = {}
    for r in ratifications:
        counts[r.status] = counts.get(r.status, 0) + 1
    reports, _ = list_published_reports(session, candidate, limit=5)
    categories = {a.definition.category.key: a.definition.category for a in status.applied}
    return render(
        request, "candidates/detail.html",
        candidate=candidate, history=candidate.status_changes, evaluation=evaluation,
        benchmarks=benchmarks, categories=categories, revised=revised,
        overall_bar=progress_bar("ready-overall", evaluation.readiness,
                                 localized(candidate, "name")),
        category_bars={c.key: progress_bar(f"ready-{c.key}", c.readiness,
                                           localized(categories[c.key], "title"))
                       for c in evaluation.categories},
        ratifications=ratifications,
        ratified=sum(1 for r in ratifications if r.is_ratified),
        deposited=counts.get("deposited", 0),
        ratification_bar=ratification_chart("ratification", counts, len(ratifications)),
        reports=reports,
        attention=candidate_attention(candidate, status),
        is_member=status.standing.phase == Phase.member,
    )


@router.get("/candidates/{slug}/benchmarks/{key}", response_class=HTMLResponse)
def benchmark_page(
    request: Request,
    slug: str,
    key: str,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    candidate = get_candidate(session, slug)
    definition, shown, total = list_series(
        session, candidate, key, limit=HISTORY_PAGE_SIZE, offset=(page - 1) * HISTORY_PAGE_SIZE)
    status = load_statuses(session, [candidate])[candidate.id]
    applied = next((a for a in status.applied if a.definition.key == key), None)
    evaluation = next((b for b in status.evaluation.benchmarks if b.spec.key == key), None)
    points = history_chart_points(session, (candidate.id, definition.indicator_id),
                                  definition.stages or [],
                                  status.evaluation.as_of, CHART_POINTS)
    superseded_by = corrections_of(session, [u.id for u in shown])
    revised = revised_vintages(session, shown)
    pages = max(1, -(-total // HISTORY_PAGE_SIZE))
    chart = history_chart(
        "history", points, title=localized(definition, "title"),
        target=_target_point(applied) if applied else None,
        due_on=applied.due_on if applied else None, stage_names=definition.stages or (),
        unit=definition.unit or "",
    )
    return render(request, "candidates/benchmark.html", candidate=candidate,
                  definition=definition, applied=applied, evaluation=evaluation,
                  updates=shown, superseded_by=superseded_by, revised=revised, chart=chart,
                  points=points,
                  page=page, pages=pages, total=total)


@router.get("/attention", response_class=HTMLResponse)
def attention_page(
    request: Request,
    session: SessionDep,
    tier: Annotated[Tier | Literal[""] | None, Query()] = None,
    phase: Annotated[Phase | Literal[""] | None, Query()] = None,
    within_days: Annotated[int, Query(ge=0, le=MAX_WITHIN_DAYS)] = DEFAULT_WITHIN_DAYS,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The whole Needs attention list (as GET /api/v1/attention), a page at a time."""
    attention = list_attention(session, within_days=within_days, tier=tier or None,
                               phase=phase or None)
    total = len(attention.items)
    shown = Attention(attention.items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE],
                      attention.as_of, attention.due_by)
    filters = {"tier": tier or "", "phase": phase or "", "within_days": within_days}
    return render(request, "attention.html", attention=shown, total=total, tiers=list(Tier),
                  phases=[p for p in Phase if p != Phase.member], tier=tier or "",
                  phase=phase or "", within_days=within_days, max_days=MAX_WITHIN_DAYS,
                  page=page, pages=max(1, -(-total // PAGE_SIZE)),
                  query=urlencode(filters) + "&",
                  api_url="/api/v1/attention?" + urlencode(
                      {k: v for k, v in filters.items() if v != ""}))


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(
    request: Request, report_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep
) -> Response:
    report = get_published_report(session, report_id)
    return render(request, "reports/detail.html", report=report,
                  body_html=render_markdown(report.body),
                  writers=[user.name for user in writers(report)],
                  publisher=report.published_by.name if report.published_by else None)


@router.get("/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    session: SessionDep,
    c: Annotated[list[str], Query(max_length=80)] = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    everyone, _ = list_candidates(session)
    chosen = [x for x in everyone if x.slug in c] or everyone[:3]
    statuses = load_statuses(session, chosen)
    keys: dict[str, object] = {}
    for candidate in chosen:
        for a in statuses[candidate.id].applied:
            keys.setdefault(a.definition.key, a.definition)
    cells = {
        (candidate.slug, b.spec.key): b
        for candidate in chosen for b in statuses[candidate.id].evaluation.benchmarks
    }
    unknown = [slug for slug in c if slug not in {x.slug for x in everyone}]
    return render(request, "compare.html", everyone=everyone, chosen=chosen,
                  statuses=statuses, definitions=list(keys.values()), cells=cells,
                  unknown=unknown)


@router.get("/framework", response_class=HTMLResponse)
def framework_page(request: Request, session: SessionDep) -> Response:
    candidates, _ = list_candidates(session)
    tiers = list_tiers(session)
    # What each tier asks today: the targets in force, each in its version of today.
    asked = targets_in_force(session, {t.key for t in tiers}, today())
    return render(request, "framework.html", tiers=tiers, asked=asked,
                  instruments=list_instruments(session),
                  models=list_expansion_models(session), candidates=candidates)


@router.get("/methodology", response_class=HTMLResponse)
def methodology_page(request: Request, session: SessionDep) -> Response:
    text = (PROJECT_ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    return render(request, "methodology.html", body_html=render_markdown(text))
