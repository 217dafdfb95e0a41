"""API of progress reports: drafts with optimistic locking (ETag / If-Match), four-eyes
publication, a review queue of drafts for analysts, and reads that never show a draft to
anonymous readers."""

from datetime import UTC
from email.utils import format_datetime
from typing import Annotated

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response
from sqlalchemy.orm import Session

from app.auth.deps import OPTIONAL_AUTH, CurrentAnalyst, OptionalUser
from app.candidates.deps import CandidateForWrite, CandidateFromPath, CandidateFromQuery
from app.db import SessionDep, WriteSessionDep
from app.errors import PROBLEM_JSON
from app.http.pagination import Page, PageDep, PageParams
from app.models import Candidate, ProgressReport, ReportStatus, User
from app.reports import service
from app.reports.rendering import render_markdown
from app.reports.schemas import (
    REPORT_CREATE_EXAMPLES,
    REPORT_PUBLISH_EXAMPLES,
    REPORT_UPDATE_EXAMPLES,
    ReportCreate,
    ReportPublish,
    ReportRead,
    ReportUpdate,
    report_etag,
)
from app.schema_types import MAX_ID

router = APIRouter(tags=["reports"])

ReportId = Annotated[int, Path(ge=1, le=MAX_ID, description="The report's id.")]
IfMatch = Annotated[str | None, Header(max_length=1000,
                                       description="The ETag of the version you edited.")]


StatusFilter = Annotated[ReportStatus, Query(
    description="`published` (the default): what anyone may read, newest first. `draft`: the "
    "review queue, the draft waiting longest first, each with a `preview_url`; analysts and "
    "admins only (401 without a token).")]
LIST_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "`status=draft` without a token (or with one that does not hold).",
          "content": {PROBLEM_JSON: {"schema": {"type": "object"}}}},
}


def report_read(report: ProgressReport) -> ReportRead:
    preview = service.preview_link_for(report)
    return ReportRead(
        id=report.id, candidate=report.candidate.slug, period=report.period,
        title=report.title, body=report.body, body_html=render_markdown(report.body),
        status=report.status, is_illustrative=report.is_illustrative,
        author=report.author.name if report.author else None,
        editors=[e.user.name for e in report.editors],
        published_by=report.published_by.name if report.published_by else None,
        created_at=report.created_at, updated_at=report.updated_at,
        published_at=report.published_at, version=report.version,
        etag=report_etag(report.id, report.version),
        preview_url=preview.url if preview else None,
        preview_expires_at=preview.expires_at if preview else None,
    )


def _report_list(
    session: Session, status: ReportStatus, candidate: Candidate | None, reader: User | None,
    page: PageParams,
) -> Page[ReportRead]:
    """Drafts are listed only to a token, so their answers are `private, no-store` and vary on
    `Authorization`, as every API answer to a token is (app/http/middleware.py)."""
    items, total = service.list_reports(session, status=status, candidate=candidate,
                                        reader=reader, limit=page.limit, offset=page.offset)
    return Page(items=[report_read(r) for r in items], total=total, limit=page.limit,
                offset=page.offset)


def _validators(report: ProgressReport) -> dict[str, str]:
    return {
        "ETag": report_etag(report.id, report.version),
        "Last-Modified": format_datetime(report.updated_at.astimezone(UTC), usegmt=True),
    }


