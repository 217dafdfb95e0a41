"""The ratification pipeline's rules: a member state's procedure (its ordered steps), where a
member stands in it and for how long, the median days each step took in the reference
ratifications (Finland's and Sweden's), the projected completion of an accession, and which
new steps and procedures are refused. Pure functions over frozen dataclasses: no database, no
web framework, no clock (the as-of date is always passed in). docs/status-rules.md ("The
ratification pipeline") explains every rule in plain English."""

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

PROTOCOL_SIGNED = "protocol_signed"
GOVERNMENT_APPROVED = "government_approved"
LOWER_CHAMBER_APPROVED = "lower_chamber_approved"
UPPER_CHAMBER_APPROVED = "upper_chamber_approved"
PARLIAMENT_APPROVED = "parliament_approved"
HEAD_OF_STATE_ASSENT = "head_of_state_assent"
DEPOSITED = "deposited"

# Every step a procedure may hold, in the order procedures usually run them (steps recorded on
# one day are ordered this way).
STEPS = (PROTOCOL_SIGNED, GOVERNMENT_APPROVED, LOWER_CHAMBER_APPROVED, UPPER_CHAMBER_APPROVED,
         PARLIAMENT_APPROVED, HEAD_OF_STATE_ASSENT, DEPOSITED)
CHAMBER_STEPS = (LOWER_CHAMBER_APPROVED, UPPER_CHAMBER_APPROVED)
PARLIAMENT_STEPS = (*CHAMBER_STEPS, PARLIAMENT_APPROVED)
# A member state's procedure when nothing more is known of it: the accession protocol is signed
# by every member together, one parliament (or chamber) approves, the head of state assents,
# and the instrument is deposited with the treaty's depositary.
DEFAULT_PROCEDURE = (PROTOCOL_SIGNED, PARLIAMENT_APPROVED, HEAD_OF_STATE_ASSENT, DEPOSITED)
BICAMERAL_PROCEDURE = (PROTOCOL_SIGNED, LOWER_CHAMBER_APPROVED, UPPER_CHAMBER_APPROVED,
                       HEAD_OF_STATE_ASSENT, DEPOSITED)
# Names steps had before procedures existed, still accepted on input: `signed` recorded the head
# of state's signature (revision 0013 renamed the stored rows).
ALIASES = {"signed": HEAD_OF_STATE_ASSENT}


def canonical(step: str) -> str:
    return ALIASES.get(step, step)


@dataclass(frozen=True)
class StepRecord:
    """One recorded step. `order` is the order of recording (the row's id): a later record of
    the same step corrects an earlier one."""

    step: str
    occurred_on: date
    order: int = 0


def positions(procedure: Sequence[str], step: str) -> tuple[int, ...]:
    """The places in `procedure` a recorded `step` accounts for, first to last; () when the
    procedure has no such step. `parliament_approved` in a two-chamber procedure records that
    parliament has approved, both chambers (as the NATO PA's timeline dates it): it accounts for
    both chamber steps."""
    if step in procedure:
        return (procedure.index(step),)
    if step == PARLIAMENT_APPROVED:
        return tuple(i for i, s in enumerate(procedure) if s in CHAMBER_STEPS)
    return ()


@dataclass(frozen=True)
class Reached:
    """The latest record standing at one place of a procedure."""

    position: int
    record: StepRecord
    covers: tuple[int, ...]  # every place it accounts for (two for a whole parliament)


def reached(procedure: Sequence[str], records: Iterable[StepRecord]) -> dict[int, Reached]:
    """Each place of the procedure a record stands at (its last place), with the record that
    counts there: the latest recorded. Records of steps not in the procedure are left out."""
    result: dict[int, Reached] = {}
    for record in sorted(records, key=lambda r: r.order):
        places = positions(procedure, record.step)
        if places:
            result[places[-1]] = Reached(places[-1], record, places)
    return result


def dated_places(procedure: Sequence[str], records: Iterable[StepRecord],
                 protocol_on: date | None) -> dict[int, Reached]:
    """`reached`, plus the protocol's signature where the member has no record of its own: the
    members sign a candidate's accession protocol together, recorded once as the candidate's
    `protocol_signed` milestone."""
    places = reached(procedure, records)
    if protocol_on is not None and PROTOCOL_SIGNED in procedure:
        first = procedure.index(PROTOCOL_SIGNED)
        if first not in places:
            places[first] = Reached(first, StepRecord(PROTOCOL_SIGNED, protocol_on, -1), (first,))
    return places


