"""The path rules: from a candidate's phase, the gate into its next phase and its benchmarks'
statuses to what stands between it and that phase (the gate's targets, the critical one, the
projected date, what blocks it now), and whether the phase it is in was entered with its gate
unmet. Pure functions over frozen dataclasses: no database, no clock (dates are passed in).
docs/status-rules.md ("The path to membership") explains every rule in plain English."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

# The phases in the order a candidate goes through them; each transition may have a gate.
PHASES = ("outreach", "accession_talks", "ratification", "member")
MET = "met"  # the status (app.status.Status.met) that counts a target as met


class PathReason(StrEnum):
    """Why the next phase has the projected date it has, or none."""

    member = "member"  # a member has no next phase
    no_gate = "no_gate"  # no gate is recorded for the next phase: nothing to project from
    gate_met = "gate_met"  # every target is met: the gate is open today
    projected = "projected"  # every unmet target has a projected date: the last one
    unprojectable = "unprojectable"  # an unmet target has no projected date
    # The critical target is not met although its own trend says it would have been by now:
    # a date from that trend would be a date already past, so none is given.
    behind_trend = "behind_trend"
    not_evaluated = "not_evaluated"  # a target is not among those the tier is evaluated on


def next_phase(phase: str) -> str | None:
    """The phase after `phase`; None for a member."""
    index = PHASES.index(phase)
    return PHASES[index + 1] if index + 1 < len(PHASES) else None


def previous_phase(phase: str) -> str | None:
    """The phase before `phase`; None for outreach, where every candidate starts."""
    index = PHASES.index(phase)
    return PHASES[index - 1] if index else None


def phase_order_error(to_phase: str, from_phase: str | None = None) -> tuple[str, str] | None:
    """(field, why) when a gate's transition is out of order: into outreach (nothing leads
    there), or from a phase that is not the one just before `to_phase`."""
    before = previous_phase(to_phase)
    if before is None:
        return ("to_phase", "outreach is where every candidate starts: no gate leads into it")
    if from_phase is not None and from_phase != before:
        return ("from_phase", f"phases run {' → '.join(PHASES)}: {to_phase} is entered from "
                              f"{before}, not from {from_phase}")
    return None


def find_cycle(requires: Mapping[int, Sequence[int]]) -> tuple[int, ...] | None:
    """A cycle among gates that require other gates (id → the ids it requires), as the ids
    along it with the first repeated at the end (`(3, 5, 3)`); None when there is none. A gate
    requiring itself is a cycle of one. Ids required but not in `requires` require nothing."""
    done: set[int] = set()
    for start in sorted(requires):
        if start in done:
            continue
        path: list[int] = []
        on_path: set[int] = set()
        stack: list[tuple[int, int]] = [(start, 0)]  # (gate, index of the next one it requires)
        path.append(start)
        on_path.add(start)
        while stack:
            gate, index = stack[-1]
            required = requires.get(gate, ())
            if index == len(required):
                stack.pop()
                path.pop()
                on_path.discard(gate)
                done.add(gate)
                continue
            stack[-1] = (gate, index + 1)
            following = required[index]
            if following in on_path:
                return (*path[path.index(following):], following)
            if following not in done:
                stack.append((following, 0))
                path.append(following)
                on_path.add(following)
    return None


@dataclass(frozen=True)
class GateRule:
    """A gate as the rules read it: the targets asked into `to_phase` for `tier`, and the gates
    whose targets it includes."""

    id: int
    tier: str
    to_phase: str
    targets: tuple[str, ...]
    requires: tuple[int, ...] = ()
    is_illustrative: bool = False


def gate_targets(gate: GateRule, gates: Mapping[int, GateRule]) -> tuple[str, ...]:
    """The gate's own targets, then those of the gates it requires (depth first, in order),
    each once. A required gate missing from `gates`, or met again through a cycle, adds
    nothing."""
    found: list[str] = []
    seen: set[int] = set()

    def visit(rule: GateRule) -> None:
        if rule.id in seen:
            return
        seen.add(rule.id)
        found.extend(key for key in rule.targets if key not in found)
        for required in rule.requires:
            if required in gates:
                visit(gates[required])

    visit(gate)
    return tuple(found)


def gate_into(gates: Sequence[GateRule], tier: str, phase: str | None) -> GateRule | None:
    """The gate of `tier` into `phase`, if one is recorded."""
    return next((g for g in gates if g.tier == tier and g.to_phase == phase), None)


@dataclass(frozen=True)
class TargetState:
    """What the status rules say of one target on the evaluated date (app.status
    BenchmarkEvaluation.status, projected_on and behind_trend_on: the past date its trend
    crossed the target, when the latest figure still falls short)."""

    key: str
    status: str
    projected_on: date | None = None
    behind_trend_on: date | None = None


@dataclass(frozen=True)
class PathTarget:
    """One target of the gate: its status (None: the tier is not evaluated on it on this date,
    e.g. not yet adopted or retired) and projected date, whether it is met, and whether it is
    the critical one. A target behind its own trend has no projected date here (the status
    rules move its past date to the day evaluated, which the path must not read as "met
    today"): `behind_trend_on` keeps the date its trend crossed the target."""

    key: str
    status: str | None
    projected_on: date | None
    is_met: bool
    is_critical: bool = False
    behind_trend_on: date | None = None


@dataclass(frozen=True)
class PathEvaluation:
    as_of: date
    phase: str
    next_phase: str | None
    gate_id: int | None
    targets: tuple[PathTarget, ...]
    critical: str | None  # the target projected last, or the first that cannot be projected
    projected_on: date | None  # when the gate into the next phase is projected to be met
    reason: PathReason
    blockers: tuple[str, ...]  # the unmet targets, in the gate's order
    is_illustrative: bool = False  # the gate is this tool's illustration

    @property
    def critical_path_target(self) -> PathTarget | None:
        return next((t for t in self.targets if t.is_critical), None)


def path_targets(keys: Sequence[str], states: Mapping[str, TargetState]) -> list[PathTarget]:
    """Each target's state, in the gate's order."""
    targets = []
    for key in keys:
        state = states.get(key)
        behind = state.behind_trend_on if state else None
        targets.append(PathTarget(
            key=key, status=state.status if state else None,
            projected_on=state.projected_on if state and behind is None else None,
            is_met=bool(state and state.status == MET), behind_trend_on=behind))
    return targets


def blockers(targets: Sequence[PathTarget]) -> tuple[str, ...]:
    """What blocks the next phase now: every target not met, in the gate's order."""
    return tuple(t.key for t in targets if not t.is_met)


def critical_target(targets: Sequence[PathTarget]) -> str | None:
    """The unmet target that decides when the gate is met: the first one without a projected
    date (it makes the gate unprojectable), else the one projected last (the first of equals);
    None when every target is met."""
    unmet = [t for t in targets if not t.is_met]
    if not unmet:
        return None
    unprojected = [t for t in unmet if t.projected_on is None]
    if unprojected:
        return unprojected[0].key
    last = max(t.projected_on for t in unmet if t.projected_on is not None)
    return next(t.key for t in unmet if t.projected_on == last)


def next_phase_on(targets: Sequence[PathTarget], as_of: date) -> date | None:
    """When the gate is projected to be met: `as_of` if every target is met, the latest
    projected date of the unmet ones if each has one, None if any has none."""
    unmet = [t for t in targets if not t.is_met]
    if any(t.projected_on is None for t in unmet):
        return None
    return max((t.projected_on for t in unmet if t.projected_on is not None), default=as_of)


def evaluate_path(
    phase: str,
    gate: GateRule | None,
    keys: Sequence[str],
    states: Mapping[str, TargetState],
    as_of: date,
) -> PathEvaluation:
    """The path from `phase` to the next one through `gate` (None: none recorded), whose
    targets are `keys` (gate_targets), read against the states of the evaluated benchmarks."""
    following = next_phase(phase)
    if following is None:
        return PathEvaluation(as_of, phase, None, None, (), None, None, PathReason.member, ())
    if gate is None:
        return PathEvaluation(as_of, phase, following, None, (), None, None,
                              PathReason.no_gate, ())
    listed = path_targets(keys, states)
    critical = critical_target(listed)
    targets = tuple(PathTarget(t.key, t.status, t.projected_on, t.is_met, t.key == critical,
                               t.behind_trend_on)
                    for t in listed)
    projected_on = next_phase_on(targets, as_of)
    if critical is None:
        reason = PathReason.gate_met
    elif projected_on is not None:
        reason = PathReason.projected
    elif states.get(critical) is None:
        reason = PathReason.not_evaluated
    elif states[critical].behind_trend_on is not None:
        reason = PathReason.behind_trend
    else:
        reason = PathReason.unprojectable
    return PathEvaluation(as_of, phase, following, gate.id, targets, critical, projected_on,
                          reason, blockers(targets), gate.is_illustrative)


def phase_entered_on(changes: Sequence[tuple[date, str]], as_of: date) -> date | None:
    """The day the candidate entered the phase it is in on `as_of`, from its status history
    ((effective_on, phase), oldest first): the first change of the unbroken run of that phase
    ending at the last change effective by then. None with no change effective by then."""
    in_effect = [(day, phase) for day, phase in changes if day <= as_of]
    if not in_effect:
        return None
    current = in_effect[-1][1]
    entered = in_effect[-1][0]
    for day, phase in reversed(in_effect):
        if phase != current:
            break
        entered = day
    return entered


def unmet_on_entry(keys: Sequence[str], states_on_entry: Mapping[str, TargetState]) -> tuple[
        str, ...]:
    """The targets of the gate into the current phase that were not met on the day it was
    entered (evaluated as of that day): a non-empty answer flags the phase as entered with its
    gate unmet. A target the tier was not evaluated on then counts as unmet."""
    return blockers(path_targets(keys, states_on_entry))


def path_words(path: PathEvaluation, titles: Mapping[str, str]) -> str:
    """The projection's reason in English words (the API's `projection_note`; pages word it
    in the reader's language from `reason`)."""
    critical = titles.get(path.critical or "", path.critical or "")
    following = (path.next_phase or "").replace("_", " ")
    if path.reason == PathReason.member:
        return "A member has no next phase: the accession is complete."
    if path.reason == PathReason.no_gate:
        return (f"No gate is recorded for entering {following}: no date can be "
                "projected.")
    if path.reason == PathReason.gate_met:
        return (f"Every target of the gate into {following} is met: the phase may be "
                "entered now; that is a decision, not a projection.")
    if path.reason == PathReason.projected:
        return (f"Projected from the last target to be met, {critical}: every unmet target "
                "is projected to be met by then at its current pace.")
    if path.reason == PathReason.behind_trend and path.critical_path_target:
        behind = path.critical_path_target.behind_trend_on
        return (f"{critical} is not met, though at its current pace it would have been by "
                f"{behind}: it is behind its own trend, so {following} cannot be projected.")
    if path.reason == PathReason.not_evaluated:
        return (f"{critical} is not among the targets the tier is evaluated on as of "
                f"{path.as_of.isoformat()}, so {following} cannot be projected.")
    return (f"{critical} is not met and has no projected date at its current pace, so "
            f"{following} cannot be projected.")
