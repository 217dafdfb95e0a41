"""gates between phases

A gate: the targets a candidate of a tier must have met to enter a phase (accession talks,
ratification, membership), and the other gates of its tier whose targets it includes. A new
table: no existing row to migrate.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("to_phase", sa.String(length=40), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("requires", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("note_fr", sa.Text(), nullable=False),
        sa.Column("is_illustrative", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "to_phase IN ('accession_talks', 'ratification', 'member')",
            name=op.f("ck_gates_to_phase_gated"),
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_gates_author_id_users")),
        sa.ForeignKeyConstraint(["tier"], ["tiers.key"], name=op.f("fk_gates_tier_tiers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gates")),
        sa.UniqueConstraint("tier", "to_phase", name=op.f("uq_gates_tier_to_phase")),
    )


def downgrade() -> None:
    op.drop_table("gates")
