"""Needs attention: the benchmarks of candidates still in accession that are not met and fall due
by a horizon (overdue ones however late), most urgent first. A member's accession is complete:
its benchmarks are not live, so members are never listed; nor is a benchmark met, or one
without a due date."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.benchmarks.service import AppliedBenchmark, due_date
from app.candidates.service import in_standing, list_candidates
from app.evaluation import (
    Asked,
    CandidateStatus,
    benchmark_is_illustrative,
    load_asked,
    load_statuses,
)
from app.models import Candidate, CandidateBenchmark, Phase
from app.status import BenchmarkEvaluation, Status

DEFAULT_WITHIN_DAYS = 90  # a quarter ahead: time enough to act before the date passes
MAX_WITHIN_DAYS = 3650  # ten years: past that every due date is in, and nothing is urgent
# How far first_attention reads ahead: the candidates of four times as many due benchmarks as
# items wanted (one round as long as a quarter of what falls due is not met; in the benchmark's
# data two thirds are not), then four times more each round, so that even data where nearly
# everything due is met takes few rounds.
READ_AHEAD = 4
ROUND_GROWTH = 4


@dataclass(frozen=True)
class AttentionItem:
    candidate: Candidate
    tier: str  # the candidate's tier on the evaluated date
    applied: AppliedBenchmark
    evaluation: BenchmarkEvaluation
    days_left: int  # from the evaluated date to the due date; negative when late (-12: 12 days)

    @property
    def due_on(self) -> date:
        assert self.applied.due_on is not None  # an item always has one
        return self.applied.due_on

    @property
    def is_illustrative(self) -> bool:
        """The target is illustrative, or the latest value it is read against is."""
        latest = self.evaluation.latest
        return benchmark_is_illustrative(self.applied, latest)


@dataclass(frozen=True)
class Attention:
    items: list[AttentionItem]
    as_of: date
    due_by: date  # the horizon: due on or before it
    more: bool = False  # a list cut short (first_attention): there are further items


def urgency(due_on: date, candidate: Candidate, key: str) -> tuple[date, str, str, str]:
    """The order of the list: most overdue first, then soonest due; then by candidate name and
    benchmark key (the slug settles two candidates of one name)."""
    return due_on, candidate.name, key, candidate.slug


def attention_items(
    candidates: Iterable[Candidate], statuses: Mapping[int, CandidateStatus], *, within_days: int
) -> list[AttentionItem]:
    """The items of these candidates from their statuses (load_statuses), most urgent first.
    The horizon is counted from each status's own date."""
    items = []
    for candidate in candidates:
        status = statuses[candidate.id]
        if status.standing.phase == Phase.member:
            continue
        as_of = status.evaluation.as_of
        due_by = as_of + timedelta(days=within_days)
        for applied, evaluation in zip(status.applied, status.evaluation.benchmarks, strict=True):
            due_on = applied.due_on
            if evaluation.status is Status.met or due_on is None or due_on > due_by:
                continue
            items.append(AttentionItem(candidate, status.tier, applied, evaluation,
                                       (due_on - as_of).days))
    items.sort(key=lambda i: urgency(i.due_on, i.candidate, i.applied.definition.key))
    return items


def candidate_attention(
    candidate: Candidate, status: CandidateStatus, *, within_days: int = DEFAULT_WITHIN_DAYS
) -> Attention:
    """One candidate's items, from its status (no query)."""
    as_of = status.evaluation.as_of
    return Attention(attention_items([candidate], {candidate.id: status}, within_days=within_days),
                     as_of, as_of + timedelta(days=within_days))


def list_attention(
    session: Session,
    *,
    as_of: date | None = None,
    within_days: int = DEFAULT_WITHIN_DAYS,
    tier: str | None = None,
    phase: str | None = None,
) -> Attention:
    """Every item, of every candidate or of those in `tier` and `phase` on `as_of` (default
    today). It evaluates every candidate with a benchmark falling due by the horizon: the full
    list and its count cost that (the response cache keeps the answer for the day)."""
    candidates, _ = list_candidates(session)
    asked = load_asked(session, candidates, as_of=as_of)
    return first_attention(session, in_standing(candidates, asked, tier, phase), asked,
                           within_days=within_days)


