"""The ratification pipeline's rules as tables: standing in a procedure, medians, projection,
and the steps and procedures refused. No database."""

from datetime import date

import pytest

from app.models import RatificationStep
from app.ratifications import pipeline
from app.ratifications.pipeline import (
    BICAMERAL_PROCEDURE,
    DEFAULT_PROCEDURE,
    MemberProjection,
    ReferenceRatification,
    StepRecord,
    is_blocking,
    median_days_per_step,
    member_standing,
    procedure_problems,
    project_completion,
    project_member,
    step_counts,
    step_durations,
    step_problem,
)

D = date
PROTOCOL = D(2022, 7, 5)
AS_OF = D(2022, 8, 4)
GOV = ("protocol_signed", "government_approved", "parliament_approved", "head_of_state_assent",
       "deposited")


def records(*steps: tuple[str, date]) -> list[StepRecord]:
    return [StepRecord(step, on, order) for order, (step, on) in enumerate(steps, 1)]


def test_the_steps_are_the_models():
    assert tuple(RatificationStep) == pipeline.STEPS


@pytest.mark.parametrize(
    ("procedure", "steps", "protocol_on", "expected"),
    [
        # not started: days since the protocol's signature, next is the first step after it
        (DEFAULT_PROCEDURE, [], PROTOCOL, (None, "parliament_approved", 30, False, False)),
        (DEFAULT_PROCEDURE, [], None, (None, "protocol_signed", None, False, False)),
        (("parliament_approved", "deposited"), [], PROTOCOL,
         (None, "parliament_approved", 30, False, False)),
        # one step
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2022, 7, 20))], PROTOCOL,
         ("parliament_approved", "head_of_state_assent", 15, True, False)),
        (DEFAULT_PROCEDURE, [("protocol_signed", PROTOCOL)], PROTOCOL,
         ("protocol_signed", "parliament_approved", 30, False, False)),
        # deposited: no next step
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2022, 7, 6)), ("deposited", D(2022, 8, 1))],
         PROTOCOL, ("deposited", None, 3, True, True)),
        # the latest place reached counts, not the latest date
        (DEFAULT_PROCEDURE, [("head_of_state_assent", D(2022, 7, 10)),
                             ("parliament_approved", D(2022, 7, 12))], PROTOCOL,
         ("head_of_state_assent", "deposited", 25, True, False)),
        # a later record of the same step corrects the earlier
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2022, 7, 20)),
                             ("parliament_approved", D(2022, 7, 14))], PROTOCOL,
         ("parliament_approved", "head_of_state_assent", 21, True, False)),
        # two chambers: the first is not ratified yet; a whole parliament counts for both
        (BICAMERAL_PROCEDURE, [("lower_chamber_approved", D(2022, 7, 14))], PROTOCOL,
         ("lower_chamber_approved", "upper_chamber_approved", 21, False, False)),
        (BICAMERAL_PROCEDURE, [("parliament_approved", D(2022, 8, 2))], PROTOCOL,
         ("parliament_approved", "head_of_state_assent", 2, True, False)),
        # a government approval before parliament is not a ratification
        (GOV, [("government_approved", D(2022, 7, 10))], PROTOCOL,
         ("government_approved", "parliament_approved", 25, False, False)),
        # a step outside the procedure does not place the member
        (("protocol_signed", "government_approved", "deposited"),
         [("parliament_approved", D(2022, 7, 20))], PROTOCOL,
         (None, "government_approved", 30, False, False)),
    ],
)
def test_member_standing(procedure, steps, protocol_on, expected):
    s = member_standing(procedure, records(*steps), protocol_on, AS_OF)
    assert (s.current_step, s.next_step, s.days_in_step, s.is_ratified, s.is_deposited) == expected


@pytest.mark.parametrize(
    ("steps", "complete", "blocks"),
    [([], False, True), ([("protocol_signed", PROTOCOL)], False, True),
     ([("parliament_approved", D(2022, 7, 8))], False, False),
     ([("head_of_state_assent", D(2022, 7, 8))], False, False),
     ([], True, False)],
)
def test_a_member_blocks_until_its_parliament_approves(steps, complete, blocks):
    standing = member_standing(DEFAULT_PROCEDURE, records(*steps), PROTOCOL, AS_OF)
    assert is_blocking(standing, accession_complete=complete) is blocks


