"""Load-or-404 for the candidate named in the path."""

from typing import Annotated

from fastapi import Depends, Path

from app.candidates.service import get_candidate
from app.db import SessionDep
from app.models import Candidate


def candidate_from_path(
    session: SessionDep,
    slug: Annotated[str, Path(max_length=80, description="The candidate's slug, e.g. `georgia`.")],
) -> Candidate:
    return get_candidate(session, slug)


CandidateFromPath = Annotated[Candidate, Depends(candidate_from_path)]


# Writes load the candidate the same way: the request's one session is already a write session.
CandidateForWrite = CandidateFromPath
