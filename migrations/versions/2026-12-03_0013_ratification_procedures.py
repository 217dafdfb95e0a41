"""ratification procedures

Each member state's ratification procedure as data: its ordered steps (ratification_procedure_
steps), seeded for every member state, and the steps a ratification may record: protocol_signed,
government_approved, parliament_approved (one chamber), lower_chamber_approved and
upper_chamber_approved (two), head_of_state_assent, deposited.

Existing steps migrate without loss: no row is dropped. `parliament_approved` and `deposited`
keep their names. `signed` is renamed: in the data this tool ships (app/data/ratifications.csv,
date_type head_of_state_signature) it is the head of state's signature, so it becomes
`head_of_state_assent`; the one row that is the Speaker's signature (Hungary's, note "Speaker's
signature", date_type speaker_signature) becomes `parliament_approved`, since the Speaker signs
the act parliament adopted before the President assents (Fundamental Law of Hungary, art. 6(3)):
it closes the parliamentary step. Its note still says it is the Speaker's signature. The steps
table is append-only: its triggers are lifted for the rename and put back at once.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STEPS = ("protocol_signed", "government_approved", "lower_chamber_approved",
         "upper_chamber_approved", "parliament_approved", "head_of_state_assent", "deposited")
OLD_STEPS = ("parliament_approved", "signed", "deposited")
SPEAKER_NOTE = "Speaker's signature%"

# A copy of app/ratifications/pipeline.py's procedures (a migration does not change with the
# application's code).
DEFAULT_PROCEDURE = ("protocol_signed", "parliament_approved", "head_of_state_assent",
                     "deposited")
BICAMERAL_PROCEDURE = ("protocol_signed", "lower_chamber_approved", "upper_chamber_approved",
                       "head_of_state_assent", "deposited")
DEFAULT_SOURCE = ("default procedure: not checked against this member state's constitution")
_ORDER = ("; the two chambers' order varies from one bill to the next (an admin may swap "
          "them)")
# Member states whose two chambers both approve a treaty such as an accession protocol. Any
# other member state gets the default procedure, said so in its source.
BICAMERAL = {
    "CZE": "Constitution of the Czech Republic, art. 49: consent of both chambers (Chamber of "
           "Deputies and Senate)",
    "DEU": "Basic Law, art. 59(2): a treaty act passed by the Bundestag with the Bundesrat",
    "ESP": "Constitution of Spain, art. 94(1): authorisation of the Cortes Generales (Congress "
           "and Senate)",
    "FRA": "Constitution of France, art. 53: a law authorising ratification, passed by the "
           "National Assembly and the Senate",
    "ITA": "Constitution of Italy, art. 80: a law authorising ratification, passed by both "
           "chambers",
    "NLD": "Constitution of the Netherlands, art. 91: approval of the States General (both "
           "chambers)",
    "POL": "Constitution of Poland, art. 89: ratification with consent granted by statute "
           "(Sejm and Senate)",
    "ROU": "Constitution of Romania, art. 91: ratification by a law passed by both chambers",
}


def set_append_only(table: str, on: bool) -> None:
    """The triggers of revision 0001 that make a history table refuse UPDATE and DELETE."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        if on:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_history_change()"
            )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action.lower()}")
        if on:
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def _known(steps: Sequence[str]) -> str:
    return "step IN ({})".format(", ".join(f"'{s}'" for s in steps))


def _swap_step_constraint(new_steps: Sequence[str], rename: Sequence[tuple[str, str, str]]) -> None:
    """Replaces the steps the ratification_steps table accepts and renames rows in between
    (`rename`: old step, new step, an extra SQL condition). Three steps because a row is
    valid under the old check before the rename and under the new one only after it; on
    SQLite each batch copies the table, which loses its triggers: they are made again after."""
    set_append_only("ratification_steps", False)
    with op.batch_alter_table("ratification_steps", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_ratification_steps_step_known"), type_="check")
    for old, new, condition in rename:
        op.get_bind().execute(
            sa.text(f"UPDATE ratification_steps SET step = :new WHERE step = :old{condition}"),
            {"old": old, "new": new, "speaker": SPEAKER_NOTE},
        )
    with op.batch_alter_table("ratification_steps", schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f("ck_ratification_steps_step_known"),
                                         _known(new_steps))
    set_append_only("ratification_steps", True)


def upgrade() -> None:
    op.create_table(
        "ratification_procedure_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_iso3", sa.String(length=3), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=30), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("position >= 0",
                           name=op.f("ck_ratification_procedure_steps_position_not_negative")),
        sa.CheckConstraint(_known(STEPS), name=op.f("ck_ratification_procedure_steps_step_known")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"],
                                name=op.f("fk_ratification_procedure_steps_author_id_users")),
        sa.ForeignKeyConstraint(
            ["member_iso3"], ["member_states.iso3"],
            name=op.f("fk_ratification_procedure_steps_member_iso3_member_states")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratification_procedure_steps")),
        sa.UniqueConstraint(
            "member_iso3", "position",
            name=op.f("uq_ratification_procedure_steps_member_iso3_position")),
        sa.UniqueConstraint(
            "member_iso3", "step", name=op.f("uq_ratification_procedure_steps_member_iso3_step")),
    )
    bind = op.get_bind()
    members = bind.execute(sa.text("SELECT iso3 FROM member_states ORDER BY iso3")).scalars()
    rows = []
    for iso3 in members:
        if iso3 in BICAMERAL:
            steps, source = BICAMERAL_PROCEDURE, BICAMERAL[iso3] + _ORDER
        else:
            steps, source = DEFAULT_PROCEDURE, DEFAULT_SOURCE
        rows += [{"member_iso3": iso3, "position": i, "step": step, "source": source}
                 for i, step in enumerate(steps)]
    if rows:
        bind.execute(sa.text(
            "INSERT INTO ratification_procedure_steps (member_iso3, position, step, source, "
            "recorded_at) VALUES (:member_iso3, :position, :step, :source, CURRENT_TIMESTAMP)"),
            rows)
    # The rename, said in the module's docstring: the Speaker's signature first, then every
    # other `signed` (the head of state's).
    _swap_step_constraint(STEPS, [
        ("signed", "parliament_approved", " AND note LIKE :speaker"),
        ("signed", "head_of_state_assent", ""),
    ])


def downgrade() -> None:
    # Steps the old schema cannot hold would be lost: refuse rather than drop them.
    kept = ", ".join(f"'{s}'" for s in (*OLD_STEPS, "head_of_state_assent"))
    newer = op.get_bind().scalar(sa.text(
        f"SELECT count(*) FROM ratification_steps WHERE step NOT IN ({kept})"))
    if newer:
        raise RuntimeError(f"{newer} ratification steps use steps revision 0010 does not know "
                           "(protocol_signed, government_approved, chamber approvals): "
                           "downgrading would lose them")
    _swap_step_constraint(OLD_STEPS, [
        ("parliament_approved", "signed", " AND note LIKE :speaker"),
        ("head_of_state_assent", "signed", ""),
    ])
    op.drop_table("ratification_procedure_steps")
