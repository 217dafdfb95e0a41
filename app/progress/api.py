"""API of progress updates."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.candidates.deps import CandidateFromPath
from app.db import SessionDep
from app.models import ProgressUpdate
from app.pagination import Page, PageDep
from app.progress import service
from app.progress.schemas import ProgressUpdateRead

router = APIRouter(tags=["progress updates"])


def update_read(update: ProgressUpdate) -> ProgressUpdateRead:
    return ProgressUpdateRead(
        id=update.id,
        benchmark=update.candidate_benchmark.definition.key,
        value=update.value if update.value is not None else update.stage or "",
        as_of=update.as_of, source=update.source, note=update.note,
        author=update.author.name if update.author else None,
        recorded_at=update.recorded_at, supersedes=update.supersedes_id,
        is_illustrative=update.is_illustrative,
    )


@router.get("/candidates/{slug}/updates", response_model=Page[ProgressUpdateRead])
def list_progress_updates(
    candidate: CandidateFromPath,
    session: SessionDep,
    page: PageDep,
    benchmark: Annotated[str | None, Query(max_length=80, description="A benchmark key.")] = None,
    date_from: Annotated[date | None, Query(alias="from", description="as_of on or after.")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="as_of on or before.")] = None,
) -> Page[ProgressUpdateRead]:
    """The candidate's measured values, newest first; corrections and the values they
    supersede both appear (`supersedes` links them)."""
    items, total = service.list_progress_updates(
        session, candidate, benchmark=benchmark, date_from=date_from, date_to=date_to,
        limit=page.limit, offset=page.offset,
    )
    return Page(items=[update_read(u) for u in items], total=total, limit=page.limit,
                offset=page.offset)
