"""Progress updates: the append-only history of measured values."""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.errors import NotFound
from app.models import (
    BenchmarkDefinition,
    Candidate,
    CandidateBenchmark,
    ProgressUpdate,
)


def list_progress_updates(
    session: Session,
    candidate: Candidate,
    *,
    benchmark: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[ProgressUpdate], int]:
    """A candidate's updates, newest measurement first; dates filter `as_of`, inclusive."""
    query = (
        select(ProgressUpdate)
        .join(ProgressUpdate.candidate_benchmark)
        .where(CandidateBenchmark.candidate_id == candidate.id)
    )
    if benchmark is not None:
        definition_id = session.scalar(
            select(CandidateBenchmark.definition_id)
            .join(CandidateBenchmark.definition)
            .where(CandidateBenchmark.candidate_id == candidate.id,
                   BenchmarkDefinition.key == benchmark)
        )
        if definition_id is None:
            raise NotFound("benchmark", benchmark,
                           f"Candidate {candidate.slug!r} has no benchmark {benchmark!r}.")
        query = query.where(CandidateBenchmark.definition_id == definition_id)
    if date_from is not None:
        query = query.where(ProgressUpdate.as_of >= date_from)
    if date_to is not None:
        query = query.where(ProgressUpdate.as_of <= date_to)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = (
        query.options(
            selectinload(ProgressUpdate.candidate_benchmark).selectinload(
                CandidateBenchmark.definition
            ),
            selectinload(ProgressUpdate.author),
        )
        .order_by(ProgressUpdate.as_of.desc(), ProgressUpdate.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(page)), total
