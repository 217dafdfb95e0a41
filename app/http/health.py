"""`/health`: is the service up, and can it reach its database."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db import SessionDep

router = APIRouter(tags=["health"])


HEALTH_SCHEMA = {"type": "object", "required": ["status", "database"], "properties": {
    "status": {"type": "string", "enum": ["ok", "unavailable"]},
    "database": {"type": "string", "enum": ["ok", "unreachable"]}}}


@router.get("/health", responses={
    200: {"description": "Up, and the database answers.",
          "content": {"application/json": {"schema": HEALTH_SCHEMA}}},
    503: {"description": "The database does not answer (not a problem+json body: a monitor "
                         "reads `status`).",
          "content": {"application/json": {"schema": HEALTH_SCHEMA}}}})
def health(session: SessionDep) -> JSONResponse:
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503,
                            headers={"Retry-After": "5"})
    return JSONResponse({"status": "ok", "database": "ok"})
