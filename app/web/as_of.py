"""Pages as they stood on a past date (`?as_of=YYYY-MM-DD`): the date read by the status API's
rules, the quarterly reviews around it (the banner's links and the picker), and links that
keep the date, so a reader can walk a whole review."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import Depends, Query
from markupsafe import Markup
from pydantic import TypeAdapter, ValidationError

from app.candidates.deps import checked_as_of
from app.candidates.service import get_tracking_start
from app.db import SessionDep
from app.errors import InvalidInput, field_error
from app.evaluation import today
from app.schema_types import InputDate
from app.status import quarter_end_after, quarter_end_before

# The date of the page being rendered; None for today. Set around rendering only (render()),
# so templates and the macros they import add it to their links without passing it along.
viewed_as_of: ContextVar[date | None] = ContextVar("viewed_as_of", default=None)

INPUT_DATE = TypeAdapter(InputDate)


@dataclass(frozen=True)
class Review:
    """The date a page is viewed as of (None: today) and the quarterly reviews around it."""

    as_of: date | None
    previous: date | None  # the quarter end before `as_of`
    next: date | None  # the quarter end after `as_of`, when it is not after today
    dates: list[date]  # the picker's quarter ends, newest first
    today: date  # the latest date a reader may pick


def parse_as_of(raw: str | None) -> date | None:
    """`as_of` as GET /api/v1/candidates/{slug}/status reads it (a YYYY-MM-DD date, not before
    1900, not after today); empty means today, as a form's empty field sends it. A bad value
    is a 422 naming the field and why, on a page as in the API."""
    if not raw:
        return None
    try:
        parsed = INPUT_DATE.validate_python(raw)
    except ValidationError as error:
        why = error.errors()[0]["msg"].removeprefix("Value error, ")
        raise InvalidInput(f"as_of: {why} (a date written YYYY-MM-DD, e.g. 2025-06-30).",
                           [field_error(["query", "as_of"], why)]) from None
    return checked_as_of(parsed)


def review_dates(first: date | None, last: date) -> list[date]:
    """Every quarter end from the first one after `first` to `last`, newest first."""
    if first is None:
        return [last]
    dates = []
    day = quarter_end_after(first - timedelta(days=1))
    while day <= last:
        dates.append(day)
        day = quarter_end_after(day)
    return dates[::-1]


def review_of(session, as_of: date | None) -> Review:
    """The review context of a page: one small query, for when tracking began (the earliest
    status change of any candidate)."""
    now = today()
    began = get_tracking_start(session)
    dates = review_dates(began, quarter_end_before(now))
    if as_of is None:
        return Review(None, None, None, dates, now)
    following = quarter_end_after(as_of)
    return Review(as_of, quarter_end_before(as_of),
                  following if following <= now else None, dates, now)


def review_from_query(
    session: SessionDep,
    as_of: Annotated[str | None, Query(max_length=40)] = None,
) -> Review:
    return review_of(session, parse_as_of(as_of))


# A page's `?as_of=`: parsed as the status API parses it, with the reviews around it.
ReviewDep = Annotated[Review, Depends(review_from_query)]


def dated(url: str) -> str:
    """`url` keeping the date the page is viewed as of (unchanged when viewed today)."""
    as_of = viewed_as_of.get()
    if as_of is None:
        return url
    return f"{url}{'&' if '?' in url else '?'}as_of={as_of.isoformat()}"


def as_of_field() -> Markup:
    """A form's hidden field keeping the date the page is viewed as of (nothing today)."""
    as_of = viewed_as_of.get()
    if as_of is None:
        return Markup("")
    return Markup('<input type="hidden" name="as_of" value="{}">').format(as_of.isoformat())


@contextmanager
def viewing(as_of: date | None) -> Iterator[None]:
    token = viewed_as_of.set(as_of)
    try:
        yield
    finally:
        viewed_as_of.reset(token)
