"""Ratification of a candidate's accession by each member state, as dated steps."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Candidate, MemberState, RatificationStep, RatificationStepRecord

PENDING = "pending"
STEP_ORDER = {step: rank for rank, step in enumerate(RatificationStep)}


@dataclass(frozen=True)
class Ratification:
    member: MemberState
    steps: list[RatificationStepRecord]

    @property
    def latest(self) -> RatificationStepRecord | None:
        if not self.steps:
            return None
        return max(self.steps, key=lambda s: (s.occurred_on, STEP_ORDER[s.step], s.id))

    @property
    def status(self) -> str:
        return self.latest.step if self.latest else PENDING

    @property
    def is_ratified(self) -> bool:
        """Ratified once its parliament has approved: the later steps are formalities that
        sources often do not date."""
        return self.latest is not None

    @property
    def status_on(self) -> date | None:
        return self.latest.occurred_on if self.latest else None


def ratifying_member_states(session: Session, candidate: Candidate) -> list[MemberState]:
    """The members whose ratification the candidate needs: every member that joined before it
    (all current members for an aspirant), never the candidate itself."""
    query = select(MemberState).where(MemberState.iso3 != candidate.iso3)
    joined_on = session.scalar(
        select(MemberState.joined_on).where(MemberState.iso3 == candidate.iso3)
    )
    if joined_on is not None:
        query = query.where(MemberState.joined_on < joined_on)
    return list(session.scalars(query.order_by(MemberState.name)))


def list_ratifications(session: Session, candidate: Candidate) -> list[Ratification]:
    steps_by_member: dict[str, list[RatificationStepRecord]] = {}
    for record in session.scalars(
        select(RatificationStepRecord)
        .where(RatificationStepRecord.candidate_id == candidate.id)
        .order_by(RatificationStepRecord.occurred_on, RatificationStepRecord.id)
    ):
        steps_by_member.setdefault(record.member_iso3, []).append(record)
    return [
        Ratification(member, steps_by_member.get(member.iso3, []))
        for member in ratifying_member_states(session, candidate)
    ]
