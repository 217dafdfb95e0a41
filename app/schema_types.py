"""Input types for request bodies that refuse what JSON should not mean: Pydantic's lax mode
would read `true` as 1, `"5"` as 5 and `0` as 1970-01-01. Field(...) comes before the
validator in each Annotated, so the OpenAPI schema keeps `minimum`/`maximum`."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field
from pydantic_core import PydanticCustomError

MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; larger ones cannot exist
# No date this tracker records or is asked about comes before this one (accession benchmarks,
# ratifications, reviews); dates near year 1 also overflow the quarter and trend arithmetic.
EARLIEST_DATE = date(1900, 1, 1)


def _number_only(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("not_a_number", "not a number: send a JSON number")
    return value


def _integer_only(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise PydanticCustomError("not_a_whole_number", "not a whole number: send a JSON "
                                 "number without a fraction")
    return value


def _boolean_only(value: Any) -> Any:
    if not isinstance(value, bool):
        raise PydanticCustomError("not_a_boolean", "must be true or false")
    return value


def _text_date_only(value: Any) -> Any:
    if not isinstance(value, str | date):
        raise PydanticCustomError("invalid_date", "not a date: use YYYY-MM-DD")
    return value


def _text_datetime_only(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise PydanticCustomError("invalid_datetime", "not a date and time: use ISO 8601 with "
                                 "its time zone, e.g. 2026-07-01T09:00:00Z")
    return value


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here, on every database, rather than fail at
    # PostgreSQL's door, so the same request gets the same answer whichever is behind it.
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "may not contain NUL characters")
    return value


def _not_before_earliest(value: date) -> date:
    if value < EARLIEST_DATE:
        raise PydanticCustomError("out_of_range", "must not be before {earliest}",
                                 {"earliest": EARLIEST_DATE.isoformat()})
    return value


NoNul = AfterValidator(_no_nul)  # for every text field that is stored
InputDate = Annotated[date, BeforeValidator(_text_date_only), AfterValidator(_not_before_earliest)]
InputDateTime = Annotated[AwareDatetime, BeforeValidator(_text_datetime_only)]
InputBool = Annotated[bool, BeforeValidator(_boolean_only)]
InputFloat = Annotated[float, Field(allow_inf_nan=False), BeforeValidator(_number_only)]
Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_integer_only)]


def bounded_int(ge: int, le: int) -> Any:
    return Annotated[int, Field(ge=ge, le=le), BeforeValidator(_integer_only)]


def bounded_float(**limits: float) -> Any:
    return Annotated[float, Field(allow_inf_nan=False, **limits), BeforeValidator(_number_only)]
