"""Many rows in one INSERT, the fastest way each backend offers.

SQLite: one prepared INSERT executed for each row by the sqlite3 module. SQLAlchemy's multi-row
`INSERT ... VALUES ... RETURNING` spent most of a 500-update batch building each row's
parameters in Python; one JSON document (json_each) took longer still, as SQLite parses a row's
JSON again for each column it extracts.

PostgreSQL: one JSON document, an array per row, written by pydantic-core's encoder
(json_text: a third of the json module's time for these rows, which was a fifth of a batch's)
and taken apart by jsonb_array_elements, so the statement has one parameter whatever the
number of rows and is parsed once. With SQLAlchemy's multi-row VALUES, 5,500 parameters for
500 updates overflowed psycopg's query cache and the statement was parsed again for every
batch (17 % of the batch load's py-spy samples); with one array per column (`unnest`),
psycopg wrote the arrays out in Python, escaping each quote of each string with a regular
expression (for the events' JSON, a fifth of the samples).
"""

from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Dialect, Table, Text, bindparam, cast, column, func, insert, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from app.db.base import json_text


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]], *,
                returning_ids: bool = False) -> list[int]:
    """Inserts `rows` (dicts with the same keys) into `table`; with `returning_ids`, returns
    the new rows' ids in the order of `rows`."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and len(rows) > 1:
        return _insert_document(session, table, rows, returning_ids)
    if dialect == "sqlite" and len(rows) > 1:
        return _insert_many_sqlite(session, table, rows, returning_ids)
    if not returning_ids:
        session.execute(insert(table), list(rows))
        return []
    return list(session.scalars(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), list(rows)).all())


def _insert_many_sqlite(session: Session, table: Table, rows: Sequence[dict[str, Any]],
                        returning_ids: bool) -> list[int]:
    """One prepared INSERT run for every row by the sqlite3 module (executemany, in C), each
    value passed through its column type's own bind processor first, so what is stored is what
    SQLAlchemy would store."""
    connection = session.connection()
    sql, prepared = _prepared_insert(table, tuple(rows[0]), connection.dialect)
    # Column by column, each through its processor with map (in C), then zipped into rows:
    # a generator per row cost more than the inserts themselves.
    columns = []
    for key, process in prepared:
        values = [row[key] for row in rows]
        columns.append(values if process is None else list(map(_repeating(process), values)))
    connection.exec_driver_sql(sql, list(zip(*columns, strict=True)))
    if not returning_ids:
        return []
    # The write lock is held, so no other writer comes between: each row got the next rowid
    # (one more than the largest), in the order of `rows`, the last one included.
    last = connection.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
    return list(range(last - len(rows) + 1, last + 1))


@lru_cache(maxsize=64)
def _prepared_insert(table: Table, keys: tuple[str, ...], dialect: Dialect
                     ) -> tuple[str, list[tuple[str, Callable[[Any], Any] | None]]]:
    """The INSERT's text with its parameters' order, and each parameter's bind processor."""
    statement = insert(table).compile(dialect=dialect, column_keys=list(keys))
    return statement.string, [(key, table.c[key].type.dialect_impl(dialect)
                                .bind_processor(dialect))
                               for key in statement.positiontup or []]


def _repeating(process: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """`process`, answering at once for the same object as last time: a batch's rows share
    their timestamp, author and most of their event, and formatting them costs the most."""
    if process is None:
        return None
    last: list[Any] = [_NOTHING, None]

    def processed(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return processed


_NOTHING = object()


def _insert_document(session: Session, table: Table, rows: Sequence[dict[str, Any]],
                     returning_ids: bool) -> list[int]:
    keys = list(rows[0])
    # One array per row, its values in the order of `keys`. A JSON column's value goes as its
    # text (cast back to json: out of jsonb it would come with its keys reordered); a
    # timestamp as ISO text, refused if naive (the check SQLAlchemy's type would make).
    columns = []
    for key in keys:
        values = [row[key] for row in rows]
        column_type = table.c[key].type
        if isinstance(column_type, JSON):
            values = list(map(json_text, values))
        elif _python_type(column_type) is datetime:
            values = list(map(_repeating(_timestamp), values))
        columns.append(values)
    document = json_text(list(zip(*columns, strict=True)))
    # jsonb, parsed once: each `->>` on a json (text) value would parse its row again.
    source = (func.jsonb_array_elements(cast(bindparam("rows", document, type_=Text), JSONB))
              .table_valued(column("row", JSONB), with_ordinality="position").render_derived())
    values = [cast(source.c.row[n].astext, table.c[key].type) for n, key in enumerate(keys)]
    # Ordered by position, the ids are drawn from the sequence in the rows' order (the form
    # SQLAlchemy itself uses for sort_by_parameter_order on PostgreSQL).
    statement = insert(table).from_select(keys, select(*values).order_by(source.c.position))
    if not returning_ids:
        session.execute(statement)
        return []
    return sorted(session.scalars(statement.returning(table.c.id)).all())


def _python_type(column_type: Any) -> type | None:
    try:
        return column_type.python_type  # type: ignore[no-any-return]
    except NotImplementedError:
        return None


def _timestamp(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must carry a timezone")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")