@pytest.mark.parametrize(
    ("procedure", "steps", "protocol_on", "expected"),
    [
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2022, 7, 20))], PROTOCOL,
         [("parliament_approved", "protocol_signed", 15)]),
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2022, 7, 20))], None, []),
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2023, 3, 27)),
                             ("head_of_state_assent", D(2023, 3, 28)),
                             ("deposited", D(2023, 3, 31))], PROTOCOL,
         [("parliament_approved", "protocol_signed", 265),
          ("head_of_state_assent", "parliament_approved", 1),
          ("deposited", "head_of_state_assent", 3)]),
        # a step whose previous step is not dated has no duration (a deposit after parliament)
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2023, 3, 30)),
                             ("deposited", D(2023, 4, 4))], PROTOCOL,
         [("parliament_approved", "protocol_signed", 268)]),
        # a whole parliament in a two-chamber procedure counts from the protocol's signature
        (BICAMERAL_PROCEDURE, [("parliament_approved", D(2022, 8, 2))], PROTOCOL,
         [("parliament_approved", "protocol_signed", 28)]),
        (BICAMERAL_PROCEDURE, [("lower_chamber_approved", D(2022, 7, 14)),
                               ("upper_chamber_approved", D(2022, 7, 20))], PROTOCOL,
         [("lower_chamber_approved", "protocol_signed", 9),
          ("upper_chamber_approved", "lower_chamber_approved", 6)]),
        # the member's own protocol record counts before the candidate's milestone
        (DEFAULT_PROCEDURE, [("protocol_signed", D(2022, 7, 6)),
                             ("parliament_approved", D(2022, 7, 20))], PROTOCOL,
         [("parliament_approved", "protocol_signed", 14)]),
    ],
)
def test_step_durations(procedure, steps, protocol_on, expected):
    got = step_durations(procedure, records(*steps), protocol_on)
    assert [(d.step, d.previous_step, d.days) for d in got] == expected


def test_median_days_per_step_over_members_with_both_dates():
    refs = [ReferenceRatification(DEFAULT_PROCEDURE, tuple(records(*steps)), PROTOCOL)
            for steps in ([("parliament_approved", D(2022, 7, 10))],
                          [("parliament_approved", D(2022, 7, 20))],
                          [("parliament_approved", D(2022, 7, 21)),
                           ("head_of_state_assent", D(2022, 7, 23))],
                          [("parliament_approved", D(2022, 9, 1)),
                           ("head_of_state_assent", D(2022, 9, 2))])]
    medians = median_days_per_step(refs)
    assert list(medians) == ["parliament_approved", "head_of_state_assent"]
    assert (medians["parliament_approved"].days, medians["parliament_approved"].count) == (15.5, 4)
    assert (medians["head_of_state_assent"].days, medians["head_of_state_assent"].count) == (1.5, 2)
    assert (medians["parliament_approved"].longest, medians["head_of_state_assent"].longest) == (
        58, 2)


MEDIANS = {m.step: m for m in [pipeline.StepMedian("parliament_approved", 15.0, 60, 268),
                               pipeline.StepMedian("head_of_state_assent", 1.0, 5, 4),
                               pipeline.StepMedian("deposited", 2.5, 2, 3)]}


