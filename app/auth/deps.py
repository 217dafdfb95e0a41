"""Who is asking: bearer token → user, and the role a route needs. Anonymous readers have no
auth parameter at all. What the process remembers of who asked (rate-limit windows, tokens
accepted lately) is the app's AuthState, handed over by a dependency."""

import contextlib
import ipaddress
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.auth.service import ANALYST_ROLES, hash_token, verify_token
from app.config import Settings
from app.db import SessionDep
from app.errors import Forbidden, Unauthorized
from app.http.ratelimit import SlidingWindow, TooManyRequests
from app.models import Role, User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # requests that do not count as writes


class RecentTokens:
    """Token hashes that verify_token accepted in the last `ttl` seconds, with their users
    (least recently used dropped past `size`). Only for progress updates, and never trusted
    for the write: the update writer verifies each token again inside the write transaction,
    so a token revoked a moment ago stores nothing. What it saves is the check before the
    body: a worker thread, a connection and a query per post. Used on the event loop only."""

    def __init__(self, ttl: float = 60.0, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._users: OrderedDict[str, tuple[float, User]] = OrderedDict()

    def get(self, digest: str) -> User | None:
        entry = self._users.get(digest)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        self._users.move_to_end(digest)
        return entry[1]

    def put(self, digest: str, user: User) -> None:
        self._users[digest] = (time.monotonic(), user)
        self._users.move_to_end(digest)
        while len(self._users) > self.size:
            self._users.popitem(last=False)

    def forget(self, digest: str) -> None:
        self._users.pop(digest, None)

    def reset(self) -> None:
        self._users.clear()


class AuthState:
    """What this process remembers of who asked: the rate-limit windows (failed
    authentications and uncached full evaluations per address, writes per token) and the
    tokens accepted lately. One per app, made by create_app (app.main)."""

    def __init__(self, settings: Settings) -> None:
        self.auth_failures = SlidingWindow(settings.auth_failures_per_minute)
        self.writes = SlidingWindow(settings.writes_per_minute)
        self.full_evaluations = SlidingWindow(settings.full_evaluations_per_minute)
        self.recent_tokens = RecentTokens()

    def token_refused(self, digest: str, client: str) -> None:
        """A token accepted before turned out revoked (or expired) when it was checked again:
        it is forgotten, and the refusal counts against the client's address."""
        self.recent_tokens.forget(digest)
        self.auth_failures.hit(client)


def auth_state_of(request: Request) -> AuthState:
    state: AuthState = request.app.state.auth
    return state


async def get_auth_state(request: Request) -> AuthState:
    """A dependency that does no I/O is async: FastAPI runs a plain one in a worker thread,
    a hop that costs more than the call (and waits for the GIL when the event loop is busy)."""
    return auth_state_of(request)


AuthStateDep = Annotated[AuthState, Depends(get_auth_state)]


def allow_full_evaluation(request: Request) -> None:
    """Counts an answer that evaluates every candidate (seconds of work with a thousand of them)
    against the client's address: one script varying a query string cannot keep the workers
    busy. Only computed answers count: the response cache answers repeats before this runs.
    A dependency (FullEvaluation), or called by a page that evaluates everyone only for some
    of its queries."""
    wait = auth_state_of(request).full_evaluations.hit(client_address(request))
    if wait is not None:
        raise TooManyRequests("Too many uncached answers that evaluate every candidate from "
                              "this address; slow down.", wait)


FullEvaluation = Annotated[None, Depends(allow_full_evaluation)]


def client_address(request: Request) -> str:
    """Whom the per-address limits count: the client's IPv4 address, or its IPv6 /64 (one
    subscriber usually holds a whole /64, so counting single addresses would count nothing)."""
    host = request.client.host if request.client else "unknown"
    if ":" in host:
        with contextlib.suppress(ValueError):
            return str(ipaddress.ip_network(f"{host}/64", strict=False))
    return host

bearer = HTTPBearer(auto_error=False, description="An API token from `accession tokens create`.")


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> HTTPAuthorizationCredentials:
    """The check that needs no database, on the event loop: a request without a token is
    401."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("This needs an API token: send `Authorization: Bearer <token>`.")
    return credentials


def user_for_token(
    request: Request, session: Session, credentials: HTTPAuthorizationCredentials,
    state: AuthState,
) -> User:
    """The token's user. A valid token is always served, whatever its address did before: a
    failed attempt counts against the client address, and past the limit it is answered 429
    instead of 401 (guessing stays hopeless because tokens are 32 random bytes, not because
    of the limit). Writes are counted per token."""
    try:
        user = verify_token(session, credentials.credentials)
    except Unauthorized:
        wait = state.auth_failures.hit(client_address(request))
        if wait is not None:
            raise TooManyRequests("Too many failed authentications from this address.",
                                  wait) from None
        raise
    count_write(request, credentials, user, state)
    return user


def count_write(request: Request, credentials: HTTPAuthorizationCredentials, user: User,
                state: AuthState) -> None:
    if request.method not in SAFE_METHODS:
        wait = state.writes.hit(credentials.credentials[:8] + str(user.id))
        if wait is not None:
            raise TooManyRequests("Too many writes with this token; slow down.", wait)


BearerToken = Annotated[HTTPAuthorizationCredentials, Depends(bearer_token)]


def current_user(request: Request, session: SessionDep, credentials: BearerToken,
                 state: AuthStateDep) -> User:
    return user_for_token(request, session, credentials, state)


async def optional_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    state: AuthStateDep,
) -> User | None:
    """Anonymous readers get None (with no database work and no worker thread); a token that
    is sent must still be valid."""
    if credentials is None:
        return None
    checked = await bearer_token(credentials)
    return await run_in_threadpool(user_for_token, request, session, checked, state)


# The role checks do no I/O: async, so they run on the event loop, not in a worker thread.
async def current_analyst(user: Annotated[User, Depends(current_user)]) -> User:
    """Analysts and admins may post progress, reports and ratification steps."""
    if user.role not in ANALYST_ROLES:
        raise Forbidden(f"The role {user.role!r} may not do this.")
    return user


async def current_admin(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role != Role.admin:
        raise Forbidden("Only an admin may do this.")
    return user


async def token_digest(credentials: BearerToken) -> str:
    return hash_token(credentials.credentials)


TokenDigest = Annotated[str, Depends(token_digest)]  # computed once per request


async def analyst_for_write(
    request: Request, session: SessionDep, credentials: BearerToken, digest: TokenDigest,
    state: AuthStateDep,
) -> AsyncIterator[User]:
    """current_analyst for progress updates, which the update writer stores in a session of
    its own after verifying the token again. A token accepted lately (RecentTokens) is not
    looked up before the body; any other is, in a worker thread that also ends the request's
    read transaction, so closing the request's session needs no thread. If the writer finds
    the token revoked since (Unauthorized from the route), the token is refused here too
    (AuthState.token_refused)."""
    user = state.recent_tokens.get(digest)
    if user is None:
        def verify() -> User:
            verified = user_for_token(request, session, credentials, state)
            session.commit()
            return verified
        user = await run_in_threadpool(verify)
        state.recent_tokens.put(digest, user)
    else:
        count_write(request, credentials, user, state)
    if user.role not in ANALYST_ROLES:
        raise Forbidden(f"The role {user.role!r} may not do this.")
    try:
        yield user
    except Unauthorized:  # revoked (or expired) since it was last accepted
        state.token_refused(digest, client_address(request))
        raise


# For the routes that take OptionalUser: OpenAPI's way to say "a token, or none" (the empty
# requirement); FastAPI would otherwise list the bearer scheme as required.
OPTIONAL_AUTH = {"security": [{}, {"HTTPBearer": []}]}

CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentAnalyst = Annotated[User, Depends(current_analyst)]
CurrentAdmin = Annotated[User, Depends(current_admin)]
AnalystForWrite = Annotated[User, Depends(analyst_for_write)]