def ratified_place(procedure: Sequence[str]) -> int:
    """Where a member has ratified: its parliament's (last chamber's) approval; without a
    parliamentary step, the deposit."""
    places = [i for i, s in enumerate(procedure) if s in PARLIAMENT_STEPS]
    return max(places) if places else len(procedure) - 1


@dataclass(frozen=True)
class MemberStanding:
    """Where one member state stands in its procedure on a date."""

    current_step: str | None  # the latest step reached, as recorded; None: not started
    current_on: date | None
    next_step: str | None  # None once deposited
    days_in_step: int | None  # since current_on; not started: since the protocol's signature
    is_ratified: bool  # its parliament has approved (or a later step is recorded)
    is_deposited: bool


def member_standing(procedure: Sequence[str], records: Iterable[StepRecord],
                    protocol_on: date | None, as_of: date) -> MemberStanding:
    """`records` are those of one member, taken by `as_of`; `protocol_on` is the candidate's
    protocol signature, if known by then."""
    places = reached(procedure, records)
    if not places:
        starts_signed = protocol_on is not None and procedure[:1] == (PROTOCOL_SIGNED,)
        return MemberStanding(
            current_step=None, current_on=None,
            next_step=procedure[1] if starts_signed and len(procedure) > 1 else procedure[0],
            days_in_step=(as_of - protocol_on).days if protocol_on is not None else None,
            is_ratified=False, is_deposited=False)
    last = max(places)
    current = places[last].record
    return MemberStanding(
        current_step=current.step, current_on=current.occurred_on,
        next_step=procedure[last + 1] if last + 1 < len(procedure) else None,
        days_in_step=(as_of - current.occurred_on).days,
        is_ratified=last >= ratified_place(procedure),
        is_deposited=procedure[last] == DEPOSITED)


def is_blocking(standing: MemberStanding, *, accession_complete: bool) -> bool:
    """A member blocks the accession while its parliament has not approved: the later steps are
    formalities, done within days (see the medians), that sources often do not date. Nobody
    blocks a completed accession (every member had deposited, dated here or not)."""
    return not accession_complete and not standing.is_ratified


# Step durations and their medians


@dataclass(frozen=True)
class Duration:
    """The days one member took from its previous step (dated `since`) to `step` (dated `on`)."""

    step: str
    previous_step: str
    since: date
    on: date

    @property
    def days(self) -> int:
        return (self.on - self.since).days


def step_durations(procedure: Sequence[str], records: Iterable[StepRecord],
                   protocol_on: date | None) -> list[Duration]:
    """Each step of one member whose previous step in its procedure is dated, with the days
    from that previous step to it. A whole parliament's approval in a two-chamber procedure
    counts from the step before the chambers."""
    places = dated_places(procedure, records, protocol_on)
    durations = []
    for _, here in sorted(places.items()):
        before = min(here.covers) - 1
        if before in places:
            previous = places[before].record
            durations.append(Duration(here.record.step, previous.step, previous.occurred_on,
                                      here.record.occurred_on))
    return durations


@dataclass(frozen=True)
class StepMedian:
    step: str
    days: float
    count: int  # member states with both dates
    longest: int = 0  # the most days any of them took


@dataclass(frozen=True)
class ReferenceRatification:
    """One member's ratification of a reference accession (Finland's, Sweden's)."""

    procedure: tuple[str, ...]
    records: tuple[StepRecord, ...]
    protocol_on: date | None


def median_days_per_step(references: Iterable[ReferenceRatification]) -> dict[str, StepMedian]:
    """The median of `step_durations` per step over every reference member with both dates,
    in the order of STEPS."""
    samples: dict[str, list[int]] = {}
    for r in references:
        for d in step_durations(r.procedure, r.records, r.protocol_on):
            samples.setdefault(d.step, []).append(d.days)
    return {step: StepMedian(step, float(statistics.median(samples[step])), len(samples[step]),
                             max(samples[step]))
            for step in STEPS if step in samples}


# The projection


@dataclass(frozen=True)
class MemberProjection:
    on: date | None  # when the member is projected to deposit; None: cannot be projected
    missing_step: str | None = None  # a step ahead with no median
    no_start: bool = False  # neither a step nor the protocol's signature is dated
    # Already waiting longer for its next step than any reference member took: a median says
    # nothing about when a member holding out will move (Hungary and Türkiye for Sweden).
    beyond_reference: bool = False


