"""Migration 0012: every observation stored before it was an independent figure, and stays
one; the column refuses other assessors and the table stays append-only."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import downgrade, upgrade


def test_existing_observations_become_independent_and_survive_both_ways(empty_engine):
    upgrade(empty_engine, "0010")
    with empty_engine.begin() as c:
        c.execute(text(
            "INSERT INTO indicators (key, title, title_fr, category_id, kind, unit, direction, "
            "description, description_fr, source) SELECT 'spending', 'Spending', '', min(id), "
            "'numeric', '% of GDP', 'higher_is_better', '', '', '' FROM benchmark_categories"))
        c.execute(text(
            "INSERT INTO candidates (slug, iso3, name, name_fr, tier, model, phase, summary, "
            "summary_fr, created_at) VALUES ('testland', 'TST', 'Testland', '', "
            "'full_candidate', 'hybrid_integration', 'outreach', '', '', CURRENT_TIMESTAMP)"))
        c.execute(text(
            "INSERT INTO progress_updates (candidate_id, indicator_id, value, as_of, source, "
            "note, is_illustrative, recorded_at, observation_status) SELECT 1, min(id), 2.1, "
            "'2024-12-31', 'SIPRI', '', false, '2025-04-28 12:00:00', 'final' "
            "FROM indicators"))
    upgrade(empty_engine)
    with empty_engine.connect() as c:
        rows = c.execute(text("SELECT value, assessed_by FROM progress_updates")).all()
        assert [tuple(r) for r in rows] == [(2.1, "independent")]
    with pytest.raises(DBAPIError), empty_engine.begin() as c:  # append-only still
        c.execute(text("UPDATE progress_updates SET assessed_by = 'self'"))
    with pytest.raises(DBAPIError), empty_engine.begin() as c:
        c.execute(text(
            "INSERT INTO progress_updates (candidate_id, indicator_id, value, as_of, source, "
            "note, is_illustrative, recorded_at, observation_status, assessed_by) SELECT 1, "
            "min(id), 2.1, '2024-12-31', 'x', '', false, '2025-04-28 12:00:00', 'final', "
            "'ministry' FROM indicators"))
    downgrade(empty_engine, "0010")
    with empty_engine.connect() as c:
        assert c.execute(text("SELECT value FROM progress_updates")).scalars().all() == [2.1]
    upgrade(empty_engine)
