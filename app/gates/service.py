"""Gates between phases: the admin's writes, with their checks (known targets of the tier,
phases in order, no cycle of gates, one gate per tier and phase), and a candidate's path to its
next phase, from the status already evaluated and the gates read once (app/path.py has the
rules)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.benchmarks.applied import requirements_in_force
from app.benchmarks.service import Standing, get_definitions_by_key, standing_on
from app.errors import Conflict, InvalidInput, NotFound, field_error
from app.evaluation import Asked, CandidateStatus, load_statuses, today
from app.events.service import record_event, snapshot
from app.gates.schemas import GateCreate, GateUpdate
from app.models import BenchmarkDefinition, Candidate, Gate, Phase, Tier, User, utcnow
from app.path import (
    PHASES,
    GateRule,
    PathEvaluation,
    TargetState,
    evaluate_path,
    find_cycle,
    gate_into,
    gate_targets,
    next_phase,
    phase_entered_on,
    phase_order_error,
    previous_phase,
    unmet_on_entry,
)

GATE_FIELDS = ("id", "tier", "to_phase", "targets", "requires", "source", "note", "note_fr",
               "is_illustrative")
TIER_ORDER = {tier: rank for rank, tier in enumerate(Tier)}


def gate_rule(gate: Gate) -> GateRule:
    return GateRule(id=gate.id, tier=gate.tier, to_phase=gate.to_phase,
                    targets=tuple(gate.targets), requires=tuple(gate.requires),
                    is_illustrative=gate.is_illustrative)


def list_gates(session: Session) -> list[Gate]:
    """Every gate (one query; there are a few per tier), by tier then phase."""
    return sorted(session.scalars(select(Gate)),
                  key=lambda g: (TIER_ORDER[Tier(g.tier)], PHASES.index(g.to_phase)))


def get_gate(session: Session, gate_id: int) -> Gate:
    gate = session.get(Gate, gate_id)
    if gate is None:
        raise NotFound("gate", gate_id)
    return gate


def all_targets(gate: Gate, gates: Sequence[Gate]) -> list[str]:
    """The gate's own targets, then those of the gates it requires."""
    return list(gate_targets(gate_rule(gate), {g.id: gate_rule(g) for g in gates}))


def _target_errors(session: Session, tier: str, targets: list[str]) -> list[dict[str, Any]]:
    """Each target must be a benchmark key whose newest requirements ask something of `tier`,
    not retired, and listed once."""
    definitions = {d.key: d for d in session.scalars(
        select(BenchmarkDefinition).where(BenchmarkDefinition.key.in_(set(targets)))
        .options(selectinload(BenchmarkDefinition.requirements)))}
    errors = []
    for index, key in enumerate(targets):
        loc = ["body", "targets", index]
        definition = definitions.get(key)
        if key in targets[:index]:
            errors.append(field_error(loc, f"{key} is listed twice", "duplicate_target"))
        elif definition is None:
            errors.append(field_error(loc, f"no benchmark {key!r}: see GET /api/v1/benchmarks",
                                      "unknown_target"))
        elif tier not in {r.tier for r in definition.current_requirements}:
            errors.append(field_error(loc, f"{key} asks nothing of the {tier} tier: it has no "
                                      "requirement for it", "no_requirement_for_tier"))
        elif definition.retired_on is not None and definition.retired_on <= today():
            errors.append(field_error(loc, f"{key} was retired on "
                                      f"{definition.retired_on.isoformat()}", "retired_target"))
    return errors


def _gate_errors(
    session: Session, gates: Sequence[Gate], values: dict[str, Any], *, gate_id: int | None,
    from_phase: str | None,
) -> list[dict[str, Any]]:
    errors = []
    order = phase_order_error(values["to_phase"], from_phase)
    if order is not None:
        errors.append(field_error(["body", order[0]], order[1], "phase_out_of_order"))
    errors += _target_errors(session, values["tier"], values["targets"])
    by_id = {g.id: g for g in gates}
    for index, required in enumerate(values["requires"]):
        loc = ["body", "requires", index]
        other = by_id.get(required)
        if other is None and required != gate_id:
            errors.append(field_error(loc, f"no gate {required}", "unknown_gate"))
        elif other is not None and other.id != gate_id and other.tier != values["tier"]:
            errors.append(field_error(loc, f"gate {required} is of the {other.tier} tier: a gate "
                                      "requires gates of its own tier", "other_tier_gate"))
    if gate_id is not None:
        dependents = [g.id for g in gates if gate_id in g.requires and g.id != gate_id
                      and g.tier != values["tier"]]
        if dependents:
            errors.append(field_error(["body", "tier"], "gates of another tier require this one "
                                      f"({', '.join(map(str, dependents))})", "other_tier_gate"))
        graph = {g.id: list(g.requires) for g in gates}
        graph[gate_id] = list(values["requires"])
        cycle = find_cycle(graph)
        if cycle is not None:
            errors.append(field_error(["body", "requires"], "a cycle of gates: "
                                      + " → ".join(map(str, cycle)), "gate_cycle"))
    return errors


