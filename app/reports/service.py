"""Progress reports: narrative reviews that move from draft to published."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Candidate, ProgressReport, ReportStatus


def list_published_reports(
    session: Session, candidate: Candidate, *, limit: int | None = None, offset: int = 0
) -> tuple[list[ProgressReport], int]:
    """Published reports only, newest first: drafts are never public."""
    query = select(ProgressReport).where(
        ProgressReport.candidate_id == candidate.id,
        ProgressReport.status == ReportStatus.published,
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.order_by(ProgressReport.published_at.desc(), ProgressReport.id.desc())
    return list(session.scalars(query.offset(offset).limit(limit))), total


def get_published_report(session: Session, report_id: int) -> ProgressReport:
    """A published report; a draft is answered exactly like a missing one."""
    report = session.get(ProgressReport, report_id)
    if report is None or report.status != ReportStatus.published:
        raise NotFound("report", report_id)
    return report