def remaining_days(steps: Sequence[str], medians: dict[str, StepMedian]) -> list[float] | str:
    """The median days of each step still ahead, or the first step that has none. A chamber of
    a two-chamber parliament without a median of its own takes a one-chamber parliament's: the
    whole median on the first chamber ahead, none on the second."""
    days: list[float] = []
    for i, step in enumerate(steps):
        if step in medians:
            days.append(medians[step].days)
        elif step in CHAMBER_STEPS and PARLIAMENT_APPROVED in medians:
            earlier_chamber = any(s in CHAMBER_STEPS for s in steps[:i])
            days.append(0.0 if earlier_chamber else medians[PARLIAMENT_APPROVED].days)
        else:
            return step
    return days


def project_member(procedure: Sequence[str], standing: MemberStanding, protocol_on: date | None,
                   medians: dict[str, StepMedian], as_of: date) -> MemberProjection:
    """The day a member is projected to deposit: its next step the median days after its
    current one (or after the protocol's signature), but not before the day after `as_of` (it
    had not happened by then), then each later step its median days after. Medians are summed
    and rounded up to whole days."""
    if standing.is_deposited:
        return MemberProjection(standing.current_on)
    start = standing.current_on or protocol_on
    if start is None:
        return MemberProjection(None, no_start=True)
    ahead = procedure[procedure.index(standing.next_step):] if standing.next_step else ()
    days = remaining_days(ahead, medians)
    if isinstance(days, str):
        return MemberProjection(None, missing_step=days)
    if not days:
        return MemberProjection(start)
    # Only a member whose parliament has not approved: the later steps are formalities that
    # sources seldom date, so a ratified member's undated assent is no sign of holding out.
    longest = _longest(ahead[0], medians)
    if not standing.is_ratified and longest is not None and (as_of - start).days > longest:
        return MemberProjection(None, beyond_reference=True)
    first = max(start + timedelta(days=math.ceil(days[0])), as_of + timedelta(days=1))
    return MemberProjection(first + timedelta(days=math.ceil(sum(days[1:]))))


def _longest(step: str, medians: dict[str, StepMedian]) -> int | None:
    """The most days a reference member took over `step` (a chamber: a whole parliament's)."""
    if step in medians:
        return medians[step].longest
    if step in CHAMBER_STEPS and PARLIAMENT_APPROVED in medians:
        return medians[PARLIAMENT_APPROVED].longest
    return None


@dataclass(frozen=True)
class Projection:
    on: date | None  # the last member's projected deposit: the accession's completion
    last_member: str | None  # who is projected last (an ISO3 code)
    missing_steps: tuple[str, ...] = ()  # steps ahead that no reference ratification dates
    unstarted: tuple[str, ...] = ()  # members with nothing dated to count from
    beyond_reference: tuple[str, ...] = ()  # members already slower than every reference one


def project_completion(members: Sequence[tuple[str, MemberProjection]]) -> Projection:
    """The accession completes when the last member deposits. One member that cannot be
    projected leaves the completion unprojected, saying why."""
    missing = tuple(dict.fromkeys(p.missing_step for _, p in members if p.missing_step))
    unstarted = tuple(iso3 for iso3, p in members if p.no_start)
    beyond = tuple(iso3 for iso3, p in members if p.beyond_reference)
    if missing or unstarted or beyond or not members:
        return Projection(None, None, missing, unstarted, beyond)
    iso3, last = max(members, key=lambda m: (m[1].on, m[0]))
    return Projection(last.on, iso3)


# Refusals


@dataclass(frozen=True)
class Problem:
    """A refused input: the field it is about, why, and a stable code (docs/errors.md)."""

    field: str
    message: str
    type: str
    index: int | None = None  # the position in a list of steps


