"""API of candidates and of their status: public reads, admin writes."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response

from app.auth.deps import CurrentAdmin
from app.benchmarks.schemas import CandidateBenchmarkRead, target
from app.benchmarks.service import applied_benchmarks
from app.candidates import service
from app.candidates.deps import AsOfQuery, CandidateFromPath, WhatIfTierQuery
from app.candidates.schemas import (
    CANDIDATE_CREATE_EXAMPLES,
    CANDIDATE_UPDATE_EXAMPLES,
    CandidateCreate,
    CandidateListItem,
    CandidateRead,
    CandidateStatusRead,
    CandidateSummary,
    CandidateUpdate,
    StatusChangeRead,
)
from app.db import SessionDep, WriteSessionDep
from app.evaluation import (
    evaluate_candidates,
    load_statuses,
)
from app.http.pagination import Page, PageDep
from app.models import Candidate, Phase, Tier

router = APIRouter(prefix="/candidates", tags=["candidates"])


@router.get("", response_model=Page[CandidateListItem])
def list_candidates(
    session: SessionDep,
    page: PageDep,
    tier: Annotated[Tier | None, Query(description="Only candidates in this tier.")] = None,
    phase: Annotated[Phase | None, Query(description="Only candidates in this phase.")] = None,
) -> Page[CandidateListItem]:
    """Candidates by name, each with its overall readiness and counts by status today."""
    items, total = service.list_candidates(
        session, tier=tier, phase=phase, limit=page.limit, offset=page.offset
    )
    evaluations = evaluate_candidates(session, items)
    return Page(
        items=[
            CandidateListItem(
                **CandidateSummary.model_validate(c).model_dump(),
                readiness=evaluations[c.id][0].readiness,
                counts=evaluations[c.id][0].counts,
            )
            for c in items
        ],
        total=total, limit=page.limit, offset=page.offset,
    )


def candidate_read(candidate: Candidate) -> CandidateRead:
    return CandidateRead(
        **CandidateSummary.model_validate(candidate).model_dump(),
        summary=candidate.summary,
        summary_fr=candidate.summary_fr,
        history=[StatusChangeRead.model_validate(c) for c in candidate.status_changes],
    )


@router.post("", status_code=201, response_model=CandidateRead)
def create_candidate(
    data: Annotated[CandidateCreate, Body(openapi_examples=CANDIDATE_CREATE_EXAMPLES)],
    admin: CurrentAdmin, session: WriteSessionDep, response: Response
) -> CandidateRead:
    """Adds a candidate, its first status change and the benchmarks its tier asks for."""
    candidate = service.create_candidate(session, data, author=admin)
    response.headers["Location"] = f"/api/v1/candidates/{candidate.slug}"
    return candidate_read(candidate)


@router.get("/{slug}", response_model=CandidateRead)
def get_candidate(candidate: CandidateFromPath) -> CandidateRead:
    return candidate_read(candidate)


@router.patch("/{slug}", response_model=CandidateRead)
def update_candidate(
    data: Annotated[CandidateUpdate, Body(openapi_examples=CANDIDATE_UPDATE_EXAMPLES)],
    admin: CurrentAdmin, candidate: CandidateFromPath,
    session: WriteSessionDep,
) -> CandidateRead:
    """Edits a candidate. A new tier or phase is added to its history (dated `effective_on`);
    a new tier re-derives its benchmarks, keeping the old ones' updates."""
    return candidate_read(service.update_candidate(session, candidate, data, author=admin))


@router.get("/{slug}/status", response_model=CandidateStatusRead)
def get_candidate_status(
    candidate: CandidateFromPath,
    session: SessionDep,
    as_of: AsOfQuery,
    tier: WhatIfTierQuery = None,
) -> CandidateStatusRead:
    """Overall and per-category readiness, and each benchmark's latest value, progress,
    status, trend, change since the previous quarterly review and projected date."""
    status = load_statuses(session, [candidate], as_of=as_of, tier=tier)[candidate.id]
    return service.candidate_status_read(session, candidate, status, tier)


@router.get("/{slug}/benchmarks", response_model=Page[CandidateBenchmarkRead],
            tags=["benchmarks"])
def list_candidate_benchmarks(
    candidate: CandidateFromPath, session: SessionDep, page: PageDep
) -> Page[CandidateBenchmarkRead]:
    """The benchmarks the candidate's tier asks of it, with the candidate's own targets."""
    applied = applied_benchmarks(session, candidate)
    items = []
    for a in applied[page.offset : page.offset + page.limit]:
        cb = a.candidate_benchmark
        baseline = None
        if cb is not None:
            baseline = cb.baseline_value if cb.baseline_value is not None else cb.baseline_stage
        items.append(CandidateBenchmarkRead(
            key=a.definition.key, title=a.definition.title, category=a.definition.category.key,
            kind=a.definition.kind, unit=a.definition.unit, direction=a.definition.direction,
            stages=a.definition.stages, target=target(a.target_value, a.target_stage),
            due_on=a.due_on, weight=a.requirement.weight, baseline=baseline,
            baseline_on=cb.baseline_on if cb else None, description=a.definition.description,
            description_fr=a.definition.description_fr, source=a.definition.source,
            is_illustrative=a.target_is_illustrative,
        ))
    return Page(items=items, total=len(applied), limit=page.limit, offset=page.offset)
