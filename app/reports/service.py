"""Progress reports: narrative reviews that analysts write as drafts and a second person
publishes. Readers without an analyst's token see a report only once it is published and its
`published_at` has come; before that it is answered exactly like a missing one. Drafts wait in a
review queue that only analysts and admins list, and reach reviewers without a token through
signed preview links (app/reports/preview.py)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session, selectinload

from app.config import get_settings
from app.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
    field_error,
)
from app.evaluation import end_of_day
from app.events.service import record_event, snapshot
from app.models import (
    Candidate,
    ProgressReport,
    ReportEditor,
    ReportStatus,
    Role,
    User,
    utcnow,
)
from app.reports.preview import PreviewLink, PreviewRefused, preview_link, read_preview
from app.reports.schemas import ReportCreate, ReportPublish, ReportUpdate, report_etag

CREATED_FIELDS = ("id", "period", "title", "body", "status", "version", "created_at")
# Public event of a publication: no title or body, which a scheduled report must not show yet.
PUBLISHED_FIELDS = ("id", "period", "status", "version", "published_at")

# How far a publication may be scheduled, and how late a `publish_at` may be (a client whose
# clock is a little behind, or a retry): anything else is a mistake, refused rather than
# published at once or held back for centuries.
PUBLISH_AT_LATEST = timedelta(days=365)
PUBLISH_AT_EARLIEST = timedelta(days=1)

_LOADED = (selectinload(ProgressReport.candidate), selectinload(ProgressReport.author),
           selectinload(ProgressReport.editors).selectinload(ReportEditor.user),
           selectinload(ProgressReport.published_by))


def _public(now: datetime) -> ColumnElement[bool]:
    return and_(ProgressReport.status == ReportStatus.published,
                ProgressReport.published_at <= now)


def _is_reviewer(user: User | None) -> bool:
    return user is not None and user.role in (Role.analyst, Role.admin)


def _paged(
    session: Session, query: Select[tuple[ProgressReport]], *order: ColumnElement[Any],
    limit: int | None, offset: int,
) -> tuple[list[ProgressReport], int]:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.options(*_LOADED).order_by(*order)
    return list(session.scalars(query.offset(offset).limit(limit))), total


def list_published_reports(
    session: Session, candidate: Candidate | None, *, limit: int | None = None, offset: int = 0,
    as_of: date | None = None,
) -> tuple[list[ProgressReport], int]:
    """Reports readers may see (of one candidate, or of all), newest first: drafts and
    scheduled ones are left out, and with `as_of` those published after that day."""
    query = select(ProgressReport).where(_public(published_by(as_of)))
    if candidate is not None:
        query = query.where(ProgressReport.candidate_id == candidate.id)
    return _paged(session, query, ProgressReport.published_at.desc(), ProgressReport.id.desc(),
                 limit=limit, offset=offset)


def list_latest_reports(session: Session, *, now: datetime, limit: int) -> list[ProgressReport]:
    """The `limit` reports published last by `now`, newest first, each with its candidate."""
    return list(session.scalars(
        select(ProgressReport).where(_public(now))
        .options(selectinload(ProgressReport.candidate))
        .order_by(ProgressReport.published_at.desc()).limit(limit)
    ))


def list_reports(
    session: Session, *, status: ReportStatus, candidate: Candidate | None, reader: User | None,
    limit: int | None = None, offset: int = 0,
) -> tuple[list[ProgressReport], int]:
    """`published`: list_published_reports, whoever asks (a token shows no more). `draft`: the
    review queue, for analysts and admins only, the draft waiting longest first (by when it
    was created: an edit does not send it to the back)."""
    if status == ReportStatus.published:
        return list_published_reports(session, candidate, limit=limit, offset=offset)
    if reader is None:
        raise Unauthorized("Drafts awaiting review are listed for analysts and admins only: "
                           "send `Authorization: Bearer <token>`.")
    if not _is_reviewer(reader):
        raise Forbidden(f"The role {reader.role!r} may not read drafts.")
    query = select(ProgressReport).where(ProgressReport.status == ReportStatus.draft)
    if candidate is not None:
        query = query.where(ProgressReport.candidate_id == candidate.id)
    return _paged(session, query, ProgressReport.created_at, ProgressReport.id,
                 limit=limit, offset=offset)


def published_by(as_of: date | None) -> datetime:
    """The moment a report must be published by to be seen: now, or the end of `as_of`."""
    now = utcnow()
    return now if as_of is None else min(now, end_of_day(as_of))


def get_published_report(
    session: Session, report_id: int, *, as_of: date | None = None
) -> ProgressReport:
    """A report readers may see; a draft, one scheduled for later or (with `as_of`) one
    published after that day is answered exactly like a missing one."""
    report = session.scalar(
        select(ProgressReport).where(ProgressReport.id == report_id, _public(published_by(as_of)))
        .options(*_LOADED)
    )
    if report is None:
        raise NotFound("report", report_id)
    return report


def get_report(session: Session, report_id: int, *, reader: User | None) -> ProgressReport:
    """Analysts and admins read drafts and scheduled reports too; anyone else gets
    `get_published_report`."""
    if not _is_reviewer(reader):
        return get_published_report(session, report_id)
    report = session.scalar(
        select(ProgressReport).where(ProgressReport.id == report_id).options(*_LOADED)
    )
    if report is None:
        raise NotFound("report", report_id)
    return report


def _preview_key() -> bytes:
    return get_settings().secret_key.get_secret_value().encode()


def preview_link_for(report: ProgressReport) -> PreviewLink | None:
    """A draft's preview link for reviewers without a token, made anew at each read, for the
    version read; None for a published report (its page is public)."""
    if report.status != ReportStatus.draft:
        return None
    settings = get_settings()
    return preview_link(_preview_key(), settings.site_url, report.id, report.version,
                        now=utcnow(), valid_for=timedelta(days=settings.preview_link_days))


def get_report_preview(session: Session, report_id: int, token: str) -> ProgressReport:
    """The report an authentic preview link names. A published one whatever the link's age or
    version (the page sends the reader on to its public page, which shows it from its
    `published_at`); a draft only until the link expires, and only while it is still the
    version the link was made for. PreviewRefused otherwise."""
    grant = read_preview(_preview_key(), report_id, token)
    if grant is None:
        raise PreviewRefused("invalid", f"This is not a valid preview link of report "
                             f"{report_id}: it is incomplete or was altered.")
    report = session.scalar(
        select(ProgressReport).where(ProgressReport.id == report_id).options(*_LOADED)
    )
    if report is None:
        raise PreviewRefused("missing", f"There is no report {report_id} any more.")
    if report.status == ReportStatus.published:
        return report
    if grant.expires_at <= utcnow():
        raise PreviewRefused("expired", f"This preview link expired at "
                             f"{grant.expires_at.isoformat()}: ask for a new one.",
                             expired_at=grant.expires_at.isoformat())
    if grant.version != report.version:
        raise PreviewRefused(
            "edited", f"Report {report_id} was edited after this link was made (the link "
            f"shows version {grant.version}, the draft is now at version {report.version}): "
            "ask for a new link to review the current text.",
            linked_version=grant.version, current_version=report.version)
    return report


def _get_report_for_write(session: Session, report_id: int) -> ProgressReport:
    """The report, its row locked until commit (PostgreSQL; SQLite's write session holds the
    database lock already), so two edits of one version cannot both pass their If-Match."""
    report = session.scalar(
        select(ProgressReport).where(ProgressReport.id == report_id)
        .with_for_update(of=ProgressReport)
        .options(*_LOADED)
        .execution_options(populate_existing=True)
    )
    if report is None:
        raise NotFound("report", report_id)
    return report


def _etags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def _require_if_match(if_match: str | None, doing: str, report_id: int) -> str:
    """An `If-Match` naming versions: `*` (alone or in a list) says nothing about which version
    the client read, so it counts as missing."""
    if if_match is None or not _etags(if_match) or "*" in _etags(if_match):
        raise PreconditionRequired(
            f"{doing} needs `If-Match` with the ETag of the version you read (from "
            f"GET /api/v1/reports/{report_id}); `*` is not enough."
        )
    return if_match


def _check_if_match(report: ProgressReport, if_match: str) -> None:
    """Strong comparison: a weak tag (`W/"..."`) never matches."""
    current = report_etag(report.id, report.version)
    if current not in _etags(if_match):
        raise PreconditionFailed(
            f"Report {report.id} has changed since you read it; its current ETag is {current}. "
            "Nothing was changed: fetch it again, reapply your edit and send the new ETag.",
            current_etag=current,
        )


def create_report(
    session: Session, candidate: Candidate, data: ReportCreate, *, author: User
) -> ProgressReport:
    """Stores a draft, which only analysts and admins can read until it is published."""
    now = utcnow()
    report = ProgressReport(
        candidate_id=candidate.id, period=data.period, title=data.title, body=data.body,
        status=ReportStatus.draft, author_id=author.id, created_at=now, updated_at=now,
        version=1,
    )
    report.candidate = candidate
    report.author = author
    session.add(report)
    session.flush()
    record_event(
        session, kind="report.created", entity="report", entity_id=report.id, actor=author,
        candidate_id=candidate.id, after=snapshot(report, CREATED_FIELDS), is_public=False,
    )
    session.commit()
    return report


def update_report(
    session: Session, report_id: int, data: ReportUpdate, *, if_match: str | None, editor: User
) -> ProgressReport:
    """Edits a draft. `if_match` must be the report's current ETag (`*` is not enough: it does
    not say which version the edit was made on), so no one else's edit is overwritten. An edit
    that changes nothing stores nothing and keeps the version; the first edit of each person
    makes them one of the report's editors."""
    if_match = _require_if_match(if_match, "Editing a report", report_id)
    report = _get_report_for_write(session, report_id)
    if report.status != ReportStatus.draft:
        raise Conflict(
            f"Report {report_id} is published and can no longer be edited: a correction to a "
            "published report is a new report."
        )
    _check_if_match(report, if_match)
    changes = {name: value for name, value in data.changes().items()
               if getattr(report, name) != value}
    if not changes:
        return report
    before: dict[str, Any] = {"version": report.version, **snapshot(report, tuple(changes))}
    for name, value in changes.items():
        setattr(report, name, value)
    report.version += 1
    report.updated_at = utcnow()
    if editor.id not in {e.user_id for e in report.editors}:
        report.editors.append(ReportEditor(user_id=editor.id, user=editor,
                                           first_edited_at=report.updated_at))
    session.flush()
    record_event(
        session, kind="report.updated", entity="report", entity_id=report.id, actor=editor,
        candidate_id=report.candidate_id, before=before,
        after={"version": report.version, **snapshot(report, tuple(changes))}, is_public=False,
    )
    session.commit()
    return report


