"""The pace rules of app/status.py: the pace a target needs from the latest value to its due
date, the pace the trend shows, and their ratio. No database."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.status import (
    DAYS_PER_YEAR,
    Pace,
    PaceNote,
    Status,
    evaluate_benchmark,
    pace_of,
    pace_sentence,
)
from tests.factories import AS_OF, LAW, RESPONSE, SPENDING, m, yearly

LATEST = date(2024, 12, 31)
THREE_YEARS = (date(2027, 12, 31) - LATEST).days / DAYS_PER_YEAR

PACE_CASES = [
    # spec, latest score, slope, is_met, as_of → required, ratio, note
    pytest.param(SPENDING, 1.4, 0.2, False, AS_OF, 0.6 / THREE_YEARS, 0.2 / (0.6 / THREE_YEARS),
                 None, id="behind_the_needed_pace"),
    pytest.param(SPENDING, 1.4, 0.0, False, AS_OF, 0.6 / THREE_YEARS, 0.0, None,
                 id="standing_still_ratio_zero"),
    pytest.param(SPENDING, 1.4, -0.1, False, AS_OF, 0.6 / THREE_YEARS,
                 -0.1 / (0.6 / THREE_YEARS), None, id="moving_away_ratio_negative"),
    pytest.param(SPENDING, 1.4, None, False, AS_OF, 0.6 / THREE_YEARS, None, None,
                 id="no_trend_no_ratio"),
    pytest.param(RESPONSE, 25.0, -5.0, False, AS_OF, -15.0 / THREE_YEARS,
                 -5.0 / (-15.0 / THREE_YEARS), None, id="lower_is_better_needs_a_fall"),
    pytest.param(RESPONSE, 25.0, 2.0, False, AS_OF, -15.0 / THREE_YEARS,
                 2.0 / (-15.0 / THREE_YEARS), None, id="lower_is_better_rising_is_negative"),
    pytest.param(replace(LAW, due_on=date(2026, 12, 31)), 1.0, 0.5, False, AS_OF,
                 2.0 / ((date(2026, 12, 31) - LATEST).days / DAYS_PER_YEAR),
                 0.5 / (2.0 / ((date(2026, 12, 31) - LATEST).days / DAYS_PER_YEAR)), None,
                 id="milestone_stages_a_year"),
    pytest.param(SPENDING, 2.1, 0.2, True, AS_OF, None, None, PaceNote.met, id="met"),
    pytest.param(replace(SPENDING, due_on=None), 1.4, 0.2, False, AS_OF, None, None,
                 PaceNote.no_due_date, id="no_due_date"),
    pytest.param(replace(SPENDING, due_on=date(2025, 6, 29)), 1.4, 0.2, False, AS_OF, None,
                 None, PaceNote.past_due, id="past_due"),
    pytest.param(replace(SPENDING, due_on=AS_OF), 1.4, 0.2, False, AS_OF,
                 0.6 / ((AS_OF - LATEST).days / DAYS_PER_YEAR),
                 0.2 / (0.6 / ((AS_OF - LATEST).days / DAYS_PER_YEAR)), None,
                 id="due_today_still_has_the_time_since_the_latest_value"),
    pytest.param(replace(SPENDING, due_on=LATEST), 1.4, 0.2, False, LATEST, None, None,
                 PaceNote.due_now, id="due_on_the_latest_values_day"),
    pytest.param(SPENDING, None, None, False, AS_OF, None, None, PaceNote.no_data,
                 id="no_data"),
]


@pytest.mark.parametrize(("spec", "score", "slope", "is_met", "as_of", "required", "ratio",
                          "note"), PACE_CASES)
def test_pace_table(spec, score, slope, is_met, as_of, required, ratio, note):
    pace = pace_of(spec, LATEST if score is not None else None, score, slope, is_met=is_met,
                   as_of=as_of)
    assert pace.note is note
    assert pace.achieved == slope
    assert pace.required == (pytest.approx(required) if required is not None else None)
    assert pace.ratio == (pytest.approx(ratio) if ratio is not None else None)


def test_evaluation_carries_its_pace():
    evaluation = evaluate_benchmark(SPENDING, yearly(1.4, 1.6, 1.8), AS_OF)
    pace = evaluation.pace
    assert pace.achieved == evaluation.slope == pytest.approx(0.2, abs=0.001)
    assert pace.required == pytest.approx(0.2 / THREE_YEARS)
    assert pace.ratio == pytest.approx(pace.achieved / pace.required)


def test_evaluation_without_data_has_no_pace():
    pace = evaluate_benchmark(SPENDING, [], AS_OF).pace
    assert pace == Pace(None, None, None, PaceNote.no_data)


def test_milestone_pace_is_in_stages():
    law = replace(LAW, due_on=date(2026, 6, 30))
    evaluation = evaluate_benchmark(
        law, [m(1, "2023-06-30", stage="drafted"), m(2, "2024-06-30", stage="tabled")],
        date(2025, 3, 1))
    assert evaluation.pace.achieved == pytest.approx(1.0, abs=0.01)  # a stage a year
    assert evaluation.pace.required == pytest.approx(0.5, abs=0.01)  # one stage in two years
    assert evaluation.pace.ratio == pytest.approx(2.0, abs=0.02)


WORDS_CASES = [
    pytest.param(SPENDING, Pace(0.4, 0.12, 0.3, None),
                 "needs +0.40 points a year; has done +0.12", id="percentage_in_points"),
    pytest.param(RESPONSE, Pace(-5.0, -1.25, 0.25, None),
                 "needs -5.00 days a year; has done -1.25", id="lower_is_better"),
    pytest.param(LAW, Pace(0.5, None, None, None),
                 "needs +0.50 stages a year; no trend yet", id="milestone_without_trend"),
    pytest.param(SPENDING, Pace(None, 0.2, None, PaceNote.met), "met: no pace needed",
                 id="met"),
    pytest.param(SPENDING, Pace(None, 0.2, None, PaceNote.past_due),
                 "past due: no pace meets the due date; has done +0.20 points a year",
                 id="past_due"),
]


@pytest.mark.parametrize(("spec", "pace", "words"), WORDS_CASES)
def test_pace_words(spec, pace, words):
    assert pace_sentence(spec, pace) == words


@given(st.lists(st.floats(1.0, 3.0), min_size=2, max_size=6))
def test_ratio_of_one_or_more_is_a_projection_by_the_due_date(values):
    """The pace needed runs from the latest value as the projection does: keeping to it is
    being projected on or before the due date."""
    spec = replace(SPENDING, target_value=3.5, due_on=date(2030, 12, 31))
    evaluation = evaluate_benchmark(spec, yearly(*values, start=2019), AS_OF)
    pace = evaluation.pace
    if evaluation.status is Status.met or pace.ratio is None or evaluation.projected_on is None:
        return
    # The projection is a whole day: within a day of the due date, either side is right.
    one_day = timedelta(days=1)
    if pace.ratio >= 1:
        assert evaluation.projected_on <= spec.due_on + one_day
    else:
        assert evaluation.projected_on >= spec.due_on - one_day
