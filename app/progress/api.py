"""API of progress updates."""

from collections.abc import Callable, Coroutine
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from app.auth.deps import AnalystForWrite, CurrentAdmin, CurrentAnalyst, TokenDigest
from app.candidates.deps import CandidateFromPath, SlugPath
from app.db import SessionDep, WriteSessionDep
from app.http.pagination import Page, PageDep
from app.models import RetractionStatus
from app.progress import retractions, service
from app.progress.ingest import UpdateRequest
from app.progress.schemas import (
    MAX_BATCH,
    RETRACTION_EXAMPLES,
    RETRACTION_UNDO_EXAMPLES,
    UPDATE_EXAMPLES,
    ProgressUpdateBatch,
    ProgressUpdateBody,
    ProgressUpdateCreate,
    ProgressUpdateCreated,
    ProgressUpdateRead,
    RetractionCreate,
    RetractionDetail,
    RetractionUndoCreate,
    retraction_detail,
    update_read,
)
from app.progress.writer import UpdateWriterDep, update_writer_of
from app.schema_types import MAX_ID

router = APIRouter(tags=["progress updates"])


@router.get("/candidates/{slug}/updates", response_model=Page[ProgressUpdateRead])
def list_progress_updates(
    candidate: CandidateFromPath,
    session: SessionDep,
    page: PageDep,
    indicator: Annotated[str | None, Query(max_length=80,
                                           description="An indicator key: its series.")] = None,
    benchmark: Annotated[str | None, Query(
        max_length=80, description="A benchmark key: the series of its indicator.")] = None,
    date_from: Annotated[date | None, Query(alias="from", description="as_of on or after.")] = None,
    date_to: Annotated[date | None, Query(alias="to", description="as_of on or before.")] = None,
) -> Page[ProgressUpdateRead]:
    """The candidate's measured values, newest first; corrections and the values they
    supersede both appear (`supersedes` links them)."""
    items, total = service.list_progress_updates(
        session, candidate, indicator=indicator, benchmark=benchmark, date_from=date_from,
        date_to=date_to,
        limit=page.limit, offset=page.offset,
    )
    return Page(items=[update_read(u) for u in items], total=total, limit=page.limit,
                offset=page.offset)


