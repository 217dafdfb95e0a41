"""Feeds the pure status rules (app.status) from the database: loads what a set of candidates
is measured against, and their updates, in a fixed number of queries whatever their number."""

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    Date,
    Integer,
    Select,
    any_,
    bindparam,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from app.benchmarks.applied import (
    AppliedBenchmark,
    Standing,
    apply_tier,
    standing_on,
    targets_in_force,
)
from app.clock import end_of_day, today
from app.config import get_settings
from app.history import (
    Series,
    _measurement_query,
    _measurement_rows,
)

# Read here by other modules (and tests) before app/history.py was split out.
from app.history import _measurements as _measurements
from app.history import history_chart_points as history_chart_points
from app.history import retracted_updates as retracted_updates
from app.history import revised_vintages as revised_vintages
from app.history import whole_history as whole_history
from app.models import (
    Candidate,
    CandidateBenchmark,
    CandidateStatusChange,
    ProgressUpdate,
    TierRequirement,
    TZDateTime,
)
from app.status import (
    BenchmarkSpec,
    CandidateEvaluation,
    Measurement,
    evaluate_candidate,
)


def benchmark_spec(applied: AppliedBenchmark) -> BenchmarkSpec:
    definition = applied.definition
    cb = applied.candidate_benchmark
    return BenchmarkSpec(
        key=definition.key,
        title=definition.title,
        category=definition.category.key,
        kind=definition.kind,
        weight=applied.requirement.weight,
        unit=definition.unit,
        direction=definition.direction,
        stages=tuple(definition.stages or ()),
        target_value=applied.target_value,
        target_stage=applied.target_stage,
        due_on=applied.due_on,
        baseline_value=cb.baseline_value if cb else None,
        baseline_stage=cb.baseline_stage if cb else None,
    )


# What the rules need of a series: its first measurement (the baseline when none is set) and
# its recent ones (latest value, trend over at most 8 points in 3 years, and the previous
# quarter's review). Reading only those keeps the cost flat however long the history.
RECENT_MEASUREMENTS = 24


# Up to this many series each one's rows are found by index seeks (two per series, in one
# compound statement; SQLite allows 500 parts). Past it, one window query ranks the rows
# instead: it reads all of them in the database but hands Python only those it needs.
MAX_BOUNDED_SERIES = 120


def _load_history(
    session: Session, series: list[Series], as_of: date, excluding: Sequence[int] = (),
) -> dict[Series, list[Measurement]]:
    """The measurements the evaluation reads, known on `as_of`, by series, in one query (plain
    rows: no ORM objects to build); without the updates `excluding` (PostgreSQL only: a
    write's own rows, read before them)."""
    history: dict[Series, list[Measurement]] = defaultdict(list)
    if not series:
        return history
    known: tuple[Any, ...] = (ProgressUpdate.as_of <= as_of,
                              ProgressUpdate.recorded_at < end_of_day(as_of))
    parameters: dict[str, Any] = {"retraction_moment": end_of_day(as_of)}
    if excluding:
        known += (_NOT_EXCLUDED,)
        parameters["excluding"] = list(excluding)
    if len(series) > MAX_BOUNDED_SERIES:
        of_series = (ProgressUpdate.candidate_id, ProgressUpdate.indicator_id)
        ranked = select(
            ProgressUpdate.id,
            func.row_number().over(partition_by=of_series, order_by=(
                ProgressUpdate.as_of.desc(), ProgressUpdate.id.desc())).label("newest"),
            func.row_number().over(partition_by=of_series, order_by=(
                ProgressUpdate.as_of, ProgressUpdate.id)).label("oldest"),
        ).where(  # every series of these candidates and indicators: a few more than asked for
            ProgressUpdate.candidate_id.in_({c for c, _ in series}),
            ProgressUpdate.indicator_id.in_({i for _, i in series}), *known).subquery()
        condition = ProgressUpdate.id.in_(
            select(ranked.c.id).where(or_(ranked.c.newest <= RECENT_MEASUREMENTS,
                                          ranked.c.oldest == 1)))
        rows = session.execute(_measurement_query(condition, *known), parameters)
    else:
        parameters |= {"as_of": as_of, "known_before": end_of_day(as_of)}
        for n, (candidate_id, indicator_id) in enumerate(series):
            parameters[f"c{n}"], parameters[f"i{n}"] = candidate_id, indicator_id
        rows = session.execute(_bounded_history_query(len(series), bool(excluding)),
                               parameters)
    for key, measurement in _measurement_rows(rows):
        history[key].append(measurement)
    return history