@pytest.mark.parametrize(
    ("procedure", "steps", "protocol_on", "as_of", "expected"),
    [
        # not started, protocol signed 200 days ago (the slowest reference took 268): next step
        # tomorrow at the earliest, then 1 + 2.5
        (DEFAULT_PROCEDURE, [], PROTOCOL, D(2023, 1, 21), MemberProjection(D(2023, 1, 26))),
        # not started 360 days after the protocol, slower than every reference member: no
        # median tells when it will move (Hungary and Türkiye for Sweden in June 2023)
        (DEFAULT_PROCEDURE, [], PROTOCOL, D(2023, 6, 30),
         MemberProjection(None, beyond_reference=True)),
        # approved by parliament 10 days ago, assent undated: longer than any dated assent (4
        # days), but a ratified member's formalities are seldom dated: still projected
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2022, 7, 20))], PROTOCOL, D(2022, 7, 30),
         MemberProjection(D(2022, 8, 3))),
        # not started, recent protocol: 15 days after it, then 4 (1 + 2.5 rounded up)
        (DEFAULT_PROCEDURE, [], PROTOCOL, D(2022, 7, 6), MemberProjection(D(2022, 7, 24))),
        # at parliament: the assent 1 day after it, but not before tomorrow
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2022, 7, 20))], PROTOCOL, D(2022, 7, 20),
         MemberProjection(D(2022, 7, 24))),
        # deposited: its deposit
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2022, 7, 6)), ("deposited", D(2022, 7, 9))],
         PROTOCOL, D(2022, 8, 1), MemberProjection(D(2022, 7, 9))),
        # two chambers without medians of their own: a parliament's median, once for both
        (BICAMERAL_PROCEDURE, [], PROTOCOL, D(2022, 7, 6), MemberProjection(D(2022, 7, 24))),
        # a step no reference dates
        (GOV, [], PROTOCOL, D(2022, 7, 6), MemberProjection(None, "government_approved")),
        # nothing to count from
        (DEFAULT_PROCEDURE, [], None, D(2022, 7, 6), MemberProjection(None, no_start=True)),
    ],
)
def test_project_member(procedure, steps, protocol_on, as_of, expected):
    standing = member_standing(procedure, records(*steps), protocol_on, as_of)
    assert project_member(procedure, standing, protocol_on, MEDIANS, as_of) == expected


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ([("HUN", MemberProjection(D(2023, 7, 5))), ("DEU", MemberProjection(D(2022, 7, 9)))],
         pipeline.Projection(D(2023, 7, 5), "HUN")),
        ([("HUN", MemberProjection(D(2023, 7, 5))), ("TUR", MemberProjection(D(2023, 7, 5)))],
         pipeline.Projection(D(2023, 7, 5), "TUR")),
        ([("HUN", MemberProjection(D(2023, 7, 5))),
          ("FRA", MemberProjection(None, "government_approved"))],
         pipeline.Projection(None, None, ("government_approved",))),
        ([("HUN", MemberProjection(None, no_start=True))],
         pipeline.Projection(None, None, (), ("HUN",))),
        ([("HUN", MemberProjection(None, beyond_reference=True)),
          ("TUR", MemberProjection(None, beyond_reference=True)),
          ("DEU", MemberProjection(D(2022, 7, 9)))],
         pipeline.Projection(None, None, beyond_reference=("HUN", "TUR"))),
        ([], pipeline.Projection(None, None)),
    ],
)
def test_project_completion_is_the_last_members_deposit(members, expected):
    assert project_completion(members) == expected