def _refuse(errors: list[dict[str, Any]]) -> None:
    if errors:
        summary = "; ".join(f"{e['field']}: {e['msg']}" for e in errors[:10])
        raise InvalidInput(f"The gate is refused. {summary}", errors)


def _refuse_taken(gates: Sequence[Gate], tier: str, to_phase: str, gate_id: int | None) -> None:
    taken = next((g for g in gates if g.tier == tier and g.to_phase == to_phase
                  and g.id != gate_id), None)
    if taken is not None:
        raise Conflict(f"The {tier} tier already has a gate into {to_phase} (gate {taken.id}): "
                       "edit that one.",
                       errors=[field_error(["body", "to_phase"], "already gated for this tier",
                                           "duplicate_gate")])


def create_gate(session: Session, data: GateCreate, *, author: User) -> Gate:
    """Adds a gate; refuses (422, nothing stored) unknown targets or gates, phases out of order,
    and (409) a second gate for the same tier and phase."""
    gates = list_gates(session)
    values = data.model_dump(exclude={"from_phase"})
    _refuse(_gate_errors(session, gates, values, gate_id=None, from_phase=data.from_phase))
    _refuse_taken(gates, data.tier, data.to_phase, None)
    now = utcnow()
    gate = Gate(**values, author_id=author.id, created_at=now, updated_at=now)
    session.add(gate)
    try:
        session.flush()
    except IntegrityError:  # a gate for the same tier and phase added meanwhile
        session.rollback()
        _refuse_taken(list_gates(session), data.tier, data.to_phase, None)
        raise
    record_event(session, kind="gate.created", entity="gate", entity_id=gate.id, actor=author,
                 after=snapshot(gate, GATE_FIELDS))
    session.commit()
    return gate


def update_gate(session: Session, gate_id: int, data: GateUpdate, *, author: User) -> Gate:
    """Edits a gate in place; the event it records keeps the record before and after (the
    gate's history). Checked as a whole, as a new gate is."""
    gate = get_gate(session, gate_id)
    gates = list_gates(session)
    before = snapshot(gate, GATE_FIELDS)
    changes = data.model_dump(exclude_unset=True, exclude={"from_phase"})
    values = {name: before[name] for name in GATE_FIELDS if name != "id"} | changes
    _refuse(_gate_errors(session, gates, values, gate_id=gate.id, from_phase=data.from_phase))
    _refuse_taken(gates, values["tier"], values["to_phase"], gate.id)
    for name, value in changes.items():
        setattr(gate, name, value)
    after = snapshot(gate, GATE_FIELDS)
    if after == before:
        return gate
    gate.updated_at = utcnow()
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        _refuse_taken(list_gates(session), values["tier"], values["to_phase"], gate_id)
        raise
    record_event(session, kind="gate.updated", entity="gate", entity_id=gate.id, actor=author,
                 before=before, after=after)
    session.commit()
    return gate


# A candidate's path.


@dataclass(frozen=True)
class CandidatePath:
    """The path rules' answer for one candidate on one date, with what pages and the API show
    beside it: the gates, when each phase so far was entered, the targets' titles and due
    dates, and whether the current phase was entered with its gate unmet."""

    evaluation: PathEvaluation
    tier: str  # the tier evaluated
    gate: Gate | None  # into the next phase
    targets: dict[str, BenchmarkDefinition]  # every target of the gate, by key
    due: dict[str, date | None]
    entered: list[tuple[date, str]]  # (day, phase) each phase so far was entered, oldest first
    entered_on: date | None  # the current phase
    entry_gate: Gate | None = None  # the gate into the current phase
    unmet_on_entry: tuple[str, ...] = field(default=())

    @property
    def entered_with_gate_unmet(self) -> bool:
        return bool(self.unmet_on_entry)


