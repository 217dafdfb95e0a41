"""The gates between phases: what a tier must have met to enter the next phase."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.db import Base
from app.models.base import TZDateTime


class Gate(Base):
    """What a candidate of `tier` must have met to enter `to_phase` (from the phase before it):
    its targets, by benchmark key (each with a requirement for the tier), and the targets of the
    other gates of the tier it `requires` (gate ids; never a cycle). A gate never blocks
    recording a phase change: a phase entered with its gate unmet is flagged (app/path.py).
    Edited in place by admins; each change is an event with the record before and after."""

    __tablename__ = "gates"
    __table_args__ = (
        UniqueConstraint("tier", "to_phase"),
        CheckConstraint("to_phase IN ('accession_talks', 'ratification', 'member')",
                        name="to_phase_gated"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[str] = mapped_column(ForeignKey("tiers.key"))
    to_phase: Mapped[str] = mapped_column(String(40))
    targets: Mapped[list[str]] = mapped_column(JSON)  # benchmark keys, in the order shown
    requires: Mapped[list[int]] = mapped_column(JSON)  # ids of gates of the same tier
    source: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    note_fr: Mapped[str] = mapped_column(Text, default="")
    # The gate is this tool's illustration, not a decision of the alliance.
    is_illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