@pytest.mark.parametrize(
    ("procedure", "steps", "new", "on", "protocol_on", "expected"),
    [
        # accepted
        (DEFAULT_PROCEDURE, [], "parliament_approved", D(2022, 7, 20), PROTOCOL, None),
        (DEFAULT_PROCEDURE, [], "parliament_approved", D(2022, 7, 20), None, None),
        (DEFAULT_PROCEDURE, [], "protocol_signed", PROTOCOL, PROTOCOL, None),
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2022, 7, 20))], "signed", D(2022, 7, 21),
         PROTOCOL, None),
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2022, 7, 20)),
                             ("head_of_state_assent", D(2022, 7, 25))],
         "parliament_approved", D(2022, 7, 22), PROTOCOL, None),  # a correction, in order
        (BICAMERAL_PROCEDURE, [], "parliament_approved", D(2022, 8, 2), PROTOCOL, None),
        (BICAMERAL_PROCEDURE, [("parliament_approved", D(2022, 8, 2))], "head_of_state_assent",
         D(2022, 8, 3), PROTOCOL, None),
        # a step not in the member's procedure
        (DEFAULT_PROCEDURE, [], "government_approved", D(2022, 7, 20), PROTOCOL,
         ("step", "step_not_in_procedure")),
        (DEFAULT_PROCEDURE, [], "lower_chamber_approved", D(2022, 7, 20), PROTOCOL,
         ("step", "step_not_in_procedure")),
        (("protocol_signed", "government_approved", "deposited"), [], "parliament_approved",
         D(2022, 7, 20), PROTOCOL, ("step", "step_not_in_procedure")),
        # out of order: an earlier step is not recorded
        (DEFAULT_PROCEDURE, [], "deposited", D(2022, 7, 20), PROTOCOL,
         ("step", "step_out_of_order")),
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2022, 7, 20))], "deposited",
         D(2022, 7, 22), PROTOCOL, ("step", "step_out_of_order")),
        (BICAMERAL_PROCEDURE, [], "upper_chamber_approved", D(2022, 7, 20), PROTOCOL,
         ("step", "step_out_of_order")),
        (GOV, [], "parliament_approved", D(2022, 7, 20), PROTOCOL, ("step", "step_out_of_order")),
        # out of order: dated after a later step already recorded
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2022, 7, 20)),
                             ("head_of_state_assent", D(2022, 7, 25))],
         "parliament_approved", D(2022, 7, 26), PROTOCOL, ("occurred_on", "step_out_of_order")),
        # before the protocol was signed: the candidate's milestone, or the member's own record
        (DEFAULT_PROCEDURE, [], "parliament_approved", D(2022, 7, 4), PROTOCOL,
         ("occurred_on", "before_protocol")),
        (DEFAULT_PROCEDURE, [], "protocol_signed", D(2022, 7, 4), PROTOCOL,
         ("occurred_on", "before_protocol")),
        (DEFAULT_PROCEDURE, [("protocol_signed", D(2022, 7, 10))], "parliament_approved",
         D(2022, 7, 8), None, ("occurred_on", "before_protocol")),
        # before the member's previous step
        (DEFAULT_PROCEDURE, [("parliament_approved", D(2022, 7, 20))], "head_of_state_assent",
         D(2022, 7, 19), PROTOCOL, ("occurred_on", "before_previous_step")),
        (BICAMERAL_PROCEDURE, [("lower_chamber_approved", D(2022, 7, 20))],
         "upper_chamber_approved", D(2022, 7, 18), PROTOCOL,
         ("occurred_on", "before_previous_step")),
    ],
)
def test_step_problem(procedure, steps, new, on, protocol_on, expected):
    problem = step_problem(procedure, records(*steps), new, on, protocol_on)
    assert (None if problem is None else (problem.field, problem.type)) == expected


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        (list(DEFAULT_PROCEDURE), []),
        (list(BICAMERAL_PROCEDURE), []),
        (["deposited"], []),
        (["parliament_approved", "signed", "deposited"], []),  # the old name, taken
        ([], [("empty_procedure", None)]),
        (["protocol_signed", "vetoed", "deposited"], [("unknown_step", 1)]),
        (["protocol_signed", "parliament_approved", "parliament_approved", "deposited"],
         [("duplicate_step", 2)]),
        (["protocol_signed", "deposited", "parliament_approved"], [("deposited_not_last", 1)]),
        (["protocol_signed", "parliament_approved"], [("deposited_not_last", 1)]),
        (["parliament_approved", "protocol_signed", "deposited"], [("protocol_not_first", 1)]),
        (["protocol_signed", "lower_chamber_approved", "parliament_approved", "deposited"],
         [("mixed_chambers", 1)]),
        (["protocol_signed", "upper_chamber_approved", "deposited"], [("one_chamber_of_two", 1)]),
    ],
)
def test_procedure_problems(steps, expected):
    assert [(p.type, p.index) for p in procedure_problems(steps)] == expected


def test_step_counts_in_pipeline_order_not_started_first():
    standings = [(DEFAULT_PROCEDURE, member_standing(DEFAULT_PROCEDURE, records(*steps),
                                                     PROTOCOL, AS_OF))
                 for steps in ([], [("deposited", D(2022, 7, 30))],
                               [("parliament_approved", D(2022, 7, 8))],
                               [("parliament_approved", D(2022, 7, 9))], [])]
    assert [(c.step, c.count) for c in step_counts(standings)] == [
        (None, 2), ("parliament_approved", 2), ("deposited", 1)]
