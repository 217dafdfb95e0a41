"""assessed by

Each observation says who assessed it: `self` (the candidate's own reporting) or `independent`
(the alliance's or an analyst's review). Every existing row was recorded as an independent
figure, so the column is added with that as its server default: nothing is lost or rewritten.
progress_updates is append-only: its triggers are lifted while the table is altered (SQLite
rebuilds it) and put back at once.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Equalities, not IN (...): SQLite builds a table for an IN list at each row it checks.
ASSESSORS = "assessed_by = 'self' OR assessed_by = 'independent'"


def set_append_only(table: str, on: bool) -> None:
    """The triggers of revision 0001 that make a history table refuse UPDATE and DELETE."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        if on:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_history_change()")
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action.lower()}")
        if on:
            op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")


def upgrade() -> None:
    set_append_only("progress_updates", False)
    with op.batch_alter_table("progress_updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessed_by", sa.String(length=20),
                                      server_default="independent", nullable=False))
        batch_op.create_check_constraint(batch_op.f("ck_progress_updates_assessed_by_known"),
                                         ASSESSORS)
    set_append_only("progress_updates", True)


def downgrade() -> None:
    set_append_only("progress_updates", False)
    with op.batch_alter_table("progress_updates", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_progress_updates_assessed_by_known"),
                                 type_="check")
        batch_op.drop_column("assessed_by")
    set_append_only("progress_updates", True)
