"""Domain errors and the one place they become HTTP answers: RFC 9457 problem+json for the API,
an HTML page for the site."""

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
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
    return {"loc": loc, "field": client_path(loc), "msg": msg, "type": type}


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


def allowed_methods(request: Request, named: str) -> str:
    """Every method the path answers. Starlette's 405 names the methods of the first route on
    the path (`named`); other routes may answer the same path with other methods. HEAD is
    answered wherever GET is."""
    methods = {m.strip().upper() for m in named.split(",") if m.strip()}
    for route in iter_route_contexts(request.app.router.routes):
        if route.methods and route.path and compile_path(route.path)[0].match(request.url.path):
            methods |= route.methods
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def _not_allowed(method: str, allow: str) -> str:
    *others, last = allow.split(", ")
    listed = f"{', '.join(others)} or {last}" if others else last
    return f"{method} is not allowed here: use {listed}."


# Validation errors in the client's words: where (its own path), why (no regex, no internal
# names), and a stable `type` from ERROR_TYPES (docs/errors.md lists them).

ERROR_TYPES = {
    "missing": "a required field is absent or empty",
    "unknown_field": "a field the endpoint does not take",
    "invalid_date": "not a date: use YYYY-MM-DD",
    "invalid_datetime": "not a date and time: ISO 8601 with its time zone",
    "invalid_period": "not a report period: use YYYY-Qn (or YYYY-Hn, or YYYY)",
    "invalid_format": "text not in the field's format (a slug, a key, a country code)",
    "invalid_json": "the body is not JSON",
    "not_a_number": "not a number (or a numeric indicator given something else)",
    "not_a_whole_number": "not a whole number",
    "not_a_boolean": "not true or false",
    "not_text": "not a string",
    "not_an_object": "not a JSON object",
    "not_a_list": "not a JSON list",
    "wrong_kind": "none of the kinds the field takes",
    "not_one_of": "not one of the values listed",
    "too_long": "longer than allowed (text or list)",
    "too_short": "shorter than allowed (empty text, an empty list)",
    "out_of_range": "a number or date outside its bounds",
    "future_date": "a date after today",
    "nul_character": "text holding a NUL character",
    "value_error": "any other broken rule: read `msg`",
    # Business rules of progress updates (a single update, a batch, an upload's rows)
    "unknown_candidate": "no candidate with this slug (uploads; the API's path: 404)",
    "unknown_benchmark": "no benchmark with this key",
    "unknown_indicator": "no indicator with this key",
    "indicator_or_benchmark": "neither or both of `indicator` and `benchmark`",
    "unknown_stage": "a milestone's value that is not one of its stages",
    "wrong_supersedes": "`supersedes` names no observation of this indicator and candidate",
    "already_corrected": "`supersedes` names an update corrected already (a 409)",
    "idempotency_key_reused": "an Idempotency-Key sent before with another request",
    # Ratification steps and procedures (app/ratifications/pipeline.py)
    "step_not_in_procedure": "a ratification step the member state's procedure does not hold",
    "step_out_of_order": "a ratification step before an earlier one of its procedure is "
                         "recorded, or dated after a later one",
    "before_protocol": "a ratification step dated before the accession protocol was signed",
    "before_previous_step": "a ratification step dated before the member state's previous step",
    "empty_procedure": "a procedure without steps",
    "unknown_step": "a procedure's step that is not one of the steps listed",
    "duplicate_step": "a procedure's step named twice",
    "deposited_not_last": "a procedure that does not end with `deposited`",
    "protocol_not_first": "a procedure whose `protocol_signed` is not first",
    "mixed_chambers": "a procedure with one chamber and two at once",
    "one_chamber_of_two": "a procedure with one of two chambers only",
    # Uploads (POST /api/v1/imports): the file and its header
    "not_an_id": "a `supersedes` cell that is not a whole number",
    "unknown_column": "a header cell that names no column",
    "missing_column": "a required column absent from the header",
    "duplicate_column": "a column named twice in the header",
    "extra_cells": "a row with more cells than the header",
    "empty_file": "no header",
    "no_rows": "a header and no rows",
    "not_utf8": "a CSV file that is not UTF-8",
    "malformed_csv": "a CSV file that cannot be read",
    "not_xlsx": "not an XLSX workbook",
    "unreadable_workbook": "an XLSX workbook that cannot be read",
    "unsafe_xml": "an XLSX workbook whose XML declares what a workbook never needs",
    "workbook_too_large": "an XLSX part larger than the server unpacks",
    "import_timeout": "an upload that took longer than the server allows",
    "cancelled": "an upload whose client left before it was read",
}