def writers(report: ProgressReport) -> list[User]:
    """Everyone who wrote any of the report: its author, then each editor of the draft."""
    found = [report.author] if report.author is not None else []
    found += [e.user for e in report.editors if e.user_id != report.author_id]
    return found


def _check_publish_at(publish_at: datetime | None, now: datetime) -> None:
    """Compared as given, before any conversion: 0001-01-01T00:00+14:00 is before year 1 in
    UTC, which Python cannot hold."""
    if publish_at is None:
        return
    if publish_at < now - PUBLISH_AT_EARLIEST:
        problem = (f"is more than {PUBLISH_AT_EARLIEST.days} day in the past: a publication is "
                   "never backdated; leave it out to publish now")
    elif publish_at > now + PUBLISH_AT_LATEST:
        problem = f"is more than {PUBLISH_AT_LATEST.days} days ahead"
    else:
        return
    raise InvalidInput(f"Nothing was published: publish_at {problem}.",
                       [field_error(["body", "publish_at"], problem)])


def publish_report(
    session: Session, report_id: int, data: ReportPublish, *, publisher: User,
    if_match: str | None,
) -> ProgressReport:
    """Four-eyes: the publisher must not have written or edited the draft, and `if_match` must
    be the ETag of the version they reviewed, so what is published is what they read.
    `publish_at` (at most a year ahead) schedules it: readers see it from then on, but the
    `report.published` event is public at once (without title or body). A `publish_at` up to a
    day in the past means now: a publication is never backdated."""
    now = utcnow()
    _check_publish_at(data.publish_at, now)
    if_match = _require_if_match(if_match, "Publishing a report", report_id)
    report = _get_report_for_write(session, report_id)
    if report.status != ReportStatus.draft:
        raise Conflict(f"Report {report_id} was already published "
                       f"(from {report.published_at.isoformat() if report.published_at else '?'}).")
    _check_if_match(report, if_match)
    if publisher.id in {w.id for w in writers(report)}:
        raise Forbidden(
            f"You wrote or edited report {report_id}: a second person must review and publish "
            "it (four-eyes review)."
        )
    before = snapshot(report, ("status", "version"))
    report.status = ReportStatus.published
    publish_at = data.publish_at.astimezone(UTC) if data.publish_at else now
    report.published_at = max(publish_at, now)
    report.published_by_id = publisher.id
    report.published_by = publisher
    report.version += 1
    report.updated_at = now
    session.flush()
    record_event(
        session, kind="report.published", entity="report", entity_id=report.id, actor=publisher,
        candidate_id=report.candidate_id, before=before,
        after=snapshot(report, PUBLISHED_FIELDS), is_public=True,
    )
    session.commit()
    return report
