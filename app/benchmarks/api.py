"""Read API of the benchmark framework and of a candidate's benchmarks."""

from fastapi import APIRouter

from app.benchmarks import service
from app.benchmarks.schemas import (
    CandidateBenchmarkRead,
    CategoryRead,
    DefinitionRead,
    ExpansionModelRead,
    FrameworkRead,
    RequirementRead,
    TierRead,
)
from app.candidates.deps import CandidateFromPath
from app.db import SessionDep
from app.models import BenchmarkDefinition
from app.pagination import Page, PageDep

router = APIRouter(tags=["benchmarks"])


def definition_read(definition: BenchmarkDefinition) -> DefinitionRead:
    return DefinitionRead(
        key=definition.key, title=definition.title, title_fr=definition.title_fr,
        category=definition.category.key, kind=definition.kind, unit=definition.unit,
        direction=definition.direction, stages=definition.stages,
        min_value=definition.min_value, max_value=definition.max_value,
        description=definition.description, source=definition.source,
        is_illustrative=definition.is_illustrative, valid_from=definition.valid_from,
        requirements=[
            RequirementRead(tier=r.tier, target=_target(r.target_value, r.target_stage),
                            weight=r.weight, due_on=r.due_on, due_offset_days=r.due_offset_days)
            for r in definition.requirements
        ],
    )


def _target(value: float | None, stage: str | None) -> float | str:
    return value if value is not None else stage or ""


@router.get("/framework", response_model=FrameworkRead)
def get_framework(session: SessionDep) -> FrameworkRead:
    """Tiers, expansion models, categories and every benchmark with its per-tier targets."""
    return FrameworkRead(
        tiers=[TierRead.model_validate(t) for t in service.list_tiers(session)],
        models=[ExpansionModelRead.model_validate(m)
                for m in service.list_expansion_models(session)],
        categories=[CategoryRead.model_validate(c) for c in service.list_categories(session)],
        benchmarks=[definition_read(d) for d in service.list_definitions(session)],
    )


@router.get("/candidates/{slug}/benchmarks", response_model=Page[CandidateBenchmarkRead])
def list_candidate_benchmarks(
    candidate: CandidateFromPath, session: SessionDep, page: PageDep
) -> Page[CandidateBenchmarkRead]:
    """The benchmarks the candidate's tier asks of it, with the candidate's own targets."""
    applied = service.applied_benchmarks(session, candidate)
    items = []
    for a in applied[page.offset : page.offset + page.limit]:
        cb = a.candidate_benchmark
        baseline = None
        if cb is not None:
            baseline = cb.baseline_value if cb.baseline_value is not None else cb.baseline_stage
        items.append(CandidateBenchmarkRead(
            key=a.definition.key, title=a.definition.title, category=a.definition.category.key,
            kind=a.definition.kind, unit=a.definition.unit, direction=a.definition.direction,
            stages=a.definition.stages, target=_target(a.target_value, a.target_stage),
            due_on=a.due_on, weight=a.requirement.weight, baseline=baseline,
            baseline_on=cb.baseline_on if cb else None, description=a.definition.description,
            source=a.definition.source, is_illustrative=a.definition.is_illustrative,
        ))
    return Page(items=items, total=len(applied), limit=page.limit, offset=page.offset)
