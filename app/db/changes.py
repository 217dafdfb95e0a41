"""The one "changes committed" hook: whoever must know that this process committed a change
(the response cache, so a reader here sees a write made here at once, without waiting for the
change feed's poll) subscribes here.

A flush that adds, changes or deletes ORM objects marks its session; a write made with a Core
statement, which the flush does not see, marks it with note_changes(). A commit of a marked
session calls every subscriber; a rollback forgets the mark."""

import weakref
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session

_CHANGED = "changed"  # in session.info while its transaction holds uncommitted changes


class CommitSubscriber(Protocol):
    def changes_committed(self) -> None: ...


# Weak: a subscriber lives as long as what made it (an app, its cache), not as long as the
# process; tests make many apps.
_subscribers: "weakref.WeakSet[CommitSubscriber]" = weakref.WeakSet()


def subscribe(subscriber: CommitSubscriber) -> None:
    """Calls `subscriber.changes_committed()` after each commit that changed something, in the
    committing thread."""
    _subscribers.add(subscriber)


def note_changes(session: Session) -> None:
    """For writes made with Core statements, which the ORM's flush does not see: the
    session's next commit still counts as a change."""
    session.info[_CHANGED] = True


@event.listens_for(Session, "after_flush")
def _note_flushed_changes(session: Session, _context) -> None:  # type: ignore[no-untyped-def]
    if session.new or session.dirty or session.deleted:
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _changes_committed(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        for subscriber in list(_subscribers):
            subscriber.changes_committed()


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)
