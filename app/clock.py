"""The clock: the one place the app reads the time, and the UTC day boundary every "as known on
a date" view cuts at. Everything else takes the moment or the date as an argument (app.status
never reads the clock)."""

from datetime import UTC, date, datetime, time, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return datetime.now(UTC).date()


def end_of_day(day: date) -> datetime:
    """The first moment (UTC) after `day`: what was recorded before it was known on `day`."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
