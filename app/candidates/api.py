"""API of candidates and of their status: public reads, admin writes."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from sqlalchemy.orm import Session

from app.auth.deps import CurrentAdmin
from app.benchmarks.schemas import CandidateBenchmarkRead, target
from app.benchmarks.service import applied_benchmarks
from app.candidates import service
from app.candidates.deps import AsOfQuery, CandidateFromPath, WhatIfTierQuery
from app.candidates.schemas import (
    CANDIDATE_CREATE_EXAMPLES,
    CANDIDATE_UPDATE_EXAMPLES,
    BenchmarkStatusRead,
    CandidateCreate,
    CandidateListItem,
    CandidateRead,
    CandidateStatusRead,
    CandidateSummary,
    CandidateUpdate,
    CategoryStatusRead,
    DivergenceRead,
    LatestValue,
    StatusChangeRead,
)
from app.db import SessionDep, WriteSessionDep
from app.evaluation import (
    CandidateStatus,
    benchmark_is_illustrative,
    evaluate_candidates,
    load_statuses,
    rests_on_illustrative,
    revised_vintages,
)
from app.http.pagination import Page, PageDep
from app.models import Candidate, Phase, Tier
from app.status import BenchmarkEvaluation, Pace, pace_sentence, quarter_end_before

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
    return candidate_status_read(session, candidate, status, tier)


def candidate_status_read(
    session: Session, candidate: Candidate, status: CandidateStatus, tier: Tier | None,
    revised: dict[int, str] | None = None,
) -> CandidateStatusRead:
    """The status as the API answers it. `status.tier` is the tier evaluated: the what-if
    `tier`, or the candidate's own on the evaluated date (from its status history).
    `revised` (evaluation.revised_vintages) may be read once for many candidates."""
    evaluation, applied = status.evaluation, status.applied
    if revised is None:
        revised = revised_vintages(session, [b.latest for b in evaluation.benchmarks
                                             if b.latest])
    indicators = {a.definition.key: a.definition.indicator.key for a in applied}
    category_titles = {a.definition.category.key: a.definition.category.title for a in applied}
    by_key = {a.definition.key: a for a in applied}
    benchmarks = []
    for b in evaluation.benchmarks:
        spec, latest = b.spec, b.latest
        benchmarks.append(BenchmarkStatusRead(
            key=spec.key, indicator=indicators[spec.key], title=spec.title,
            category=spec.category, kind=spec.kind, unit=spec.unit,
            target=spec.target_value if spec.target_value is not None else spec.target_stage or "",
            due_on=spec.due_on, weight=spec.weight,
            latest=LatestValue(
                value=latest.value if latest.value is not None else latest.stage or "",
                as_of=latest.as_of, source=latest.source, vintage=latest.vintage,
                observation_status=latest.observation_status, recorded_at=latest.recorded_at,
                is_revision=latest.id in revised, revised_from=revised.get(latest.id),
                assessed_by=latest.assessed_by,
            ) if latest else None,
            progress=b.progress, status=b.status, trend=b.trend, change=b.change,
            previous_status=b.previous_status, projected_on=b.projected_on,
            behind_trend_on=b.behind_trend_on,
            projection_note=b.projection_note, reason=b.reason,
            **pace_fields(b),
            is_illustrative=benchmark_is_illustrative(by_key[spec.key], latest),
            target_is_illustrative=by_key[spec.key].target_is_illustrative,
        ))
    return CandidateStatusRead(
        slug=candidate.slug,
        tier=status.tier,
        phase=status.standing.phase,
        is_what_if=tier is not None and tier != status.standing.tier,
        is_illustrative=rests_on_illustrative(status),
        tier_is_illustrative=status.standing.tier_is_illustrative,
        as_of=evaluation.as_of,
        previous_review_on=quarter_end_before(evaluation.as_of),
        readiness=evaluation.readiness,
        counts=evaluation.counts,
        projected_on=evaluation.projected_on,
        projection_note=evaluation.projection_note,
        categories=[
            CategoryStatusRead(key=c.key, title=category_titles.get(c.key, c.key),
                               readiness=c.readiness, weight=c.weight, counts=c.counts)
            for c in evaluation.categories
        ],
        benchmarks=benchmarks,
    )


def pace_fields(b: BenchmarkEvaluation) -> dict[str, Any]:
    """A benchmark's pace and assessment, as the status API names them."""
    pace = b.pace or Pace(None, None, None, None)
    divergence = b.divergence
    return {
        "required_pace": pace.required, "achieved_pace": pace.achieved,
        "pace_ratio": pace.ratio, "pace_note": pace.note,
        "pace_sentence": pace_sentence(b.spec, pace), "status_basis": b.basis,
        "divergence": DivergenceRead(**vars(divergence)) if divergence else None,
    }


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
