"""Ratification of a candidate's accession by each member state, as dated steps, and the
recording of a new step."""

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.errors import InvalidInput, NotFound, field_error
from app.events.service import record_event, snapshot
from app.models import (
    AccessionMilestone,
    AccessionMilestoneRecord,
    Candidate,
    MemberState,
    Phase,
    RatificationProcedureStep,
    RatificationStepRecord,
    User,
    utcnow,
)
from app.ratifications import pipeline
from app.ratifications.pipeline import (
    DEFAULT_PROCEDURE,
    MemberStanding,
    StepRecord,
    member_standing,
)
from app.ratifications.schemas import ProcedureUpdate, RatificationStepCreate

PENDING = "pending"
STEP_ORDER = {step: rank for rank, step in enumerate(pipeline.STEPS)}
DEFAULT_SOURCE = "default procedure: not checked against this member state's constitution"
# The accessions whose ratifications give the median days per step: the two most recent,
# with every step dated from public sources (app/data/ratifications.csv).
REFERENCE_ACCESSIONS = ("finland", "sweden")


def step_records(steps: list[RatificationStepRecord]) -> list[StepRecord]:
    return [StepRecord(s.step, s.occurred_on, s.id) for s in steps]


@dataclass(frozen=True)
class Ratification:
    """One member state's ratification of one candidate's accession as of `as_of` (None:
    today): its steps, its procedure, and where it stands in it."""

    member: MemberState
    steps: list[RatificationStepRecord]
    procedure: tuple[str, ...] = DEFAULT_PROCEDURE
    protocol_on: date | None = None  # the candidate's protocol signature, if known by as_of
    as_of: date | None = None

    @cached_property
    def standing(self) -> MemberStanding:
        return member_standing(self.procedure, step_records(self.steps), self.protocol_on,
                               self.as_of or utcnow().date())

    @property
    def latest(self) -> RatificationStepRecord | None:
        """The step the member stands at (its procedure's latest reached); for steps outside
        its procedure only, the latest of those."""
        if not self.steps:
            return None
        current = self.standing.current_step
        if current is not None:
            return max((s for s in self.steps if s.step == current), key=lambda s: s.id)
        return max(self.steps, key=lambda s: (s.occurred_on, STEP_ORDER.get(s.step, 0), s.id))

    @property
    def status(self) -> str:
        return self.latest.step if self.latest else PENDING

    @property
    def is_ratified(self) -> bool:
        """Ratified once its parliament has approved: the later steps are formalities that
        sources often do not date."""
        return self.standing.is_ratified

    @property
    def status_on(self) -> date | None:
        return self.latest.occurred_on if self.latest else None

    @property
    def deposited_on(self) -> date | None:
        """The recorded date of the instrument's deposit; None when no source dates it."""
        return next((s.occurred_on for s in self.steps
                     if s.step == pipeline.DEPOSITED), None)


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


def load_procedures(session: Session, iso3s: list[str] | None = None
                    ) -> dict[str, tuple[str, tuple[str, ...]]]:
    """(source, steps) of each member state with a procedure of its own, keyed by ISO3 code
    (all of them, or those of `iso3s`); members without one follow DEFAULT_PROCEDURE."""
    # Plain rows, not ORM objects: some 140 of them, read for every page that shows a pipeline.
    query = (select(RatificationProcedureStep.member_iso3, RatificationProcedureStep.source,
                    RatificationProcedureStep.step)
             .order_by(RatificationProcedureStep.member_iso3, RatificationProcedureStep.position))
    if iso3s is not None:
        query = query.where(RatificationProcedureStep.member_iso3.in_(iso3s))
    rows: dict[str, tuple[str, list[str]]] = {}
    for iso3, source, step in session.execute(query):
        rows.setdefault(iso3, (source, []))[1].append(step)
    return {iso3: (source, tuple(steps)) for iso3, (source, steps) in rows.items()}


def procedure_of(procedures: dict[str, tuple[str, tuple[str, ...]]], iso3: str
                 ) -> tuple[str, ...]:
    return procedures[iso3][1] if iso3 in procedures else DEFAULT_PROCEDURE


