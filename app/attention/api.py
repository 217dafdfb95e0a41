"""`GET /api/v1/attention`: the Needs attention list, public."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.attention.schemas import AttentionPage, attention_item_read
from app.attention.service import DEFAULT_WITHIN_DAYS, MAX_WITHIN_DAYS, list_attention
from app.auth.deps import FullEvaluation
from app.candidates.deps import AsOfQuery
from app.db import SessionDep
from app.http.pagination import PageDep
from app.models import Phase, Tier

router = APIRouter(tags=["attention"])

EXAMPLE = {
    "items": [{
        "candidate": {"slug": "georgia", "name": "Georgia", "name_fr": "Géorgie"},
        "tier": "strategic_partner",
        "benchmark": {"key": "joint_exercises", "title": "Joint exercises with allies",
                      "title_fr": "Exercices conjoints avec les Alliés",
                      "category": "interoperability", "unit": "exercises per year"},
        "due_on": "2020-01-01", "days_left": -2527, "status": "overdue", "progress": 0.0,
        "latest": {"value": 1.0, "as_of": "2025-12-31"}, "is_illustrative": True,
    }],
    "total": 1, "limit": 50, "offset": 0, "as_of": "2026-12-02", "due_by": "2027-03-02",
}


@router.get(
    "/attention", response_model=AttentionPage, summary="Benchmarks that need attention",
    responses={200: {"content": {"application/json": {"example": EXAMPLE}}},
               429: {"description": "Too many uncached answers from this address: each "
                                    "evaluates every candidate."}},
)
def list_attention_items(
    session: SessionDep,
    page: PageDep,
    _allowed: FullEvaluation,
    as_of: AsOfQuery,
    within_days: Annotated[int, Query(
        ge=0, le=MAX_WITHIN_DAYS,
        description="List what falls due up to this many days after `as_of`.",
    )] = DEFAULT_WITHIN_DAYS,
    tier: Annotated[Tier | None, Query(
        description="Only candidates in this tier on `as_of`.")] = None,
    phase: Annotated[Phase | None, Query(
        description="Only candidates in this phase on `as_of` (`member` lists nothing).",
    )] = None,
) -> AttentionPage:
    """Every benchmark of a candidate still in accession (members are left out) that is not
    met and is overdue, however late, or due within `within_days`: most overdue first, then
    soonest due; ties by candidate name, then benchmark key. A benchmark without a due date
    is never listed. Statuses, progress and latest values are the candidate's status
    (`/candidates/{slug}/status`) on the same date."""
    attention = list_attention(session, as_of=as_of, within_days=within_days, tier=tier,
                               phase=phase)
    shown = attention.items[page.offset: page.offset + page.limit]
    return AttentionPage(items=[attention_item_read(item) for item in shown],
                         total=len(attention.items), limit=page.limit, offset=page.offset,
                         as_of=attention.as_of, due_by=attention.due_by)