_LOCATIONS = {"body", "query", "path", "header", "cookie"}
_UNION_TAGS = {"single", "batch"}  # ProgressUpdateBody's shapes, not the client's names
# Pydantic names a union member it tried in the location: "float", "function-after[...]".
_MEMBER_NAMES = {"float", "int", "str", "bool", "list", "dict", "date", "datetime",
                 "constrained-str", "constrained-int", "constrained-float", "is-instance"}


def _is_member(part: object) -> bool:
    return isinstance(part, str) and (part in _MEMBER_NAMES or "[" in part)


def client_path(loc: Sequence[Any]) -> str:
    """`["body", "batch", "updates", 3, "as_of"]` as the client wrote it: `updates[3].as_of`;
    `["query", "as_of"]`: `as_of`."""
    path = ""
    for n, part in enumerate(loc):
        if n == 0 and part in _LOCATIONS:
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        elif not _is_member(part) and not (n == 1 and loc[0] == "body" and part in _UNION_TAGS):
            path += f".{part}" if path else str(part)
    return path or (str(loc[0]) if loc else "body")


def public_loc(loc: Sequence[Any]) -> list[Any]:
    """FastAPI's `loc` without the union's tag and member names (`["body", "single",
    "as_of"]` is `["body", "as_of"]`, as a business rule's error names it)."""
    return [part for n, part in enumerate(loc) if not _is_member(part)
            and not (n == 1 and loc[0] == "body" and part in _UNION_TAGS)]


_PERIOD_PATTERN = r"^\d{4}(-Q[1-4]|-H[12])?$"
_PATTERN_WORDS = {
    _PERIOD_PATTERN: ("use YYYY-Qn, e.g. 2026-Q3 (or a half year, 2026-H1, or a year, 2026)",
                      "invalid_period"),
    r"^[a-z0-9]+(-[a-z0-9]+)*$": ("use lowercase letters and digits joined by single hyphens, "
                                  "e.g. north-macedonia", "invalid_format"),
    r"^[a-z0-9]+(_[a-z0-9]+)*$": ("use lowercase letters and digits joined by single "
                                  "underscores, e.g. defence_spending_gdp", "invalid_format"),
    r"^[A-Z]{3}$": ("use a three-letter ISO 3166 code in capitals, e.g. UKR", "invalid_format"),
}
_KIND_NOUNS = {"float_type": "a number", "float_parsing": "a number", "int_type": "a number",
               "int_parsing": "a number", "string_type": "text", "bool_type": "true or false",
               "list_type": "a list", "dict_type": "an object",
               "model_attributes_type": "an object"}


def _limit(ctx: dict[str, Any], *names: str) -> Any:
    return next((ctx[n] for n in names if n in ctx), None)


