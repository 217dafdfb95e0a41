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
