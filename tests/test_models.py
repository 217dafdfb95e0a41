"""The rules the database itself enforces, whichever client writes."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.models import Candidate, ProgressUpdate, TierRequirement


def test_timestamps_come_back_timezone_aware_in_utc(session):
    update = session.scalars(select(ProgressUpdate).limit(1)).one()
    paris = timezone(timedelta(hours=1))
    candidate = Candidate(slug="testland", iso3="TST", name="Testland", tier="interim_ally",
                          model="hybrid_integration", phase="outreach",
                          created_at=datetime(2025, 1, 1, 13, 0, tzinfo=paris))
    session.add(candidate)
    session.commit()
    session.expire_all()
    assert update.recorded_at.tzinfo is not None
    stored = session.scalars(select(Candidate).where(Candidate.slug == "testland")).one()
    assert stored.created_at == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "fields",
    [
        {"tier": "emperor"},            # foreign key to tiers
        {"phase": "finished"},          # check: known phase
        {"iso3": "XX"},                 # check: alpha-3
        {"slug": "Upper-Case"},         # check: lowercase slug
        {"slug": "georgia"},            # unique slug
    ],
)
def test_candidate_rules_hold_in_the_database(session, fields):
    values = {"slug": "testland", "iso3": "TST", "name": "Testland", "tier": "interim_ally",
              "model": "hybrid_integration", "phase": "outreach", **fields}
    session.add(Candidate(**values))
    with pytest.raises(IntegrityError):
        session.flush()


def test_requirement_needs_exactly_one_target_and_a_positive_weight(session):
    requirement = session.scalars(select(TierRequirement).limit(1)).one()
    bad = TierRequirement(definition_id=requirement.definition_id, tier="full_candidate",
                          target_value=1.0, target_stage="x", weight=1.0, due_on=date(2030, 1, 1))
    session.add(bad)
    with pytest.raises(IntegrityError):
        session.flush()


def test_progress_update_needs_a_source_and_one_value(session):
    existing = session.scalars(select(ProgressUpdate).limit(1)).one()
    for fields in ({"value": 1.0, "source": ""}, {"value": None, "stage": None, "source": "x"},
                   {"value": 1.0, "stage": "adopted", "source": "x"}):
        nested = session.begin_nested()
        session.add(ProgressUpdate(candidate_id=existing.candidate_id,
                                   indicator_id=existing.indicator_id,
                                   as_of=date(2024, 1, 1), **fields))
        with pytest.raises(IntegrityError):
            session.flush()
        nested.rollback()