def step_problem(procedure: Sequence[str], records: Iterable[StepRecord], step: str,
                 occurred_on: date, protocol_on: date | None) -> Problem | None:
    """Why a member's new step is refused, or None. Its procedure must hold it; every earlier
    step but the protocol's signature (the candidate's milestone) must be recorded; it may not
    be dated before the protocol was signed, before the member's previous step, or after a
    later step already recorded."""
    step = canonical(step)
    places = positions(procedure, step)
    if not places:
        return Problem("step", f"{step} is not a step of this member state's procedure "
                       f"({', '.join(procedure)})", "step_not_in_procedure")
    records = list(records)
    done = reached(procedure, records)
    covered = {c for r in done.values() for c in r.covers}
    missing = [procedure[i] for i in range(min(places))
               if procedure[i] != PROTOCOL_SIGNED and i not in covered]
    if missing:
        return Problem("step", f"out of order: {missing[0]} comes before {step} in this member "
                       "state's procedure and is not recorded", "step_out_of_order")
    if protocol_on is not None and occurred_on < protocol_on:
        return Problem("occurred_on", f"before the accession protocol was signed "
                       f"({protocol_on.isoformat()})", "before_protocol")
    dated = dated_places(procedure, records, protocol_on)
    earlier = [r.record for i, r in dated.items() if i < min(places)]
    if earlier:
        previous = max(earlier, key=lambda r: (r.occurred_on, r.order))
        if occurred_on < previous.occurred_on:
            kind = "before_protocol" if previous.step == PROTOCOL_SIGNED else "before_previous_step"
            return Problem("occurred_on", f"before this member state's previous step, "
                           f"{previous.step} on {previous.occurred_on.isoformat()}", kind)
    later = [r.record for i, r in done.items() if i > max(places)]
    if later:
        following = min(later, key=lambda r: (r.occurred_on, r.order))
        if occurred_on > following.occurred_on:
            return Problem("occurred_on", f"after this member state's later step, "
                           f"{following.step} on {following.occurred_on.isoformat()}",
                           "step_out_of_order")
    return None


def procedure_problems(steps: Sequence[str]) -> list[Problem]:
    """Why a procedure is refused ([] when it is not): it needs at least one step, every step
    known and at most once, the protocol's signature (if there) first, the deposit last, and a
    parliament that approves in one chamber (parliament_approved) or in two (both chamber
    steps), not both."""
    if not steps:
        return [Problem("steps", "a procedure needs at least one step, ending with deposited",
                        "empty_procedure")]
    problems = []
    seen: set[str] = set()
    for i, raw in enumerate(steps):
        step = canonical(raw)
        if step not in STEPS:
            problems.append(Problem("steps", f"unknown step {raw!r}: one of {', '.join(STEPS)}",
                                    "unknown_step", i))
        elif step in seen:
            problems.append(Problem("steps", f"{step} appears twice", "duplicate_step", i))
        seen.add(step)
    if problems:
        return problems
    named = [canonical(s) for s in steps]
    if named[-1] != DEPOSITED:
        where = named.index(DEPOSITED) if DEPOSITED in named else len(named) - 1
        problems.append(Problem("steps", "deposited must be the last step (the instrument's "
                                "deposit completes a ratification)", "deposited_not_last", where))
    if PROTOCOL_SIGNED in named and named[0] != PROTOCOL_SIGNED:
        problems.append(Problem("steps", "protocol_signed must be the first step",
                                "protocol_not_first", named.index(PROTOCOL_SIGNED)))
    chambers = [s for s in named if s in CHAMBER_STEPS]
    if PARLIAMENT_APPROVED in named and chambers:
        problems.append(Problem("steps", "a parliament approves in one chamber "
                                "(parliament_approved) or in two (lower_chamber_approved and "
                                "upper_chamber_approved), not both", "mixed_chambers",
                                named.index(chambers[0])))
    elif len(chambers) == 1:
        problems.append(Problem("steps", "a two-chamber parliament needs both chamber steps "
                                "(lower_chamber_approved and upper_chamber_approved)",
                                "one_chamber_of_two", named.index(chambers[0])))
    return problems


# The pipeline of one candidate, for its page


@dataclass(frozen=True)
class StepCount:
    step: str | None  # None: not started
    count: int


def step_counts(procedures_and_standings: Iterable[tuple[Sequence[str], MemberStanding]]
                ) -> list[StepCount]:
    """How many members stand at each step (their latest), not started first, then in the order
    of STEPS; steps nobody stands at are left out."""
    counts: dict[str | None, int] = {}
    for _, standing in procedures_and_standings:
        counts[standing.current_step] = counts.get(standing.current_step, 0) + 1
    return [StepCount(step, counts[step]) for step in (None, *STEPS) if counts.get(step)]
