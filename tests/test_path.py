"""The path rules of app/path.py: tables of inputs → the next phase, its gate's critical
target, projected date and blockers, cycles among gates, and the gate-unmet-on-entry flag.
No database."""

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.models import Phase
from app.path import (
    PHASES,
    GateRule,
    PathReason,
    PathTarget,
    TargetState,
    blockers,
    critical_target,
    evaluate_path,
    find_cycle,
    gate_targets,
    next_phase,
    next_phase_on,
    path_words,
    phase_entered_on,
    phase_order_error,
    previous_phase,
    unmet_on_entry,
)

AS_OF = date(2025, 6, 30)
D1, D2, D3 = date(2026, 1, 1), date(2027, 6, 30), date(2029, 12, 31)


def test_the_phases_are_the_models_in_order():
    assert tuple(Phase) == PHASES


@pytest.mark.parametrize(("phase", "following", "before"), [
    ("outreach", "accession_talks", None),
    ("accession_talks", "ratification", "outreach"),
    ("ratification", "member", "accession_talks"),
    ("member", None, "ratification"),
])
def test_next_and_previous_phase(phase, following, before):
    assert next_phase(phase) == following
    assert previous_phase(phase) == before


@pytest.mark.parametrize(("to_phase", "from_phase", "field"), [
    ("accession_talks", None, None),
    ("accession_talks", "outreach", None),
    ("ratification", "accession_talks", None),
    ("member", "ratification", None),
    ("outreach", None, "to_phase"),
    ("outreach", "member", "to_phase"),
    ("member", "accession_talks", "from_phase"),
    ("ratification", "ratification", "from_phase"),
    ("accession_talks", "member", "from_phase"),
])
def test_phase_order(to_phase, from_phase, field):
    error = phase_order_error(to_phase, from_phase)
    assert (error[0] if error else None) == field


@pytest.mark.parametrize(("requires", "cycle"), [
    ({}, None),
    ({1: []}, None),
    ({1: [2], 2: [3], 3: []}, None),
    ({1: [2, 3], 2: [3], 3: []}, None),  # a diamond is no cycle
    ({1: [1]}, (1, 1)),
    ({1: [2], 2: [1]}, (1, 2, 1)),
    ({1: [2], 2: [3], 3: [1]}, (1, 2, 3, 1)),
    ({1: [2], 2: [3], 3: [2]}, (2, 3, 2)),
    ({1: [9]}, None),  # an id requiring nothing known
])
def test_find_cycle(requires, cycle):
    assert find_cycle(requires) == cycle


@given(st.dictionaries(st.integers(1, 8), st.lists(st.integers(1, 8), max_size=3), max_size=8))
def test_a_cycle_found_is_made_of_real_edges_and_none_means_acyclic(requires):
    cycle = find_cycle(requires)
    if cycle is not None:
        assert cycle[0] == cycle[-1]
        assert all(b in requires.get(a, ()) for a, b in zip(cycle, cycle[1:], strict=False))
    else:  # a topological order exists: peel gates that require nothing left
        left = {k: set(v) for k, v in requires.items()}
        while left:
            free = [k for k, v in left.items() if not (v & left.keys())]
            assert free
            for k in free:
                del left[k]


TALKS = GateRule(1, "full_candidate", "accession_talks", ("a", "b"))
RATIFICATION = GateRule(2, "full_candidate", "ratification", ("c", "a"), requires=(1,))
MEMBER = GateRule(3, "full_candidate", "member", ("d",), requires=(2,))
LOOP = GateRule(4, "interim_ally", "member", ("x",), requires=(4,))
GATES = {g.id: g for g in (TALKS, RATIFICATION, MEMBER, LOOP)}


@pytest.mark.parametrize(("gate", "keys"), [
    (TALKS, ("a", "b")),
    (RATIFICATION, ("c", "a", "b")),
    (MEMBER, ("d", "c", "a", "b")),
    (LOOP, ("x",)),  # a cycle stored anyway adds nothing twice
    (GateRule(5, "full_candidate", "member", ("e",), requires=(99,)), ("e",)),
])
def test_gate_targets_include_the_required_gates(gate, keys):
    assert gate_targets(gate, GATES) == keys


def t(key, status=None, projected_on=None, met=None):
    return PathTarget(key, status, projected_on, met if met is not None else status == "met")


@pytest.mark.parametrize(("targets", "critical", "projected", "blocking"), [
    ([], None, AS_OF, ()),
    ([t("a", "met"), t("b", "met")], None, AS_OF, ()),
    ([t("a", "met"), t("b", "on_track", D2)], "b", D2, ("b",)),
    ([t("a", "on_track", D3), t("b", "at_risk", D2)], "a", D3, ("a", "b")),
    ([t("a", "on_track", D2), t("b", "at_risk", D2)], "a", D2, ("a", "b")),  # first of equals
    ([t("a", "on_track", D3), t("b", "off_track")], "b", None, ("a", "b")),
    ([t("a", "no_data"), t("b", "off_track")], "a", None, ("a", "b")),
    ([t("a", "met"), t("b")], "b", None, ("b",)),  # not evaluated
    # A met target keeps no projection; an unmet one projected for the day evaluated.
    ([t("a", "met", D1), t("b", "at_risk", AS_OF)], "b", AS_OF, ("b",)),
])
def test_critical_target_projected_date_and_blockers(targets, critical, projected, blocking):
    assert critical_target(targets) == critical
    assert next_phase_on(targets, AS_OF) == projected
    assert blockers(targets) == blocking


