"""Progress updates (observations): reading the append-only history of measured values. The
write path is app/progress/ingest.py."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, selectinload

from app.errors import NotFound
from app.evaluation import end_of_day, retracted_updates
from app.models import (
    BenchmarkDefinition,
    Candidate,
    Indicator,
    ProgressUpdate,
    RetractionConfirmation,
    RetractionUndo,
    UpdateRetraction,
)

# What an update's answer and page show of its retractions (app/progress/retractions.py):
# who asked, who confirmed, who undid.
RETRACTION_DETAILS = (
    selectinload(UpdateRetraction.author),
    selectinload(UpdateRetraction.confirmation).selectinload(RetractionConfirmation.user),
    selectinload(UpdateRetraction.undo).selectinload(RetractionUndo.user),
)
# For queries of updates: every retraction of each, with its details.
RETRACTIONS = selectinload(ProgressUpdate.retractions).options(*RETRACTION_DETAILS)


def resolve_indicator(
    session: Session, *, indicator: str | None = None, benchmark: str | None = None
) -> Indicator:
    """The indicator named by its key, or by the key of a target (benchmark) on it."""
    if indicator is not None:
        found = session.scalar(select(Indicator).where(Indicator.key == indicator))
        if found is None:
            raise NotFound("indicator", indicator)
        return found
    found = session.scalar(select(Indicator).join(BenchmarkDefinition,
                                                  BenchmarkDefinition.indicator_id == Indicator.id)
                           .where(BenchmarkDefinition.key == benchmark))
    if found is None:
        raise NotFound("benchmark", benchmark)
    return found


# What an update's answer shows of its relations.
UPDATE_DETAILS = (selectinload(ProgressUpdate.indicator), selectinload(ProgressUpdate.author))


def list_progress_updates(
    session: Session,
    candidate: Candidate,
    *,
    indicator: str | None = None,
    benchmark: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[ProgressUpdate], int]:
    """A candidate's observations, newest measurement first; `indicator` (or a `benchmark`,
    standing for its indicator) picks one series; dates filter `as_of`, inclusive."""
    query = select(ProgressUpdate).where(ProgressUpdate.candidate_id == candidate.id)
    if indicator is not None or benchmark is not None:
        series = resolve_indicator(session, indicator=indicator, benchmark=benchmark)
        query = query.where(ProgressUpdate.indicator_id == series.id)
    if date_from is not None:
        query = query.where(ProgressUpdate.as_of >= date_from)
    if date_to is not None:
        query = query.where(ProgressUpdate.as_of <= date_to)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = (
        query.options(*UPDATE_DETAILS, RETRACTIONS)
        .order_by(ProgressUpdate.as_of.desc(), ProgressUpdate.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(page)), total


def get_progress_updates(session: Session, ids: Sequence[int]) -> list[ProgressUpdate]:
    found = {
        u.id: u
        for u in session.scalars(
            select(ProgressUpdate).where(ProgressUpdate.id.in_(ids))
            .options(*UPDATE_DETAILS, RETRACTIONS)
        )
    }
    return [found[i] for i in ids]


UPDATE_FIELDS = ("id", "value", "stage", "as_of", "source", "vintage", "published_on",
                 "observation_status", "assessed_by", "note", "supersedes_id", "recorded_at")


def last_recorded(
    session: Session, candidate_ids: Sequence[int], *, as_of: date | None = None
) -> dict[int, Any]:
    """When each candidate's newest update was recorded (one grouped query); with `as_of`,
    of the updates known on that day."""
    if not candidate_ids:
        return {}
    rows = session.execute(
        select(ProgressUpdate.candidate_id, func.max(ProgressUpdate.recorded_at))
        .where(ProgressUpdate.candidate_id.in_(candidate_ids), *known_on(as_of))
        .group_by(ProgressUpdate.candidate_id)
    ).all()
    return {candidate_id: moment for candidate_id, moment in rows}


def known_on(as_of: date | None) -> tuple[Any, ...]:
    """The conditions of an update known on `as_of`, as the status reads them: measured and
    recorded by the end of that day (none for today)."""
    if as_of is None:
        return ()
    return (ProgressUpdate.as_of <= as_of, ProgressUpdate.recorded_at < end_of_day(as_of))


def retracted_on(
    session: Session, updates: Sequence[ProgressUpdate], as_of: date | None
) -> set[int]:
    """Which of these updates are retracted today, or at the end of `as_of` (a retraction
    then in effect: made, confirmed when it needed to be, not undone by then)."""
    if as_of is None:
        return {u.id for u in updates if u.is_retracted}
    retracted = retracted_updates(end_of_day(as_of))
    return set(session.scalars(select(retracted.c.update_id)
                               .where(retracted.c.update_id.in_([u.id for u in updates]))))


def list_series(
    session: Session, candidate: Candidate, key: str, *, limit: int, offset: int = 0,
    as_of: date | None = None,
) -> tuple[BenchmarkDefinition, list[ProgressUpdate], int]:
    """A page of the series a target (benchmark `key`) reads for the candidate, newest first,
    corrections and retracted ones included, and how many there are in all; with `as_of`, the
    updates known on that day."""
    definition = session.scalar(
        select(BenchmarkDefinition).where(BenchmarkDefinition.key == key)
        .options(selectinload(BenchmarkDefinition.category))
    )
    if definition is None:
        raise NotFound("benchmark", key)
    of_series = (ProgressUpdate.candidate_id == candidate.id,
                 ProgressUpdate.indicator_id == definition.indicator_id, *known_on(as_of))
    total = session.scalar(select(func.count()).where(*of_series)) or 0
    updates = session.scalars(
        select(ProgressUpdate).where(*of_series)
        .options(selectinload(ProgressUpdate.author), RETRACTIONS)
        .order_by(ProgressUpdate.as_of.desc(), ProgressUpdate.id.desc())
        .offset(offset).limit(limit)
    ).all()
    return definition, list(updates), total


def corrections_of(
    session: Session, update_ids: Sequence[int], *, as_of: date | None = None
) -> dict[int, int]:
    """For each of these updates that a later one corrects (known on `as_of`, when given):
    the id of its correction."""
    if not update_ids:
        return {}
    return dict(session.execute(
        select(ProgressUpdate.supersedes_id, ProgressUpdate.id)
        .where(ProgressUpdate.supersedes_id.in_(update_ids), *known_on(as_of))
    ).all())


def list_update_page(
    session: Session, candidate_ids: Sequence[int], *, after: tuple[Any, ...] | None,
    indicator_id: int | None = None, as_of: date | None = None, limit: int,
) -> list[ProgressUpdate]:
    """One page of these candidates' updates ordered by candidate, date and id, starting after
    the (candidate_id, as_of, id) key `after` (keyset paging: no offset to skip over); of one
    indicator, when given; with `as_of`, those known on that day."""
    order = (ProgressUpdate.candidate_id, ProgressUpdate.as_of, ProgressUpdate.id)
    query = (select(ProgressUpdate)
             .where(ProgressUpdate.candidate_id.in_(candidate_ids), *known_on(as_of))
             .options(selectinload(ProgressUpdate.indicator),
                      selectinload(ProgressUpdate.retraction),
                      *([selectinload(ProgressUpdate.retractions)] if as_of else []))
             .order_by(*order).limit(limit))
    if after is not None:
        query = query.where(tuple_(*order) > tuple_(*after))
    if indicator_id is not None:
        query = query.where(ProgressUpdate.indicator_id == indicator_id)
    return list(session.scalars(query))
