"""API of accession milestones: a public read; admins record a milestone once it happens."""

from typing import Annotated

from fastapi import APIRouter, Body

from app.accession.schemas import MILESTONE_EXAMPLES, AccessionRead, MilestoneCreate, MilestoneRead
from app.accession.service import Accession, has_protocol, load_accessions, record_milestone
from app.auth.deps import CurrentAdmin
from app.candidates.deps import CandidateForWrite, CandidateFromPath
from app.db import SessionDep, WriteSessionDep
from app.models import AccessionMilestone, Candidate

router = APIRouter(tags=["accession"])


def accession_read(candidate: Candidate, accession: Accession) -> AccessionRead:
    return AccessionRead(
        candidate=candidate.slug, phase=candidate.phase,
        milestones=[MilestoneRead.model_validate(accession.milestones[m])
                    for m in AccessionMilestone if m in accession.milestones],
        last_ratification=accession.last_ratification, member_since=accession.member_since,
        ratification_applies=has_protocol(candidate),
    )


@router.get("/candidates/{slug}/accession", response_model=AccessionRead)
def get_accession(candidate: CandidateFromPath, session: SessionDep) -> AccessionRead:
    """The candidate's accession milestones with their dates and sources, and the day the
    last member state ratified (once all have)."""
    return accession_read(candidate, load_accessions(session, [candidate])[candidate.id])


@router.post("/candidates/{slug}/accession", status_code=201, response_model=AccessionRead,
             responses={409: {"description": "This milestone is already recorded."}})
def create_milestone(
    data: Annotated[MilestoneCreate, Body(openapi_examples=MILESTONE_EXAMPLES)],
    admin: CurrentAdmin, candidate: CandidateForWrite,
    session: WriteSessionDep,
) -> AccessionRead:
    """Records the date of one milestone (once: a second record of it answers 409)."""
    accession = record_milestone(session, candidate, data.milestone, data.occurred_on,
                                 data.source, author=admin)
    return accession_read(candidate, accession)
