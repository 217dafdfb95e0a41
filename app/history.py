"""Progress updates read as the status rules' measurements (app.status.Measurement), as plain
rows: as known at a moment (the retractions in effect then), a set of candidates' whole
history, one series' chart points, and the vintage each correction revises. app/evaluation.py
reads the recent part of each series with these."""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Select,
    Subquery,
    bindparam,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from app.clock import end_of_day
from app.models import (
    ProgressUpdate,
    RetractionConfirmation,
    RetractionUndo,
    TZDateTime,
    UpdateRetraction,
)
from app.status import (
    Measurement,
    stage_position,
)

# A series: one candidate's observations of one indicator.
Series = tuple[int, int]  # (candidate id, indicator id)


def whole_history(
    session: Session, candidate_ids: Sequence[int], as_of: date
) -> dict[Series, list[Measurement]]:
    """Every measurement of these candidates known on `as_of`, by series, with the retractions
    in effect then: the rules find what counted on any earlier date in it (a retraction undone
    by `as_of` is not seen), so one read serves an evaluation of each past review."""
    history: dict[Series, list[Measurement]] = defaultdict(list)
    for key, measurement in _measurements(
            session, end_of_day(as_of), ProgressUpdate.candidate_id.in_(candidate_ids),
            ProgressUpdate.as_of <= as_of, ProgressUpdate.recorded_at < end_of_day(as_of)):
        history[key].append(measurement)
    return history


def retracted_updates(moment: datetime | BindParameter[datetime]) -> Subquery:
    """(update_id, retracted_at) of each update hidden at `moment`, with when its retraction
    took effect: at once, or at its confirmation, and not undone by `moment`. An update has at
    most one retraction in effect at a time (app/progress/retractions.py), so at most one row."""
    confirmation, undo = RetractionConfirmation, RetractionUndo
    took_effect = case((UpdateRetraction.needs_confirmation, confirmation.confirmed_at),
                       else_=UpdateRetraction.retracted_at)
    return (
        select(UpdateRetraction.update_id, took_effect.label("retracted_at"))
        .outerjoin(confirmation, confirmation.retraction_id == UpdateRetraction.id)
        .outerjoin(undo, undo.retraction_id == UpdateRetraction.id)
        .where(took_effect < moment, or_(undo.undone_at.is_(None), undo.undone_at >= moment))
        .subquery("retracted")
    )


# Built once, with the moment as a parameter: setting up a subquery's columns (proxies of the
# columns and their foreign keys) costs SQLAlchemy real work each time one is built.
RETRACTED_AT_MOMENT = retracted_updates(bindparam("retraction_moment", type_=TZDateTime))


def _measurement_query(*conditions: Any) -> Select[Any]:
    """The updates that meet the conditions, as known at the parameter `retraction_moment` (a
    retraction in effect then), oldest first: the rows _measurements reads."""
    retracted = RETRACTED_AT_MOMENT
    return (
        select(ProgressUpdate.candidate_id, ProgressUpdate.indicator_id, ProgressUpdate.id,
               ProgressUpdate.as_of, ProgressUpdate.recorded_at, ProgressUpdate.source,
               ProgressUpdate.value, ProgressUpdate.stage, ProgressUpdate.supersedes_id,
               retracted.c.retracted_at, ProgressUpdate.vintage,
               ProgressUpdate.observation_status, ProgressUpdate.is_illustrative,
               ProgressUpdate.assessed_by)
        .outerjoin(retracted, retracted.c.update_id == ProgressUpdate.id)
        .where(*conditions)
        .order_by(ProgressUpdate.as_of, ProgressUpdate.id)
    )


def _measurements(
    session: Session, moment: datetime, *conditions: Any
) -> Iterator[tuple[Series, Measurement]]:
    """(series, measurement) of the updates that meet the conditions, as known at `moment` (a
    retraction in effect then), read as plain rows: no ORM objects to build."""
    return _measurement_rows(session.execute(_measurement_query(*conditions),
                                             {"retraction_moment": moment}))


