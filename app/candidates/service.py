"""Reading candidates: lists with filters, one by slug."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.errors import NotFound
from app.models import Candidate, Phase, Tier


def list_candidates(
    session: Session,
    *,
    tier: Tier | None = None,
    phase: Phase | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[Candidate], int]:
    """Candidates ordered by name, and how many match in all."""
    query = select(Candidate)
    if tier is not None:
        query = query.where(Candidate.tier == tier)
    if phase is not None:
        query = query.where(Candidate.phase == phase)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(Candidate.name, Candidate.id).offset(offset).limit(limit)
    return list(session.scalars(page)), total


def get_candidate(session: Session, slug: str) -> Candidate:
    candidate = session.scalar(
        select(Candidate)
        .where(Candidate.slug == slug)
        .options(selectinload(Candidate.status_changes))
    )
    if candidate is None:
        raise NotFound("candidate", slug)
    return candidate
