"""Retractions of progress updates, with four eyes: an analyst retracting their own update
hides it at once; retracting anyone else's is a request that a second person confirms; an
admin may undo a retraction, and the value counts again. Each step is a row of its own and an
event, so the whole story stays in the update's history.

An update has at most one open retraction (pending or in effect) at a time: each step locks
the update's row first, so two analysts cannot both retract it."""

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, not_, select
from sqlalchemy.orm import Session, selectinload

from app.errors import Conflict, Forbidden, NotFound
from app.events.service import record_event, snapshot
from app.models import (
    ProgressUpdate,
    RetractionConfirmation,
    RetractionStatus,
    RetractionUndo,
    UpdateRetraction,
    User,
    retraction_in_effect,
    utcnow,
)
from app.progress.service import RETRACTION_DETAILS, RETRACTIONS, UPDATE_FIELDS
from app.status_feed import StatusWatch

# The update a retraction concerns, with its indicator and candidate.
WITH_UPDATE = selectinload(UpdateRetraction.update).options(
    selectinload(ProgressUpdate.indicator), selectinload(ProgressUpdate.candidate))


def _lock_update(session: Session, update_id: int) -> ProgressUpdate:
    """The update, its row locked until commit (PostgreSQL; SQLite's write session holds the
    database lock already), with its retractions as they are now. FOR NO KEY UPDATE: it waits
    for another retraction step on the update, not for inserts that merely refer to it."""
    update = session.scalar(
        select(ProgressUpdate).where(ProgressUpdate.id == update_id)
        .with_for_update(of=ProgressUpdate, key_share=True)
        .options(selectinload(ProgressUpdate.indicator), RETRACTIONS)
        .execution_options(populate_existing=True)
    )
    if update is None:
        raise NotFound("progress update", update_id)
    return update


def _open_retraction(update: ProgressUpdate) -> UpdateRetraction | None:
    return next((r for r in update.retractions if r.status != RetractionStatus.undone), None)


def _locked_retraction(session: Session, retraction_id: int) -> UpdateRetraction:
    update_id = session.scalar(
        select(UpdateRetraction.update_id).where(UpdateRetraction.id == retraction_id))
    if update_id is None:
        raise NotFound("retraction", retraction_id)
    update = _lock_update(session, update_id)
    return next(r for r in update.retractions if r.id == retraction_id)


def retract_progress_update(
    session: Session, update_id: int, reason: str, *, author: User
) -> UpdateRetraction:
    """Hides a wrong value from evaluations and pages; the update itself stays stored. The
    update's own author's retraction takes effect at once; anyone else's waits, pending, for
    a second person's confirmation (confirm_retraction)."""
    update = _lock_update(session, update_id)
    open_retraction = _open_retraction(update)
    if open_retraction is not None and open_retraction.status == RetractionStatus.pending:
        raise Conflict(
            f"Update {update_id} already has a retraction awaiting confirmation "
            f"(retraction {open_retraction.id}): confirm it with "
            f"POST /api/v1/retractions/{open_retraction.id}/confirm.",
            retraction_id=open_retraction.id)
    if open_retraction is not None:
        raise Conflict(f"Update {update_id} was already retracted on "
                       f"{open_retraction.effective_at.date().isoformat()}.",  # type: ignore[union-attr]
                       retraction_id=open_retraction.id)
    own = update.author_id is not None and update.author_id == author.id
    statuses = StatusWatch()
    if own:  # it takes effect at once: the statuses on its series may move
        statuses.watch(session, [(update.candidate_id, update.indicator_id)])
    retraction = UpdateRetraction(update_id=update.id, reason=reason, author_id=author.id,
                                  retracted_at=utcnow(), needs_confirmation=not own)
    session.add(retraction)
    session.flush()
    candidate_id = update.candidate_id
    if own:
        record_event(
            session, kind="progress_update.retracted", entity="progress_update",
            entity_id=update.id, actor=author, candidate_id=candidate_id,
            before=snapshot(update, UPDATE_FIELDS),
            after={"retracted": True, "reason": reason, "retraction_id": retraction.id},
        )
        statuses.record(session, actor_id=author.id, cause=_cause(retraction))
    else:
        record_event(
            session, kind="progress_update.retraction_requested", entity="progress_update",
            entity_id=update.id, actor=author, candidate_id=candidate_id,
            after={"retracted": False, "pending": True, "reason": reason,
                   "retraction_id": retraction.id},
        )
    session.commit()
    return get_retraction(session, retraction.id)


