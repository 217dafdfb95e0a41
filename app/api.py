"""The /api/v1 router: each domain's router, included once."""

from fastapi import APIRouter

from app.accession.api import router as accession_router
from app.attention.api import router as attention_router
from app.benchmarks.api import router as benchmarks_router
from app.candidates.api import router as candidates_router
from app.events.api import router as events_router
from app.gates.api import router as gates_router
from app.imports.api import router as imports_router
from app.members.api import router as members_router
from app.progress.api import router as progress_router
from app.ratifications.api import router as ratifications_router
from app.reports.api import router as reports_router

api_router = APIRouter(prefix="/api/v1")
for router in (progress_router, candidates_router, benchmarks_router, reports_router,
               ratifications_router, accession_router, members_router, events_router,
               attention_router, imports_router, gates_router):
    api_router.include_router(router)
