"""API of ratifications: public reads; analysts and admins record steps."""

from typing import Annotated

from fastapi import APIRouter, Body, Path

from app.auth.deps import CurrentAdmin, CurrentAnalyst
from app.candidates.deps import AsOfQuery, CandidateForWrite, CandidateFromPath
from app.db import SessionDep, WriteSessionDep
from app.http.pagination import Page, PageDep
from app.members.schemas import MemberStateRead
from app.ratifications.schemas import (
    PROCEDURE_EXAMPLES,
    RATIFICATION_STEP_EXAMPLES,
    ProcedureRead,
    ProcedureUpdate,
    RatificationRead,
    RatificationStepCreate,
    RatificationStepRead,
)
from app.ratifications.service import (
    Procedure,
    Ratification,
    get_procedure,
    list_ratifications,
    record_ratification_step,
    set_procedure,
)

router = APIRouter(tags=["ratifications"])


def ratification_read(ratification: Ratification) -> RatificationRead:
    return RatificationRead(
        member=MemberStateRead.model_validate(ratification.member), status=ratification.status,
        status_on=ratification.status_on,
        steps=[RatificationStepRead.model_validate(s) for s in ratification.steps],
        current_step=ratification.standing.current_step,
        next_step=ratification.standing.next_step,
        days_in_step=ratification.standing.days_in_step,
    )


def procedure_read(procedure: Procedure) -> ProcedureRead:
    return ProcedureRead(member=MemberStateRead.model_validate(procedure.member),
                         steps=list(procedure.steps), source=procedure.source,
                         is_default=procedure.is_default)


@router.get("/candidates/{slug}/ratifications", response_model=Page[RatificationRead])
def get_ratifications(
    candidate: CandidateFromPath, session: SessionDep, page: PageDep, as_of: AsOfQuery
) -> Page[RatificationRead]:
    """Each ratifying member state's latest step (`pending` when none), all its steps, and
    where it stands in its procedure: current step, next step, days in the current step."""
    ratifications = list_ratifications(session, candidate, as_of=as_of)
    items = [ratification_read(r) for r in ratifications[page.offset : page.offset + page.limit]]
    return Page(items=items, total=len(ratifications), limit=page.limit, offset=page.offset)


@router.post("/candidates/{slug}/ratifications/{member_iso3}/steps", status_code=201,
             response_model=RatificationRead)
def create_ratification_step(
    member_iso3: Annotated[str, Path(max_length=80, description="A member state, e.g. `DEU`.")],
    data: Annotated[RatificationStepCreate, Body(openapi_examples=RATIFICATION_STEP_EXAMPLES)],
    analyst: CurrentAnalyst,
    candidate: CandidateForWrite,
    session: WriteSessionDep,
) -> RatificationRead:
    """Records one dated step of a member state's ratification; answers with that member's
    ratification as it now stands (status, status_on, steps)."""
    return ratification_read(record_ratification_step(session, candidate, member_iso3, data,
                                                      author=analyst))


MemberPath = Annotated[str, Path(max_length=80, description="A member state, e.g. `FRA`.")]


@router.get("/members/{member_iso3}/procedure", response_model=ProcedureRead)
def get_member_procedure(member_iso3: MemberPath, session: SessionDep) -> ProcedureRead:
    """The member state's ratification procedure: its steps in order, with their source."""
    return procedure_read(get_procedure(session, member_iso3))


@router.put("/members/{member_iso3}/procedure", response_model=ProcedureRead)
def put_member_procedure(
    member_iso3: MemberPath,
    data: Annotated[ProcedureUpdate, Body(openapi_examples=PROCEDURE_EXAMPLES)],
    admin: CurrentAdmin,
    session: WriteSessionDep,
) -> ProcedureRead:
    """Replaces the member state's procedure (admins only); the change is an event."""
    return procedure_read(set_procedure(session, member_iso3, data, author=admin))
