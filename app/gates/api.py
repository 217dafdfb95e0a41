"""API of gates between phases (public reads, admin writes) and of a candidate's path to its
next phase."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response

from app.auth.deps import CurrentAdmin
from app.candidates.deps import AsOfQuery, CandidateFromPath, WhatIfTierQuery
from app.db import SessionDep, WriteSessionDep
from app.evaluation import load_statuses
from app.gates import service
from app.gates.schemas import (
    GATE_CREATE_EXAMPLES,
    GATE_UPDATE_EXAMPLES,
    GateCreate,
    GateRead,
    GateSummary,
    GateUpdate,
    PathRead,
    PathTargetRead,
)
from app.http.pagination import Page, PageDep
from app.models import Gate, Phase, Tier
from app.path import path_words, previous_phase
from app.schema_types import MAX_ID

router = APIRouter(tags=["gates"])

GateIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="A gate's id.")]


def gate_read(gate: Gate, gates: list[Gate]) -> GateRead:
    return GateRead(
        id=gate.id, tier=gate.tier, from_phase=previous_phase(gate.to_phase),
        to_phase=gate.to_phase, targets=gate.targets, requires=gate.requires,
        all_targets=service.all_targets(gate, gates), source=gate.source, note=gate.note,
        note_fr=gate.note_fr, is_illustrative=gate.is_illustrative, created_at=gate.created_at,
        updated_at=gate.updated_at)


@router.get("/gates", response_model=Page[GateRead])
def list_gates(
    session: SessionDep, page: PageDep,
    tier: Annotated[Tier | None, Query(description="Only this tier's gates.")] = None,
    phase: Annotated[Phase | None, Query(description="Only the gates into this phase.")] = None,
) -> Page[GateRead]:
    """What each tier must have met to enter each phase, by tier then phase."""
    everything = service.list_gates(session)
    gates = [g for g in everything if (tier is None or g.tier == tier)
             and (phase is None or g.to_phase == phase)]
    return Page(items=[gate_read(g, everything)
                       for g in gates[page.offset: page.offset + page.limit]],
                total=len(gates), limit=page.limit, offset=page.offset)


@router.get("/gates/{gate_id}", response_model=GateRead)
def get_gate(gate_id: GateIdPath, session: SessionDep) -> GateRead:
    return gate_read(service.get_gate(session, gate_id), service.list_gates(session))


@router.post("/gates", status_code=201, response_model=GateRead,
             responses={409: {"description": "The tier already has a gate into this phase."}})
def create_gate(
    data: Annotated[GateCreate, Body(openapi_examples=GATE_CREATE_EXAMPLES)],
    admin: CurrentAdmin, session: WriteSessionDep, response: Response,
) -> GateRead:
    """Adds a gate. A 422 names each refused field (an unknown target or one without a
    requirement for the tier, a phase out of order, an unknown gate required, a cycle);
    nothing is stored."""
    gate = service.create_gate(session, data, author=admin)
    response.headers["Location"] = f"/api/v1/gates/{gate.id}"
    return gate_read(gate, service.list_gates(session))


@router.patch("/gates/{gate_id}", response_model=GateRead,
              responses={409: {"description": "The tier already has a gate into this phase."}})
def update_gate(
    gate_id: GateIdPath,
    data: Annotated[GateUpdate, Body(openapi_examples=GATE_UPDATE_EXAMPLES)],
    admin: CurrentAdmin, session: WriteSessionDep,
) -> GateRead:
    """Edits a gate, checked as a new one is; the event recorded keeps the values before."""
    gate = service.update_gate(session, gate_id, data, author=admin)
    return gate_read(gate, service.list_gates(session))


@router.get("/candidates/{slug}/path", response_model=PathRead, tags=["candidates"])
def get_candidate_path(
    candidate: CandidateFromPath, session: SessionDep, as_of: AsOfQuery,
    tier: WhatIfTierQuery = None,
) -> PathRead:
    """The current phase, the next one, each target of the gate into it with its status and
    projected date, the critical target, when the next phase is projected (or why it cannot
    be) and what blocks it now; and whether the current phase was entered with its gate
    unmet."""
    status = load_statuses(session, [candidate], as_of=as_of, tier=tier)[candidate.id]
    path = service.candidate_path(session, candidate, status, service.list_gates(session))
    return path_read(candidate.slug, path, is_what_if=tier is not None
                     and tier != status.standing.tier)


def _summary(gate: Gate | None) -> GateSummary | None:
    if gate is None:
        return None
    return GateSummary(id=gate.id, tier=gate.tier, to_phase=gate.to_phase, source=gate.source,
                       note=gate.note, is_illustrative=gate.is_illustrative)


def path_read(slug: str, path: service.CandidatePath, *,
              is_what_if: bool) -> PathRead:
    e = path.evaluation
    titles = {key: d.title for key, d in path.targets.items()}
    return PathRead(
        slug=slug, as_of=e.as_of, tier=path.tier, is_what_if=is_what_if,
        current_phase=e.phase, next_phase=e.next_phase, gate=_summary(path.gate),
        targets=[PathTargetRead(key=t.key, title=titles.get(t.key, t.key), status=t.status,
                                projected_on=t.projected_on,
                                behind_trend_on=t.behind_trend_on, due_on=path.due.get(t.key),
                                is_met=t.is_met, is_critical=t.is_critical)
                 for t in e.targets],
        critical_target=e.critical, projected_on=e.projected_on, reason=e.reason,
        projection_note=path_words(e, titles), blockers=list(e.blockers),
        is_illustrative=e.is_illustrative, entered_on=path.entered_on,
        entry_gate=_summary(path.entry_gate),
        entered_with_gate_unmet=path.entered_with_gate_unmet,
        unmet_on_entry=list(path.unmet_on_entry))
