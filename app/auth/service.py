"""Users and their bearer API tokens. A token is 32 random bytes shown once; only its SHA-256
hash is stored (a random token needs no slow hash), and its first 8 characters as a prefix
people can name it by."""

import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.errors import Conflict, NotFound, Unauthorized
from app.events.service import plain, record_event
from app.models import ApiToken, Role, User, utcnow

PREFIX_LENGTH = 8
# The roles that may post progress, reports and ratification steps.
ANALYST_ROLES = (Role.analyst, Role.admin)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # the secret, shown once
    record: ApiToken


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, name: str, role: Role) -> User:
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise Conflict(f"A user named {name!r} already exists.")
    user = User(name=name, role=role)
    session.add(user)
    session.flush()
    record_event(session, kind="user.created", entity="user", entity_id=user.id, actor=None,
                 after={"name": name, "role": str(role)}, is_public=False)
    session.commit()
    return user


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound("user", name)
    return user


def issue_token(
    session: Session, user: User, *, expires_in: timedelta | None = None
) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id,
        prefix=token[:PREFIX_LENGTH],
        token_hash=hash_token(token),
        expires_at=utcnow() + expires_in if expires_in else None,
    )
    session.add(record)
    session.flush()
    # The event names the token by id and prefix; the secret itself is never logged.
    record_event(session, kind="token.created", entity="api_token", entity_id=record.id,
                 actor=user, after={"prefix": record.prefix, "user": user.name,
                                    "expires_at": plain(record.expires_at)}, is_public=False)
    session.commit()
    return IssuedToken(token, record)


def verify_token(session: Session, token: str) -> User:
    """The active user holding this unexpired, unrevoked token; Unauthorized otherwise."""
    found = verify_digests(session, [hash_token(token)])
    outcome = next(iter(found.values()))
    if isinstance(outcome, Unauthorized):
        raise outcome
    return outcome


@dataclass(frozen=True)
class TokenState:
    """What decides whether a token is accepted, as stored."""

    revoked: bool
    expires_at: datetime | None
    user_is_active: bool


def token_refusal(state: TokenState | None, now: datetime) -> Unauthorized | None:
    """Why a token in this state (None: no such token) is refused at `now`; None if it
    is accepted."""
    if state is None:
        return Unauthorized("The API token is not valid.")
    if state.revoked:
        return Unauthorized("The API token has been revoked.")
    if state.expires_at is not None and state.expires_at <= now:
        return Unauthorized("The API token has expired.")
    if not state.user_is_active:
        return Unauthorized("The token's user is deactivated.")
    return None


def verify_digests(session: Session, digests: Collection[str]) -> dict[str, User | Unauthorized]:
    """For each token hash: its active user if the token is unexpired and unrevoked, otherwise
    why not. One query however many."""
    records = {
        record.token_hash: record
        for record in session.scalars(
            select(ApiToken).where(ApiToken.token_hash.in_(set(digests)))
            .options(joinedload(ApiToken.user))
        )
    }
    now = utcnow()
    found: dict[str, User | Unauthorized] = {}
    for digest in digests:
        record = records.get(digest)
        # The lookup is by hash; comparing the digests again in constant time costs nothing.
        if record is None or not hmac.compare_digest(record.token_hash, digest):
            found[digest] = Unauthorized("The API token is not valid.")
            continue
        state = TokenState(record.revoked_at is not None, record.expires_at,
                           record.user.is_active)
        found[digest] = token_refusal(state, now) or record.user
    return found


def token_states(session: Session, digests: Collection[str]) -> dict[str, TokenState]:
    """The stored state of each token hash found, as plain values (a write checks again,
    inside its transaction, the tokens its requests were accepted with)."""
    rows = session.execute(
        select(ApiToken.token_hash, ApiToken.revoked_at, ApiToken.expires_at, User.is_active)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash.in_(set(digests))))
    return {digest: TokenState(revoked_at is not None, expires_at, is_active)
            for digest, revoked_at, expires_at, is_active in rows}


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(
        select(ApiToken).options(selectinload(ApiToken.user)).order_by(ApiToken.id)
    ))


def revoke_token(session: Session, id_or_prefix: str, *, at: datetime | None = None) -> ApiToken:
    """Revokes by numeric id or by prefix; a prefix that names several tokens is refused."""
    condition = ApiToken.prefix == id_or_prefix
    if id_or_prefix.isdigit():
        condition = or_(condition, ApiToken.id == int(id_or_prefix))
    matches = session.scalars(select(ApiToken).where(condition)).all()
    if not matches:
        raise NotFound("token", id_or_prefix)
    if len(matches) > 1:
        raise Conflict(f"{id_or_prefix!r} names {len(matches)} tokens; use the id.")
    record = matches[0]
    if record.revoked_at is None:
        record.revoked_at = at or utcnow()
        record_event(session, kind="token.revoked", entity="api_token", entity_id=record.id,
                     actor=None, before={"revoked_at": None},
                     after={"prefix": record.prefix, "revoked_at": plain(record.revoked_at)},
                     is_public=False)
        session.commit()
    return record
