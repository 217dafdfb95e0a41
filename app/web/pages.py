"""GET-only HTML pages. Each hands a finished context to its template."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.benchmarks.service import applied_benchmarks
from app.candidates.service import get_candidate, list_candidates
from app.db import SessionDep
from app.models import Phase, Tier
from app.ratifications.service import list_ratifications
from app.reports.service import list_published_reports
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    session: SessionDep,
    tier: Annotated[Tier | None, Query()] = None,
    phase: Annotated[Phase | None, Query()] = None,
) -> HTMLResponse:
    candidates, total = list_candidates(session, tier=tier, phase=phase)
    return render(request, "dashboard.html", candidates=candidates, total=total,
                  tiers=list(Tier), phases=list(Phase), tier=tier, phase=phase)


@router.get("/candidates/{slug}", response_class=HTMLResponse)
def candidate_page(request: Request, slug: str, session: SessionDep) -> HTMLResponse:
    candidate = get_candidate(session, slug)
    ratifications = list_ratifications(session, candidate)
    reports, _ = list_published_reports(session, candidate, limit=5)
    return render(
        request, "candidates/detail.html",
        candidate=candidate,
        history=candidate.status_changes,
        benchmarks=applied_benchmarks(session, candidate),
        ratifications=ratifications,
        ratified=sum(1 for r in ratifications if r.is_ratified),
        deposited=sum(1 for r in ratifications if r.status == "deposited"),
        reports=reports,
    )
