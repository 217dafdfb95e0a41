"""API of progress updates."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response

from app.auth.deps import (
    AnalystForWrite,
    CurrentAnalyst,
    TokenDigest,
    auth_failures,
    client_address,
    recent_tokens,
)
from app.candidates.deps import CandidateFromPath, SlugPath
from app.db import SessionDep, WriteSessionDep, begins_write_itself
from app.errors import Unauthorized
from app.pagination import Page, PageDep
from app.progress import service
from app.progress.schemas import (
    ProgressUpdateBatch,
    ProgressUpdateBody,
    ProgressUpdateCreated,
    ProgressUpdateRead,
    RetractionCreate,
    update_read,
)
from app.progress.service import UpdateRequest

router = APIRouter(tags=["progress updates"])


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


@router.post("/candidates/{slug}/updates", status_code=201,
             response_model=ProgressUpdateCreated)
@begins_write_itself
async def create_progress_updates(
    slug: SlugPath,
    body: ProgressUpdateBody,
    analyst: AnalystForWrite,
    digest: TokenDigest,
    request: Request,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(min_length=1, max_length=200,
               description="Retrying with the same key and body stores nothing new."),
    ] = None,
) -> ProgressUpdateCreated:
    """Records one update, or a batch (`{"updates": [...]}`, at most 500) that is stored
    whole or not at all. A 422 names each refused item and field."""
    is_batch = isinstance(body, ProgressUpdateBatch)
    try:
        recorded = await request.app.state.update_writer.record(UpdateRequest(
            slug, body.updates if is_batch else [body], analyst, idempotency_key, is_batch,
            token_digest=digest))
    except Unauthorized:  # revoked (or expired) since it was last accepted
        recent_tokens().forget(digest)
        auth_failures().hit(client_address(request))
        raise
    if recorded.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return ProgressUpdateCreated(items=recorded.updates)


@router.post("/updates/{update_id}/retract", response_model=ProgressUpdateRead)
def retract_progress_update(
    update_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: RetractionCreate,
    analyst: CurrentAnalyst,
    session: WriteSessionDep,
) -> ProgressUpdateRead:
    """Hides a wrong value from the status and the pages without deleting it: it stays in the
    history, marked retracted with the reason."""
    return update_read(service.retract_progress_update(session, update_id, body.reason,
                                                       author=analyst))
