"""Many rows inserted at once, the fastest way each backend offers.

SQLite: one prepared INSERT executed for each row by the sqlite3 module. SQLAlchemy's multi-row
`INSERT ... VALUES ... RETURNING` spent most of a 500-update batch building each row's
parameters in Python; one JSON document (json_each) took longer still, as SQLite parses a row's
JSON again for each column it extracts.

PostgreSQL: COPY, through psycopg's C row formatter, the ids drawn from the sequence first
when they are wanted. Measured on 500 progress updates, the statements' time: about 18 ms against
28 ms for the INSERT ... SELECT from one jsonb document used before (jsonb_array_elements, a
cast per column), itself faster than SQLAlchemy's multi-row VALUES (5,500 parameters
overflowed psycopg's query cache: the statement was parsed again for every batch) or one array
per column (`unnest`: psycopg escaped each string in Python). Fewer than COPY_FROM rows (a
small write's few) go as INSERTs sent together in psycopg's pipeline mode: one round trip,
where COPY takes two, three with the ids.
"""

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from sqlalchemy import JSON, Dialect, Table, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.db.base import json_text

COPY_FROM = 32  # PostgreSQL: from this many rows COPY, fewer _insert_pipelined


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]], *,
                returning_ids: bool = False) -> list[int]:
    """Inserts `rows` (dicts with the same keys) into `table`; with `returning_ids`, returns
    the new rows' ids in the order of `rows`."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and len(rows) >= COPY_FROM:
        return _copy_rows(session, table, rows, returning_ids)
    if dialect == "postgresql":
        return _insert_pipelined(session, table, rows, returning_ids)
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
    columns = [_column(rows, key, process) for key, process in prepared]  # zipped into rows
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


def _column(rows: Sequence[dict[str, Any]], key: str,
            process: Callable[[Any], Any] | None) -> list[Any]:
    """The rows' values of `key`, each through `process` (a column type's bind processor), by
    map, in C: a generator per row cost more than the inserts themselves."""
    values = [row[key] for row in rows]
    return values if process is None else list(map(_repeating(process), values))


def _repeating(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`process`, answering at once for the same object as last time: a batch's rows share
    their timestamp, author and most of their event, and formatting them costs the most."""
    last: list[Any] = [_NOTHING, None]

    def processed(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, process(value)
        return last[1]

    return processed


_NOTHING = object()


def _insert_pipelined(session: Session, table: Table, rows: Sequence[dict[str, Any]],
                      returning_ids: bool) -> list[int]:
    """One INSERT per row, all sent before any answer is read (psycopg's pipeline mode): one
    round trip, and no statement for SQLAlchemy to build (values processed as _processed
    says). A small write's few rows; COPY's extra round trips would cost it more."""
    keys = list(rows[0])
    dbapi_connection, columns = _processed(session, table, rows)
    names = ", ".join(f'"{key}"' for key in keys)
    statement = (f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join(["%s"] * len(keys))})'
                 + (" RETURNING id" if returning_ids else ""))
    ids: list[int] = []
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.executemany(statement, list(zip(*columns, strict=True)),
                               returning=returning_ids)
            if returning_ids:  # one result per row, in the rows' order
                ids.append(cursor.fetchone()[0])  # type: ignore[index]
                while cursor.nextset():
                    ids.append(cursor.fetchone()[0])  # type: ignore[index]
    except psycopg.Error as refused:
        raise DBAPIError.instance(statement, None, refused, psycopg.Error) from refused
    return ids


def _processed(session: Session, table: Table, rows: Sequence[dict[str, Any]]
               ) -> tuple[psycopg.Connection[Any], list[list[Any]]]:
    """The session's psycopg connection, and the rows' values by column, each through its
    column type's bind processor (a timestamp is refused if naive), except a JSON column's,
    which goes as its text (json_text, as the engine writes it), not in the psycopg Json
    wrapper SQLAlchemy's processor makes for its own statements."""
    connection = session.connection()
    dialect = connection.dialect
    columns = [_column(rows, key, json_text if isinstance(table.c[key].type, JSON)
                       else table.c[key].type.dialect_impl(dialect).bind_processor(dialect))
               for key in rows[0]]
    dbapi_connection = connection.connection.dbapi_connection
    assert isinstance(dbapi_connection, psycopg.Connection)
    return dbapi_connection, columns


def _copy_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]],
               returning_ids: bool) -> list[int]:
    """COPY, through psycopg (its C row formatter), in the session's transaction. The ids,
    when wanted, are drawn from the table's sequence first, in the rows' order, and sent with
    the rows (values processed as _processed says)."""
    keys = list(rows[0])
    dbapi_connection, columns = _processed(session, table, rows)
    ids: list[int] = []
    statement = ""
    try:
        with dbapi_connection.cursor() as cursor:
            if returning_ids:
                statement = ("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                             "FROM generate_series(1, %s)")
                cursor.execute(statement, (table.name, len(rows)))
                ids = [row[0] for row in cursor.fetchall()]
                keys, columns = ["id", *keys], [ids, *columns]
            names = ", ".join(f'"{key}"' for key in keys)
            statement = f'COPY "{table.name}" ({names}) FROM STDIN'
            with cursor.copy(statement) as copy:
                for row in zip(*columns, strict=True):
                    copy.write_row(row)
    except psycopg.Error as refused:
        # As SQLAlchemy raises it for its own statements: a unique index's refusal is an
        # IntegrityError, which the write path answers (app.progress.ingest).
        raise DBAPIError.instance(statement, None, refused, psycopg.Error) from refused
    return ids
