"""The status rules of app/status.py: tables of inputs → status, properties checked with
hypothesis, and the candidate aggregates. No database."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import status
from app.status import (
    AT_RISK_GRACE_DAYS,
    PROJECTION_HORIZON_YEARS,
    TREND_MAX_POINTS,
    Change,
    Measurement,
    Status,
    Trend,
    effective_measurements,
    evaluate_benchmark,
    evaluate_candidate,
    quarter_end_before,
)
from tests.factories import AS_OF, LAW, RESPONSE, SPENDING, STAGES, m, yearly

# SIPRI, 2025 release: Ukraine's military expenditure, % of GDP, 2018–2024.
UKRAINE = yearly(3.64, 4.07, 4.40, 3.43, 25.64, 36.53, 34.48, start=2018)

STATUS_CASES = [
    pytest.param(SPENDING, [], AS_OF, Status.no_data, None, id="no_data"),
    pytest.param(SPENDING, yearly(1.5, start=2024), AS_OF, Status.off_track, 0.0,
                 id="one_point_is_its_own_baseline"),
    pytest.param(replace(SPENDING, baseline_value=0.0), yearly(1.5, start=2024), AS_OF,
                 Status.at_risk, 75.0, id="one_point_near_target"),
    pytest.param(replace(SPENDING, baseline_value=1.0), yearly(1.6, 1.6, 1.6), AS_OF,
                 Status.off_track, 60.0, id="flat_far_from_target"),
    pytest.param(replace(SPENDING, baseline_value=0.0), yearly(1.6, 1.6, 1.6), AS_OF,
                 Status.at_risk, 80.0, id="flat_near_target"),
    pytest.param(replace(SPENDING, baseline_value=0.0), yearly(1.8, 1.7, 1.6), AS_OF,
                 Status.off_track, 80.0, id="worsening_near_target"),
    pytest.param(SPENDING, yearly(1.4, 1.6, 1.8), AS_OF, Status.on_track, 66.67,
                 id="improving_on_track"),
    pytest.param(replace(SPENDING, due_on=date(2025, 6, 30)), yearly(1.4, 1.6, 1.8),
                 date(2025, 3, 31), Status.at_risk, 66.67, id="improving_within_grace"),
    pytest.param(SPENDING, yearly(1.0, 1.05, 1.1), AS_OF, Status.off_track, 10.0,
                 id="improving_too_slowly"),
    pytest.param(SPENDING, yearly(1.0, 1.015, 1.03), AS_OF, Status.off_track, 3.0,
                 id="improving_beyond_horizon"),
    pytest.param(replace(SPENDING, due_on=None), yearly(1.0, 1.05, 1.1), AS_OF,
                 Status.on_track, 10.0, id="no_due_date_improving"),
    pytest.param(RESPONSE, yearly(30, 25, 20), AS_OF, Status.on_track, 50.0,
                 id="lower_is_better_improving"),
    pytest.param(RESPONSE, yearly(30, 8), AS_OF, Status.met, 100.0, id="lower_is_better_met"),
    pytest.param(RESPONSE, yearly(20, 25, 30), AS_OF, Status.off_track, 0.0,
                 id="lower_is_better_worsening"),
    pytest.param(LAW, [m(1, "2025-03-01", stage="adopted")], AS_OF, Status.met, 100.0,
                 id="milestone_target_reached"),
    pytest.param(LAW, [m(1, "2025-03-01", stage="in_force")], AS_OF, Status.met, 100.0,
                 id="milestone_beyond_target"),
    pytest.param(LAW, [m(1, "2025-03-01", stage="tabled")], AS_OF, Status.off_track, 66.67,
                 id="milestone_not_reached"),
    pytest.param(LAW, [m(1, "2023-06-30", stage="drafted"), m(2, "2024-06-30", stage="tabled")],
                 date(2025, 3, 1), Status.on_track, 66.67, id="milestone_improving"),
    pytest.param(LAW, [m(1, "2025-03-01", stage="rumoured")], AS_OF, Status.off_track, 0.0,
                 id="milestone_unknown_stage_is_zero"),
    pytest.param(replace(SPENDING, baseline_value=1.0),
                 [m(1, "2024-12-31", 2.1, recorded="2025-01-10"),
                  m(2, "2024-12-31", 1.7, recorded="2025-02-01", supersedes=1)],
                 AS_OF, Status.off_track, 70.0, id="correction_replaces_original"),
    pytest.param(SPENDING,
                 [m(1, "2024-12-31", 1.5), m(2, "2024-12-31", 1.6, supersedes=1),
                  m(3, "2024-12-31", 2.5, supersedes=2)],
                 AS_OF, Status.met, 100.0, id="correction_chain_last_wins"),
    pytest.param(replace(SPENDING, baseline_value=1.0),
                 [m(1, "2024-12-31", 2.5), m(2, "2024-12-31", 2.2, supersedes=1),
                  m(3, "2024-12-31", 1.5, supersedes=2)],
                 AS_OF, Status.off_track, 50.0, id="correction_chain_to_unmet"),
    pytest.param(SPENDING,
                 [m(1, "2024-12-31", 2.1),
                  m(2, "2024-12-31", 1.7, recorded="2025-07-15", supersedes=1)],
                 AS_OF, Status.met, 100.0, id="correction_recorded_later_ignored"),
    pytest.param(replace(SPENDING, baseline_value=1.0),
                 [m(1, "2023-12-31", 1.5), m(2, "2024-12-31", 2.1, retracted="2025-03-01")],
                 AS_OF, Status.off_track, 50.0, id="retracted_ignored"),
    pytest.param(SPENDING,
                 [m(1, "2023-12-31", 1.5), m(2, "2024-12-31", 2.1, retracted="2025-07-01")],
                 AS_OF, Status.met, 100.0, id="retracted_after_as_of_still_counts"),
    pytest.param(SPENDING,
                 [m(1, "2024-12-31", 2.1),
                  m(2, "2024-12-31", 1.7, supersedes=1, retracted="2025-03-01")],
                 AS_OF, Status.met, 100.0, id="retracted_correction_restores_original"),
    pytest.param(replace(SPENDING, baseline_value=0.0, due_on=AS_OF), yearly(1.6, 1.6, 1.6),
                 AS_OF, Status.at_risk, 80.0, id="due_today_not_overdue"),
    pytest.param(replace(SPENDING, baseline_value=0.0, due_on=date(2025, 6, 29)),
                 yearly(1.6, 1.6, 1.6), AS_OF, Status.overdue, 80.0, id="due_passed_overdue"),
    pytest.param(replace(SPENDING, due_on=date(2024, 12, 31)), yearly(2.1, start=2024), AS_OF,
                 Status.met, 100.0, id="met_after_due_date_is_met"),
    pytest.param(replace(SPENDING, baseline_value=2.5), yearly(2.3, start=2024), AS_OF,
                 Status.met, 100.0, id="target_met_at_baseline"),
    pytest.param(replace(SPENDING, baseline_value=2.5), yearly(1.9, start=2024), AS_OF,
                 Status.off_track, 0.0, id="met_at_baseline_then_slipped"),
    pytest.param(replace(SPENDING, baseline_value=2.0), yearly(1.9, start=2024), AS_OF,
                 Status.off_track, 0.0, id="baseline_equals_target"),
    pytest.param(SPENDING, UKRAINE, AS_OF, Status.met, 100.0, id="far_above_target_ukraine"),
    pytest.param(SPENDING,
                 [m(1, "2024-12-31", 1.5), m(2, "2025-12-31", 2.5, recorded="2025-05-01")],
                 AS_OF, Status.off_track, 0.0, id="measured_after_as_of_ignored"),
    pytest.param(SPENDING,
                 [m(1, "2023-12-31", 1.5), m(2, "2024-12-31", 2.5, recorded="2025-07-01")],
                 AS_OF, Status.off_track, 0.0, id="recorded_after_as_of_ignored"),
]


@pytest.mark.parametrize(("spec", "measurements", "as_of", "status", "progress"), STATUS_CASES)
def test_status_table(spec, measurements, as_of, status, progress):
    evaluation = evaluate_benchmark(spec, measurements, as_of)
    assert evaluation.status is status
    if progress is None:
        assert evaluation.progress is None
    else:
        assert evaluation.progress == pytest.approx(progress, abs=0.01)
    assert evaluation.reason.endswith(".")


def test_steady_improvement_is_fitted_and_projected():
    evaluation = evaluate_benchmark(SPENDING, yearly(1.4, 1.6, 1.8), AS_OF)
    assert evaluation.trend is Trend.improving
    assert evaluation.slope == pytest.approx(0.2, abs=0.001)
    # 0.2 pt short at 0.2 pt a year: about a year after the latest value.
    assert date(2025, 12, 29) <= evaluation.projected_on <= date(2026, 1, 2)
    assert "least-squares fit of 3 measurements since 2022-06-30" in evaluation.projection_note


@pytest.mark.parametrize(
    ("measurements", "trend"),
    [
        pytest.param(yearly(1.5, start=2024), None, id="one_point"),
        pytest.param([m(1, "2024-12-31", 1.5), m(2, "2024-12-31", 1.7, recorded="2025-01-02")],
                     None, id="two_points_same_date"),
        pytest.param(yearly(1.6, 1.6, 1.6), Trend.flat, id="flat"),
        pytest.param(yearly(1.6, 1.6, 1.605), Trend.flat, id="tiny_rise_is_flat"),
        pytest.param(yearly(1.8, 1.7, 1.6), Trend.worsening, id="worsening"),
        pytest.param(yearly(1.0, 1.1), Trend.improving, id="improving"),
        pytest.param(yearly(0.5, 0.5, 1.8, start=2019), None, id="old_points_outside_window"),
    ],
)
def test_trend(measurements, trend):
    evaluation = evaluate_benchmark(SPENDING, measurements, AS_OF)
    assert evaluation.trend == trend
    assert evaluation.projected_on is None or trend is Trend.improving


def test_trend_uses_only_the_latest_points():
    # Two early lows then a steady plateau: only the plateau is in the last TREND_MAX_POINTS.
    quarters = [date(2023, 3, 31) + timedelta(days=91 * i) for i in range(TREND_MAX_POINTS + 2)]
    values = [0.5, 0.5] + [1.6] * TREND_MAX_POINTS
    measurements = [
        m(i, q.isoformat(), v) for i, (q, v) in enumerate(zip(quarters, values, strict=True))
    ]
    evaluation = evaluate_benchmark(SPENDING, measurements, quarters[-1])
    assert evaluation.trend is Trend.flat


@pytest.mark.parametrize(
    ("measurements", "note"),
    [
        pytest.param(UKRAINE, "already met", id="met"),
        pytest.param([], "no data", id="no_data"),
        pytest.param(yearly(1.5, start=2024), "no trend: needs 2 measurements on different dates"
                     " since 2022-06-30", id="one_point"),
        pytest.param(yearly(1.8, 1.7, 1.6), "no projection: worsening at -0.1 pt a year",
                     id="worsening"),
        pytest.param(yearly(1.0, 1.015, 1.03),
                     f"not within {PROJECTION_HORIZON_YEARS} years at the current pace", id="slow"),
    ],
)
def test_projection_note_says_why(measurements, note):
    evaluation = evaluate_benchmark(SPENDING, measurements, AS_OF)
    assert evaluation.projected_on is None
    assert evaluation.projection_note.startswith(note)


def test_projection_already_past_moves_to_as_of():
    evaluation = evaluate_benchmark(SPENDING, yearly(1.4, 1.6, 1.8), date(2026, 6, 30))
    assert evaluation.projected_on == date(2026, 6, 30)
    assert evaluation.status is Status.on_track


def test_reason_sentences():
    on_track = evaluate_benchmark(SPENDING, yearly(1.4, 1.5, 1.6000001), AS_OF)
    assert on_track.reason == (
        "1.6 % of GDP on 2024-12-31 against a target of 2 % of GDP due 2027-12-31;"
        f" at +0.1 pt a year it would be met by {on_track.projected_on.isoformat()}."
    )
    assert evaluate_benchmark(SPENDING, UKRAINE, AS_OF).reason == (
        "34.48 % of GDP on 2024-12-31 meets a target of 2 % of GDP due 2027-12-31."
    )
    assert evaluate_benchmark(SPENDING, [], AS_OF).reason == (
        "No measurement as of 2025-06-30 against a target of 2 % of GDP due 2027-12-31."
    )
    overdue = evaluate_benchmark(replace(SPENDING, due_on=date(2025, 1, 1)), yearly(1.5), AS_OF)
    assert overdue.reason == (
        "1.5 % of GDP on 2022-12-31 falls short of a target of 2 % of GDP due 2025-01-01, now past."
    )
    law = evaluate_benchmark(LAW, [m(1, "2025-03-01", stage="tabled")], AS_OF)
    assert law.reason.startswith(
        "Stage tabled (2 of 4) on 2025-03-01 against the target stage adopted due 2025-12-31; "
    )


def test_at_risk_grace_is_counted_from_the_due_date():
    spec = replace(SPENDING, due_on=date(2025, 6, 30))
    evaluation = evaluate_benchmark(spec, yearly(1.4, 1.6, 1.8), date(2025, 3, 31))
    assert spec.due_on < evaluation.projected_on <= spec.due_on + timedelta(AT_RISK_GRACE_DAYS)


@pytest.mark.parametrize(
    ("measurements", "latest_id"),
    [
        pytest.param([m(1, "2024-12-31", 1.5), m(2, "2023-12-31", 1.9, recorded="2025-01-05")], 1,
                     id="latest_measured_wins_over_latest_recorded"),
        pytest.param([m(1, "2024-12-31", 1.5, recorded="2025-01-05"), m(2, "2024-12-31", 1.6)], 1,
                     id="same_date_later_recorded_wins"),
        pytest.param([m(3, "2024-12-31", 1.5), m(2, "2024-12-31", 1.6)], 3,
                     id="same_date_and_time_higher_id_wins"),
    ],
)
def test_latest(measurements, latest_id):
    assert evaluate_benchmark(SPENDING, measurements, AS_OF).latest.id == latest_id


def test_recorded_at_is_read_in_utc():
    # 01:00 on 1 July in UTC+2 is 23:00 on 30 June UTC: known on 30 June.
    recorded = datetime(2025, 7, 1, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    measurement = Measurement(1, date(2024, 12, 31), recorded, "test", value=2.1)
    assert evaluate_benchmark(SPENDING, [measurement], AS_OF).status is Status.met


def test_superseded_measurement_counts_nowhere():
    measurements = [m(1, "2023-12-31", 0.5), m(2, "2023-12-31", 1.5, supersedes=1),
                    m(3, "2024-12-31", 1.6)]
    assert [e.id for e in effective_measurements(measurements, AS_OF)] == [2, 3]
    evaluation = evaluate_benchmark(SPENDING, measurements, AS_OF)
    assert evaluation.progress == pytest.approx(20.0)  # baseline 1.5, not the replaced 0.5
    assert evaluation.slope == pytest.approx(0.1, abs=0.001)


def test_correction_replaces_the_chain_behind_it_even_through_a_retracted_link():
    measurements = [
        m(1, "2024-12-31", 2.5, recorded="2025-01-10"),
        m(2, "2024-12-31", 2.2, recorded="2025-02-01", supersedes=1, retracted="2025-03-01"),
        m(3, "2024-12-31", 1.5, recorded="2025-04-01", supersedes=2),
    ]
    assert [e.id for e in effective_measurements(measurements, AS_OF)] == [3]
    # Before the last correction, the retraction of the first one brings the original back.
    assert [e.id for e in effective_measurements(measurements, date(2025, 3, 15))] == [1]


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(replace(SPENDING, weight=0), id="zero_weight"),
        pytest.param(replace(SPENDING, target_value=None), id="numeric_without_target"),
        pytest.param(replace(SPENDING, direction=None), id="numeric_without_direction"),
        pytest.param(replace(LAW, target_stage="ratified"), id="unknown_target_stage"),
        pytest.param(replace(SPENDING, kind="qualitative"), id="unknown_kind"),
    ],
)
def test_unusable_spec_is_refused(spec):
    with pytest.raises(ValueError):
        evaluate_benchmark(spec, [], AS_OF)


# Change since the previous quarterly review: as of 2025-11-23 that review is 2025-09-30.
@pytest.mark.parametrize(
    ("measurements", "previous", "change"),
    [
        pytest.param([m(1, "2024-12-31", 1.5), m(2, "2025-10-15", 2.1)], Status.off_track,
                     Change.improved, id="improved"),
        pytest.param([m(1, "2024-12-31", 2.1), m(2, "2025-10-15", 1.8)], Status.met,
                     Change.backslid, id="backslid"),
        pytest.param([m(1, "2024-12-31", 2.1)], Status.met, Change.unchanged, id="unchanged"),
        pytest.param([m(1, "2025-10-15", 2.1)], Status.no_data, None, id="no_previous_data"),
        pytest.param([m(1, "2024-12-31", 2.1, retracted="2025-10-01")], Status.met, None,
                     id="no_current_data"),
    ],
)
def test_change_since_previous_quarter(measurements, previous, change):
    evaluation = evaluate_benchmark(SPENDING, measurements, date(2025, 11, 23))
    assert evaluation.previous_status is previous
    assert evaluation.change == change


@pytest.mark.parametrize(
    ("day", "quarter_end"),
    [
        ("2025-11-23", "2025-09-30"),
        ("2025-10-01", "2025-09-30"),
        ("2025-12-31", "2025-09-30"),
        ("2025-01-01", "2024-12-31"),
        ("2025-03-31", "2024-12-31"),
        ("2025-04-01", "2025-03-31"),
        ("2024-08-15", "2024-06-30"),
        ("2024-02-29", "2023-12-31"),
    ],
)
def test_quarter_end_before(day, quarter_end):
    assert quarter_end_before(date.fromisoformat(day)) == date.fromisoformat(quarter_end)


# Aggregates.

EQUIPMENT = replace(SPENDING, key="equipment_share", title="Equipment share", weight=1.0,
                    unit="% of defence expenditure", target_value=20.0)


def test_candidate_readiness_is_the_weighted_mean_with_missing_data_as_zero():
    evaluation = evaluate_candidate(
        [
            (SPENDING, UKRAINE),  # met: 100, weight 2
            (EQUIPMENT, []),  # no data: 0, weight 1
            (LAW, [m(1, "2025-03-01", stage="drafted")]),  # 1 of 3 stages: 33.3, weight 1
        ],
        AS_OF,
    )
    assert evaluation.readiness == pytest.approx((2 * 100 + 0 + 100 / 3) / 4)
    assert [c.key for c in evaluation.categories] == ["spending", "legal"]
    spending, legal = evaluation.categories
    assert spending.readiness == pytest.approx(200 / 3)
    assert spending.weight == 3.0
    assert legal.readiness == pytest.approx(100 / 3)
    assert spending.counts == {"met": 1, "on_track": 0, "at_risk": 0, "off_track": 0,
                               "overdue": 0, "no_data": 1}
    assert evaluation.counts == {"met": 1, "on_track": 0, "at_risk": 0, "off_track": 1,
                                 "overdue": 0, "no_data": 1}
    assert evaluation.projected_on is None
    assert evaluation.projection_note == (
        "no projection for Equipment share, Intelligence-sharing law"
    )


def test_candidate_is_projected_when_its_last_benchmark_is():
    law = [m(1, "2023-06-30", stage="drafted"), m(2, "2024-06-30", stage="tabled")]
    evaluation = evaluate_candidate(
        [(SPENDING, yearly(1.4, 1.6, 1.8)), (LAW, law)],
        date(2025, 3, 1),
    )
    projections = [b.projected_on for b in evaluation.benchmarks]
    assert None not in projections
    assert evaluation.projected_on == max(projections)
    assert "Defence spending" in evaluation.projection_note


def test_candidate_with_every_benchmark_met_has_no_projected_date():
    evaluation = evaluate_candidate([(SPENDING, UKRAINE), (RESPONSE, yearly(8))], AS_OF)
    assert evaluation.readiness == 100.0
    assert evaluation.projected_on is None
    assert evaluation.projection_note == "every benchmark is already met"


def test_empty_candidate_is_a_valid_empty_evaluation():
    evaluation = evaluate_candidate([], AS_OF)
    assert evaluation.readiness is None
    assert evaluation.benchmarks == []
    assert evaluation.categories == []
    assert evaluation.counts == {status.value: 0 for status in Status}
    assert evaluation.projected_on is None


# Properties.

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
days = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def specs(draw):
    if draw(st.booleans()):
        return replace(
            SPENDING,
            weight=draw(st.floats(min_value=0.1, max_value=10)),
            direction=draw(st.sampled_from(["higher_is_better", "lower_is_better"])),
            target_value=draw(values),
            baseline_value=draw(st.none() | values),
            due_on=draw(st.none() | days),
        )
    return replace(
        LAW,
        target_stage=draw(st.sampled_from(STAGES)),
        baseline_stage=draw(st.none() | st.sampled_from(STAGES)),
        due_on=draw(st.none() | days),
    )


@st.composite
def histories(draw, first_id=1, max_size=10, recorded_after=None):
    """Measurements carrying both a value and a stage, so they fit either kind of spec;
    corrections point at earlier ids. With `recorded_after`, all are recorded after that day."""
    measurements = []
    for i in range(first_id, first_id + draw(st.integers(0, max_size))):
        as_of = draw(days)
        earliest = max(as_of, recorded_after + timedelta(1)) if recorded_after else as_of
        recorded = earliest + timedelta(days=draw(st.integers(0, 400)))
        recorded_at = datetime.combine(recorded, time(draw(st.integers(0, 23))), tzinfo=UTC)
        retracted_at = draw(
            st.none() | st.integers(0, 800).map(lambda n, r=recorded_at: r + timedelta(days=n))
        )
        measurements.append(Measurement(
            id=i,
            as_of=as_of,
            recorded_at=recorded_at,
            source="test",
            value=draw(values),
            stage=draw(st.sampled_from((*STAGES, "unknown", None))),
            supersedes_id=draw(st.none() | st.integers(1, i - 1)) if i > 1 else None,
            retracted_at=retracted_at,
        ))
    return measurements


@given(specs(), histories(), days)
def test_progress_is_within_0_and_100(spec, measurements, as_of):
    evaluation = evaluate_benchmark(spec, measurements, as_of)
    if evaluation.status is Status.no_data:
        assert evaluation.progress is None
    else:
        assert 0.0 <= evaluation.progress <= 100.0


@given(specs(), histories(), days, st.data())
def test_a_latest_value_that_meets_the_target_is_met(spec, measurements, as_of, data):
    if spec.kind == "numeric":
        sign = -1 if spec.direction == "lower_is_better" else 1
        value = spec.target_value + sign * data.draw(st.floats(min_value=0, max_value=1e6))
        stage = None
    else:
        value = None
        stage = data.draw(st.sampled_from(STAGES[STAGES.index(spec.target_stage):]))
    meeting = Measurement(
        id=len(measurements) + 1,
        as_of=as_of,
        recorded_at=datetime.combine(as_of, time.max, tzinfo=UTC),
        source="test",
        value=value,
        stage=stage,
    )
    evaluation = evaluate_benchmark(spec, [*measurements, meeting], as_of)
    assert evaluation.latest == meeting
    assert evaluation.status is Status.met
    assert evaluation.progress == 100.0


@given(specs(), histories(), days, st.data())
def test_evaluation_is_deterministic_and_ignores_input_order(spec, measurements, as_of, data):
    shuffled = data.draw(st.permutations(measurements))
    first = evaluate_benchmark(spec, measurements, as_of)
    assert evaluate_benchmark(spec, measurements, as_of) == first
    assert evaluate_benchmark(spec, shuffled, as_of) == first


@given(specs(), histories(), days, st.data())
def test_records_made_after_as_of_change_nothing(spec, measurements, as_of, data):
    later = data.draw(histories(first_id=len(measurements) + 1, recorded_after=as_of))
    assert evaluate_benchmark(spec, [*measurements, *later], as_of) == evaluate_benchmark(
        spec, measurements, as_of
    )


@given(st.lists(st.tuples(specs(), histories()), max_size=5), days)
def test_candidate_aggregates_stay_in_range(items, as_of):
    evaluation = evaluate_candidate(items, as_of)
    assert sum(evaluation.counts.values()) == len(items)
    assert set(evaluation.counts) == {status.value for status in Status}
    # No figure without a single measurement: missing data is a gap, never 0 %.
    assert (evaluation.readiness is None) == all(b.progress is None
                                                 for b in evaluation.benchmarks)
    if items and evaluation.readiness is not None:
        assert 0.0 <= evaluation.readiness <= 100.0
        assert sum(c.weight for c in evaluation.categories) == pytest.approx(
            sum(spec.weight for spec, _ in items)
        )


def test_methodology_quotes_every_threshold_with_its_value():
    """docs/status-rules.md promises the same numbers as the constants; keep them in step."""
    text = (Path(__file__).parents[1] / "docs" / "status-rules.md").read_text()
    rows = {
        cells[1].strip("` "): cells[2].strip()
        for line in text.splitlines()
        if line.startswith("| `") and len(cells := line.split("|")) > 3
    }
    constants = {
        name: value for name, value in vars(status).items()
        if name.isupper() and isinstance(value, int | float)
    }
    assert set(constants) <= set(rows)
    for name, value in constants.items():
        assert float(rows[name]) == value, name


def test_worked_example_of_the_methodology():
    """Georgia's defence spending, as worked through by hand in docs/status-rules.md §11."""
    spec = replace(SPENDING, baseline_value=1.61)
    measurements = [
        m(1, "2022-12-31", 1.61, recorded="2023-04-24"),
        m(2, "2023-12-31", 1.66, recorded="2024-04-22"),
        m(3, "2024-12-31", 1.86, recorded="2025-04-28"),
    ]
    evaluation = evaluate_benchmark(spec, measurements, AS_OF)
    assert evaluation.progress == pytest.approx(64.1, abs=0.05)
    assert evaluation.slope == pytest.approx(0.1249, abs=0.0001)
    assert evaluation.trend is Trend.improving
    assert evaluation.projected_on == date(2026, 2, 13)
    assert evaluation.status is Status.on_track
    previous = evaluate_benchmark(spec, measurements, date(2025, 3, 31))
    assert previous.progress == pytest.approx(12.8, abs=0.05)
    assert previous.projected_on == date(2030, 10, 17)
    assert evaluation.previous_status is Status.off_track
    assert evaluation.change is Change.improved
    assert evaluation.reason == (
        "1.86 % of GDP on 2024-12-31 against a target of 2 % of GDP due 2027-12-31;"
        " at +0.12 pt a year it would be met by 2026-02-13."
    )
    law = [m(4, "2024-03-01", stage="drafted"), m(5, "2025-02-01", stage="tabled")]
    candidate = evaluate_candidate([(spec, measurements), (LAW, law)], AS_OF)
    assert candidate.readiness == pytest.approx(65.0, abs=0.05)