STATES = {
    "a": TargetState("a", "met"),
    "b": TargetState("b", "on_track", D2),
    "c": TargetState("c", "at_risk", D3),
    "d": TargetState("d", "off_track"),
}


@pytest.mark.parametrize(("phase", "gate", "keys", "reason", "following", "critical",
                          "projected"), [
    ("member", MEMBER, ("d",), PathReason.member, None, None, None),
    ("outreach", None, (), PathReason.no_gate, "accession_talks", None, None),
    ("outreach", TALKS, ("a",), PathReason.gate_met, "accession_talks", None, AS_OF),
    ("outreach", TALKS, ("a", "b"), PathReason.projected, "accession_talks", "b", D2),
    ("accession_talks", RATIFICATION, ("c", "a", "b"), PathReason.projected, "ratification",
     "c", D3),
    ("ratification", MEMBER, ("d", "c", "a", "b"), PathReason.unprojectable, "member", "d",
     None),
    ("outreach", TALKS, ("a", "z"), PathReason.not_evaluated, "accession_talks", "z", None),
])
def test_evaluate_path(phase, gate, keys, reason, following, critical, projected):
    path = evaluate_path(phase, gate, keys, STATES, AS_OF)
    assert (path.reason, path.next_phase, path.critical, path.projected_on) == (
        reason, following, critical, projected)
    assert [x.key for x in path.targets if x.is_critical] == ([critical] if critical else [])
    gated = reason not in (PathReason.member, PathReason.no_gate)
    met = {k for k, state in STATES.items() if state.status == "met"}
    assert path.blockers == (tuple(k for k in keys if k not in met) if gated else ())
    assert path_words(path, {"d": "Secure communications"})  # always worded


def test_a_target_behind_its_own_trend_is_not_projected_for_today():
    """The status rules move a past projected date to the day evaluated (the figure still
    falls short): read as a projection, the path would say the next phase is due today."""
    behind = date(2025, 3, 1)
    states = {**STATES, "e": TargetState("e", "on_track", AS_OF, behind_trend_on=behind)}
    path = evaluate_path("outreach", TALKS, ("a", "b", "e"), states, AS_OF)
    assert (path.reason, path.critical, path.projected_on) == (
        PathReason.behind_trend, "e", None)
    critical = next(x for x in path.targets if x.is_critical)
    assert (critical.projected_on, critical.behind_trend_on) == (None, behind)
    assert path.blockers == ("b", "e")
    words = path_words(path, {"e": "Major equipment"})
    assert "Major equipment is not met" in words and "2025-03-01" in words
    assert "behind its own trend" in words and "cannot be projected" in words
    # Behind its trend but not critical (another target has no date at all): unprojectable.
    path = evaluate_path("outreach", TALKS, ("d", "e"), states, AS_OF)
    assert (path.reason, path.critical) == (PathReason.unprojectable, "d")


def test_the_words_name_the_critical_target_and_say_why():
    path = evaluate_path("ratification", MEMBER, ("d", "b"), STATES, AS_OF)
    words = path_words(path, {"d": "Secure communications"})
    assert "Secure communications" in words and "cannot be projected" in words
    member = evaluate_path("member", None, (), STATES, AS_OF)
    assert "no next phase" in path_words(member, {})


@pytest.mark.parametrize(("changes", "as_of", "entered"), [
    ([], AS_OF, None),
    ([(date(2019, 1, 1), "outreach")], date(2018, 1, 1), None),
    ([(date(2019, 1, 1), "outreach")], AS_OF, date(2019, 1, 1)),
    # A change of tier only keeps the phase's entry date.
    ([(date(2019, 1, 1), "outreach"), (date(2023, 7, 12), "outreach")], AS_OF,
     date(2019, 1, 1)),
    ([(date(2019, 1, 1), "outreach"), (date(2022, 5, 18), "accession_talks"),
      (date(2022, 7, 5), "ratification")], AS_OF, date(2022, 7, 5)),
    ([(date(2019, 1, 1), "outreach"), (date(2022, 5, 18), "accession_talks"),
      (date(2022, 7, 5), "ratification")], date(2022, 6, 1), date(2022, 5, 18)),
    # Back to an earlier phase and forward again: the last entry counts.
    ([(date(2019, 1, 1), "accession_talks"), (date(2020, 1, 1), "outreach"),
      (date(2021, 1, 1), "accession_talks")], AS_OF, date(2021, 1, 1)),
])
def test_phase_entered_on(changes, as_of, entered):
    assert phase_entered_on(changes, as_of) == entered


@pytest.mark.parametrize(("keys", "states", "unmet"), [
    ((), {}, ()),
    (("a",), STATES, ()),
    (("a", "b", "d"), STATES, ("b", "d")),
    (("a", "z"), STATES, ("z",)),  # not evaluated on entry: unmet
])
def test_unmet_on_entry(keys, states, unmet):
    assert unmet_on_entry(keys, states) == unmet


def test_the_rules_document_explains_the_path():
    text = (Path(__file__).parents[1] / "docs" / "status-rules.md").read_text()
    assert "## 14. The path to the next phase (gates)" in text
    for reason in PathReason:
        assert f"`{reason}`" in text
