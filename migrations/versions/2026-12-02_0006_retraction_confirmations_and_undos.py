"""retraction confirmations and undos

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:52:37.174450
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# History: never edited or removed (see revision 0001). A retraction's confirmation and its
# undoing are rows of their own, so the retraction itself is never updated.
APPEND_ONLY_TABLES = ("update_retractions", "retraction_confirmations", "retraction_undos")


def create_append_only_triggers(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_history_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def drop_append_only_triggers(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")


def upgrade() -> None:
    # An update may now have several retractions over time (one undone, then another), so
    # update_id is no longer unique. On SQLite the batch operation rebuilds the table, which
    # drops its triggers: they are dropped first and made again after, on both backends.
    drop_append_only_triggers("update_retractions")
    with op.batch_alter_table("update_retractions", schema=None) as batch_op:
        # Existing retractions took effect at once.
        batch_op.add_column(
            sa.Column("needs_confirmation", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.drop_constraint(batch_op.f("uq_update_retractions_update_id"), type_="unique")
        batch_op.create_index(
            batch_op.f("ix_update_retractions_update_id"), ["update_id"], unique=False
        )
    op.create_table(
        "retraction_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("retraction_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["retraction_id"],
            ["update_retractions.id"],
            name=op.f("fk_retraction_confirmations_retraction_id_update_retractions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_retraction_confirmations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retraction_confirmations")),
        sa.UniqueConstraint(
            "retraction_id", name=op.f("uq_retraction_confirmations_retraction_id")
        ),
    )
    op.create_table(
        "retraction_undos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("retraction_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("reason <> ''", name=op.f("ck_retraction_undos_reason_not_empty")),
        sa.ForeignKeyConstraint(
            ["retraction_id"],
            ["update_retractions.id"],
            name=op.f("fk_retraction_undos_retraction_id_update_retractions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_retraction_undos_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retraction_undos")),
        sa.UniqueConstraint("retraction_id", name=op.f("uq_retraction_undos_retraction_id")),
    )
    for table in APPEND_ONLY_TABLES:
        create_append_only_triggers(table)


def downgrade() -> None:
    # The old schema holds one retraction per update, in effect: pending and undone ones
    # cannot be expressed and are dropped (an undone one first loses its confirmation, so
    # both kinds are "asked for, never confirmed" when they are deleted).
    for table in APPEND_ONLY_TABLES:
        drop_append_only_triggers(table)
    op.execute(
        "UPDATE update_retractions SET needs_confirmation = true "
        "WHERE id IN (SELECT retraction_id FROM retraction_undos)"
    )
    op.execute(
        "DELETE FROM retraction_confirmations "
        "WHERE retraction_id IN (SELECT retraction_id FROM retraction_undos)"
    )
    op.drop_table("retraction_undos")
    op.execute(
        "DELETE FROM update_retractions WHERE needs_confirmation "
        "AND id NOT IN (SELECT retraction_id FROM retraction_confirmations)"
    )
    op.drop_table("retraction_confirmations")
    with op.batch_alter_table("update_retractions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_update_retractions_update_id"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_update_retractions_update_id"), ["update_id"]
        )
        batch_op.drop_column("needs_confirmation")
    create_append_only_triggers("update_retractions")
