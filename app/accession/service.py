"""A candidate's accession as dated milestones (application, invitation, protocol signed,
membership), with the last member state's ratification in between; and the recording of a
milestone once it has happened."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.benchmarks.service import Standing
from app.errors import Conflict, InvalidInput, field_error
from app.events.service import record_event, snapshot
from app.models import (
    AccessionMilestone,
    AccessionMilestoneRecord,
    Candidate,
    MemberState,
    Phase,
    RatificationStepRecord,
    User,
    utcnow,
)
from app.ratifications.pipeline import (
    CHAMBER_STEPS,
    DEPOSITED,
    HEAD_OF_STATE_ASSENT,
    PARLIAMENT_APPROVED,
)
from app.ratifications.service import ratifies

RATIFIED_STEPS = (PARLIAMENT_APPROVED, HEAD_OF_STATE_ASSENT, DEPOSITED)

MILESTONE_FIELDS = ("id", "milestone", "occurred_on", "source", "recorded_at")
# A protocol exists from the ratification phase on: before it, no member state has anything to
# ratify.
PROTOCOL_PHASES = {Phase.ratification, Phase.member}


@dataclass(frozen=True)
class Accession:
    """What is dated of one candidate's accession. `last_ratification` is the day the last
    ratifying member state ratified (its parliament's approval, or a later step where that is
    undated), once every one of them has."""

    milestones: dict[str, AccessionMilestoneRecord] = field(default_factory=dict)
    last_ratification: date | None = None

    def on(self, milestone: str) -> date | None:
        record = self.milestones.get(milestone)
        return record.occurred_on if record else None

    @property
    def member_since(self) -> date | None:
        return self.on(AccessionMilestone.membership)


def has_protocol(candidate: Candidate | Standing) -> bool:
    """Ratification applies once an accession protocol is signed (phase ratification or
    member): before that, "0 of 32 ratified" would describe a vote nobody is holding. A
    `Standing` (its phase on a date) answers for that date."""
    return candidate.phase in PROTOCOL_PHASES


def load_accessions(
    session: Session, candidates: Sequence[Candidate], *, as_of: date | None = None
) -> dict[int, Accession]:
    """Each candidate's accession, keyed by candidate id, in three queries whatever the number
    of candidates; with `as_of`, only what had happened by that day."""
    until = as_of or date.max
    ids = [c.id for c in candidates]
    if not ids:
        return {}
    milestones: dict[int, dict[str, AccessionMilestoneRecord]] = defaultdict(dict)
    for record in session.scalars(
        select(AccessionMilestoneRecord).where(AccessionMilestoneRecord.candidate_id.in_(ids),
                                               AccessionMilestoneRecord.occurred_on <= until)
    ):
        milestones[record.candidate_id][record.milestone] = record
    # The day each member ratified: its parliament's approval (both chambers' where there are
    # two) or, undated, a later step. A protocol's signature or a government's approval is a
    # step of the procedure, not ratification.
    first_steps: dict[int, dict[str, date]] = defaultdict(dict)
    chambers: dict[tuple[int, str], dict[str, date]] = defaultdict(dict)
    for candidate_id, member, step, occurred_on in session.execute(
        select(RatificationStepRecord.candidate_id, RatificationStepRecord.member_iso3,
               RatificationStepRecord.step, RatificationStepRecord.occurred_on)
        .where(RatificationStepRecord.candidate_id.in_(ids),
               RatificationStepRecord.occurred_on <= until,
               RatificationStepRecord.step.in_(RATIFIED_STEPS + CHAMBER_STEPS))
    ):
        if step in CHAMBER_STEPS:
            chambers[(candidate_id, member)][step] = occurred_on
            continue
        known = first_steps[candidate_id].get(member)
        first_steps[candidate_id][member] = min(known, occurred_on) if known else occurred_on
    for (candidate_id, member), votes in chambers.items():
        if len(votes) == len(CHAMBER_STEPS):
            both = max(votes.values())
            known = first_steps[candidate_id].get(member)
            first_steps[candidate_id][member] = min(known, both) if known else both
    members = list(session.scalars(select(MemberState)))
    joined = {m.iso3: m.joined_on for m in members}
    accessions = {}
    for candidate in candidates:
        ratifying = [m.iso3 for m in members
                     if ratifies(m, candidate.iso3, joined.get(candidate.iso3))]
        steps = first_steps[candidate.id]
        last = (max(steps[iso3] for iso3 in ratifying)
                if ratifying and all(iso3 in steps for iso3 in ratifying) else None)
        accessions[candidate.id] = Accession(milestones[candidate.id], last)
    return accessions


def record_milestone(
    session: Session,
    candidate: Candidate,
    milestone: AccessionMilestone,
    occurred_on: date,
    source: str,
    *,
    author: User,
) -> Accession:
    """Records the date a milestone happened. A milestone happens once: a second record of the
    same one is refused (409), so a date, once published, is never silently replaced."""
    if occurred_on > utcnow().date():
        raise InvalidInput(
            "occurred_on is in the future: a milestone is recorded once it has happened.",
            [field_error(["body", "occurred_on"], "must not be after today", "future_date")],
        )
    existing = session.scalar(select(AccessionMilestoneRecord).where(
        AccessionMilestoneRecord.candidate_id == candidate.id,
        AccessionMilestoneRecord.milestone == milestone))
    if existing is not None:
        raise Conflict(f"{candidate.name}'s {milestone.value} is already recorded "
                       f"({existing.occurred_on.isoformat()}).",
                       milestone=milestone.value, occurred_on=existing.occurred_on.isoformat())
    record = AccessionMilestoneRecord(candidate_id=candidate.id, milestone=milestone,
                                      occurred_on=occurred_on, source=source,
                                      author_id=author.id)
    session.add(record)
    session.flush()
    record_event(session, kind="accession_milestone.created", entity="accession_milestone",
                 entity_id=record.id, actor=author, candidate_id=candidate.id,
                 after=snapshot(record, MILESTONE_FIELDS))
    session.commit()
    return load_accessions(session, [candidate])[candidate.id]
