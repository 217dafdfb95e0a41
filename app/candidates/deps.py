"""Load-or-404 for the candidate named in the path (or in a list's `candidate` filter)."""

from typing import Annotated

from fastapi import Depends, Path, Query

from app.candidates.service import get_candidate
from app.db import SessionDep
from app.models import Candidate

SlugPath = Annotated[str, Path(max_length=80, description="The candidate's slug, e.g. `georgia`.")]


def candidate_from_path(session: SessionDep, slug: SlugPath) -> Candidate:
    return get_candidate(session, slug)


CandidateFromPath = Annotated[Candidate, Depends(candidate_from_path)]


def candidate_for_write(session: SessionDep, slug: SlugPath) -> Candidate:
    return get_candidate(session, slug, with_history=False)


# For writes that record against the candidate without reading its status history.
CandidateForWrite = Annotated[Candidate, Depends(candidate_for_write)]


SlugQuery = Annotated[str | None, Query(max_length=80,
                                        description="Only this candidate's, e.g. `georgia`.")]


def candidate_from_query(session: SessionDep, candidate: SlugQuery = None) -> Candidate | None:
    return get_candidate(session, candidate, with_history=False) if candidate else None


# A list's optional filter: an unknown slug is 404, like in a path.
CandidateFromQuery = Annotated[Candidate | None, Depends(candidate_from_query)]