# The updates a read leaves out, as one array parameter `excluding` however many they are.
_NOT_EXCLUDED = ~(ProgressUpdate.id == any_(bindparam("excluding", type_=ARRAY(Integer))))


@lru_cache(maxsize=2 * MAX_BOUNDED_SERIES)
def _bounded_history_query(count: int, excluding: bool = False) -> Select[Any]:
    """The read of `count` series' measurements by index seeks, its values as parameters
    (c0, i0, ..., as_of, known_before, retraction_moment, and `excluding` when it leaves
    updates out). Built once for each count and kept (at most 2 × MAX_BOUNDED_SERIES of them):
    building and keying a statement of subqueries costs SQLAlchemy more than running it, and
    every write runs one of these."""
    known: tuple[Any, ...] = (
        ProgressUpdate.as_of <= bindparam("as_of", type_=Date),
        ProgressUpdate.recorded_at < bindparam("known_before", type_=TZDateTime))
    if excluding:
        known += (_NOT_EXCLUDED,)
    parts = []
    for n in range(count):
        of_one = select(ProgressUpdate.id).where(
            ProgressUpdate.candidate_id == bindparam(f"c{n}", type_=Integer),
            ProgressUpdate.indicator_id == bindparam(f"i{n}", type_=Integer), *known)
        newest = of_one.order_by(ProgressUpdate.as_of.desc(), ProgressUpdate.id.desc())
        oldest = of_one.order_by(ProgressUpdate.as_of, ProgressUpdate.id)
        parts.append(select(newest.limit(RECENT_MEASUREMENTS).subquery().c.id))
        parts.append(select(oldest.limit(1).subquery().c.id))
    return _measurement_query(ProgressUpdate.id.in_(union_all(*parts).scalar_subquery()),
                              *known)


def recent_history(
    session: Session, series: list[Series], as_of: date, excluding: Sequence[int] = (),
) -> dict[Series, list[Measurement]]:
    """What load_statuses reads of these series on `as_of` (their first measurement and their
    RECENT_MEASUREMENTS newest), for a caller that evaluates them more than once; without the
    updates `excluding` (PostgreSQL only)."""
    return _load_history(session, series, as_of, excluding)


def kept_of(measurements: list[Measurement]) -> list[Measurement]:
    """Of one series' measurements, those _load_history would read (oldest first): its first
    and its RECENT_MEASUREMENTS newest. What it read before a write plus what the write added
    holds them all: a measurement among the newest after is among them before, or new."""
    ordered = sorted(measurements, key=lambda m: (m.as_of, m.id))
    if len(ordered) <= RECENT_MEASUREMENTS + 1:
        return ordered
    return ordered[:1] + ordered[-RECENT_MEASUREMENTS:]


@dataclass(frozen=True)
class CandidateStatus:
    """A candidate's evaluation with what it was computed from: its tier on the evaluated date
    (or the what-if tier), the applied targets and every measurement read, by benchmark key
    (pages draw their charts from these)."""

    evaluation: CandidateEvaluation
    applied: list[AppliedBenchmark]
    measurements: dict[str, list[Measurement]]
    tier: str
    standing: Standing  # the candidate's own tier and phase on the evaluated date


@dataclass(frozen=True)
class Asked:
    """What a set of candidates is asked on a date: each one's standing then (tier, phase,
    tier-entry date) and the requirements then in force of each tier evaluated."""

    as_of: date
    standings: dict[int, Standing]
    requirements: dict[str, list[TierRequirement]]  # by tier
    what_if: str | None  # the tier every candidate is evaluated against instead of its own

    def tier_of(self, candidate_id: int) -> str:
        return self.what_if or self.standings[candidate_id].tier


def load_asked(
    session: Session,
    candidates: Sequence[Candidate],
    *,
    as_of: date | None = None,
    tier: str | None = None,
) -> Asked:
    """Each candidate's standing on a date (default today), from its status history, and the
    targets in force then (adopted, not retired, the version then in force) of its tier, or of
    `tier` for every candidate (what-if). Four queries, none without candidates."""
    as_of = as_of or today()
    if not candidates:
        return Asked(as_of, {}, {}, tier)
    changes: dict[int, list[CandidateStatusChange]] = defaultdict(list)
    for change in session.scalars(
        select(CandidateStatusChange)
        .where(CandidateStatusChange.candidate_id.in_([c.id for c in candidates]))
        .order_by(CandidateStatusChange.effective_on, CandidateStatusChange.id)
    ):
        changes[change.candidate_id].append(change)
    standings = {c.id: standing_on(c, changes[c.id], as_of) for c in candidates}
    requirements = targets_in_force(
        session, {tier} if tier else {s.tier for s in standings.values()}, as_of)
    return Asked(as_of, standings, requirements, tier)


