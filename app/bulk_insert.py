"""Many rows in one INSERT, the fastest way each backend offers.

On PostgreSQL, SQLAlchemy's multi-row `INSERT ... VALUES` for a batch of 500 updates is one
statement with 5,500 parameters, too long for psycopg's query cache: psycopg re-parsed it on
every batch (17 % of the batch load's samples in the benchmark's py-spy profile). Here each
column goes as one array and `unnest` turns the arrays back into rows, so the statement has one
parameter per column, whatever the number of rows, and is parsed once.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]], *,
                returning_ids: bool = False) -> list[int]:
    """Inserts `rows` (dicts with the same keys) into `table`; with `returning_ids`, returns
    the new rows' ids in the order of `rows`."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and len(rows) > 1:
        return _insert_unnest(session, table, rows, returning_ids)
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


def _insert_unnest(session: Session, table: Table, rows: Sequence[dict[str, Any]],
                   returning_ids: bool) -> list[int]:
    keys = list(rows[0])
    # The psycopg dialect renders each array parameter with its cast (`%(x)s::FLOAT[]`).
    arrays = [bindparam(f"column_{key}", [row[key] for row in rows],
                        type_=ARRAY(table.c[key].type)) for key in keys]
    source = (func.unnest(*arrays)
              .table_valued(*keys, with_ordinality="position").render_derived())
    # Ordered by position, the ids are drawn from the sequence in the rows' order (the form
    # SQLAlchemy itself uses for sort_by_parameter_order on PostgreSQL).
    statement = insert(table).from_select(
        keys, select(*(source.c[key] for key in keys)).order_by(source.c.position))
    if not returning_ids:
        session.execute(statement)
        return []
    return sorted(session.scalars(statement.returning(table.c.id)).all())
