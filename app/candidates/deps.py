"""Load-or-404 for the candidate named in the path."""

from typing import Annotated

from fastapi import Depends, Path

from app.candidates.service import get_candidate
from app.db import SessionDep, WriteSessionDep
from app.models import Candidate


def candidate_from_path(
    session: SessionDep,
    slug: Annotated[str, Path(max_length=80, description="The candidate's slug, e.g. `georgia`.")],
) -> Candidate:
    return get_candidate(session, slug)


CandidateFromPath = Annotated[Candidate, Depends(candidate_from_path)]


def candidate_for_write(
    session: WriteSessionDep,
    slug: Annotated[str, Path(max_length=80, description="The candidate's slug, e.g. `georgia`.")],
) -> Candidate:
    """The candidate, loaded in the request's write session."""
    return get_candidate(session, slug)


CandidateForWrite = Annotated[Candidate, Depends(candidate_for_write)]
