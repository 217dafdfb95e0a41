"""Alembic is the only way the schema is made: it upgrades from nothing, downgrades to nothing
and back, and agrees with the models — on each backend."""

import csv
import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from app.auth.service import create_user
from app.db import Base
from app.models import (
    ProgressReport,
    ProgressUpdate,
    ReportEditor,
    RetractionConfirmation,
    RetractionUndo,
    UpdateRetraction,
)
from app.web.templating import PROJECT_ROOT
from tests.conftest import downgrade, upgrade


def test_upgrade_downgrade_upgrade(empty_engine):
    upgrade(empty_engine)
    assert "progress_updates" in inspect(empty_engine).get_table_names()
    downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM member_states")) == 32


def test_models_and_migrations_do_not_drift(empty_engine):
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_history_tables_refuse_update_and_delete(empty_engine):
    upgrade(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO events (occurred_at, kind, entity, entity_id, is_public) "
            "VALUES (CURRENT_TIMESTAMP, 'test', 'thing', '1', true)"
        ))
    for statement in ("UPDATE events SET kind = 'edited'", "DELETE FROM events"):
        with pytest.raises(DBAPIError, match="append-only"), empty_engine.begin() as connection:
            connection.execute(text(statement))
    with empty_engine.connect() as connection:
        assert connection.scalar(text("SELECT kind FROM events")) == "test"


def test_report_editors_are_taken_from_the_event_log(empty_engine):
    """Revision 0005 finds who edited each existing draft in the events, once per person."""
    upgrade(empty_engine, "0004")
    with empty_engine.begin() as connection:
        for name in ("ana", "bob"):
            connection.execute(text(
                "INSERT INTO users (name, role, is_active, created_at) "
                "VALUES (:name, 'analyst', true, CURRENT_TIMESTAMP)"), {"name": name})
        connection.execute(text(
            "INSERT INTO candidates (slug, iso3, name, name_fr, tier, model, phase, summary, "
            "created_at) VALUES ('testland', 'TST', 'Testland', '', 'interim_ally', "
            "'hybrid_integration', 'outreach', '', CURRENT_TIMESTAMP)"))
        connection.execute(text(
            "INSERT INTO progress_reports (candidate_id, period, title, body, status, "
            "is_illustrative, author_id, created_at, updated_at, version) "
            "SELECT id, '2026', 'T', '', 'draft', false, 1, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP, 4 FROM candidates"))
        report_id = connection.scalar(text("SELECT max(id) FROM progress_reports"))
        for actor, kind in ((1, "report.created"), (2, "report.updated"), (1, "report.updated"),
                            (2, "report.updated")):
            connection.execute(text(
                "INSERT INTO events (occurred_at, actor_id, kind, entity, entity_id, is_public) "
                "VALUES (CURRENT_TIMESTAMP, :actor, :kind, 'report', :id, false)"),
                {"actor": actor, "kind": kind, "id": str(report_id)})
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        assert connection.execute(text(
            "SELECT report_id, user_id FROM report_editors ORDER BY id")).all() == [
            (report_id, 2), (report_id, 1)]


@pytest.mark.parametrize("table", ["update_retractions", "retraction_confirmations",
                                   "retraction_undos", "report_editors"])
def test_retraction_steps_and_report_editors_are_append_only(session, table):
    """The tables of issue 13: each step of a retraction and each editor of a report is a
    row that is never changed or removed."""
    user = create_user(session, "history-keeper", "analyst")
    update_id = session.scalars(select(ProgressUpdate.id).order_by(ProgressUpdate.id)).first()
    retraction = UpdateRetraction(update_id=update_id, reason="r", author_id=user.id,
                                  needs_confirmation=True)
    report = session.scalars(select(ProgressReport).order_by(ProgressReport.id)).first()
    session.add_all([retraction, ReportEditor(report_id=report.id, user_id=user.id)])
    session.flush()
    session.add_all([RetractionConfirmation(retraction_id=retraction.id, user_id=user.id),
                     RetractionUndo(retraction_id=retraction.id, user_id=user.id, reason="u")])
    session.flush()
    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text(statement))