class BatchCheckedWhole(APIRoute):
    """A batch refused for its format is checked against the business rules too (its items
    that parse), so one 422 names every error of every item: a client fixes them all at once
    instead of learning of the unknown benchmark only after fixing the dates."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as refused:
                more = await _batch_value_errors(request, refused)
                if not more:
                    raise
                errors = sorted([*refused.errors(), *more], key=_item_index)
                raise RequestValidationError(errors, body=refused.body) from None

        return route


def _item_index(error: dict[str, Any]) -> int:
    return next((part for part in error["loc"] if isinstance(part, int)), -1)


async def _batch_value_errors(request: Request,
                              refused: RequestValidationError) -> list[dict[str, Any]]:
    body = refused.body
    if (not isinstance(body, dict) or not isinstance(body.get("updates"), list)
            or not 0 < len(body["updates"]) <= MAX_BATCH
            or any(list(e["loc"][:3]) != ["body", "batch", "updates"] for e in refused.errors())):
        return []  # not a batch, or refused for more than its items (a header, the list)
    items, locations, stood_in = [], [], {}
    for n, raw in enumerate(body["updates"]):
        checkable = _checkable(raw)
        if checkable is not None:
            items.append(checkable[0])
            locations.append(["body", "updates", n])
            stood_in[n] = checkable[1]
    if not items:
        return []
    errors = await run_in_threadpool(update_writer_of(request).check,
                                     request.path_params["slug"], items, locations)
    # What is said of a stand-in is not the client's.
    return [e for e in errors if e["loc"][3] not in stood_in[e["loc"][2]]]


# Stand-ins for the required fields an item got wrong, so that its other fields can still be
# checked against the business rules (an unknown benchmark beside a bad date).
_STAND_INS = {"value": 0.0, "as_of": "2000-01-01", "source": "-"}


def _checkable(raw: Any) -> tuple[ProgressUpdateCreate, set[str]] | None:
    """The item, with stand-ins for the fields it got wrong (and which those are); None if
    what it names cannot be read (its indicator or benchmark is the mistake)."""
    try:
        return ProgressUpdateCreate.model_validate(raw), set()
    except ValidationError as refused:
        wrong = {str(e["loc"][0]) for e in refused.errors() if e["loc"]}
    if not isinstance(raw, dict) or not wrong or wrong & {"indicator", "benchmark"}:
        return None
    fixed = {k: v for k, v in raw.items() if k not in wrong}
    fixed |= {k: v for k, v in _STAND_INS.items() if k in wrong}
    try:
        return ProgressUpdateCreate.model_validate(fixed), wrong
    except ValidationError:
        return None


async def create_progress_updates(
    slug: SlugPath,
    body: Annotated[ProgressUpdateBody, Body(openapi_examples=UPDATE_EXAMPLES)],
    analyst: AnalystForWrite,
    digest: TokenDigest,
    writer: UpdateWriterDep,
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
    recorded = await writer.record(UpdateRequest(
        slug, body.updates if is_batch else [body], analyst, idempotency_key, is_batch,
        token_digest=digest))
    if recorded.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return ProgressUpdateCreated(items=recorded.updates)


router.add_api_route("/candidates/{slug}/updates", create_progress_updates, methods=["POST"],
                     status_code=201, response_model=ProgressUpdateCreated,
                     route_class_override=BatchCheckedWhole)


UpdateId = Annotated[int, Path(ge=1, le=MAX_ID, description="The update's id.")]
RetractionId = Annotated[int, Path(ge=1, le=MAX_ID, description="The retraction's id.")]


@router.post("/updates/{update_id}/retract", response_model=ProgressUpdateRead,
             responses={200: {"description": "Your own update: retracted at once."},
                        202: {"model": RetractionDetail,
                              "description": "Someone else's update: a retraction awaiting a "
                                             "second analyst's confirmation (see Location)."},
                        409: {"description": "A retraction is already in effect or pending."}})
def retract_progress_update(
    update_id: UpdateId,
    body: Annotated[RetractionCreate, Body(openapi_examples=RETRACTION_EXAMPLES)],
    analyst: CurrentAnalyst,
    session: WriteSessionDep,
    request: Request,
) -> ProgressUpdateRead | JSONResponse:
    """Hides a wrong value from the status and the pages without deleting it: it stays in the
    history, marked retracted with the reason. Your own update is retracted at once (200, the
    update). Anyone else's stays counted until a second analyst confirms the retraction: the
    answer is 202 with the pending retraction, `Location` its address."""
    retraction = retractions.retract_progress_update(session, update_id, body.reason,
                                                     author=analyst)
    if retraction.status == RetractionStatus.pending:
        # A path, not a URL built from the request's Host header.
        location = request.app.url_path_for("get_retraction", retraction_id=retraction.id)
        return JSONResponse(retraction_detail(retraction).model_dump(mode="json"),
                            status_code=202, headers={"Location": location})
    return update_read(retraction.update)


@router.get("/retractions", response_model=Page[RetractionDetail])
def list_retractions(
    analyst: CurrentAnalyst,
    session: SessionDep,
    page: PageDep,
    status: Annotated[RetractionStatus | None, Query(description="`pending`: awaiting "
                                                     "confirmation.")] = None,
    update: Annotated[int | None, Query(ge=1, le=MAX_ID,
                                        description="An update's id.")] = None,
) -> Page[RetractionDetail]:
    """Retractions, oldest first; `status=pending` lists those waiting for a second analyst."""
    items, total = retractions.list_retractions(session, status=status, update_id=update,
                                                limit=page.limit, offset=page.offset)
    return Page(items=[retraction_detail(r) for r in items], total=total, limit=page.limit,
                offset=page.offset)


@router.get("/retractions/{retraction_id}", response_model=RetractionDetail)
def get_retraction(
    retraction_id: RetractionId, analyst: CurrentAnalyst, session: SessionDep
) -> RetractionDetail:
    return retraction_detail(retractions.get_retraction(session, retraction_id))


@router.post("/retractions/{retraction_id}/confirm", response_model=RetractionDetail,
             responses={403: {"description": "You asked for this retraction (four-eyes)."},
                        409: {"description": "It is not awaiting confirmation."}})
def confirm_retraction(
    retraction_id: RetractionId, analyst: CurrentAnalyst, session: WriteSessionDep
) -> RetractionDetail:
    """Confirms a retraction someone else asked for: the value is hidden from now on."""
    return retraction_detail(retractions.confirm_retraction(session, retraction_id,
                                                            confirmer=analyst))


@router.post("/retractions/{retraction_id}/undo", response_model=RetractionDetail,
             responses={409: {"description": "It was already undone."}})
def undo_retraction(
    retraction_id: RetractionId, body: Annotated[RetractionUndoCreate,
                   Body(openapi_examples=RETRACTION_UNDO_EXAMPLES)], admin: CurrentAdmin,
    session: WriteSessionDep,
) -> RetractionDetail:
    """Undoes a retraction (admins): the value counts again from now; a pending one is
    dismissed. The retraction stays in the history, marked undone with the reason."""
    return retraction_detail(retractions.undo_retraction(session, retraction_id, body.reason,
                                                         admin=admin))