def _none_match(if_none_match: str, etag: str) -> bool:
    """Weak comparison, as RFC 9110 asks for If-None-Match."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


@router.get("/reports", response_model=Page[ReportRead], openapi_extra=OPTIONAL_AUTH,
            responses=LIST_RESPONSES)
def list_all_reports(
    session: SessionDep, user: OptionalUser, page: PageDep, candidate: CandidateFromQuery,
    status: StatusFilter = ReportStatus.published,
) -> Page[ReportRead]:
    """Reports of every candidate (or of `candidate`). Published ones by default, newest first:
    reports scheduled for later are left out, whoever asks. `status=draft` is the review
    queue: drafts only, the one waiting longest first, for analysts and admins, never
    cached."""
    return _report_list(session, status, candidate, user, page)


@router.get("/candidates/{slug}/reports", response_model=Page[ReportRead],
            openapi_extra=OPTIONAL_AUTH, responses=LIST_RESPONSES)
def list_reports(
    candidate: CandidateFromPath, session: SessionDep, user: OptionalUser, page: PageDep,
    status: StatusFilter = ReportStatus.published,
) -> Page[ReportRead]:
    """The candidate's published reports, newest first; reports scheduled for later are left
    out, whoever asks. `status=draft`: the candidate's drafts awaiting review, for analysts and
    admins, as `GET /api/v1/reports?status=draft` lists them."""
    return _report_list(session, status, candidate, user, page)


@router.post("/candidates/{slug}/reports", status_code=201, response_model=ReportRead)
def create_report(
    body: Annotated[ReportCreate, Body(openapi_examples=REPORT_CREATE_EXAMPLES)],
    candidate: CandidateForWrite,
    analyst: CurrentAnalyst,
    session: WriteSessionDep,
    request: Request,
    response: Response,
) -> ReportRead:
    """Stores a draft. Only analysts and admins can read it until someone else publishes it."""
    report = service.create_report(session, candidate, body, author=analyst)
    response.headers.update(_validators(report))
    response.headers["Location"] = str(request.url_for("get_report", report_id=report.id))
    return report_read(report)


@router.get("/reports/{report_id}", response_model=ReportRead, openapi_extra=OPTIONAL_AUTH,
            responses={304: {"description": "Not modified: your copy (If-None-Match) is current."},
                       404: {"description": "No such report, or not yet published."}})
def get_report(
    report_id: ReportId,
    session: SessionDep,
    user: OptionalUser,
    response: Response,
    if_none_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> ReportRead | Response:
    """A report, with its `ETag` (send it back as `If-Match` to edit). Without an analyst's
    token, a draft or a report scheduled for later answers 404, like a missing id."""
    report = service.get_report(session, report_id, reader=user)
    headers = {
        **_validators(report),
        # The answer depends on who asks: keep drafts out of shared caches.
        "Cache-Control": "private, no-cache" if user is not None else "no-cache",
        "Vary": "Authorization",
    }
    if if_none_match is not None and _none_match(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return report_read(report)


@router.patch("/reports/{report_id}", response_model=ReportRead,
              responses={409: {"description": "Published reports are not edited."},
                         412: {"description": "If-Match is not the current ETag."},
                         428: {"description": "If-Match is missing."}})
def update_report(
    report_id: ReportId,
    body: Annotated[ReportUpdate, Body(openapi_examples=REPORT_UPDATE_EXAMPLES)],
    analyst: CurrentAnalyst,
    session: WriteSessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ReportRead:
    """Edits a draft. Needs `If-Match` with the ETag you read: if someone edited it since,
    the answer is 412 with the current ETag and nothing is changed."""
    report = service.update_report(session, report_id, body, if_match=if_match, editor=analyst)
    response.headers.update(_validators(report))
    return report_read(report)


@router.post("/reports/{report_id}/publish", response_model=ReportRead,
             responses={403: {"description": "You wrote or edited it (four-eyes review)."},
                        409: {"description": "Already published."},
                        412: {"description": "If-Match is not the current ETag: it changed "
                                             "since you read it."},
                        428: {"description": "If-Match is missing (or `*`)."}})
def publish_report(
    report_id: ReportId,
    analyst: CurrentAnalyst,
    session: WriteSessionDep,
    response: Response,
    body: Annotated[ReportPublish | None,
                    Body(openapi_examples=REPORT_PUBLISH_EXAMPLES)] = None,
    if_match: IfMatch = None,
) -> ReportRead:
    """Publishes a draft someone else wrote, exactly as you reviewed it: `If-Match` must be
    the ETag of the version you read (428 without it, 412 if it changed since). `publish_at`
    (with a time zone, at most a year ahead) schedules it: readers see it from then on, while
    the `report.published` event, without title or body, is public at once."""
    report = service.publish_report(session, report_id, body or ReportPublish(),
                                    publisher=analyst, if_match=if_match)
    response.headers.update(_validators(report))
    return report_read(report)
