"""The declarative Base every table derives from, with stable constraint names, the one
check every flush makes whatever the table (no NUL character in text), and how JSON columns are
written."""

from typing import Any

from pydantic_core import to_json
from sqlalchemy import MetaData, event, inspect
from sqlalchemy.orm import DeclarativeBase, Session

from app.errors import InvalidInput, field_error

# Stable constraint names, so migrations can name what they drop or alter.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def json_text(value: Any) -> str:
    """A JSON column's text, compact, by pydantic-core's encoder: a third of the json module's
    time on an event's record, and every stored update writes one. The engine writes JSON
    columns with it (app.db.session), and so does the bulk insert (app.db.bulk), so a value is
    stored as the same text whichever way it goes in. NaN stays NaN, which JSON refuses."""
    return to_json(value).decode()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@event.listens_for(Session, "before_flush")
def _refuse_nul_characters(session: Session, _context, _instances) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL cannot store a NUL character in text; SQLite can. Refused here, on both,
    so the same request gets the same answer whichever database is behind it."""
    for record in (*session.new, *session.dirty):
        state = inspect(record)
        for attribute in state.mapper.column_attrs:
            value = state.dict.get(attribute.key)
            if isinstance(value, str) and "\x00" in value:
                name = attribute.key
                raise InvalidInput(
                    f"{name} holds a NUL character, which cannot be stored; nothing was stored.",
                    [field_error(["body", name], "must not contain NUL characters",
                                 "nul_character")],
                )