def test_downgrading_retractions_keeps_those_in_effect(empty_engine):
    """Before revision 0006 an update had one retraction, in effect: a downgrade keeps those
    and drops what the old schema cannot say (pending and undone ones)."""
    upgrade(empty_engine, "0006")
    with empty_engine.begin() as c:
        c.execute(text("INSERT INTO users (name, role, is_active, created_at) "
                       "VALUES ('ana', 'analyst', true, CURRENT_TIMESTAMP)"))
        c.execute(text(
            "INSERT INTO candidates (slug, iso3, name, name_fr, tier, model, phase, summary, "
            "created_at) VALUES ('testland', 'TST', 'Testland', '', 'interim_ally', "
            "'hybrid_integration', 'outreach', '', CURRENT_TIMESTAMP)"))
        c.execute(text(
            "INSERT INTO benchmark_definitions (key, title, title_fr, category_id, kind, unit, "
            "direction, description, source, is_illustrative, valid_from) SELECT 'b', 'B', '', "
            "min(id), 'numeric', '%', 'higher_is_better', '', '', false, '2020-01-01' "
            "FROM benchmark_categories"))
        c.execute(text("INSERT INTO candidate_benchmarks (candidate_id, definition_id, "
                       "is_active) SELECT 1, id, true FROM benchmark_definitions"))
        for n in range(1, 5):
            c.execute(text(
                "INSERT INTO progress_updates (candidate_benchmark_id, value, as_of, source, "
                "note, is_illustrative, recorded_at) VALUES (1, :n, '2024-01-01', 's', '', "
                "false, CURRENT_TIMESTAMP)"), {"n": n})
        # 1: own, in effect; 2: pending; 3: confirmed; 4: own, undone.
        for update_id, needs in ((1, False), (2, True), (3, True), (4, False)):
            c.execute(text(
                "INSERT INTO update_retractions (update_id, reason, author_id, retracted_at, "
                "needs_confirmation) VALUES (:u, 'r', 1, CURRENT_TIMESTAMP, :needs)"),
                {"u": update_id, "needs": needs})
        c.execute(text("INSERT INTO retraction_confirmations (retraction_id, user_id, "
                       "confirmed_at) VALUES (3, 1, CURRENT_TIMESTAMP)"))
        c.execute(text("INSERT INTO retraction_undos (retraction_id, user_id, reason, "
                       "undone_at) VALUES (4, 1, 'u', CURRENT_TIMESTAMP)"))
    downgrade(empty_engine, "0005")
    with empty_engine.connect() as c:
        assert c.execute(text("SELECT update_id FROM update_retractions ORDER BY id")
                         ).scalars().all() == [1, 3]
    upgrade(empty_engine)
    with empty_engine.connect() as c:
        assert c.execute(text("SELECT update_id FROM update_retractions "
                              "WHERE NOT needs_confirmation ORDER BY id")).scalars().all() == [1, 3]


