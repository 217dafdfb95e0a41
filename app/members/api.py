from fastapi import APIRouter

from app.db import SessionDep
from app.http.pagination import Page, PageDep
from app.members.schemas import MemberStateRead
from app.members.service import list_member_states

router = APIRouter(tags=["members"])


@router.get("/members", response_model=Page[MemberStateRead])
def list_members(session: SessionDep, page: PageDep) -> Page[MemberStateRead]:
    """The alliance's member states, in order of joining."""
    items, total = list_member_states(session, limit=page.limit, offset=page.offset)
    return Page(items=[MemberStateRead.model_validate(m) for m in items], total=total,
                limit=page.limit, offset=page.offset)
