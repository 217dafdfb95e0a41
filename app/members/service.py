"""The alliance's member states."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import MemberState


def list_member_states(
    session: Session, *, limit: int | None = None, offset: int = 0
) -> tuple[list[MemberState], int]:
    total = session.scalar(select(func.count()).select_from(MemberState)) or 0
    query = select(MemberState).order_by(MemberState.joined_on, MemberState.name)
    return list(session.scalars(query.offset(offset).limit(limit))), total


def get_member_states(session: Session) -> dict[str, MemberState]:
    """Every member state by its ISO3 code (one query, no count)."""
    return {m.iso3: m for m in session.scalars(select(MemberState))}
