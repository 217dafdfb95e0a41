"""Many rows in one INSERT, the fastest way each backend offers.

On PostgreSQL, SQLAlchemy's multi-row `INSERT ... VALUES` for a batch of 500 updates is one
statement with 5,500 parameters, too long for psycopg's query cache: psycopg re-parsed it on
every batch (17 % of the batch load's samples in the benchmark's py-spy profile). One array per
column (`unnest`) fixed that, but psycopg writes arrays out in Python, escaping each quote of
each string with a regular expression: for the events' JSON, a fifth of a batch's time. So the
rows go as one JSON document, written by the json module's C encoder and taken apart by
PostgreSQL (`jsonb_array_elements`): one parameter, whatever the number of rows, parsed once.
"""

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Table, Text, bindparam, cast, column, func, insert, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]], *,
                returning_ids: bool = False) -> list[int]:
    """Inserts `rows` (dicts with the same keys) into `table`; with `returning_ids`, returns
    the new rows' ids in the order of `rows`."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and len(rows) > 1:
        return _insert_json(session, table, rows, returning_ids)
    if not returning_ids:
        session.execute(insert(table), list(rows))
        return []
    if dialect == "sqlite":
        # SQLite has no INSERT form that ties RETURNING rows to the values' order, so asked
        # for that order SQLAlchemy would send one INSERT per row. Under the write lock each
        # new row gets the next rowid (one more than the largest), in the order the values are
        # listed: the ids sorted are the rows' ids in order.
        return sorted(session.scalars(insert(table).returning(table.c.id), list(rows)).all())
    return list(session.scalars(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), list(rows)).all())


def _json_value(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must carry a timezone")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def _insert_json(session: Session, table: Table, rows: Sequence[dict[str, Any]],
                 returning_ids: bool) -> list[int]:
    keys = list(rows[0])
    document = json.dumps(rows, default=_json_value, allow_nan=False)
    source = (func.jsonb_array_elements(cast(bindparam("rows", document, type_=Text), JSONB))
              .table_valued(column("row", JSONB), with_ordinality="position").render_derived())
    # A JSON column takes its element as it is (a JSON null stays a JSON null, as SQLAlchemy
    # writes None there); any other is read as text and cast to the column's type.
    values = [cast(source.c.row[key], table.c[key].type)
              if isinstance(table.c[key].type, JSON)
              else cast(source.c.row[key].astext, table.c[key].type)
              for key in keys]
    # Ordered by position, the ids are drawn from the sequence in the rows' order (the form
    # SQLAlchemy itself uses for sort_by_parameter_order on PostgreSQL).
    statement = insert(table).from_select(keys, select(*values).order_by(source.c.position))
    if not returning_ids:
        session.execute(statement)
        return []
    return sorted(session.scalars(statement.returning(table.c.id)).all())
