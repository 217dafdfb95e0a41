"""API of ratifications: public reads; analysts and admins record steps."""

from typing import Annotated

from fastapi import APIRouter, Body, Path

from app.auth.deps import CurrentAnalyst
from app.candidates.deps import CandidateForWrite, CandidateFromPath
from app.db import SessionDep, WriteSessionDep
from app.members.schemas import MemberStateRead
from app.pagination import Page, PageDep
from app.ratifications.schemas import (
    RATIFICATION_STEP_EXAMPLES,
    RatificationRead,
    RatificationStepCreate,
    RatificationStepRead,
)
from app.ratifications.service import Ratification, list_ratifications, record_ratification_step

router = APIRouter(tags=["ratifications"])


def ratification_read(ratification: Ratification) -> RatificationRead:
    return RatificationRead(
        member=MemberStateRead.model_validate(ratification.member), status=ratification.status,
        status_on=ratification.status_on,
        steps=[RatificationStepRead.model_validate(s) for s in ratification.steps],
    )


@router.get("/candidates/{slug}/ratifications", response_model=Page[RatificationRead])
def get_ratifications(
    candidate: CandidateFromPath, session: SessionDep, page: PageDep
) -> Page[RatificationRead]:
    """Each ratifying member state's latest step (`pending` when none) and all its steps."""
    ratifications = list_ratifications(session, candidate)
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
