from fastapi import APIRouter

from app.candidates.deps import CandidateFromPath
from app.db import SessionDep
from app.pagination import Page, PageDep
from app.reports import service
from app.reports.schemas import ReportRead

router = APIRouter(tags=["reports"])


@router.get("/candidates/{slug}/reports", response_model=Page[ReportRead])
def list_reports(
    candidate: CandidateFromPath, session: SessionDep, page: PageDep
) -> Page[ReportRead]:
    """The candidate's published reports, newest first."""
    items, total = service.list_published_reports(
        session, candidate, limit=page.limit, offset=page.offset
    )
    return Page(items=[ReportRead.model_validate(r) for r in items], total=total,
                limit=page.limit, offset=page.offset)
