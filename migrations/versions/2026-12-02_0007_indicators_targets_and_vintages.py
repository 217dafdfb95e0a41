"""indicators, versioned targets and vintages

What is measured (an indicator) is kept apart from what is asked (a target, with versions by the
date each takes effect). Observations are one series per candidate and indicator, with the
source's release (`vintage`), its publication date and an observation status. Every stored row
is kept: the series of two targets on one indicator are merged (an observation stored twice,
identically, becomes one; differing values are both kept, the later recorded superseding),
and a second correction of one update is re-linked to correct the first correction, so each
chain has one newest value.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:00:00
"""

import csv
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Targets that read another target's indicator: the NATO 3.5 % core target measures the same
# thing as the 2 % guideline (defence spending as a share of GDP).
SHARED_INDICATORS = {"defence_core_3_5_gdp": "defence_spending_gdp"}
SHAPE = ("kind", "unit", "direction", "min_value", "max_value", "stages")
# "SIPRI Military Expenditure Database (2025 release, ...)" -> "SIPRI 2025"
RELEASE = re.compile(r"\b(SIPRI)\b.*?\b((?:19|20)\d\d) release", re.IGNORECASE)
# Equalities, not IN (...): SQLite builds a table for an IN list at each row it checks.
STATUSES = ("observation_status = 'final' OR observation_status = 'provisional' "
            "OR observation_status = 'estimate'")


def vintage_of(source: str) -> str | None:
    """The release a source text names, where it names one."""
    found = RELEASE.search(source or "")
    return f"{found.group(1).upper()} {found.group(2)}" if found else None


