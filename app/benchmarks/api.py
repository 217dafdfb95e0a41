"""API of the benchmark framework and of a candidate's benchmarks: public reads; categories and
definitions are written by admins."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response

from app.auth.deps import CurrentAdmin
from app.benchmarks import service
from app.benchmarks.schemas import (
    BENCHMARK_CREATE_EXAMPLES,
    BENCHMARK_UPDATE_EXAMPLES,
    CATEGORY_CREATE_EXAMPLES,
    CATEGORY_UPDATE_EXAMPLES,
    BenchmarkCreate,
    BenchmarkUpdate,
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    DefinitionRead,
    ExpansionModelRead,
    FrameworkRead,
    IndicatorRead,
    TierRead,
    definition_read,
    indicator_read,
)
from app.db import SessionDep, WriteSessionDep
from app.http.pagination import Page, PageDep
from app.status_feed import StatusWatch

router = APIRouter(tags=["benchmarks"])

CategoryKeyPath = Annotated[str, Path(max_length=60, description="A category key.")]
BenchmarkKeyPath = Annotated[str, Path(max_length=80, description="A benchmark key.")]


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


@router.get("/categories", response_model=Page[CategoryRead])
def list_categories(session: SessionDep, page: PageDep) -> Page[CategoryRead]:
    """Benchmark categories in display order."""
    categories = service.list_categories(session)
    return Page(items=[CategoryRead.model_validate(c)
                       for c in categories[page.offset : page.offset + page.limit]],
                total=len(categories), limit=page.limit, offset=page.offset)


@router.get("/categories/{key}", response_model=CategoryRead)
def get_category(key: CategoryKeyPath, session: SessionDep) -> CategoryRead:
    return CategoryRead.model_validate(service.get_category(session, key))


@router.post("/categories", status_code=201, response_model=CategoryRead)
def create_category(
    data: Annotated[CategoryCreate, Body(openapi_examples=CATEGORY_CREATE_EXAMPLES)],
    admin: CurrentAdmin, session: WriteSessionDep, response: Response
) -> CategoryRead:
    category = service.create_category(session, data, author=admin)
    response.headers["Location"] = f"/api/v1/categories/{category.key}"
    return CategoryRead.model_validate(category)


@router.patch("/categories/{key}", response_model=CategoryRead)
def update_category(
    key: CategoryKeyPath,
    data: Annotated[CategoryUpdate, Body(openapi_examples=CATEGORY_UPDATE_EXAMPLES)],
    admin: CurrentAdmin, session: WriteSessionDep
) -> CategoryRead:
    return CategoryRead.model_validate(service.update_category(session, key, data, author=admin))


@router.get("/indicators", response_model=Page[IndicatorRead])
def list_indicators(session: SessionDep, page: PageDep) -> Page[IndicatorRead]:
    """What is measured, in category order: each indicator has one series of observations per
    candidate, read by every target (benchmark) on it."""
    indicators, total = service.list_indicators(session, limit=page.limit, offset=page.offset)
    return Page(items=[indicator_read(i, targets) for i, targets in indicators], total=total,
                limit=page.limit, offset=page.offset)


@router.get("/indicators/{key}", response_model=IndicatorRead)
def get_indicator(
    key: Annotated[str, Path(max_length=80, description="An indicator key.")], session: SessionDep
) -> IndicatorRead:
    indicator = service.get_indicator(session, key)
    return indicator_read(indicator,
                          service.targets_by_indicator(session, [indicator.id])[indicator.id])


@router.get("/benchmarks", response_model=Page[DefinitionRead])
def list_definitions(session: SessionDep, page: PageDep) -> Page[DefinitionRead]:
    """Benchmark definitions in category order, each with its per-tier requirements."""
    definitions = service.list_definitions(session)
    return Page(items=[definition_read(d)
                       for d in definitions[page.offset : page.offset + page.limit]],
                total=len(definitions), limit=page.limit, offset=page.offset)


@router.get("/benchmarks/{key}", response_model=DefinitionRead)
def get_definition(key: BenchmarkKeyPath, session: SessionDep) -> DefinitionRead:
    return definition_read(service.get_definition(session, key))


@router.post("/benchmarks", status_code=201, response_model=DefinitionRead)
def create_definition(
    data: Annotated[BenchmarkCreate, Body(openapi_examples=BENCHMARK_CREATE_EXAMPLES)],
    admin: CurrentAdmin, session: WriteSessionDep, response: Response
) -> DefinitionRead:
    """Adds a benchmark with its per-tier requirements and applies it to every candidate of
    those tiers. A 422 names each refused field."""
    definition = service.create_definition(session, data, author=admin)
    response.headers["Location"] = f"/api/v1/benchmarks/{definition.key}"
    return definition_read(definition)


@router.patch("/benchmarks/{key}", response_model=DefinitionRead)
def update_definition(
    key: BenchmarkKeyPath,
    data: Annotated[BenchmarkUpdate, Body(openapi_examples=BENCHMARK_UPDATE_EXAMPLES)],
    admin: CurrentAdmin, session: WriteSessionDep
) -> DefinitionRead:
    """Edits a benchmark. `requirements`, when sent, make a new version of its requirements,
    in force from `effective_on` (default today): evaluations of earlier dates keep the
    version then in force. The candidates of a tier that gains or loses it get their
    benchmarks re-derived. Unit, direction, range and stages are its indicator's, and change
    for every target on that indicator."""
    return definition_read(service.update_definition(
        session, key, data, author=admin, statuses=StatusWatch()))
