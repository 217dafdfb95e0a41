"""The append-only log of every change."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.db import Base
from app.models.base import TZDateTime
from app.models.candidates import Candidate
from app.models.users import User


class Event(Base):
    """The append-only log of every change: who, when, what, and the record before and after.
    Its ids are the change feed's cursor."""

    __tablename__ = "events"
    # A candidate's events in order (its feed), and whether any came after a given id (the
    # update writer's check, app.status_feed.StatusWatch.read_is_current): a range of one index.
    __table_args__ = (Index("ix_events_candidate_id_id", "candidate_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(80))
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"))
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    actor: Mapped[User | None] = relationship(viewonly=True)
    candidate: Mapped[Candidate | None] = relationship(viewonly=True)
