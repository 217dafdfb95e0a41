"""Self- and independent assessment in app/status.py: which series a status rests on, and when
the two disagree enough to be flagged. No database."""

from dataclasses import replace
from datetime import date

import pytest

from app.status import (
    INDEPENDENT,
    SELF,
    Status,
    assessment_basis,
    divergence_between,
    evaluate_benchmark,
)
from tests.factories import AS_OF, LAW, SPENDING, m


def own(measurement):
    return replace(measurement, assessed_by=SELF)


BASIS_CASES = [
    pytest.param([], None, id="nothing"),
    pytest.param([m(1, "2024-12-31", 1.5)], INDEPENDENT, id="independent_only"),
    pytest.param([own(m(1, "2024-12-31", 1.5))], SELF, id="self_only"),
    pytest.param([own(m(1, "2024-12-31", 1.5)), m(2, "2022-12-31", 1.2)], INDEPENDENT,
                 id="independent_wins_even_when_older"),
    pytest.param([m(1, "2022-12-31", 1.2), own(m(2, "2024-12-31", 1.5))], INDEPENDENT,
                 id="independent_wins_whatever_the_order"),
]


@pytest.mark.parametrize(("measurements", "basis"), BASIS_CASES)
def test_assessment_basis(measurements, basis):
    assert assessment_basis(measurements) == basis


SERIES_CASES = [
    # measurements, as_of → basis, latest id, status
    pytest.param([own(m(1, "2024-12-31", 2.1)), m(2, "2024-12-31", 1.6)], AS_OF,
                 INDEPENDENT, 2, Status.off_track, id="independent_figure_decides"),
    pytest.param([own(m(1, "2024-12-31", 2.1))], AS_OF, SELF, 1, Status.met,
                 id="self_figure_alone_counts"),
    pytest.param([own(m(1, "2024-12-31", 2.1)),
                  m(2, "2024-12-31", 1.6, recorded="2025-07-01")], AS_OF, SELF, 1, Status.met,
                 id="independent_recorded_after_as_of_does_not_count_yet"),
    pytest.param([own(m(1, "2024-12-31", 2.1)), m(2, "2024-12-31", 1.6, retracted="2025-03-01")],
                 AS_OF, SELF, 1, Status.met, id="retracted_independent_falls_back_to_self"),
    pytest.param([m(1, "2023-12-31", 1.6), own(m(2, "2024-12-31", 2.1))], AS_OF,
                 INDEPENDENT, 1, Status.off_track, id="newer_self_figure_does_not_replace"),
    pytest.param([own(m(1, "2023-12-31", 1.0)), own(m(2, "2024-12-31", 2.0)),
                  m(3, "2022-12-31", 1.6), m(4, "2024-06-30", 1.6)], AS_OF, INDEPENDENT, 4,
                 Status.off_track, id="trend_reads_one_series_only"),
]


@pytest.mark.parametrize(("measurements", "as_of", "basis", "latest_id", "status"),
                         SERIES_CASES)
def test_status_rests_on_one_series(measurements, as_of, basis, latest_id, status):
    evaluation = evaluate_benchmark(SPENDING, measurements, as_of)
    assert evaluation.basis == basis
    assert evaluation.latest.id == latest_id
    assert evaluation.status is status


def test_trend_is_never_fitted_across_the_two_series():
    # Flat independent figures and a self figure far above: flat, not improving.
    evaluation = evaluate_benchmark(replace(SPENDING, baseline_value=1.0), [
        m(1, "2023-12-31", 1.6), m(2, "2024-06-30", 1.6), own(m(3, "2024-12-31", 2.5))], AS_OF)
    assert evaluation.slope == pytest.approx(0.0)


DIVERGENCE_CASES = [
    # spec, self, independent, baseline, share → threshold, flagged
    pytest.param(SPENDING, 1.8, 1.6, 1.0, 0.10, 0.1, True, id="beyond_a_tenth_of_the_way"),
    pytest.param(SPENDING, 1.65, 1.6, 1.0, 0.10, 0.1, False, id="within_a_tenth"),
    pytest.param(SPENDING, 1.7, 1.6, 1.0, 0.10, 0.1, False, id="exactly_at_the_threshold"),
    pytest.param(SPENDING, 1.4, 1.6, 1.0, 0.10, 0.1, True, id="self_below_is_flagged_too"),
    pytest.param(SPENDING, 1.8, 1.6, 1.0, 0.25, 0.25, False, id="setting_widens_it"),
    pytest.param(SPENDING, 1.6, 1.6, 2.0, 0.10, 0.0, False, id="no_distance_equal_values"),
    pytest.param(LAW, 3.0, 2.0, 1.0, 0.10, 1.0, True, id="milestone_a_stage_apart"),
    pytest.param(LAW, 2.0, 2.0, 1.0, 0.10, 1.0, False, id="milestone_same_stage"),
]


@pytest.mark.parametrize(("spec", "own_value", "independent", "baseline", "share", "threshold",
                          "flagged"), DIVERGENCE_CASES)
def test_divergence_table(spec, own_value, independent, baseline, share, threshold, flagged):
    divergence = divergence_between(spec, own_value, independent, baseline, share)
    assert divergence.threshold == pytest.approx(threshold)
    assert divergence.difference == pytest.approx(own_value - independent)
    assert divergence.flagged is flagged


def test_evaluation_compares_the_latest_of_each_series():
    spec = replace(SPENDING, baseline_value=1.0)
    evaluation = evaluate_benchmark(spec, [
        own(m(1, "2023-12-31", 1.5)), own(m(2, "2024-12-31", 1.9)),
        m(3, "2023-12-31", 1.4), m(4, "2024-06-30", 1.6)], AS_OF)
    divergence = evaluation.divergence
    assert (divergence.self_value, divergence.independent_value) == (1.9, 1.6)
    assert divergence.flagged
    assert evaluate_benchmark(spec, [m(1, "2023-12-31", 1.5)], AS_OF).divergence is None
    assert evaluate_benchmark(spec, [own(m(1, "2023-12-31", 1.5))], AS_OF).divergence is None


def test_divergence_share_is_passed_in():
    spec = replace(SPENDING, baseline_value=1.0)
    both = [own(m(1, "2024-12-31", 1.8)), m(2, "2024-12-31", 1.6)]
    assert evaluate_benchmark(spec, both, AS_OF).divergence.flagged
    assert not evaluate_benchmark(spec, both, AS_OF, divergence_share=0.5).divergence.flagged


def test_milestone_divergence_in_stages():
    evaluation = evaluate_benchmark(LAW, [own(m(1, "2025-03-01", stage="adopted")),
                                          m(2, "2025-03-01", stage="drafted")], AS_OF)
    assert evaluation.basis == INDEPENDENT
    assert evaluation.status is not Status.met
    assert evaluation.divergence.difference == 2.0
    assert evaluation.divergence.flagged
    assert date(2025, 3, 1) == evaluation.latest.as_of