def protocol_signed_on(session: Session, candidate_ids: list[int], as_of: date | None = None
                       ) -> dict[int, date]:
    """Each candidate's `protocol_signed` milestone, when recorded and (with `as_of`) taken by
    then."""
    return dict(session.execute(
        select(AccessionMilestoneRecord.candidate_id, AccessionMilestoneRecord.occurred_on)
        .where(AccessionMilestoneRecord.candidate_id.in_(candidate_ids),
               AccessionMilestoneRecord.milestone == AccessionMilestone.protocol_signed,
               AccessionMilestoneRecord.occurred_on <= (as_of or date.max))).all())


def list_ratification_steps(
    session: Session, candidate: Candidate, *, as_of: date | None = None
) -> list[RatificationStepRecord]:
    """Every member state's recorded steps for `candidate`, oldest first; with `as_of`, those
    taken by that day."""
    return list(session.scalars(
        select(RatificationStepRecord)
        .where(RatificationStepRecord.candidate_id == candidate.id,
               RatificationStepRecord.occurred_on <= (as_of or date.max))
        .order_by(RatificationStepRecord.occurred_on, RatificationStepRecord.id)
    ))


def list_ratifications(
    session: Session, candidate: Candidate, *, as_of: date | None = None
) -> list[Ratification]:
    """Each ratifying member state's steps and standing in its procedure; with `as_of`, those
    taken by that day."""
    steps_by_member: dict[str, list[RatificationStepRecord]] = {}
    for record in list_ratification_steps(session, candidate, as_of=as_of):
        steps_by_member.setdefault(record.member_iso3, []).append(record)
    procedures = load_procedures(session)
    protocol_on = protocol_signed_on(session, [candidate.id], as_of).get(candidate.id)
    return [
        Ratification(member, steps_by_member.get(member.iso3, []),
                     procedure_of(procedures, member.iso3), protocol_on, as_of)
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
    procedure = procedure_of(load_procedures(session, [member.iso3]), member.iso3)
    protocol_on = protocol_signed_on(session, [candidate.id]).get(candidate.id)
    return Ratification(member, list(steps), procedure, protocol_on)


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
    (see `ratifying_member_states`) may have steps, and only in its procedure's order
    (pipeline.step_problem): a refused step is a 422 naming the field, nothing stored."""
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
    before = get_ratification(session, candidate, member)
    problem = pipeline.step_problem(before.procedure, step_records(before.steps), data.step,
                                    data.occurred_on, before.protocol_on)
    if problem is not None:
        raise InvalidInput(f"{member.name}, {data.step}: {problem.message}.",
                           [field_error(["body", problem.field], problem.message, problem.type)])
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


# Procedures


@dataclass(frozen=True)
class Procedure:
    member: MemberState
    steps: tuple[str, ...]
    source: str

    @property
    def is_default(self) -> bool:
        """The default procedure, not checked against the member's constitution."""
        return self.source == DEFAULT_SOURCE


def get_member_state(session: Session, iso3: str) -> MemberState:
    member = session.get(MemberState, iso3)
    if member is None:
        raise NotFound("member state", iso3)
    return member


def get_procedure(session: Session, iso3: str) -> Procedure:
    member = get_member_state(session, iso3)
    source, steps = load_procedures(session, [iso3]).get(iso3, (DEFAULT_SOURCE,
                                                                DEFAULT_PROCEDURE))
    return Procedure(member, steps, source)


def set_procedure(session: Session, iso3: str, data: ProcedureUpdate, *, author: User
                  ) -> Procedure:
    """Replaces a member state's procedure whole. Refused (422 naming the step) unless
    pipeline.procedure_problems finds nothing; the event keeps the procedure before. Steps
    already recorded stay as they are: a step no longer in the procedure is kept and listed,
    but no longer places the member in its pipeline."""
    before = get_procedure(session, iso3)
    steps = [pipeline.canonical(s) for s in data.steps]
    problems = pipeline.procedure_problems(steps)
    if problems:
        raise InvalidInput(
            f"{before.member.name}'s procedure is refused: {problems[0].message}.",
            [field_error(["body", "steps"] + ([p.index] if p.index is not None else []),
                         p.message, p.type) for p in problems])
    session.execute(delete(RatificationProcedureStep)
                    .where(RatificationProcedureStep.member_iso3 == iso3))
    session.add_all([RatificationProcedureStep(member_iso3=iso3, position=i, step=step,
                                               source=data.source, author_id=author.id)
                     for i, step in enumerate(steps)])
    session.flush()
    record_event(session, kind="ratification_procedure.updated", entity="ratification_procedure",
                 entity_id=iso3, actor=author,
                 before={"steps": list(before.steps), "source": before.source},
                 after={"steps": steps, "source": data.source})
    session.commit()
    return Procedure(before.member, tuple(steps), data.source)


# The pipeline of one candidate


def reference_ratifications(session: Session, as_of: date | None = None
                            ) -> list[tuple[Candidate, str, pipeline.ReferenceRatification]]:
    """(candidate, member ISO3, its ratification) of every member state that ratified a
    reference accession (REFERENCE_ACCESSIONS), from the steps taken by `as_of`."""
    candidates = list(session.scalars(select(Candidate).where(
        Candidate.slug.in_(REFERENCE_ACCESSIONS)).order_by(Candidate.name)))
    if not candidates:
        return []
    protocols = protocol_signed_on(session, [c.id for c in candidates], as_of)
    procedures = load_procedures(session)
    steps: dict[tuple[int, str], list[StepRecord]] = {}
    # Plain rows, not ORM objects: the reference accessions hold some 130 steps, read for
    # every candidate page in the ratification phase.
    for candidate_id, iso3, step, occurred_on, step_id in session.execute(
            select(RatificationStepRecord.candidate_id, RatificationStepRecord.member_iso3,
                   RatificationStepRecord.step, RatificationStepRecord.occurred_on,
                   RatificationStepRecord.id).where(
                RatificationStepRecord.candidate_id.in_([c.id for c in candidates]),
                RatificationStepRecord.occurred_on <= (as_of or date.max))):
        steps.setdefault((candidate_id, iso3), []).append(StepRecord(step, occurred_on, step_id))
    return [(c, iso3, pipeline.ReferenceRatification(
                procedure_of(procedures, iso3), tuple(records), protocols.get(c.id)))
            for c in candidates for (candidate_id, iso3), records in sorted(steps.items())
            if candidate_id == c.id]


@dataclass(frozen=True)
class RatificationPipeline:
    """What the candidate page shows of the pipeline as of `as_of`."""

    as_of: date
    counts: list[pipeline.StepCount]
    total: int
    blocking: list[MemberState]
    medians: list[pipeline.StepMedian]
    projection: pipeline.Projection | None  # None: not in the ratification phase
    members: list[Ratification] = field(default_factory=list)
    accession_complete: bool = False


def ratification_pipeline(
    session: Session, ratifications: list[Ratification], *, phase: str,
    as_of: date | None = None,
) -> RatificationPipeline:
    """The pipeline of one candidate's ratifications (from list_ratifications, same `as_of`),
    `phase` being the candidate's on that day."""
    day = as_of or utcnow().date()
    complete = phase == Phase.member
    medians = pipeline.median_days_per_step(r for _, _, r in reference_ratifications(session,
                                                                                      as_of))
    projection = None
    if phase == Phase.ratification:
        projection = pipeline.project_completion([
            (r.member.iso3, pipeline.project_member(r.procedure, r.standing, r.protocol_on,
                                                    medians, day))
            for r in ratifications])
    return RatificationPipeline(
        as_of=day,
        counts=pipeline.step_counts((r.procedure, r.standing) for r in ratifications),
        total=len(ratifications),
        blocking=[r.member for r in ratifications
                  if pipeline.is_blocking(r.standing, accession_complete=complete)],
        medians=list(medians.values()), projection=projection, members=ratifications,
        accession_complete=complete,
    )