def test_indicators_migration_merges_the_series_of_one_indicator(empty_engine):
    """A database at revision 0006 holding updates on both spending benchmarks (the 2 %
    guideline and the 3.5 % core target, then separate series): after 0007 they are one
    series of the indicator, every distinct row kept, and two corrections of one update
    become a chain."""
    upgrade(empty_engine, "0006")
    with empty_engine.begin() as c:
        c.execute(text(
            "INSERT INTO candidates (slug, iso3, name, name_fr, tier, model, phase, summary, "
            "created_at) VALUES ('testland', 'TST', 'Testland', '', 'full_candidate', "
            "'hybrid_integration', 'outreach', '', CURRENT_TIMESTAMP)"))
        for key, valid_from in (("defence_spending_gdp", "2014-01-01"),
                                ("defence_core_3_5_gdp", "2025-06-25")):
            c.execute(text(
                "INSERT INTO benchmark_definitions (key, title, title_fr, category_id, kind, "
                "unit, direction, min_value, max_value, description, source, is_illustrative, "
                "valid_from) SELECT :key, :key, '', min(id), 'numeric', '% of GDP', "
                "'higher_is_better', 0, 100, '', '', false, :valid_from "
                "FROM benchmark_categories"), {"key": key, "valid_from": valid_from})
        c.execute(text("INSERT INTO candidate_benchmarks (candidate_id, definition_id, "
                       "is_active) SELECT 1, id, true FROM benchmark_definitions ORDER BY id"))
        c.execute(text(
            "INSERT INTO benchmark_definitions (key, title, title_fr, category_id, kind, "
            "stages, description, source, is_illustrative, valid_from) SELECT 'law', 'Law', "
            "'', min(id), 'milestone', :stages, '', '', false, '2019-01-01' "
            "FROM benchmark_categories"), {"stages": '["drafted", "adopted"]'})
        sipri = "SIPRI Military Expenditure Database (2025 release, data 1949-2024)"
        rows = [  # (candidate benchmark, value, as_of, source, supersedes, recorded)
            (1, 2.41, "2024-12-31", sipri, None, "2025-04-28 12:00:00"),  # 1
            (2, 2.41, "2024-12-31", sipri, None, "2025-07-01 12:00:00"),  # 2: the same, twice
            (1, 2.2, "2023-12-31", sipri, None, "2025-04-28 12:00:00"),  # 3
            (2, 2.3, "2023-12-31", "Ministry", None, "2025-08-01 12:00:00"),  # 4: differs
            (1, 2.0, "2022-12-31", "first", None, "2023-04-24 12:00:00"),  # 5
            (1, 2.1, "2022-12-31", "fix a", 5, "2024-01-01 12:00:00"),  # 6
            (1, 2.2, "2022-12-31", "fix b", 5, "2024-02-01 12:00:00"),  # 7: corrects 5 again
        ]
        for benchmark, value, as_of, source, supersedes, recorded in rows:
            c.execute(text(
                "INSERT INTO progress_updates (candidate_benchmark_id, value, as_of, source, "
                "note, is_illustrative, recorded_at, supersedes_id) VALUES (:b, :v, :a, :s, '', "
                "false, :r, :sup)"), {"b": benchmark, "v": value, "a": as_of, "s": source,
                                      "r": recorded, "sup": supersedes})
        # Sweden's 2024 figure as the demo loader stored it before: rounded to 2.0.
        sweden = next(row for row in csv.DictReader(
            (PROJECT_ROOT / "app" / "data" / "defence_spending.csv").open(encoding="utf-8"))
            if row["iso3"] == "SWE" and row["year"] == "2024")
        c.execute(text(
            "INSERT INTO candidates (slug, iso3, name, name_fr, tier, model, phase, summary, "
            "created_at) VALUES ('sweden', 'SWE', 'Sweden', '', 'full_candidate', "
            "'hybrid_integration', 'member', '', CURRENT_TIMESTAMP)"))
        c.execute(text("INSERT INTO candidate_benchmarks (candidate_id, definition_id, "
                       "is_active) VALUES (2, 1, true)"))
        c.execute(text(
            "INSERT INTO progress_updates (candidate_benchmark_id, value, as_of, source, note, "
            "is_illustrative, recorded_at) VALUES (3, 2.0, '2024-12-31', :s, '', false, "
            "'2025-04-24 12:00:00')"), {"s": sweden["source"]})
    upgrade(empty_engine)
    with empty_engine.connect() as c:
        indicators = dict(c.execute(text("SELECT key, stages FROM indicators")).all())
        assert set(indicators) == {"defence_spending_gdp", "law"}
        stages = indicators["law"]  # JSON: a list (read back as text on SQLite)
        assert (json.loads(stages) if isinstance(stages, str) else stages) == [
            "drafted", "adopted"]
        assert c.execute(text(
            "SELECT i.key FROM benchmark_definitions d JOIN indicators i "
            "ON i.id = d.indicator_id ORDER BY d.id")).scalars().all() == [
                "defence_spending_gdp", "defence_spending_gdp", "law"]
        stored = {row.id: row for row in c.execute(text(
            "SELECT id, value, supersedes_id, vintage, indicator_id FROM progress_updates"))}
        assert set(stored) >= {1, 3, 4, 5, 6, 7, 8} and 2 not in stored  # 2 merged into 1
        # The rounded figure is kept, and corrected by the figure as published.
        [exact] = [row for row in stored.values() if row.supersedes_id == 8]
        assert exact.value == 1.9977175 and exact.vintage == "SIPRI 2025"
        assert {row.indicator_id for row in stored.values()} == {1}
        assert stored[8].value == 2.0
        assert stored[4].supersedes_id == 3  # the later recorded value supersedes
        assert (stored[6].supersedes_id, stored[7].supersedes_id) == (5, 6)  # a chain
        assert stored[1].vintage == "SIPRI 2025" and stored[4].vintage is None