def set_append_only(table: str, on: bool) -> None:
    """The triggers of revision 0001 that make a history table refuse UPDATE and DELETE."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
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
    bind = op.get_bind()
    indicators = op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_fr", sa.String(length=200), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("direction", sa.String(length=20), nullable=True),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.Column("stages", sa.JSON(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint("key <> ''", name=op.f("ck_indicators_key_not_empty")),
        sa.CheckConstraint("kind IN ('numeric', 'milestone')", name=op.f("ck_indicators_kind_known")),
        sa.CheckConstraint(
            "(kind = 'numeric' AND unit IS NOT NULL AND direction IS NOT NULL)"
            " OR (kind = 'milestone' AND stages IS NOT NULL)",
            name=op.f("ck_indicators_kind_fields")),
        sa.CheckConstraint(
            "direction IS NULL OR direction IN ('higher_is_better', 'lower_is_better')",
            name=op.f("ck_indicators_direction_known")),
        sa.CheckConstraint("min_value IS NULL OR max_value IS NULL OR min_value < max_value",
                           name=op.f("ck_indicators_value_range")),
        sa.ForeignKeyConstraint(["category_id"], ["benchmark_categories.id"],
                                name=op.f("fk_indicators_category_id_benchmark_categories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sa.UniqueConstraint("key", name=op.f("uq_indicators_key")),
    )
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicators_category_id"), ["category_id"],
                              unique=False)

    definitions = bind.execute(sa.text(
        "SELECT id, key, title, title_fr, category_id, kind, unit, direction, min_value, "
        "max_value, stages, description, source FROM benchmark_definitions ORDER BY id"
    )).mappings().all()
    by_key = {d["key"]: d for d in definitions}
    # Every definition measures an indicator of its own key, unless it shares another's.
    shares = {key: other for key, other in SHARED_INDICATORS.items()
              if key in by_key and other in by_key
              and all(by_key[key][f] == by_key[other][f] for f in ("kind", "unit"))}
    own = [d for d in definitions if d["key"] not in shares]
    op.bulk_insert(indicators, [
        {"key": d["key"], "title": d["title"], "title_fr": d["title_fr"],
         "category_id": d["category_id"], **{f: d[f] for f in SHAPE},
         # Read as text, SQLite's JSON is still encoded: decoded here, encoded once on insert.
         "stages": json.loads(d["stages"]) if isinstance(d["stages"], str) else d["stages"],
         "description": d["description"], "source": d["source"]} for d in own])
    indicator_ids = dict(bind.execute(sa.text("SELECT key, id FROM indicators")).all())
    indicator_of = {d["id"]: indicator_ids[shares.get(d["key"], d["key"])] for d in definitions}

    with op.batch_alter_table("benchmark_definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("indicator_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retired_on", sa.Date(), nullable=True))
        batch_op.alter_column("valid_from", new_column_name="adopted_on",
                              existing_type=sa.Date(), existing_nullable=False)
    for definition_id, indicator_id in indicator_of.items():
        bind.execute(sa.text("UPDATE benchmark_definitions SET indicator_id = :i WHERE id = :d"),
                     {"i": indicator_id, "d": definition_id})
    with op.batch_alter_table("benchmark_definitions", schema=None) as batch_op:
        for name in ("kind_known", "kind_fields", "direction_known", "value_range"):
            batch_op.drop_constraint(batch_op.f(f"ck_benchmark_definitions_{name}"),
                                     type_="check")
        for column in SHAPE:
            batch_op.drop_column(column)
        batch_op.alter_column("indicator_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_benchmark_definitions_indicator_id_indicators"), "indicators",
            ["indicator_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_benchmark_definitions_indicator_id"),
                              ["indicator_id"], unique=False)
        batch_op.create_check_constraint(batch_op.f("ck_benchmark_definitions_retired_after"),
                                         "retired_on IS NULL OR retired_on > adopted_on")

    # Requirements become versions: today's are the first version, from the adoption date.
    with op.batch_alter_table("tier_requirements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effective_on", sa.Date(), nullable=True))
    bind.execute(sa.text(
        "UPDATE tier_requirements SET effective_on = (SELECT adopted_on FROM "
        "benchmark_definitions WHERE benchmark_definitions.id = tier_requirements.definition_id)"))
    with op.batch_alter_table("tier_requirements", schema=None) as batch_op:
        batch_op.alter_column("effective_on", existing_type=sa.Date(), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_tier_requirements_definition_id_tier"),
                                 type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_tier_requirements_definition_id_effective_on_tier"),
            ["definition_id", "effective_on", "tier"])

    _observations_upgrade(bind, indicator_of)


def _observations_upgrade(bind: sa.Connection, indicator_of: dict[int, int]) -> None:
    set_append_only("progress_updates", False)
    with op.batch_alter_table("progress_updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("candidate_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("indicator_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("vintage", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("published_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("observation_status", sa.String(length=20),
                                      server_default="final", nullable=False))
    rows = bind.execute(sa.text(
        "SELECT u.id, u.value, u.stage, u.as_of, u.source, u.note, u.is_illustrative, "
        "u.recorded_at, u.supersedes_id, cb.candidate_id, cb.definition_id "
        "FROM progress_updates u JOIN candidate_benchmarks cb "
        "ON cb.id = u.candidate_benchmark_id ORDER BY u.id")).mappings().all()
    for row in rows:
        bind.execute(sa.text(
            "UPDATE progress_updates SET candidate_id = :c, indicator_id = :i, vintage = :v "
            "WHERE id = :id"),
            {"c": row["candidate_id"], "i": indicator_of[row["definition_id"]],
             "v": vintage_of(row["source"]), "id": row["id"]})
    _merge_series(bind, rows, indicator_of)
    _chain_second_corrections(bind)
    # Stored answers name updates by id, and merging removed some: forget them (they are a
    # cache of answers, kept for a day).
    bind.execute(sa.text("DELETE FROM idempotency_keys"))

    with op.batch_alter_table("progress_updates", schema=None) as batch_op:
        batch_op.alter_column("candidate_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("indicator_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index("ix_progress_updates_benchmark_as_of")
        batch_op.drop_index(batch_op.f("ix_progress_updates_supersedes_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_progress_updates_candidate_benchmark_id_candidate_benchmarks"),
            type_="foreignkey")
        batch_op.drop_column("candidate_benchmark_id")
        batch_op.create_foreign_key(batch_op.f("fk_progress_updates_candidate_id_candidates"),
                                    "candidates", ["candidate_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_progress_updates_indicator_id_indicators"),
                                    "indicators", ["indicator_id"], ["id"])
        batch_op.create_check_constraint(
            batch_op.f("ck_progress_updates_observation_status_known"), STATUSES)
        batch_op.create_index("ix_progress_updates_series_as_of",
                              ["candidate_id", "indicator_id", "as_of", "id"], unique=False)
        batch_op.create_index("ux_progress_updates_supersedes", ["supersedes_id"], unique=True,
                              sqlite_where=sa.text("supersedes_id IS NOT NULL"),
                              postgresql_where=sa.text("supersedes_id IS NOT NULL"))
    _unround_published_figures(bind)
    set_append_only("progress_updates", True)


def _merge_series(bind: sa.Connection, rows: Sequence[sa.RowMapping],
                  indicator_of: dict[int, int]) -> None:
    """Observations of one candidate, indicator and date that came from two targets' series:
    one stored identically in both is kept once (if nothing refers to the copy); differing
    values are both kept, the later recorded superseding the earlier."""
    referred = {r for (r,) in bind.execute(sa.text(
        "SELECT supersedes_id FROM progress_updates WHERE supersedes_id IS NOT NULL "
        "UNION SELECT update_id FROM update_retractions"))}
    superseded = set(referred)
    groups: dict[tuple, list[sa.RowMapping]] = defaultdict(list)
    for row in rows:
        groups[(row["candidate_id"], indicator_of[row["definition_id"]], row["as_of"])].append(row)
    for group in groups.values():
        if len({row["definition_id"] for row in group}) < 2:
            continue  # one series: nothing to merge
        kept: list[sa.RowMapping] = []
        for row in sorted(group, key=lambda r: (r["recorded_at"], r["id"])):
            # The same figure already kept from the other series, and still its newest
            # value: this copy says nothing more (if nothing refers to it).
            twin = next((k for k in kept if k["definition_id"] != row["definition_id"]
                         and k["id"] not in superseded
                         and (k["value"], k["stage"], k["source"], k["note"],
                              k["is_illustrative"])
                         == (row["value"], row["stage"], row["source"], row["note"],
                             row["is_illustrative"])), None)
            if (twin is not None and row["id"] not in referred
                    and row["supersedes_id"] is None):
                bind.execute(sa.text("DELETE FROM progress_updates WHERE id = :id"),
                             {"id": row["id"]})
                continue
            other = [k for k in kept if k["definition_id"] != row["definition_id"]
                     and k["id"] not in superseded]
            if other and row["supersedes_id"] is None:
                newest = other[-1]
                bind.execute(sa.text("UPDATE progress_updates SET supersedes_id = :s "
                                     "WHERE id = :id"), {"s": newest["id"], "id": row["id"]})
                superseded.add(newest["id"])
            kept.append(row)


# The published figures the demo loader stored rounded to two decimals before this revision.
PUBLISHED_SPENDING = Path(__file__).resolve().parents[2] / "app" / "data" / "defence_spending.csv"


def _unround_published_figures(bind: sa.Connection) -> None:
    """A SIPRI figure of app/data stored rounded (the newest of its chain) gets a correction
    with the figure as published: history keeps the rounded row, and evaluations of the dates
    since it was recorded still see what was shown then."""
    spending = bind.execute(sa.text(
        "SELECT id FROM indicators WHERE key = 'defence_spending_gdp'")).scalar()
    if spending is None or not PUBLISHED_SPENDING.exists():
        return
    sqlite = bind.dialect.name == "sqlite"
    now = datetime.now(UTC)
    updates = sa.table(
        "progress_updates", sa.column("candidate_id"), sa.column("indicator_id"),
        sa.column("value"), sa.column("as_of", sa.Date()), sa.column("source"),
        sa.column("vintage"), sa.column("published_on"), sa.column("note"),
        sa.column("is_illustrative"), sa.column("observation_status"),
        sa.column("recorded_at", sa.DateTime(timezone=True)), sa.column("supersedes_id"))
    with PUBLISHED_SPENDING.open(newline="", encoding="utf-8") as handle:
        published = list(csv.DictReader(handle))
    for figure in published:
        exact = float(figure["pct_gdp_unrounded"])
        if round(exact, 2) == exact:
            continue
        as_of = date(int(figure["year"]), 12, 31)
        stored = bind.execute(sa.text(
            "SELECT u.id, u.candidate_id, u.as_of, u.source, u.vintage, u.published_on "
            "FROM progress_updates u JOIN candidates c ON c.id = u.candidate_id "
            "WHERE c.iso3 = :iso3 AND u.indicator_id = :indicator AND u.as_of = :as_of "
            "AND u.value = :rounded AND u.source = :source AND NOT EXISTS (SELECT 1 FROM "
            "progress_updates n WHERE n.supersedes_id = u.id)"),
            {"iso3": figure["iso3"], "indicator": spending, "as_of": as_of,
             "rounded": round(exact, 2), "source": figure["source"]}).mappings().all()
        for row in stored:
            bind.execute(sa.insert(updates).values(
                candidate_id=row["candidate_id"], indicator_id=spending, value=exact,
                as_of=as_of, source=row["source"], vintage=row["vintage"],
                published_on=row["published_on"], is_illustrative=False,
                observation_status="final", supersedes_id=row["id"],
                recorded_at=now.replace(tzinfo=None) if sqlite else now,
                note="The figure as published; the row it corrects was rounded to two "
                     "decimals when stored."))


def _chain_second_corrections(bind: sa.Connection) -> None:
    """Each correction is attached to the newest value of its chain when it was recorded: two
    corrections of one update competed before; now the later corrects the earlier (or the
    newest correction below it)."""
    rows = bind.execute(sa.text(
        "SELECT id, supersedes_id FROM progress_updates WHERE supersedes_id IS NOT NULL "
        "ORDER BY recorded_at, id")).all()
    corrected_by: dict[int, int] = {}
    for update_id, target in rows:
        head = target
        while head in corrected_by:
            head = corrected_by[head]
        if head != target:
            bind.execute(sa.text("UPDATE progress_updates SET supersedes_id = :s WHERE id = :id"),
                         {"s": head, "id": update_id})
        corrected_by[head] = update_id


def downgrade() -> None:
    bind = op.get_bind()
    set_append_only("progress_updates", False)
    with op.batch_alter_table("progress_updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("candidate_benchmark_id", sa.Integer(), nullable=True))
    # Each observation goes back to a candidate benchmark of a target on its indicator (the
    # first such target; made, inactive, where the candidate had none).
    first_definition = dict(bind.execute(sa.text(
        "SELECT indicator_id, min(id) FROM benchmark_definitions GROUP BY indicator_id")).all())
    series = bind.execute(sa.text(
        "SELECT DISTINCT candidate_id, indicator_id FROM progress_updates")).all()
    for candidate_id, indicator_id in series:
        definition_id = first_definition[indicator_id]
        found = bind.execute(sa.text(
            "SELECT id FROM candidate_benchmarks WHERE candidate_id = :c AND definition_id = :d"),
            {"c": candidate_id, "d": definition_id}).scalar()
        if found is None:
            bind.execute(sa.text(
                "INSERT INTO candidate_benchmarks (candidate_id, definition_id, is_active) "
                "VALUES (:c, :d, :f)"), {"c": candidate_id, "d": definition_id, "f": False})
            found = bind.execute(sa.text(
                "SELECT id FROM candidate_benchmarks WHERE candidate_id = :c AND "
                "definition_id = :d"), {"c": candidate_id, "d": definition_id}).scalar()
        bind.execute(sa.text(
            "UPDATE progress_updates SET candidate_benchmark_id = :b WHERE candidate_id = :c "
            "AND indicator_id = :i"), {"b": found, "c": candidate_id, "i": indicator_id})
    with op.batch_alter_table("progress_updates", schema=None) as batch_op:
        batch_op.drop_index("ux_progress_updates_supersedes")
        batch_op.drop_index("ix_progress_updates_series_as_of")
        batch_op.drop_constraint(batch_op.f("ck_progress_updates_observation_status_known"),
                                 type_="check")
        batch_op.drop_constraint(batch_op.f("fk_progress_updates_indicator_id_indicators"),
                                 type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_progress_updates_candidate_id_candidates"),
                                 type_="foreignkey")
        for column in ("observation_status", "published_on", "vintage", "indicator_id",
                       "candidate_id"):
            batch_op.drop_column(column)
        batch_op.alter_column("candidate_benchmark_id", existing_type=sa.Integer(),
                              nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_progress_updates_candidate_benchmark_id_candidate_benchmarks"),
            "candidate_benchmarks", ["candidate_benchmark_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_progress_updates_supersedes_id"), ["supersedes_id"],
                              unique=False)
        batch_op.create_index("ix_progress_updates_benchmark_as_of",
                              ["candidate_benchmark_id", "as_of", "id"], unique=False)
    set_append_only("progress_updates", True)

    # Only the newest version of each target's requirements is kept.
    bind.execute(sa.text(
        "DELETE FROM tier_requirements WHERE effective_on < (SELECT max(r.effective_on) FROM "
        "tier_requirements r WHERE r.definition_id = tier_requirements.definition_id)"))
    with op.batch_alter_table("tier_requirements", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_tier_requirements_definition_id_effective_on_tier"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_tier_requirements_definition_id_tier"),
                                          ["definition_id", "tier"])
        batch_op.drop_column("effective_on")

    with op.batch_alter_table("benchmark_definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("unit", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("direction", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("min_value", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("max_value", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("stages", sa.JSON(), nullable=True))
    for column in SHAPE:
        bind.execute(sa.text(
            f"UPDATE benchmark_definitions SET {column} = (SELECT {column} FROM indicators "
            "WHERE indicators.id = benchmark_definitions.indicator_id)"))
    with op.batch_alter_table("benchmark_definitions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_benchmark_definitions_retired_after"),
                                 type_="check")
        batch_op.drop_index(batch_op.f("ix_benchmark_definitions_indicator_id"))
        batch_op.drop_constraint(batch_op.f("fk_benchmark_definitions_indicator_id_indicators"),
                                 type_="foreignkey")
        batch_op.drop_column("indicator_id")
        batch_op.drop_column("retired_on")
        batch_op.alter_column("adopted_on", new_column_name="valid_from",
                              existing_type=sa.Date(), existing_nullable=False)
        batch_op.alter_column("kind", existing_type=sa.String(length=20), nullable=False)
        batch_op.create_check_constraint(batch_op.f("ck_benchmark_definitions_kind_known"),
                                         "kind IN ('numeric', 'milestone')")
        batch_op.create_check_constraint(
            batch_op.f("ck_benchmark_definitions_kind_fields"),
            "(kind = 'numeric' AND unit IS NOT NULL AND direction IS NOT NULL)"
            " OR (kind = 'milestone' AND stages IS NOT NULL)")
        batch_op.create_check_constraint(
            batch_op.f("ck_benchmark_definitions_direction_known"),
            "direction IS NULL OR direction IN ('higher_is_better', 'lower_is_better')")
        batch_op.create_check_constraint(
            batch_op.f("ck_benchmark_definitions_value_range"),
            "min_value IS NULL OR max_value IS NULL OR min_value < max_value")
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicators_category_id"))
    op.drop_table("indicators")