def load_statuses(
    session: Session,
    candidates: Sequence[Candidate],
    *,
    as_of: date | None = None,
    tier: str | None = None,
    asked: Asked | None = None,
    indicators: Mapping[int, Collection[int]] | None = None,
    history: Mapping[Series, list[Measurement]] | None = None,
    overrides: Mapping[tuple[int, int], CandidateBenchmark] | None = None,
) -> dict[int, CandidateStatus]:
    """Each candidate's status as of a date (default today), keyed by candidate id: its tier
    then (from its status history), the targets in force then (adopted, not retired, the
    version then in force), the observations recorded by then. `tier` evaluates every
    candidate against that tier's targets instead (what-if), changing nothing stored.
    `asked` (load_asked, read once for these candidates or more) spares its four queries;
    its date and tier are then the ones evaluated. `indicators` (by candidate id) keeps only
    the targets on those indicators: a write re-evaluates just what it touched. `history`
    (whole_history, read once) spares reading the measurements: a replay over many dates;
    `overrides` (each candidate's own targets, by candidate and definition id, read with
    the candidates) spares reading them."""
    if not candidates:
        return {}
    if asked is None:
        asked = load_asked(session, candidates, as_of=as_of, tier=tier)
    as_of = asked.as_of
    ids = [c.id for c in candidates]
    benchmarks: Mapping[tuple[int, int], CandidateBenchmark] = overrides or {}
    if overrides is None:
        benchmarks = {
            (cb.candidate_id, cb.definition_id): cb
            for cb in session.scalars(
                select(CandidateBenchmark).where(CandidateBenchmark.candidate_id.in_(ids))
            )
        }
    asks = {c.id: [r for r in asked.requirements[asked.tier_of(c.id)]
                   if indicators is None or r.definition.indicator_id in indicators.get(c.id, ())]
            for c in candidates}
    series = sorted({(c.id, r.definition.indicator_id) for c in candidates for r in asks[c.id]})
    updates = (defaultdict(list, history) if history is not None
               else _load_history(session, series, as_of))
    divergence_share = get_settings().assessment_divergence_share

    results = {}
    for candidate in candidates:
        standing = asked.standings[candidate.id]
        evaluated_tier = asked.tier_of(candidate.id)
        applied = apply_tier(
            asks[candidate.id],
            lambda definition_id, of=candidate.id: benchmarks.get((of, definition_id)),
            standing, evaluated_tier)
        measurements = {a.definition.key: updates[(candidate.id, a.definition.indicator_id)]
                        for a in applied}
        items = [(benchmark_spec(a), measurements[a.definition.key]) for a in applied]
        evaluation = evaluate_candidate(items, as_of, divergence_share=divergence_share)
        results[candidate.id] = CandidateStatus(evaluation, applied,
                                                measurements, evaluated_tier, standing)
    return results


def benchmark_is_illustrative(applied: AppliedBenchmark, latest: Measurement | None) -> bool:
    """Whether what a benchmark shows rests on an illustration: its target (the benchmark, or
    this tool's target for the tier) or the latest value it is read against."""
    return applied.target_is_illustrative or bool(latest and latest.is_illustrative)


def rests_on_illustrative(status: CandidateStatus) -> bool:
    """Whether the candidate's readiness rests on anything illustrative: its tier assignment,
    a target, or a latest value read."""
    applied = {a.definition.key: a for a in status.applied}
    return status.standing.tier_is_illustrative or any(
        benchmark_is_illustrative(applied[b.spec.key], b.latest)
        for b in status.evaluation.benchmarks)


def evaluate_candidates(
    session: Session,
    candidates: Sequence[Candidate],
    *,
    as_of: date | None = None,
    tier: str | None = None,
) -> dict[int, tuple[CandidateEvaluation, list[AppliedBenchmark]]]:
    """Each candidate's evaluation and applied benchmarks, keyed by candidate id."""
    return {
        candidate_id: (status.evaluation, status.applied)
        for candidate_id, status in load_statuses(session, candidates, as_of=as_of,
                                                  tier=tier).items()
    }
