"""The benchmark history chart's points come from SQL (so a long history costs the page no
memory): they must be exactly the effective measurements the Python status rules give, with
corrections, chains of corrections through retracted links, retractions, late recordings and
milestone stages, and thinning must keep the first and last points in order."""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.candidates.service import get_candidate
from app.evaluation import _measurements, end_of_day, history_chart_points
from app.models import (
    BenchmarkDefinition,
    ProgressUpdate,
    RetractionConfirmation,
    RetractionUndo,
    UpdateRetraction,
    User,
)
from app.status import effective_measurements


@dataclass(frozen=True)
class SeriesOf:
    """Georgia's series of the indicator of one target."""

    definition: BenchmarkDefinition
    candidate_id: int

    @property
    def key(self) -> tuple[int, int]:
        return self.candidate_id, self.definition.indicator_id


def benchmark(session, key):
    georgia = get_candidate(session, "georgia")
    definition = session.scalar(select(BenchmarkDefinition).where(BenchmarkDefinition.key == key))
    return SeriesOf(definition, georgia.id)


def messy_history(session, cb, rng, stages):
    """Eighty updates: some correct an earlier one (chains included), some are retracted
    (before or after the evaluation day; at once, or asked for and confirmed later or never;
    some undone later), some recorded after the day they are evaluated on."""
    start = datetime(2023, 1, 1, 12, tzinfo=UTC)
    someone = User(name="chart-tester", role="analyst")
    session.add(someone)
    session.flush()
    made, corrected = [], set()
    for i in range(80):
        measured = start + timedelta(days=7 * i)
        open_ends = [u for u in made if u.id not in corrected]  # a chain has one newest value
        supersedes = rng.choice(open_ends) if open_ends and rng.random() < 0.3 else None
        if supersedes is not None:
            corrected.add(supersedes.id)
        update = ProgressUpdate(
            candidate_id=cb.candidate_id, indicator_id=cb.definition.indicator_id,
            as_of=measured.date(), source=f"chart test {i}",
            note="", recorded_at=measured + timedelta(days=rng.choice([0, 0, 1, 400])),
            value=None if stages else round(rng.uniform(0.5, 3), 2),
            stage=rng.choice([*stages, "not_a_stage"]) if stages else None,
            supersedes_id=supersedes.id if supersedes is not None else None,
            assessed_by=rng.choice(["independent", "independent", "self"]),
        )
        session.add(update)
        session.flush()
        made.append(update)
        if rng.random() < 0.25:
            retracted_at = measured + timedelta(days=rng.choice([2, 500]))
            retraction = UpdateRetraction(update_id=update.id, reason="test",
                                          retracted_at=retracted_at,
                                          needs_confirmation=rng.random() < 0.5)
            session.add(retraction)
            session.flush()
            if retraction.needs_confirmation and rng.random() < 0.7:
                session.add(RetractionConfirmation(
                    retraction_id=retraction.id, user_id=someone.id,
                    confirmed_at=retracted_at + timedelta(days=rng.choice([0, 3, 300]))))
            if rng.random() < 0.4:
                session.add(RetractionUndo(
                    retraction_id=retraction.id, user_id=someone.id, reason="undone",
                    undone_at=retracted_at + timedelta(days=rng.choice([1, 100, 400]))))
    session.flush()


def python_points(session, cb, stages, as_of):
    measurements = [m for _, m in _measurements(
        session, end_of_day(as_of), ProgressUpdate.candidate_id == cb.candidate_id,
        ProgressUpdate.indicator_id == cb.definition.indicator_id)]
    points = []
    for m in effective_measurements(measurements, as_of):
        revised = m.supersedes_id is not None
        if m.value is not None:
            points.append((m.as_of, m.value, revised, m.assessed_by))
        elif m.stage in stages:
            points.append((m.as_of, float(stages.index(m.stage) + 1), revised, m.assessed_by))
    return points


@pytest.mark.parametrize("key", ["defence_spending_gdp", "nato_standards_adoption"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_points_are_the_rules_effective_measurements(session, key, seed):
    cb = benchmark(session, key)
    stages = list(cb.definition.stages or [])
    messy_history(session, cb, random.Random(seed), stages)
    for as_of in (date(2023, 6, 30), date(2024, 3, 1), date(2026, 11, 1)):
        expected = python_points(session, cb, stages, as_of)
        assert history_chart_points(session, cb.key, stages, as_of, most=10_000) == expected
    assert len(expected) > 20  # the history really is long and mixed


def test_thinning_keeps_first_and_last_and_order(session):
    cb = benchmark(session, "defence_spending_gdp")
    messy_history(session, cb, random.Random(7), [])
    every = history_chart_points(session, cb.key, [], date(2026, 11, 1), most=10_000)
    thinned = history_chart_points(session, cb.key, [], date(2026, 11, 1), most=10)
    assert len(every) > 30
    assert 10 <= len(thinned) <= 11
    assert thinned[0] == every[0] and thinned[-1] == every[-1]
    positions = [every.index(point) for point in thinned]
    assert positions == sorted(positions)
    gaps = [b - a for a, b in zip(positions, positions[1:], strict=False)]
    assert max(gaps[:-1]) - min(gaps[:-1]) <= 1  # evenly spaced, but for the last point
