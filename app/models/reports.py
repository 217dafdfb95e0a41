"""Narrative reviews, from draft to published, and who edited them."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.db import Base
from app.models.base import TZDateTime, _in
from app.models.candidates import Candidate
from app.models.enums import ReportStatus
from app.models.users import User


class ProgressReport(Base):
    """A narrative review (e.g. a quarterly report), Markdown, from draft to published."""

    __tablename__ = "progress_reports"
    __table_args__ = (
        CheckConstraint(_in("status", ReportStatus), name="status_known"),
        CheckConstraint(
            "status <> 'published' OR published_at IS NOT NULL", name="published_has_date"
        ),
        CheckConstraint("title <> ''", name="title_not_empty"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_progress_reports_candidate_status", "candidate_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    period: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.draft)
    is_illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    # Bumped on every edit; the ETag of the report.
    version: Mapped[int] = mapped_column(Integer, default=1)

    candidate: Mapped[Candidate] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    editors: Mapped[list["ReportEditor"]] = relationship(order_by="ReportEditor.id")
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])


class ReportEditor(Base):
    """Someone who edited a report's draft, one row per person from their first edit, append-only.
    With the author, they are who wrote the report: none of them may publish it (four-eyes), and
    the published report names them all."""

    __tablename__ = "report_editors"
    __table_args__ = (UniqueConstraint("report_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    first_edited_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    user: Mapped[User] = relationship()
