"""Read API of candidates."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.candidates import service
from app.candidates.deps import CandidateFromPath
from app.candidates.schemas import CandidateRead, CandidateSummary, StatusChangeRead
from app.db import SessionDep
from app.models import Phase, Tier
from app.pagination import Page, PageDep

router = APIRouter(prefix="/candidates", tags=["candidates"])


@router.get("", response_model=Page[CandidateSummary])
def list_candidates(
    session: SessionDep,
    page: PageDep,
    tier: Annotated[Tier | None, Query(description="Only candidates in this tier.")] = None,
    phase: Annotated[Phase | None, Query(description="Only candidates in this phase.")] = None,
) -> Page[CandidateSummary]:
    items, total = service.list_candidates(
        session, tier=tier, phase=phase, limit=page.limit, offset=page.offset
    )
    return Page(items=[CandidateSummary.model_validate(c) for c in items], total=total,
                limit=page.limit, offset=page.offset)


@router.get("/{slug}", response_model=CandidateRead)
def get_candidate(candidate: CandidateFromPath) -> CandidateRead:
    return CandidateRead(
        **CandidateSummary.model_validate(candidate).model_dump(),
        summary=candidate.summary,
        history=[StatusChangeRead.model_validate(c) for c in candidate.status_changes],
    )