def test_accession_milestones_and_illustrative_tiers_come_from_the_phase_history(empty_engine):
    """Revision 0008 dates each milestone by the first entry into its phase, and marks as
    illustrative the tier assignments whose note says so; both stay append-only."""
    upgrade(empty_engine, "0007")
    with empty_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO candidates (slug, iso3, name, name_fr, tier, model, phase, summary, "
            "created_at) VALUES ('testland', 'TST', 'Testland', '', 'full_candidate', "
            "'hybrid_integration', 'member', '', CURRENT_TIMESTAMP)"))
        for day, phase, note in (
            ("2020-01-01", "outreach", "Illustrative: demo content."),
            ("2021-03-01", "accession_talks", "Applied."),
            ("2021-06-01", "accession_talks", "Still talking."),
            ("2022-02-01", "ratification", "Protocol signed."),
            ("2023-05-01", "member", "Joined."),
        ):
            connection.execute(text(
                "INSERT INTO candidate_status_changes (candidate_id, tier, phase, effective_on, "
                "source, note, recorded_at) SELECT id, 'full_candidate', :phase, :day, 'src', "
                ":note, CURRENT_TIMESTAMP FROM candidates"),
                {"phase": phase, "day": day, "note": note})
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        milestones = connection.execute(text(
            "SELECT milestone, occurred_on FROM accession_milestones ORDER BY occurred_on")).all()
        assert [(m, str(d)) for m, d in milestones] == [
            ("application_submitted", "2021-03-01"), ("protocol_signed", "2022-02-01"),
            ("membership", "2023-05-01")]
        flags = connection.execute(text(
            "SELECT note, is_illustrative FROM candidate_status_changes ORDER BY effective_on"
        )).all()
        assert [bool(flag) for _, flag in flags] == [True, False, False, False, False]
    for statement in ("UPDATE accession_milestones SET source = 'x'",
                      "DELETE FROM accession_milestones"):
        with pytest.raises(DBAPIError, match="append-only"), empty_engine.begin() as connection:
            connection.execute(text(statement))
    downgrade(empty_engine, "0007")
    with empty_engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM candidate_status_changes")) == 5


