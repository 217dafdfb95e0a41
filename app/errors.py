"""Domain errors and the one place they become HTTP answers: RFC 9457 problem+json for the API,
an HTML page for the site."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

logger = logging.getLogger("app.errors")

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    status_code = HTTPStatus.BAD_REQUEST

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    status_code = HTTPStatus.NOT_FOUND

    def __init__(self, thing: str, value: object, detail: str | None = None) -> None:
        super().__init__(detail or f"No {thing} {value!r}.", thing=thing, value=str(value))


class Unauthorized(DomainError):
    """No credentials, or credentials that do not hold: 401 with a Bearer challenge."""

    status_code = HTTPStatus.UNAUTHORIZED


class PreconditionFailed(DomainError):
    status_code = HTTPStatus.PRECONDITION_FAILED


class PreconditionRequired(DomainError):
    status_code = HTTPStatus.PRECONDITION_REQUIRED


class Conflict(DomainError):
    status_code = HTTPStatus.CONFLICT


class Forbidden(DomainError):
    status_code = HTTPStatus.FORBIDDEN


class ContentTooLarge(DomainError):
    status_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, title="Content Too Large", **extra)


class UnsupportedMediaType(DomainError):
    status_code = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


def field_error(loc: list[Any], msg: str, type: str = "value_error") -> dict[str, Any]:
    """One entry of a 422's `errors`, shaped like FastAPI's own: where, which field, why, and
    a stable code for the rule broken (`type`)."""
    return {"loc": loc, "field": ".".join(str(p) for p in loc), "msg": msg, "type": type}


class InvalidInput(DomainError):
    """A business rule refused the input; `errors` names each field like FastAPI's 422."""

    status_code = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(self, detail: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(detail, errors=errors)


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def _readable_location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def allowed_methods(request: Request, named: str) -> str:
    """Starlette's 405 names the methods of the first route on the path (`named`); other
    routes may answer the same path with other methods (the API's are all in its schema)."""
    methods = {m.strip() for m in named.split(",") if m.strip()}
    for template, operations in request.app.openapi()["paths"].items():
        if compile_path(template)[0].match(request.url.path):
            methods |= {method.upper() for method in operations}
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI, html_error_page: Any) -> None:
    """`html_error_page(request, status, detail)` renders the site's error page."""

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if wants_html(request):
            response = html_error_page(request, int(exc.status_code), exc.detail)
        else:
            response = problem(int(exc.status_code), exc.detail, **exc.extra)
        if isinstance(exc, Unauthorized):
            response.headers["WWW-Authenticate"] = 'Bearer realm="accession-tracker"'
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(err["loc"]), "field": _readable_location(err["loc"]),
             "msg": err["msg"], "type": err["type"]}
            for err in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['msg']}" for e in errors) or "Invalid request."
        if wants_html(request):
            return html_error_page(request, 400, detail)
        return problem(422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if wants_html(request):
            response = html_error_page(request, exc.status_code, detail)
        else:
            response = problem(exc.status_code, detail)
        if exc.headers:
            response.headers.update(exc.headers)
        if exc.status_code == 405:
            response.headers["Allow"] = allowed_methods(request, response.headers.get("Allow", ""))
        return response

    @app.exception_handler(OperationalError)
    async def database_unavailable(request: Request, exc: OperationalError) -> Response:
        """Connection refused or lost, or the database too busy: worth retrying later."""
        logger.warning("database unavailable: %s", type(exc.orig).__name__)
        detail = "The database is unavailable; try again shortly."
        response = (html_error_page(request, 503, detail) if wants_html(request)
                    else problem(503, detail))
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(DataError)
    async def unstorable_value(request: Request, exc: DataError) -> Response:
        """The database refused a value the schemas let through (a NUL character, a number
        out of its column's range): the client's input, so a 422, and nothing was stored."""
        logger.info("database refused a value: %s", type(exc.orig).__name__)
        detail = "A value in this request cannot be stored (out of range or holding a NUL " \
                 "character); nothing was stored."
        if wants_html(request):
            return html_error_page(request, 400, detail)
        return problem(422, detail)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        # The trace goes to the log, never to the client.
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        detail = "An unexpected error occurred. It has been logged."
        if wants_html(request):
            return html_error_page(request, 500, detail)
        return problem(500, detail)