def target_states(status: CandidateStatus) -> dict[str, TargetState]:
    return {b.spec.key: TargetState(b.spec.key, b.status, b.projected_on, b.behind_trend_on)
            for b in status.evaluation.benchmarks}


def next_phase_path(status: CandidateStatus, gates: Sequence[Gate]) -> PathEvaluation:
    """The path from an evaluated status: no query (the overview's "next phase" column)."""
    rules = {g.id: gate_rule(g) for g in gates}
    phase = status.standing.phase
    gate = gate_into(list(rules.values()), status.tier, next_phase(phase))
    keys = gate_targets(gate, rules) if gate else ()
    return evaluate_path(phase, gate, keys, target_states(status), status.evaluation.as_of)


def phase_entries(candidate: Candidate, as_of: date) -> list[tuple[date, str]]:
    """(day, phase) of each change of phase in the candidate's history up to `as_of`."""
    entries: list[tuple[date, str]] = []
    for change in sorted(candidate.status_changes, key=lambda c: (c.effective_on, c.id)):
        if change.effective_on <= as_of and (not entries or entries[-1][1] != change.phase):
            entries.append((change.effective_on, change.phase))
    return entries


def _status_on_entry(
    session: Session, candidate: Candidate, status: CandidateStatus, standing: Standing,
    entered_on: date, keys: Sequence[str],
) -> CandidateStatus:
    """The candidate's evaluation of the gate's targets only, as of the day it entered its
    phase. The targets' definitions, each with every version of every tier's requirements, are
    usually those the status already evaluated: then what the tier asked that day is read from
    them, and the evaluation costs two queries (the candidate's own targets and the
    observations known then) instead of a full one's seven."""
    loaded = {a.definition.key: a.definition for a in status.applied}
    if not all(key in loaded for key in keys):
        return load_statuses(session, [candidate], as_of=entered_on)[candidate.id]
    asked = Asked(entered_on, {candidate.id: standing},
                  requirements_in_force([loaded[key] for key in keys], {standing.tier},
                                        entered_on), None)
    return load_statuses(session, [candidate], asked=asked)[candidate.id]


def candidate_path(
    session: Session, candidate: Candidate, status: CandidateStatus, gates: Sequence[Gate],
) -> CandidatePath:
    """The path of a candidate (loaded with its history) whose status is evaluated: no query,
    except one for the titles of targets its tier is not evaluated on, and, when a gate leads
    into its current phase, the evaluation as of the day it entered that phase."""
    as_of = status.evaluation.as_of
    evaluation = next_phase_path(status, gates)
    by_id = {g.id: g for g in gates}
    applied = {a.definition.key: a for a in status.applied}
    definitions = {key: applied[key].definition for key in applied}
    missing = [t.key for t in evaluation.targets if t.key not in definitions]
    changes = sorted(candidate.status_changes, key=lambda c: (c.effective_on, c.id))
    entered_on = phase_entered_on([(c.effective_on, c.phase) for c in changes], as_of)
    entry_gate, unmet = None, ()
    # A completed accession is not scored (its figures are comparators): flagging a member as
    # having "entered with its gate unmet" would grade it all the same, on targets it was
    # never measured against.
    if (entered_on is not None and previous_phase(status.standing.phase) is not None
            and status.standing.phase != Phase.member):
        standing = standing_on(candidate, changes, entered_on)
        rules = {g.id: gate_rule(g) for g in gates}
        rule = gate_into(list(rules.values()), standing.tier, status.standing.phase)
        if rule is not None:
            entry_gate = by_id[rule.id]
            keys = gate_targets(rule, rules)
            on_entry = _status_on_entry(session, candidate, status, standing, entered_on, keys)
            unmet = unmet_on_entry(keys, target_states(on_entry))
            missing += [k for k in keys if k not in definitions]
    if missing:
        definitions |= get_definitions_by_key(session, missing)
    return CandidatePath(
        evaluation=evaluation, tier=status.tier,
        gate=by_id.get(evaluation.gate_id) if evaluation.gate_id else None,
        targets={t.key: definitions[t.key] for t in evaluation.targets if t.key in definitions}
        | {k: definitions[k] for k in unmet if k in definitions},
        due={key: applied[key].due_on if key in applied else None
             for key in (t.key for t in evaluation.targets)},
        entered=phase_entries(candidate, as_of), entered_on=entered_on,
        entry_gate=entry_gate, unmet_on_entry=unmet)
