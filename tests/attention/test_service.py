"""Needs attention (app/attention/service.py): which benchmarks are listed, in which order, with
which horizon and filters; the overview's shortened search finds what the whole list begins
with. Candidates are built with due dates counted from today, so the tests hold on any day."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.attention import service
from app.attention.service import first_attention, list_attention
from app.candidates.service import list_candidates
from app.evaluation import load_asked, load_statuses, today
from app.models import (
    BenchmarkDefinition,
    Candidate,
    CandidateStatusChange,
    TierRequirement,
)
from app.status import Status
from tests.factories import IA, SP, add_candidate


def rows(attention, slug=None):
    """(candidate slug, benchmark key, days left, status) of each item, in order."""
    return [(i.candidate.slug, i.applied.definition.key, i.days_left, i.evaluation.status)
            for i in attention.items if slug is None or i.candidate.slug == slug]


def test_lists_overdue_and_due_soon_never_met_far_or_member(session):
    add_candidate(session, "testland", "Testland",
                  due={"defence_spending_gdp": -12, "joint_exercises": 30,
                       "nato_standards_adoption": 200, "civilian_control_law": -100},
                  met={"civilian_control_law"}, values={"defence_spending_gdp": 0.5})
    add_candidate(session, "memberland", "Memberland", phase="member",
                  due={"defence_spending_gdp": -12, "joint_exercises": 30})
    attention = list_attention(session)
    assert attention.as_of == today() and attention.due_by == today() + timedelta(90)
    assert rows(attention, "testland") == [
        ("testland", "defence_spending_gdp", -12, Status.overdue),
        ("testland", "joint_exercises", 30, Status.no_data),  # no data: not yet overdue
    ]
    assert rows(attention, "memberland") == []
    # Sweden, a member, has a benchmark past due and not met: still not listed.
    sweden = next(c for c in list_candidates(session)[0] if c.slug == "sweden")
    assert Status.overdue in {b.status for b in
                              load_statuses(session, [sweden])[sweden.id].evaluation.benchmarks}
    assert not {i.candidate.slug for i in attention.items} & {"sweden", "finland"}
    assert all(i.evaluation.status is not Status.met for i in attention.items)


def test_a_benchmark_without_a_due_date_is_never_listed(session):
    # The tier's own date for joint exercises is an offset; without it there is no due date.
    requirement = session.scalars(
        select(TierRequirement).join(TierRequirement.definition)
        .where(BenchmarkDefinition.key == "joint_exercises", TierRequirement.tier == SP)).one()
    requirement.due_offset_days = None
    session.commit()
    add_candidate(session, "testland", "Testland", due={"joint_exercises": None})
    testland = session.scalars(select(Candidate).where(Candidate.slug == "testland")).one()
    status = load_statuses(session, [testland])[testland.id]
    exercises = next(b for b in status.evaluation.benchmarks if b.spec.key == "joint_exercises")
    assert exercises.spec.due_on is None and exercises.status is Status.no_data
    assert rows(list_attention(session, within_days=3650), "testland") == []


@pytest.mark.parametrize(("within_days", "keys"), [
    (0, ["defence_spending_gdp", "civilian_control_law"]),
    (29, ["defence_spending_gdp", "civilian_control_law"]),
    (30, ["defence_spending_gdp", "civilian_control_law", "joint_exercises"]),
    (199, ["defence_spending_gdp", "civilian_control_law", "joint_exercises"]),
    (200, ["defence_spending_gdp", "civilian_control_law", "joint_exercises",
           "nato_standards_adoption"]),
])
def test_horizon_includes_its_last_day_and_every_overdue_one(session, within_days, keys):
    add_candidate(session, "testland", "Testland",
                  due={"defence_spending_gdp": -3000, "civilian_control_law": 0,
                       "joint_exercises": 30, "nato_standards_adoption": 200})
    assert [key for _, key, *_ in rows(list_attention(session, within_days=within_days),
                                       "testland")] == keys


def test_most_overdue_first_then_soonest_due_ties_by_name_then_benchmark(session):
    add_candidate(session, "zed", "Zedland",
                  due={"joint_exercises": -5, "defence_spending_gdp": -5,
                       "civilian_control_law": 10})
    add_candidate(session, "alpha", "Alphaland",
                  due={"joint_exercises": -5, "nato_standards_adoption": -40,
                       "civilian_control_law": 3})
    add_candidate(session, "beta", "Betaland", tier=IA,
                  due={"major_equipment_share": 10, "defence_spending_gdp": -5})
    ours = [r[:3] for r in rows(list_attention(session)) if r[0] in {"zed", "alpha", "beta"}]
    assert ours == [
        ("alpha", "nato_standards_adoption", -40),
        ("alpha", "joint_exercises", -5),
        ("beta", "defence_spending_gdp", -5),
        ("zed", "defence_spending_gdp", -5),
        ("zed", "joint_exercises", -5),
        ("alpha", "civilian_control_law", 3),
        ("beta", "major_equipment_share", 10),
        ("zed", "civilian_control_law", 10),
    ]
    every = list_attention(session).items  # the demo's candidates too
    assert [i.days_left for i in every] == sorted(i.days_left for i in every)


def test_tier_and_phase_filters_follow_the_standing_on_the_date(session):
    add_candidate(session, "spland", "Spland", due={"joint_exercises": -1})
    ia = add_candidate(session, "ialand", "Ialand", tier=IA, due={"joint_exercises": -1})
    interim = list_attention(session, tier=IA)
    assert interim.items and {i.tier for i in interim.items} == {IA}
    assert "ialand" in {i.candidate.slug for i in interim.items}
    assert "spland" not in {i.candidate.slug for i in interim.items}
    assert "spland" in {i.candidate.slug for i in list_attention(session, tier=SP).items}
    assert list_attention(session, phase="member").items == []
    # Ialand becomes a member today: listed as things stood yesterday, not today.
    ia.status_changes.append(CandidateStatusChange(
        tier=IA, phase="member", effective_on=today(), source="test"))
    ia.phase = "member"
    session.commit()
    assert "ialand" not in {i.candidate.slug for i in list_attention(session).items}
    yesterday = list_attention(session, as_of=today() - timedelta(1), phase="outreach")
    assert [(r[0], r[2]) for r in rows(yesterday, "ialand")] == [("ialand", 0)]


def test_days_count_from_the_date_asked(session):
    add_candidate(session, "testland", "Testland", due={"defence_spending_gdp": -12},
                  values={"defence_spending_gdp": 0.5})
    now = list_attention(session).items
    item = next(i for i in now if i.candidate.slug == "testland")
    assert item.days_left == -12 and item.evaluation.latest.value == 0.5
    earlier = list_attention(session, as_of=today() - timedelta(10)).items
    item = next(i for i in earlier if i.candidate.slug == "testland")
    assert item.days_left == -2
    assert item.evaluation.latest is None  # recorded today: unknown ten days ago


def test_illustrative_when_the_target_or_the_latest_value_is(session):
    # Full candidates are asked the alliance's own targets; strategic partners this tool's.
    for slug, illustrative, tier in (("realland", False, "full_candidate"),
                                     ("demoland", True, "full_candidate"),
                                     ("partnerland", False, SP)):
        add_candidate(session, slug, slug.title(), tier=tier,
                      due={"defence_spending_gdp": -1, "joint_exercises": -1},
                      values={"defence_spending_gdp": 0.5}, illustrative=illustrative)
    items = {(i.candidate.slug, i.applied.definition.key): i for i in list_attention(session).items}
    exercises = items["realland", "joint_exercises"]
    assert exercises.applied.definition.is_illustrative and exercises.is_illustrative
    spending = items["realland", "defence_spending_gdp"]
    assert not spending.applied.target_is_illustrative
    assert not spending.is_illustrative  # a real target, a real value
    assert items["demoland", "defence_spending_gdp"].is_illustrative  # a real target, not value
    partner = items["partnerland", "defence_spending_gdp"]  # this tool's 1.5 %, a real value
    assert partner.applied.requirement.is_illustrative and partner.is_illustrative


def build_many(session, n=12):
    """n candidates, one in three with its only due benchmark already met."""
    for k in range(n):
        add_candidate(session, f"many-{k:02d}", f"Many {k:02d}",
                      due={"joint_exercises": -k, "civilian_control_law": k - 3},
                      met={"joint_exercises"} if k % 3 == 0 else ())


@pytest.mark.parametrize("first", [0, 1, 3, 10, 30, 100])
def test_first_items_are_the_head_of_the_whole_list(session, first):
    build_many(session)
    candidates, _ = list_candidates(session)
    asked = load_asked(session, candidates)
    whole = list_attention(session).items
    head = first_attention(session, candidates, asked, first=first)
    assert rows(head) == rows(list_attention(session))[:first]
    assert head.more == (len(whole) > first)
    # Statuses a page has already computed give the same answer.
    known = load_statuses(session, candidates[:4], asked=asked)
    again = first_attention(session, candidates, asked, first=first, known=known)
    assert rows(again) == rows(head)


def test_first_items_evaluate_only_the_candidates_they_need(session, monkeypatch):
    build_many(session, 40)
    candidates, _ = list_candidates(session)
    asked = load_asked(session, candidates)
    evaluated = []

    def counting(session, candidates, **kwargs):
        evaluated.extend(candidates)
        return load_statuses(session, candidates, **kwargs)

    monkeypatch.setattr(service, "load_statuses", counting)
    head = first_attention(session, candidates, asked, first=3)
    assert len(head.items) == 3 and head.more
    assert 0 < len(evaluated) <= service.READ_AHEAD * 4 < len(candidates)
    evaluated.clear()
    list_attention(session)
    assert len(evaluated) > 40  # the whole list evaluates everyone with something due


def test_more_only_when_an_item_follows(session):
    """One item, then more benchmarks falling due than a first round reads, all met: the
    search goes on until it knows that nothing follows."""
    chosen = [add_candidate(session, "onland", "Onland", due={"joint_exercises": -5})]
    chosen += [add_candidate(session, f"met-{k:02d}", f"Met {k:02d}", due={"joint_exercises": k},
                             met={"joint_exercises"}) for k in range(3 * service.READ_AHEAD)]
    asked = load_asked(session, chosen)
    head = first_attention(session, chosen, asked, first=1)
    assert rows(head) == [("onland", "joint_exercises", -5, Status.no_data)]
    assert not head.more
    assert first_attention(session, chosen, asked, first=0).more
