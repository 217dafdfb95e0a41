from fastapi import APIRouter

from app.candidates.deps import CandidateFromPath
from app.db import SessionDep
from app.members.schemas import MemberStateRead
from app.pagination import Page, PageDep
from app.ratifications.schemas import RatificationRead, RatificationStepRead
from app.ratifications.service import list_ratifications

router = APIRouter(tags=["ratifications"])


@router.get("/candidates/{slug}/ratifications", response_model=Page[RatificationRead])
def get_ratifications(
    candidate: CandidateFromPath, session: SessionDep, page: PageDep
) -> Page[RatificationRead]:
    """Each ratifying member state's latest step (`pending` when none) and all its steps."""
    ratifications = list_ratifications(session, candidate)
    items = [
        RatificationRead(
            member=MemberStateRead.model_validate(r.member), status=r.status,
            status_on=r.status_on,
            steps=[RatificationStepRead.model_validate(s) for s in r.steps],
        )
        for r in ratifications[page.offset : page.offset + page.limit]
    ]
    return Page(items=items, total=len(ratifications), limit=page.limit, offset=page.offset)