def test_labels_and_illustrative_targets_are_filled_for_existing_rows(empty_engine):
    """Revision 0009 labels the shipped stages and units, and marks as illustrative the
    targets of tiers other than the full candidates' (this tool's own tiering)."""
    upgrade(empty_engine, "0008")
    with empty_engine.begin() as connection:
        category = connection.scalar(text("SELECT min(id) FROM benchmark_categories"))
        connection.execute(text(
            "INSERT INTO indicators (key, title, title_fr, category_id, kind, unit, direction, "
            "description, source) VALUES ('spend', 'Spending', '', :c, 'numeric', "
            "'exercises per year', 'higher_is_better', '', '')"), {"c": category})
        connection.execute(text(
            "INSERT INTO indicators (key, title, title_fr, category_id, kind, stages, "
            "description, source) VALUES ('law', 'Law', '', :c, 'milestone', "
            "'[\"drafted\", \"in_force\", \"custom_stage\"]', '', '')"), {"c": category})
        connection.execute(text(
            "INSERT INTO benchmark_definitions (key, title, title_fr, category_id, indicator_id, "
            "description, source, is_illustrative, adopted_on) SELECT 'spend', 'S', '', :c, id, "
            "'', '', false, '2020-01-01' FROM indicators WHERE key = 'spend'"), {"c": category})
        for tier in ("strategic_partner", "full_candidate"):
            connection.execute(text(
                "INSERT INTO tier_requirements (definition_id, effective_on, tier, target_value, "
                "weight) SELECT id, '2020-01-01', :tier, 2, 1 FROM benchmark_definitions"),
                {"tier": tier})
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        flags = dict(connection.execute(text(
            "SELECT tier, is_illustrative FROM tier_requirements")).all())
        assert {k: bool(v) for k, v in flags.items()} == {"strategic_partner": True,
                                                           "full_candidate": False}
        labels = dict(connection.execute(text(
            "SELECT key, stage_labels FROM indicators")).all())
        units = dict(connection.execute(text("SELECT key, unit_labels FROM indicators")).all())
    law = labels["law"] if isinstance(labels["law"], dict) else json.loads(labels["law"])
    assert law == {"drafted": {"en": "Drafted", "fr": "Rédigé"},
                   "in_force": {"en": "In force", "fr": "En vigueur"}}  # custom_stage: none
    spend = units["spend"] if isinstance(units["spend"], dict) else json.loads(units["spend"])
    assert spend["fr"] == {"one": "exercice par an", "other": "exercices par an"}
    downgrade(empty_engine, "0008")


def test_french_is_filled_for_the_shipped_texts_of_existing_rows(empty_engine):
    """Revision 0010 fills the French of the texts this tool shipped (matched on the English),
    leaves a text edited since for an admin to translate, and keeps the history tables
    append-only on the way up and down."""
    from app.demo import CANDIDATES, RATIFICATION_NOTES_FR

    summary, summary_fr = CANDIDATES[0][7], CANDIDATES[0][8]
    note = "NATO PA date = end of parliamentary procedure (not deposit)"
    upgrade(empty_engine, "0009")
    with empty_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO candidates (slug, iso3, name, name_fr, tier, model, phase, summary, "
            "created_at) VALUES ('testland', 'TST', 'Testland', '', 'interim_ally', "
            "'hybrid_integration', 'outreach', :summary, CURRENT_TIMESTAMP)"),
            {"summary": summary})
        connection.execute(text(
            "INSERT INTO candidate_status_changes (candidate_id, tier, phase, effective_on, "
            "source, note, is_illustrative, recorded_at) SELECT id, 'interim_ally', 'outreach', "
            "'2020-01-01', '', 'Accession protocol signed; ratification by the member states "
            "begins.', false, CURRENT_TIMESTAMP FROM candidates"))
        connection.execute(text(
            "INSERT INTO ratification_steps (candidate_id, member_iso3, step, occurred_on, "
            "source, confidence, note, recorded_at) SELECT id, 'DEU', 'signed', '2020-01-02', "
            "'s', 'inferred', :note, CURRENT_TIMESTAMP FROM candidates"), {"note": note})
        connection.execute(text("UPDATE benchmark_categories SET description = 'Edited.' "
                                "WHERE key = 'legislation'"))
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        assert connection.scalar(text("SELECT summary_fr FROM candidates")) == summary_fr
        assert connection.scalar(text("SELECT note_fr FROM candidate_status_changes")) == (
            "Protocole d’adhésion signé ; la ratification par les États membres commence.")
        assert connection.scalar(text("SELECT note_fr FROM ratification_steps")) == (
            RATIFICATION_NOTES_FR[note])
        french = dict(connection.execute(text(
            "SELECT key, description_fr FROM benchmark_categories")).all())
        assert french["legislation"] == "" and french["spending"].startswith("Les ressources")
        for table in ("tiers", "expansion_models", "instruments"):
            assert connection.scalar(text(
                f"SELECT count(*) FROM {table} WHERE description_fr = ''")) == 0
    for revision in ("head", "0009"):
        if revision == "0009":
            downgrade(empty_engine, "0009")
        for table in ("candidate_status_changes", "ratification_steps"):
            with (pytest.raises(DBAPIError, match="append-only"),
                  empty_engine.begin() as connection):
                connection.execute(text(f"DELETE FROM {table}"))
