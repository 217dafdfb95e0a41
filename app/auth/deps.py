"""Who is asking: bearer token → user, and the role a route needs. Anonymous readers have no
auth parameter at all."""

from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.auth.service import verify_token
from app.config import get_settings
from app.db import SAFE_METHODS, SessionDep
from app.errors import Forbidden, Unauthorized
from app.models import Role, User
from app.ratelimit import SlidingWindow, TooManyRequests


@lru_cache
def auth_failures() -> SlidingWindow:
    return SlidingWindow(get_settings().auth_failures_per_minute)


@lru_cache
def writes() -> SlidingWindow:
    return SlidingWindow(get_settings().writes_per_minute)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"

bearer = HTTPBearer(auto_error=False, description="An API token from `accession tokens create`.")


async def bearer_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> HTTPAuthorizationCredentials:
    """The checks that need no database, on the event loop: a client past its limit of failed
    attempts is refused with 429 (guessing tokens is slow), a request without a token 401."""
    wait = auth_failures().retry_after(client_address(request))
    if wait is not None:
        raise TooManyRequests("Too many failed authentications from this address.", wait)
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("This needs an API token: send `Authorization: Bearer <token>`.")
    return credentials


def user_for_token(
    request: Request, session: Session, credentials: HTTPAuthorizationCredentials
) -> User:
    """The token's user. A failed attempt is counted against the client address; writes are
    counted per token."""
    try:
        user = verify_token(session, credentials.credentials)
    except Unauthorized:
        auth_failures().hit(client_address(request))
        raise
    if request.method not in SAFE_METHODS:
        wait = writes().hit(credentials.credentials[:8] + str(user.id))
        if wait is not None:
            raise TooManyRequests("Too many writes with this token; slow down.", wait)
    return user


BearerToken = Annotated[HTTPAuthorizationCredentials, Depends(bearer_token)]


def current_user(request: Request, session: SessionDep, credentials: BearerToken) -> User:
    return user_for_token(request, session, credentials)


async def optional_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User | None:
    """Anonymous readers get None (with no database work and no worker thread); a token that
    is sent must still be valid."""
    if credentials is None:
        return None
    checked = await bearer_token(request, credentials)
    return await run_in_threadpool(user_for_token, request, session, checked)


# The role checks do no I/O: async, so they run on the event loop, not in a worker thread.
async def current_analyst(user: Annotated[User, Depends(current_user)]) -> User:
    """Analysts and admins may post progress, reports and ratification steps."""
    if user.role not in (Role.analyst, Role.admin):
        raise Forbidden(f"The role {user.role!r} may not do this.")
    return user


async def current_admin(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role != Role.admin:
        raise Forbidden("Only an admin may do this.")
    return user


def analyst_for_write(request: Request, session: SessionDep, credentials: BearerToken) -> User:
    """current_analyst for a route that writes in a session of its own (progress updates go
    through the update writer): the request's read transaction ends here, in this worker
    thread, so closing the request's session later needs none."""
    user = user_for_token(request, session, credentials)
    session.commit()
    if user.role not in (Role.analyst, Role.admin):
        raise Forbidden(f"The role {user.role!r} may not do this.")
    return user


# For the routes that take OptionalUser: OpenAPI's way to say "a token, or none" (the empty
# requirement); FastAPI would otherwise list the bearer scheme as required.
OPTIONAL_AUTH = {"security": [{}, {"HTTPBearer": []}]}

CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentAnalyst = Annotated[User, Depends(current_analyst)]
CurrentAdmin = Annotated[User, Depends(current_admin)]
AnalystForWrite = Annotated[User, Depends(analyst_for_write)]
