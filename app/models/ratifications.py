"""The dated steps of an accession: the member states' ratification steps, their procedures,
and the candidate's own milestones."""

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
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
from app.models.enums import AccessionMilestone, Confidence, RatificationStep
from app.models.reference import MemberState


class RatificationStepRecord(Base):
    """One dated step of one member state's ratification of one candidate's accession.
    A pair's current status is its latest step; a pair with none is pending."""

    __tablename__ = "ratification_steps"
    __table_args__ = (
        CheckConstraint(_in("step", RatificationStep), name="step_known"),
        CheckConstraint(_in("confidence", Confidence), name="confidence_known"),
        Index("ix_ratification_steps_pair", "candidate_id", "member_iso3"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    member_iso3: Mapped[str] = mapped_column(ForeignKey("member_states.iso3"))
    step: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[str] = mapped_column(String(10), default=Confidence.high)
    note: Mapped[str] = mapped_column(Text, default="")
    note_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    member: Mapped[MemberState] = relationship()


class RatificationProcedureStep(Base):
    """One step of a member state's ratification procedure, at its place (0 first). A member's
    rows are its procedure; an admin replaces them whole (an event keeps the one before). A
    member without rows follows the default procedure (app/ratifications/pipeline.py)."""

    __tablename__ = "ratification_procedure_steps"
    __table_args__ = (
        CheckConstraint(_in("step", RatificationStep), name="step_known"),
        CheckConstraint("position >= 0", name="position_not_negative"),
        UniqueConstraint("member_iso3", "position"),
        UniqueConstraint("member_iso3", "step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_iso3: Mapped[str] = mapped_column(ForeignKey("member_states.iso3"))
    position: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(30))
    # Where the procedure comes from, or "default procedure" when it is not checked.
    source: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AccessionMilestoneRecord(Base):
    """The date a candidate reached one milestone of its accession, with its source: one row per
    candidate and milestone, recorded once it has happened."""

    __tablename__ = "accession_milestones"
    __table_args__ = (
        CheckConstraint(_in("milestone", AccessionMilestone), name="milestone_known"),
        UniqueConstraint("candidate_id", "milestone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    milestone: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