def in_words(err: dict[str, Any]) -> tuple[str, str]:
    """(msg, type) for one Pydantic error: the client's words and a code of ERROR_TYPES."""
    kind, ctx, msg = err.get("type", ""), err.get("ctx") or {}, err.get("msg", "")
    if kind == "missing":
        return "required", "missing"
    if kind == "extra_forbidden":
        return "not a field of this request", "unknown_field"
    if kind == "json_invalid":
        return f"not valid JSON ({ctx.get('error', 'unreadable')})", "invalid_json"
    if kind.startswith("date_") or kind in ("date_type",):
        if kind == "date_from_datetime_inexact":
            return "a date without a time: use YYYY-MM-DD", "invalid_date"
        return "not a date: use YYYY-MM-DD", "invalid_date"
    if kind.startswith(("datetime_", "timezone_")):
        return ("not a date and time: use ISO 8601 with its time zone, e.g. "
                "2026-07-01T09:00:00Z", "invalid_datetime")
    if kind == "string_pattern_mismatch":
        return _PATTERN_WORDS.get(str(ctx.get("pattern")),
                                  ("not in this field's format", "invalid_format"))
    if kind == "enum" or kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"use one of: {expected}", "not_one_of"
    if kind in ("string_too_long", "too_long", "bytes_too_long"):
        limit = _limit(ctx, "max_length")
        unit = "characters" if kind.startswith("string") else "items"
        return f"too long: at most {limit} {unit}", "too_long"
    if kind in ("string_too_short", "too_short"):
        limit = _limit(ctx, "min_length")
        if kind == "string_too_short" and limit == 1:
            return "may not be empty", "too_short"
        unit = "characters" if kind.startswith("string") else "items"
        unit = unit if limit != 1 else unit[:-1]
        return f"too short: at least {limit} {unit}", "too_short"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        word = {"greater_than": "above", "greater_than_equal": "at least",
                "less_than": "below", "less_than_equal": "at most"}[kind]
        return f"out of range: must be {word} {_limit(ctx, 'gt', 'ge', 'lt', 'le')}", \
            "out_of_range"
    if kind in ("finite_number",):
        return "must be a finite number", "not_a_number"
    if kind in ("float_type", "float_parsing", "int_type", "int_parsing"):
        return "not a number", "not_a_number"
    if kind in ("int_from_float",):
        return "not a whole number", "not_a_whole_number"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false", "not_a_boolean"
    if kind == "string_type":
        return "not text: send a string", "not_text"
    if kind in ("model_attributes_type", "dict_type", "model_type"):
        return "must be a JSON object", "not_an_object"
    if kind == "list_type":
        return "must be a JSON list", "not_a_list"
    if kind in ERROR_TYPES:  # our own validators (PydanticCustomError) name their rule
        return msg, kind
    return msg.removeprefix("Value error, "), "value_error"


def worded_errors(raw: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's errors as the API's `errors` items: loc (FastAPI's), field (the client's
    path), msg and type in words; a union's members that all failed are one item."""
    items: list[dict[str, Any]] = []
    members: dict[str, list[str]] = {}  # field -> what each member of its union wanted
    for err in raw:
        loc = list(err.get("loc", ()))
        if "field" in err:  # a business rule's (field_error), worded already
            items.append({**err, "loc": loc, "field": client_path(loc)})
            continue
        field = client_path(loc)
        if any(_is_member(part) for part in loc):
            noun = _KIND_NOUNS.get(err.get("type", ""))
            if field in members:
                if noun and noun not in members[field]:
                    members[field].append(noun)
                continue
            members[field] = [noun] if noun else []
        msg, kind = in_words(err)
        items.append({"loc": public_loc(loc), "field": field, "msg": msg, "type": kind})
    for item in items:
        nouns = members.get(item["field"], [])
        if len(nouns) > 1:
            item["msg"], item["type"] = f"must be {' or '.join(nouns)}", "wrong_kind"
    return items


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
        errors = worded_errors(exc.errors())
        detail = "; ".join(f"{e['field']}: {e['msg']}" for e in errors) or "Invalid request."
        if wants_html(request):
            return html_error_page(request, 400, detail)
        return problem(422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        allow = ""
        if exc.status_code == 405:
            allow = allowed_methods(request, (exc.headers or {}).get("Allow", ""))
            if allow:
                detail = _not_allowed(request.method, allow)
        if wants_html(request):
            response = html_error_page(request, exc.status_code, detail)
        else:
            response = problem(exc.status_code, detail)
        if exc.headers:
            response.headers.update(exc.headers)
        if allow:
            response.headers["Allow"] = allow
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