def first_attention(
    session: Session,
    candidates: Sequence[Candidate],
    asked: Asked,
    *,
    within_days: int = DEFAULT_WITHIN_DAYS,
    first: int | None = None,
    known: Mapping[int, CandidateStatus] | None = None,
) -> Attention:
    """The `first` most urgent items of these candidates (all of them when None), evaluating
    no more candidates than that needs: the order depends only on due dates, which are known
    without evaluating anything (`asked`, with one query for the candidates' own due dates), so
    candidates are evaluated in that order, a few at a time, until `first` items are sure; only
    whether each benchmark is met needs the evaluation. `known` statuses (of the same date,
    e.g. the ones a page has already computed) are not computed again. Two queries a round;
    one round in practice (see READ_AHEAD)."""
    assert asked.what_if is None, "attention follows each candidate's own tier"
    due_by = asked.as_of + timedelta(days=within_days)
    pending = _falling_due(session, candidates, asked, due_by)
    statuses: dict[int, CandidateStatus] = {
        c.id: known[c.id] for c in candidates if known and c.id in known}
    evaluated = [c for c in candidates if c.id in statuses]
    size = None if first is None else READ_AHEAD * (first + 1)
    while True:
        pending = [p for p in pending if p[-1].id not in statuses]
        items = attention_items(evaluated, statuses, within_days=within_days)
        if not pending:
            cut = items if first is None else items[:first]
            return Attention(cut, asked.as_of, due_by, more=len(items) > len(cut))
        # Items before the first benchmark not yet evaluated are in their final order.
        sure = [i for i in items
                if urgency(i.due_on, i.candidate, i.applied.definition.key) < pending[0][:-1]]
        if first is not None and len(sure) > first:
            return Attention(sure[:first], asked.as_of, due_by, more=True)
        batch = list({p[-1].id: p[-1] for p in pending[:size]}.values())
        statuses.update(load_statuses(session, batch, asked=asked))
        evaluated += batch
        size = None if size is None else size * ROUND_GROWTH


def _falling_due(
    session: Session, candidates: Sequence[Candidate], asked: Asked, due_by: date
) -> list[tuple[date, str, str, str, Candidate]]:
    """Every benchmark of these candidates (members left out) due on or before `due_by`, as
    (*urgency, candidate), most urgent first: the due dates load_statuses will apply."""
    own_dates = {
        (candidate_id, definition_id): due_on
        for candidate_id, definition_id, due_on in session.execute(
            select(CandidateBenchmark.candidate_id, CandidateBenchmark.definition_id,
                   CandidateBenchmark.due_on).where(CandidateBenchmark.due_on.is_not(None)))
    }
    # Candidates of one tier who entered it on the same day share their due dates but for
    # their own: each date is worked out once per such group.
    groups: dict[tuple[str, date | None], list[tuple[int, str, str, Candidate]]] = {}
    for candidate in candidates:
        standing = asked.standings[candidate.id]
        if standing.phase != Phase.member:
            groups.setdefault((standing.tier, standing.tier_entered_on), []).append(
                (candidate.id, candidate.name, candidate.slug, candidate))
    falling_due = []
    for (tier, entered_on), members in groups.items():
        for requirement in asked.requirements[tier]:
            key, definition_id = requirement.definition.key, requirement.definition_id
            shared = due_date(requirement, None, entered_on)
            for candidate_id, name, slug, candidate in members:
                own = own_dates.get((candidate_id, definition_id))
                due_on = shared if own is None else due_date(requirement, own, entered_on)
                if due_on is not None and due_on <= due_by:
                    falling_due.append((due_on, name, key, slug, candidate))  # as urgency()
    falling_due.sort(key=lambda p: p[:-1])
    return falling_due
