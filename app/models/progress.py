"""Progress updates (append-only observations) and their retractions: asked for, confirmed,
undone, each step a row of its own."""

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    and_,
    exists,
    false,
    or_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.db import Base
from app.models.base import TZDateTime
from app.models.benchmarks import Indicator
from app.models.candidates import Candidate
from app.models.enums import AssessedBy, ObservationStatus, RetractionStatus
from app.models.users import User


class ProgressUpdate(Base):
    """One observation: a candidate's value of an indicator as of a date, append-only, with
    where it comes from (`source`, and the source's release, `vintage`). A correction is a new
    row that `supersedes` the newest of its chain; the wrong one stays in the history."""

    __tablename__ = "progress_updates"
    __table_args__ = (
        CheckConstraint("(value IS NULL) <> (stage IS NULL)", name="one_value"),
        CheckConstraint("source <> ''", name="source_not_empty"),
        # Equalities, not IN (...): SQLite builds a table for an IN list each time it checks a
        # row, which on this table (written in batches of hundreds) costs a fifth more time.
        CheckConstraint(" OR ".join(f"observation_status = '{status.value}'"
                                    for status in ObservationStatus),
                        name="observation_status_known"),
        CheckConstraint("assessed_by = 'self' OR assessed_by = 'independent'",
                        name="assessed_by_known"),
        # The "latest value" path: the newest observation of a series without scanning it.
        Index("ix_progress_updates_series_as_of", "candidate_id", "indicator_id", "as_of", "id"),
        # An update is corrected at most once: a chain, never two competing values. Partial:
        # the rows that correct nothing (nearly all) cost the index nothing on insert.
        Index("ux_progress_updates_supersedes", "supersedes_id", unique=True,
              sqlite_where=text("supersedes_id IS NOT NULL"),
              postgresql_where=text("supersedes_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    # Exactly as sent (a double): pages round for display, never storage.
    value: Mapped[float | None] = mapped_column(Float)
    stage: Mapped[str | None] = mapped_column(String(80))
    as_of: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    # The source's release the figure is from, e.g. "SIPRI 2025".
    vintage: Mapped[str | None] = mapped_column(String(80))
    published_on: Mapped[date | None] = mapped_column(Date)
    observation_status: Mapped[str] = mapped_column(String(20), default=ObservationStatus.final)
    note: Mapped[str] = mapped_column(Text, default="")
    is_illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("progress_updates.id"))
    # Independent unless said: the status rests on independent figures where there are any.
    assessed_by: Mapped[str] = mapped_column(String(20), default=AssessedBy.independent,
                                             server_default=AssessedBy.independent.value)

    candidate: Mapped[Candidate] = relationship()
    indicator: Mapped[Indicator] = relationship()
    author: Mapped[User | None] = relationship()
    # The retraction in effect now, if any (at most one: see app/progress/retractions.py).
    retraction: Mapped["UpdateRetraction | None"] = relationship(
        viewonly=True, uselist=False,
        primaryjoin=lambda: and_(UpdateRetraction.update_id == ProgressUpdate.id,
                                 retraction_in_effect()),
    )
    # Every retraction, oldest first: pending, in effect and undone.
    retractions: Mapped[list["UpdateRetraction"]] = relationship(
        viewonly=True, order_by="UpdateRetraction.id")

    @property
    def is_retracted(self) -> bool:
        """Hidden now (from `retractions`: load them, as `retraction` is a query of its own)."""
        return any(r.status == RetractionStatus.retracted for r in self.retractions)


class UpdateRetraction(Base):
    """Hides a wrong progress update without deleting it: the update stays in the history,
    marked retracted with the reason. Made by `author` at `retracted_at`; it takes effect at
    once when they wrote the update, and otherwise (`needs_confirmation`) only once a second
    person confirms it. An admin may undo it, and the value counts again. Each step is a row
    of its own (RetractionConfirmation, RetractionUndo): nothing here is ever updated."""

    __tablename__ = "update_retractions"
    __table_args__ = (CheckConstraint("reason <> ''", name="reason_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("progress_updates.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retracted_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    needs_confirmation: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default=false())

    author: Mapped[User | None] = relationship()
    update: Mapped[ProgressUpdate] = relationship(viewonly=True)
    confirmation: Mapped["RetractionConfirmation | None"] = relationship(viewonly=True)
    undo: Mapped["RetractionUndo | None"] = relationship(viewonly=True)

    @property
    def status(self) -> RetractionStatus:
        if self.undo is not None:
            return RetractionStatus.undone
        if self.needs_confirmation and self.confirmation is None:
            return RetractionStatus.pending
        return RetractionStatus.retracted

    @property
    def effective_at(self) -> datetime | None:
        """When the value was hidden: at once, or at the confirmation (None: never was)."""
        if not self.needs_confirmation:
            return self.retracted_at
        return self.confirmation.confirmed_at if self.confirmation else None


class RetractionConfirmation(Base):
    """A second person's confirmation of a retraction someone asked for: from then on it is in
    effect."""

    __tablename__ = "retraction_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    retraction_id: Mapped[int] = mapped_column(ForeignKey("update_retractions.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class RetractionUndo(Base):
    """An admin's undoing of a retraction: the value counts again from `undone_at` (a pending
    request undone is dismissed, and never took effect)."""

    __tablename__ = "retraction_undos"
    __table_args__ = (CheckConstraint("reason <> ''", name="reason_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    retraction_id: Mapped[int] = mapped_column(ForeignKey("update_retractions.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    undone_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    user: Mapped[User] = relationship()


def retraction_in_effect() -> ColumnElement[bool]:
    """SQL for UpdateRetraction.status == retracted."""
    confirmed = exists().where(RetractionConfirmation.retraction_id == UpdateRetraction.id)
    undone = exists().where(RetractionUndo.retraction_id == UpdateRetraction.id)
    return and_(or_(UpdateRetraction.needs_confirmation.is_(False), confirmed), ~undone)