def confirm_retraction(
    session: Session, retraction_id: int, *, confirmer: User
) -> UpdateRetraction:
    """A second person's confirmation of a pending retraction: the value is hidden from now
    on. Whoever asked for it may not confirm it."""
    retraction = _locked_retraction(session, retraction_id)
    if retraction.status != RetractionStatus.pending:
        raise Conflict(f"Retraction {retraction_id} is not awaiting confirmation: it is "
                       f"{retraction.status.value}.")
    if retraction.author_id == confirmer.id:
        raise Forbidden(f"You asked for retraction {retraction_id}: a second analyst must "
                        "confirm it (four-eyes).")
    statuses = _watch(session, retraction)
    session.add(RetractionConfirmation(retraction_id=retraction.id, user_id=confirmer.id,
                                       confirmed_at=utcnow()))
    session.flush()
    update = retraction.update
    record_event(
        session, kind="progress_update.retracted", entity="progress_update",
        entity_id=update.id, actor=confirmer,
        candidate_id=update.candidate_id,
        before=snapshot(update, UPDATE_FIELDS),
        after={"retracted": True, "reason": retraction.reason, "retraction_id": retraction.id},
    )
    statuses.record(session, actor_id=confirmer.id, cause=_cause(retraction))
    session.commit()
    return get_retraction(session, retraction.id)


def undo_retraction(
    session: Session, retraction_id: int, reason: str, *, admin: User
) -> UpdateRetraction:
    """An admin's undoing of a retraction: the value counts again from now (a pending one is
    dismissed). The retraction stays in the history, marked undone with the reason."""
    retraction = _locked_retraction(session, retraction_id)
    if retraction.status == RetractionStatus.undone:
        raise Conflict(f"Retraction {retraction_id} was already undone on "
                       f"{retraction.undo.undone_at.date().isoformat()}.")  # type: ignore[union-attr]
    was = retraction.status
    statuses = _watch(session, retraction)
    session.add(RetractionUndo(retraction_id=retraction.id, user_id=admin.id, reason=reason,
                               undone_at=utcnow()))
    session.flush()
    update = retraction.update
    record_event(
        session, kind="progress_update.retraction_undone", entity="progress_update",
        entity_id=update.id, actor=admin, candidate_id=update.candidate_id,
        before={"retracted": was == RetractionStatus.retracted, "status": was.value,
                "retraction_id": retraction.id},
        after={"retracted": False, "reason": reason, "retraction_id": retraction.id},
    )
    statuses.record(session, actor_id=admin.id, cause=_cause(retraction))
    session.commit()
    return get_retraction(session, retraction.id)


def _watch(session: Session, retraction: UpdateRetraction) -> StatusWatch:
    """The statuses on the retracted update's series, read before the retraction changes."""
    statuses = StatusWatch()
    statuses.watch(session, [(retraction.update.candidate_id, retraction.update.indicator_id)])
    return statuses


def _cause(retraction: UpdateRetraction) -> dict[str, Any]:
    return {"kind": "retraction", "retraction_id": retraction.id,
            "update_id": retraction.update_id}


def get_retraction(session: Session, retraction_id: int) -> UpdateRetraction:
    retraction = session.scalar(
        select(UpdateRetraction).where(UpdateRetraction.id == retraction_id)
        .options(*RETRACTION_DETAILS, WITH_UPDATE)
        .execution_options(populate_existing=True)
    )
    if retraction is None:
        raise NotFound("retraction", retraction_id)
    return retraction


def _with_status(status: RetractionStatus) -> ColumnElement[bool]:
    confirmed = exists().where(RetractionConfirmation.retraction_id == UpdateRetraction.id)
    undone = exists().where(RetractionUndo.retraction_id == UpdateRetraction.id)
    if status == RetractionStatus.undone:
        return undone
    if status == RetractionStatus.retracted:
        return retraction_in_effect()
    return and_(UpdateRetraction.needs_confirmation.is_(True), not_(confirmed), not_(undone))


def list_retractions(
    session: Session, *, status: RetractionStatus | None = None, update_id: int | None = None,
    limit: int | None = None, offset: int = 0,
) -> tuple[list[UpdateRetraction], int]:
    """Retractions, oldest first (pending ones wait longest at the top)."""
    query = select(UpdateRetraction)
    if status is not None:
        query = query.where(_with_status(status))
    if update_id is not None:
        query = query.where(UpdateRetraction.update_id == update_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = (query.options(*RETRACTION_DETAILS, WITH_UPDATE).order_by(UpdateRetraction.id)
            .offset(offset).limit(limit))
    return list(session.scalars(page)), total
