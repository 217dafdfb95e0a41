"""Alembic is the only way the schema is made: it upgrades from nothing, downgrades to nothing
and back, and agrees with the models — on each backend."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from app.db import Base
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
