"""Idempotency-Keys: what a key is bound to, the answer stored under it, and the bulk purge of
expired keys. Used by the update writer (app.progress.ingest) and file imports."""

import hashlib
import json
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.errors import InvalidInput, field_error
from app.models import IdempotencyKey, User
from app.progress.schemas import ProgressUpdateCreate, ProgressUpdateRead, update_read
from app.progress.service import get_progress_updates


def request_hash(slug: str, items: Sequence[ProgressUpdateCreate], is_batch: bool) -> str:
    """What an Idempotency-Key is bound to: the method, the path (so the candidate) and the
    body as parsed (a single update and a batch of one are different bodies)."""
    dumped = [i.model_dump(mode="json") for i in items]
    body = {"updates": dumped} if is_batch else dumped[0]
    canonical = json.dumps(["POST", f"/api/v1/candidates/{slug}/updates", body],
                           sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def purge_expired_keys(
    session: Session, expired_before: datetime, throttle: "ExpiredKeys | None" = None
) -> None:
    """Forgets the Idempotency-Keys made before `expired_before`, in bulk: they are a cache of
    answers, not history. With a `throttle` (the app's), at most once per its period."""
    if throttle is not None and not throttle.due():
        return
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < expired_before))


class ExpiredKeys:
    """When a server process last purged expired keys: at most once per `every` seconds, so
    the table holds about one lifetime's keys without a DELETE per keyed write. One per app
    (the update writer holds it); a command line run purges unthrottled."""

    def __init__(self, every: float = 3600.0) -> None:
        self.every = every
        self.purged_at: float | None = None

    def due(self) -> bool:
        """Whether a purge is due now; if so, it counts as done."""
        now = time.monotonic()
        if self.purged_at is not None and now - self.purged_at < self.every:
            return False
        self.purged_at = now
        return True


def stored_answer(
    session: Session, user: User, key: str, request_hash: str, answer: str, *,
    expired_before: datetime,
) -> Any | None:
    """What was stored under `answer` for this key (the updates', the upload's), if it is the
    same request; None if the key is unknown or expired (an expired key's row is deleted: it is
    a cache of answers, not history). A key used for another request is refused."""
    stored = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user.id, IdempotencyKey.key == key)
    )
    if stored is None:
        return None
    if stored.created_at < expired_before:
        # A statement, not session.delete(): a concurrent request that deleted it first
        # leaves nothing to delete, which the ORM would call an error.
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == stored.id))
        session.expunge(stored)
        return None
    if stored.request_hash != request_hash or answer not in stored.response:
        raise InvalidInput(
            "This Idempotency-Key was used for a different request (another path, another "
            "body or file); nothing was stored. Use a new key for a new request.",
            [field_error(["header", "Idempotency-Key"],
                         "already used for a request with another method, path or body",
                         "idempotency_key_reused")],
        )
    return stored.response[answer]


def replay_updates(
    session: Session, user: User, key: str, request_hash: str, *, expired_before: datetime
) -> list[ProgressUpdateRead] | None:
    """The updates a request with this key stored, as they were answered; None if the key is
    new (or expired). A key used for another request is refused (stored_answer)."""
    update_ids = stored_answer(session, user, key, request_hash, "update_ids",
                               expired_before=expired_before)
    if update_ids is None:
        return None
    return [update_read(u) for u in get_progress_updates(session, update_ids)]
