"""reference version

One row counting the changes to the tables that a write of progress updates reads on every
write and that change rarely: candidates, their tier history and own targets, the targets
(definitions, tier requirements, categories, indicators), API tokens and users. A trigger on
each of them adds one to the count at every INSERT, UPDATE or DELETE, whatever wrote it (the
app, the command line, a hand-made SQL statement), in the writing transaction: a reader sees
the new count exactly when it sees the change. The update writer keeps what it read of those
tables while the count stands (app/reference_cache.py).

SQLite drops a table's triggers when batch_alter_table rebuilds it: a later migration that
rebuilds one of these tables calls set_reference_triggers(table) again
(tests/test_migrations.py checks that every one has its triggers at head).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERENCE_TABLES = (
    "candidates", "candidate_status_changes", "candidate_benchmarks",
    "benchmark_definitions", "tier_requirements", "benchmark_categories", "indicators",
    "api_tokens", "users",
)
BUMP = "UPDATE reference_version SET version = version + 1"


def set_reference_triggers(table: str, on: bool = True) -> None:
    """The triggers that count the changes to `table` in reference_version."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_reference_version ON {table}")
        if on:  # one bump per statement: a bulk insert of a thousand rows is one change
            op.execute(f"CREATE TRIGGER {table}_reference_version "
                       "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "
                       f"{table} FOR EACH STATEMENT EXECUTE FUNCTION bump_reference_version()")
        return
    for action in ("INSERT", "UPDATE", "DELETE"):  # SQLite has row triggers only
        op.execute(f"DROP TRIGGER IF EXISTS {table}_reference_version_{action.lower()}")
        if on:
            op.execute(f"CREATE TRIGGER {table}_reference_version_{action.lower()} "
                       f"AFTER {action} ON {table} BEGIN {BUMP}; END")


def upgrade() -> None:
    op.create_table(
        "reference_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_reference_version_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_version")),
    )
    op.execute("INSERT INTO reference_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION bump_reference_version() RETURNS trigger "
                   f"LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$")
    for table in REFERENCE_TABLES:
        set_reference_triggers(table)


def downgrade() -> None:
    for table in REFERENCE_TABLES:
        set_reference_triggers(table, on=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION bump_reference_version()")
    op.drop_table("reference_version")
