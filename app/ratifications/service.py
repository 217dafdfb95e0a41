"""Ratification of a candidate's accession by each member state, as dated steps, and the
recording of a new step."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput, NotFound, field_error
from app.events.service import record_event, snapshot
from app.models import (
    Candidate,
    MemberState,
    RatificationStep,
    RatificationStepRecord,
    User,
    utcnow,
)
from app.ratifications.schemas import RatificationStepCreate

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

    @property
    def deposited_on(self) -> date | None:
        """The recorded date of the instrument's deposit; None when no source dates it."""
        return next((s.occurred_on for s in self.steps if s.step == RatificationStep.deposited),
                    None)


@dataclass(frozen=True)
class RatificationCounts:
    """How far the member states' ratifications have gone. A member state whose deposit is not
    recorded may well have deposited (every member of a completed accession has): sources often
    do not date the deposit, so pages say "deposit date not recorded", never "not deposited"."""

    total: int
    ratified: int
    deposit_recorded: int
    by_status: dict[str, int]


def ratification_counts(ratifications: list[Ratification]) -> RatificationCounts:
    by_status: dict[str, int] = {}
    for r in ratifications:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    return RatificationCounts(
        total=len(ratifications),
        ratified=sum(1 for r in ratifications if r.is_ratified),
        deposit_recorded=sum(1 for r in ratifications if r.deposited_on is not None),
        by_status=by_status,
    )


def ratifies(member: MemberState, candidate_iso3: str, candidate_joined_on: date | None) -> bool:
    """Whether the candidate's accession needs this member's ratification: every member that
    joined before it (all current members for an aspirant), never the candidate itself."""
    return member.iso3 != candidate_iso3 and (
        candidate_joined_on is None or member.joined_on < candidate_joined_on)


def ratifying_member_states(session: Session, candidate: Candidate) -> list[MemberState]:
    """The members whose ratification the candidate needs (see `ratifies`), by name."""
    members = list(session.scalars(select(MemberState).order_by(MemberState.name)))
    joined_on = next((m.joined_on for m in members if m.iso3 == candidate.iso3), None)
    return [m for m in members if ratifies(m, candidate.iso3, joined_on)]


def list_ratifications(
    session: Session, candidate: Candidate, *, as_of: date | None = None
) -> list[Ratification]:
    """Each ratifying member state's steps; with `as_of`, those taken by that day."""
    steps_by_member: dict[str, list[RatificationStepRecord]] = {}
    for record in session.scalars(
        select(RatificationStepRecord)
        .where(RatificationStepRecord.candidate_id == candidate.id,
               RatificationStepRecord.occurred_on <= (as_of or date.max))
        .order_by(RatificationStepRecord.occurred_on, RatificationStepRecord.id)
    ):
        steps_by_member.setdefault(record.member_iso3, []).append(record)
    return [
        Ratification(member, steps_by_member.get(member.iso3, []))
        for member in ratifying_member_states(session, candidate)
    ]


STEP_FIELDS = ("id", "member_iso3", "step", "occurred_on", "source", "confidence", "note",
               "note_fr", "recorded_at")


def get_ratification(session: Session, candidate: Candidate, member: MemberState) -> Ratification:
    steps = session.scalars(
        select(RatificationStepRecord)
        .where(RatificationStepRecord.candidate_id == candidate.id,
               RatificationStepRecord.member_iso3 == member.iso3)
        .order_by(RatificationStepRecord.occurred_on, RatificationStepRecord.id)
    )
    return Ratification(member, list(steps))


def record_ratification_step(
    session: Session,
    candidate: Candidate,
    member_iso3: str,
    data: RatificationStepCreate,
    *,
    author: User,
) -> Ratification:
    """Appends a step to one member state's ratification of the candidate and returns that
    ratification as it now stands. Only a member whose ratification the candidate needs
    (see `ratifying_member_states`) may have steps."""
    member = session.get(MemberState, member_iso3)
    if member is None:
        raise NotFound("member state", member_iso3)
    if member.iso3 not in {m.iso3 for m in ratifying_member_states(session, candidate)}:
        reason = ("is the candidate itself" if member.iso3 == candidate.iso3
                  else f"joined on {member.joined_on.isoformat()}, not before the candidate")
        raise InvalidInput(
            f"{member.name} does not ratify {candidate.name}'s accession: it {reason}.",
            [field_error(["path", "member_iso3"], f"not a ratifying member state: it {reason}")],
        )
    if data.occurred_on > utcnow().date():
        raise InvalidInput(
            "occurred_on is in the future: a step is recorded once it has happened.",
            [field_error(["body", "occurred_on"], "must not be after today", "future_date")],
        )
    record = RatificationStepRecord(
        candidate_id=candidate.id, member_iso3=member.iso3, step=data.step,
        occurred_on=data.occurred_on, source=data.source, confidence=data.confidence,
        note=data.note, note_fr=data.note_fr, author_id=author.id,
    )
    session.add(record)
    session.flush()
    record_event(
        session, kind="ratification_step.created", entity="ratification_step",
        entity_id=record.id, actor=author, candidate_id=candidate.id,
        after=snapshot(record, STEP_FIELDS),
    )
    session.commit()
    return get_ratification(session, candidate, member)
