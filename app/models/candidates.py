"""The candidates, the dated history of their tier and phase, and the targets that apply to
each (CandidateBenchmark)."""

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.db import Base
from app.models.base import TZDateTime, _in
from app.models.benchmarks import BenchmarkDefinition
from app.models.enums import Phase


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (
        CheckConstraint("slug <> '' AND slug = lower(slug)", name="slug_lowercase"),
        CheckConstraint("length(iso3) = 3 AND upper(iso3) = iso3", name="iso3_alpha3"),
        CheckConstraint(_in("phase", Phase), name="phase_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    iso3: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_fr: Mapped[str] = mapped_column(String(120), default="")
    tier: Mapped[str] = mapped_column(ForeignKey("tiers.key"))
    model: Mapped[str] = mapped_column(ForeignKey("expansion_models.key"))
    phase: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)

    status_changes: Mapped[list["CandidateStatusChange"]] = relationship(
        back_populates="candidate", order_by="CandidateStatusChange.id"
    )
    benchmarks: Mapped[list["CandidateBenchmark"]] = relationship(back_populates="candidate")


class CandidateStatusChange(Base):
    """Dated history of a candidate's tier and phase: one row each time either changes."""

    __tablename__ = "candidate_status_changes"
    __table_args__ = (CheckConstraint(_in("phase", Phase), name="phase_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"), index=True)
    tier: Mapped[str] = mapped_column(ForeignKey("tiers.key"))
    phase: Mapped[str] = mapped_column(String(40))
    effective_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    note_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The tier (and phase) assigned here is this tool's illustration, not a decision taken.
    is_illustrative: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    candidate: Mapped[Candidate] = relationship(back_populates="status_changes")


class CandidateBenchmark(Base):
    """A definition as it applies to one candidate: derived from the candidate's tier, with an
    optional per-candidate target or due date and a baseline. Kept (inactive) when the tier no
    longer requires it, so its history stays."""

    __tablename__ = "candidate_benchmarks"
    __table_args__ = (
        UniqueConstraint("candidate_id", "definition_id"),
        CheckConstraint(
            "NOT (target_value IS NOT NULL AND target_stage IS NOT NULL)",
            name="one_target_override",
        ),
        CheckConstraint(
            "NOT (baseline_value IS NOT NULL AND baseline_stage IS NOT NULL)",
            name="one_baseline",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    definition_id: Mapped[int] = mapped_column(ForeignKey("benchmark_definitions.id"), index=True)
    target_value: Mapped[float | None] = mapped_column(Float)
    target_stage: Mapped[str | None] = mapped_column(String(80))
    due_on: Mapped[date | None] = mapped_column(Date)
    baseline_value: Mapped[float | None] = mapped_column(Float)
    baseline_stage: Mapped[str | None] = mapped_column(String(80))
    baseline_on: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    candidate: Mapped[Candidate] = relationship(back_populates="benchmarks")
    definition: Mapped[BenchmarkDefinition] = relationship()
