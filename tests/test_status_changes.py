"""The rules of the status-change feed (app/status_changes.py): tables of before/after states →
the changes told. No database."""

from datetime import date
from pathlib import Path

import pytest

from app.status import Status
from app.status_changes import (
    BenchmarkState,
    Revision,
    revision,
    state_fields,
    state_from,
    status_changes,
)

DUE = date(2027, 12, 31)
ON_TRACK = BenchmarkState(Status.on_track, target_value=2.0, due_on=DUE, figure_id=10,
                          figure_vintage="2024")


def state(**fields) -> BenchmarkState:
    return BenchmarkState(**{**ON_TRACK.__dict__, **fields})


@pytest.mark.parametrize(("before", "after", "expected"), [
    (ON_TRACK, ON_TRACK, None),
    (ON_TRACK, state(status=Status.met), None),  # a status move is not a revision
    (ON_TRACK, state(target_value=3.5), Revision.target),
    (ON_TRACK, state(due_on=date(2030, 12, 31)), Revision.target),
    (ON_TRACK, state(target_value=None, target_stage="adopted"), Revision.target),
    # the latest figure corrects the one the status rested on, from a later release
    (ON_TRACK, state(figure_id=11, figure_supersedes=10, figure_vintage="2025"), Revision.figure),
    # a correction with no vintage, or the same one, is a correction, not a revision
    (ON_TRACK, state(figure_id=11, figure_supersedes=10, figure_vintage=None), None),
    (ON_TRACK, state(figure_id=11, figure_supersedes=10, figure_vintage="2024"), None),
    # a new figure that corrects nothing (a later measurement) is not a revision
    (ON_TRACK, state(figure_id=11, figure_vintage="2025"), None),
    # a revision of an older figure than the one the status rested on
    (ON_TRACK, state(figure_id=11, figure_supersedes=9, figure_vintage="2025"), None),
    # both: the target is told
    (ON_TRACK, state(target_value=3.5, figure_id=11, figure_supersedes=10,
                     figure_vintage="2025"), Revision.target),
])
def test_revision(before, after, expected):
    assert revision(before, after) is expected


@pytest.mark.parametrize(("before", "after", "told"), [
    # every move of status, into or out of any status
    ({"a": ON_TRACK}, {"a": state(status=Status.met)}, [("a", Status.on_track, Status.met, None)]),
    ({"a": ON_TRACK}, {"a": state(status=Status.at_risk)},
     [("a", Status.on_track, Status.at_risk, None)]),
    ({"a": state(status=Status.at_risk)}, {"a": state(status=Status.overdue)},
     [("a", Status.at_risk, Status.overdue, None)]),
    ({"a": state(status=Status.met)}, {"a": state(status=Status.off_track)},
     [("a", Status.met, Status.off_track, None)]),
    ({"a": state(status=Status.met)}, {"a": state(status=Status.no_data)},
     [("a", Status.met, Status.no_data, None)]),
    # nothing moved, nothing told
    ({"a": ON_TRACK}, {"a": ON_TRACK}, []),
    ({"a": ON_TRACK}, {"a": state(figure_id=11)}, []),
    # revised, status unchanged: told
    ({"a": ON_TRACK}, {"a": state(target_value=3.5)},
     [("a", Status.on_track, Status.on_track, Revision.target)]),
    # revised and moved: one change
    ({"a": ON_TRACK}, {"a": state(status=Status.off_track, target_value=3.5)},
     [("a", Status.on_track, Status.off_track, Revision.target)]),
    # nothing recorded before: its first status is told, unless there is no data yet
    ({}, {"a": ON_TRACK}, [("a", None, Status.on_track, None)]),
    ({}, {"a": state(status=Status.no_data)}, []),
    # a benchmark no longer asked is not told; the others in after's order
    ({"a": ON_TRACK, "b": ON_TRACK, "c": ON_TRACK},
     {"c": state(status=Status.met), "b": state(status=Status.overdue)},
     [("c", Status.on_track, Status.met, None), ("b", Status.on_track, Status.overdue, None)]),
])
def test_status_changes(before, after, told):
    changes = status_changes(before, after)
    assert [(c.key, c.before.status if c.before else None, c.after.status, c.revised)
            for c in changes] == told


@pytest.mark.parametrize("s", [
    ON_TRACK, state(status=Status.no_data, target_value=None, target_stage="adopted",
                    due_on=None, figure_id=None, figure_vintage=None),
    state(figure_supersedes=4),
])
def test_a_state_round_trips_through_its_event_fields(s):
    assert state_from(state_fields(s)) == s


def test_the_status_rules_document_explains_the_feed():
    text = (Path(__file__).parent.parent / "docs" / "status-rules.md").read_text()
    assert "Status changes (the feeds for watchers)" in text
    for word in ("benchmark_status.changed", "revised", "record-status-changes", "feed.atom"):
        assert word in text
