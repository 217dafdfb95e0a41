"""Load-or-404 for the candidate named in the path (or in a list's `candidate` filter);
the date a status read is evaluated on."""

from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Query

from app.candidates.service import get_candidate
from app.db import SessionDep
from app.errors import InvalidInput, field_error
from app.evaluation import today
from app.models import Candidate, Tier
from app.schema_types import InputDate

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


async def as_of_query(
    as_of: Annotated[
        InputDate | None,
        Query(description="As things stood on this date, from the history known then "
              "(default today)."),
    ] = None,
) -> date | None:
    """The dependency: async, as it does no I/O (see app.auth.deps.get_auth_state)."""
    return checked_as_of(as_of)


def checked_as_of(as_of: date | None) -> date | None:
    """`as_of`, refused (422) if it is after today."""
    if as_of is not None and as_of > today():
        raise InvalidInput(
            "as_of cannot be in the future: the status is only known up to today.",
            [field_error(["query", "as_of"], "must not be after today", "future_date")],
        )
    return as_of


AsOfQuery = Annotated[date | None, Depends(as_of_query)]


# The what-if tier of a status read (the status API and the path): evaluated against this
# tier's requirements instead of the candidate's own.
WhatIfTierQuery = Annotated[
    Tier | None,
    Query(description="Evaluate against this tier's requirements instead (what-if)."),
]
