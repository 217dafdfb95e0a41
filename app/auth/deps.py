"""Who is asking: bearer token → user, and the role a route needs. Anonymous readers have no
auth parameter at all."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.service import verify_token
from app.db import SessionDep
from app.errors import Forbidden, Unauthorized
from app.models import Role, User

bearer = HTTPBearer(auto_error=False, description="An API token from `accession tokens create`.")


def current_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("This needs an API token: send `Authorization: Bearer <token>`.")
    return verify_token(session, credentials.credentials)


def optional_user(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User | None:
    """Anonymous readers get None; a token that is sent must still be valid."""
    if credentials is None:
        return None
    return current_user(session, credentials)


def current_analyst(user: Annotated[User, Depends(current_user)]) -> User:
    """Analysts and admins may post progress, reports and ratification steps."""
    if user.role not in (Role.analyst, Role.admin):
        raise Forbidden(f"The role {user.role!r} may not do this.")
    return user


def current_admin(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role != Role.admin:
        raise Forbidden("Only an admin may do this.")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentAnalyst = Annotated[User, Depends(current_analyst)]
CurrentAdmin = Annotated[User, Depends(current_admin)]