def _measurement_rows(rows: Iterable[Any]) -> Iterator[tuple[Series, Measurement]]:
    """(series, measurement) of each row of a _measurement_query."""
    for candidate_id, indicator_id, *fields in rows:
        (update_id, measured_on, recorded_at, source, value, stage, supersedes_id, retracted_at,
         vintage, observation_status, is_illustrative, assessed_by) = fields
        yield (candidate_id, indicator_id), Measurement(
            id=update_id, as_of=measured_on, recorded_at=recorded_at, source=source, value=value,
            stage=stage, supersedes_id=supersedes_id, retracted_at=retracted_at,
            vintage=vintage, observation_status=observation_status,
            is_illustrative=is_illustrative, assessed_by=assessed_by,
        )


def history_chart_points(
    session: Session, series: Series, stages: Sequence[str], as_of: date, most: int,
) -> list[tuple[date, float, bool, str]]:
    """The points of a chart of one series' whole history: its effective measurements on
    `as_of` (the rules of app.status.effective_measurements, in SQL), oldest first, a milestone's
    stage as its position (1 = first stage), each with whether it corrects or revises an
    earlier value and who assessed it (both series: the chart draws them apart); thinned to
    at most `most` evenly spaced points (the first and last kept). The database does the
    work: Python gets the points, however long the history."""
    day_after = end_of_day(as_of)
    candidate_id, indicator_id = series
    of_series = (ProgressUpdate.candidate_id == candidate_id,
                 ProgressUpdate.indicator_id == indicator_id)
    retracted = retracted_updates(day_after)
    counted = (
        select(ProgressUpdate.id, ProgressUpdate.supersedes_id)
        .where(*of_series, ProgressUpdate.as_of <= as_of,
               ProgressUpdate.recorded_at < day_after,
               ProgressUpdate.id.not_in(select(retracted.c.update_id)))
        .cte("counted")
    )
    # A counted correction replaces the whole chain behind it, through any link (UNION stops
    # at a cycle as the Python rules' visited set does).
    replaced = (select(counted.c.supersedes_id.label("id"))
                .where(counted.c.supersedes_id.is_not(None))
                .cte("replaced", recursive=True))
    link = aliased(ProgressUpdate)
    replaced = replaced.union(
        select(link.supersedes_id).join(replaced, link.id == replaced.c.id)
        .where(link.supersedes_id.is_not(None), link.candidate_id == candidate_id,
               link.indicator_id == indicator_id))
    drawable = or_(ProgressUpdate.value.is_not(None), ProgressUpdate.stage.in_(list(stages)))
    effective = (
        select(ProgressUpdate.as_of, ProgressUpdate.value, ProgressUpdate.stage,
               ProgressUpdate.supersedes_id, ProgressUpdate.assessed_by,
               func.row_number().over(order_by=(ProgressUpdate.as_of,
                                                 ProgressUpdate.recorded_at,
                                                 ProgressUpdate.id)).label("n"),
               func.count().over().label("total"))
        .where(ProgressUpdate.id.in_(select(counted.c.id)),
               ProgressUpdate.id.not_in(select(replaced.c.id)), drawable)
        .subquery()
    )
    # Row n (1-based) of `total` is kept when it is the first of one of `most` equal buckets,
    # or the last.
    bucket = (effective.c.n - 1) * most // effective.c.total
    previous_bucket = (effective.c.n - 2) * most // effective.c.total
    rows = session.execute(
        select(effective.c.as_of, effective.c.value, effective.c.stage,
               effective.c.supersedes_id, effective.c.assessed_by)
        .where(or_(effective.c.n == 1, effective.c.n == effective.c.total,
                   bucket != previous_bucket))
        .order_by(effective.c.n)
    )
    return [(measured_on, value if value is not None else stage_position(stages, stage),
             supersedes_id is not None, assessed_by)
            for measured_on, value, stage, supersedes_id, assessed_by in rows]


def revised_vintages(
    session: Session, measurements: Sequence[Measurement | ProgressUpdate]
) -> dict[int, str]:
    """For each of these measurements that revises another (a correction from another release
    of the source): the vintage it revises, by its id. One query."""
    corrections = {m.supersedes_id: m for m in measurements
                   if m.supersedes_id is not None and m.vintage is not None}
    if not corrections:
        return {}
    earlier = session.execute(select(ProgressUpdate.id, ProgressUpdate.vintage)
                              .where(ProgressUpdate.id.in_(corrections))).all()
    return {corrections[update_id].id: vintage for update_id, vintage in earlier
            if vintage is not None and vintage != corrections[update_id].vintage}
