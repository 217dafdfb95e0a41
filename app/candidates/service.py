"""Candidates: lists with filters, one by slug, the admin's writes (create, edit, change of
tier or phase), and a status as the API answers it (the status API and the JSON download)."""

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.benchmarks.service import Standing, derive_candidate_benchmarks
from app.candidates.schemas import (
    BenchmarkStatusRead,
    CandidateCreate,
    CandidateStatusRead,
    CandidateUpdate,
    CategoryStatusRead,
    DivergenceRead,
    LatestValue,
)
from app.errors import Conflict, InvalidInput, NotFound, field_error
from app.evaluation import (
    Asked,
    CandidateStatus,
    benchmark_is_illustrative,
    load_asked,
    rests_on_illustrative,
    revised_vintages,
)
from app.events.service import record_event, snapshot
from app.models import Candidate, CandidateStatusChange, Phase, Tier, User, utcnow
from app.status import BenchmarkEvaluation, Pace, pace_sentence, quarter_end_before


def list_candidates(
    session: Session,
    *,
    tier: Tier | None = None,
    phase: Phase | None = None,
    aspirants_only: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[Candidate], int]:
    """Candidates ordered by name, and how many match in all. `aspirants_only` leaves out the
    members (completed accessions)."""
    query = select(Candidate)
    if tier is not None:
        query = query.where(Candidate.tier == tier)
    if phase is not None:
        query = query.where(Candidate.phase == phase)
    if aspirants_only:
        query = query.where(Candidate.phase != Phase.member)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(Candidate.name, Candidate.id).offset(offset).limit(limit)
    return list(session.scalars(page)), total


# The overview's orders. Rows are grouped by tier, closest to membership first; within a tier
# by name, readiness (highest first), phase (furthest first) or last update (newest first).
SortKey = Literal["name", "readiness", "tier", "phase", "updated"]
TIER_ORDER = {tier: rank for rank, tier in enumerate(Tier)}
PHASE_ORDER = {phase: rank for rank, phase in enumerate(Phase)}


def in_standing(candidates: Sequence[Candidate], asked: Asked, tier: str | None,
                phase: str | None) -> list[Candidate]:
    """Those of `candidates` in `tier` and `phase` (None: any) on the date `asked` was read
    for, from each one's standing then (its status history), not its fields of today."""
    return [c for c in candidates
            if (tier is None or asked.standings[c.id].tier == tier)
            and (phase is None or asked.standings[c.id].phase == phase)]


def list_overview_candidates(
    session: Session, tier: str | None, phase: str | None, as_of: date | None,
) -> tuple[list[Candidate], list[Candidate], Asked]:
    """The overview's aspirants and completed accessions in `tier` and `phase`, and what
    they are asked (read once: the statuses and Needs attention share it). Today from the
    candidates' own fields; as of a date, from each one's standing then, as the status API
    and /attention read it (so every candidate's history is read)."""
    if as_of is None:
        aspirants, _ = list_candidates(session, tier=tier, phase=phase, aspirants_only=True)
        completed: list[Candidate] = []
        if not phase or phase == Phase.member:
            completed, _ = list_candidates(session, tier=tier, phase=Phase.member)
        return aspirants, completed, load_asked(session, aspirants)
    everyone, _ = list_candidates(session)
    asked = load_asked(session, everyone, as_of=as_of)
    chosen = in_standing(everyone, asked, tier, phase)
    return ([c for c in chosen if asked.standings[c.id].phase != Phase.member],
            [c for c in chosen if asked.standings[c.id].phase == Phase.member], asked)


def sort_candidates(
    candidates: Sequence[Candidate], sort: SortKey,
    standings: Mapping[int, Candidate | Standing],
    statuses: Mapping[int, CandidateStatus], updated: Mapping[int, datetime | None],
) -> list[Candidate]:
    """The overview's order: by tier, closest to membership first, then by `sort` (ties by
    name where the order names it). Tier and phase are each one's `standings` entry (its own
    fields today, its standing as of a date); `statuses` are needed to sort by readiness (no
    readiness last), `updated` (when its newest update was recorded) by update (none last)."""
    sorters: dict[str, Callable[[Candidate], Any]] = {
        "name": lambda c: c.name,
        "readiness": lambda c: -(statuses[c.id].evaluation.readiness
                                 if statuses[c.id].evaluation.readiness is not None else -1),
        "tier": lambda c: c.name,  # grouped by tier anyway
        "phase": lambda c: (-PHASE_ORDER[Phase(standings[c.id].phase)], c.name),
        "updated": lambda c: -(moment.timestamp() if (moment := updated.get(c.id)) else 0),
    }
    ordered = sorted(candidates, key=sorters[sort])
    ordered.sort(key=lambda c: -TIER_ORDER[Tier(standings[c.id].tier)])  # stable: groups by tier
    return ordered


def get_tracking_start(session: Session) -> date | None:
    """When tracking began: the earliest status change of any candidate (None before any)."""
    return session.scalar(select(func.min(CandidateStatusChange.effective_on)))


def get_candidate(session: Session, slug: str, *, with_history: bool = True) -> Candidate:
    """The candidate, with its dated status history unless the caller will not read it (a
    write: one query fewer)."""
    query = select(Candidate).where(Candidate.slug == slug)
    if with_history:
        query = query.options(selectinload(Candidate.status_changes))
    candidate = session.scalar(query)
    if candidate is None:
        raise NotFound("candidate", slug)
    return candidate


CANDIDATE_FIELDS = ("slug", "iso3", "name", "name_fr", "tier", "model", "phase", "summary",
                    "summary_fr")
STATUS_CHANGE_FIELDS = ("tier", "phase", "effective_on", "source", "note", "note_fr")
HISTORY_FIELDS = {"effective_on", "source", "note", "note_fr", "is_illustrative"}


def _refuse_taken(session: Session, slug: str, iso3: str) -> None:
    for taken_slug, taken_iso3 in session.execute(
        select(Candidate.slug, Candidate.iso3).where(
            or_(Candidate.slug == slug, Candidate.iso3 == iso3)
        )
    ):
        if taken_slug == slug:
            raise Conflict(f"A candidate with the slug {slug!r} already exists.",
                           errors=[field_error(["body", "slug"], "already taken")])
        if taken_iso3 == iso3:
            raise Conflict(f"A candidate with the ISO code {iso3!r} already exists "
                           f"({taken_slug!r}).",
                           errors=[field_error(["body", "iso3"], "already taken")])


def _refuse_future(effective_on: date, today: date) -> None:
    if effective_on > today:
        raise InvalidInput("effective_on is in the future: a status is recorded once it holds.",
                           [field_error(["body", "effective_on"], "must not be after today",
                                        "future_date")])


def create_candidate(session: Session, data: CandidateCreate, *, author: User) -> Candidate:
    """Adds the candidate with its first status change and the benchmarks its tier asks for."""
    _refuse_taken(session, data.slug, data.iso3)
    effective_on = data.effective_on or utcnow().date()
    _refuse_future(effective_on, utcnow().date())
    candidate = Candidate(
        slug=data.slug, iso3=data.iso3, name=data.name, name_fr=data.name_fr, tier=data.tier,
        model=data.model, phase=data.phase, summary=data.summary, summary_fr=data.summary_fr,
    )
    candidate.status_changes.append(CandidateStatusChange(
        tier=data.tier, phase=data.phase, effective_on=effective_on, source=data.source,
        note=data.note, note_fr=data.note_fr, is_illustrative=data.is_illustrative,
        author_id=author.id,
    ))
    session.add(candidate)
    try:
        session.flush()
    except IntegrityError:
        # Another request took the slug or the ISO code since the check above.
        session.rollback()
        _refuse_taken(session, data.slug, data.iso3)
        raise
    derive_candidate_benchmarks(session, candidate)
    record_event(
        session, kind="candidate.created", entity="candidate", entity_id=candidate.slug,
        actor=author, candidate_id=candidate.id,
        after={**snapshot(candidate, CANDIDATE_FIELDS),
               "status_change": snapshot(candidate.status_changes[0], STATUS_CHANGE_FIELDS)},
    )
    session.commit()
    return candidate


def update_candidate(
    session: Session, candidate: Candidate, data: CandidateUpdate, *, author: User
) -> Candidate:
    """Changes the fields sent. A new tier or phase appends a dated status change, never
    before the latest one; a new tier re-derives the candidate's benchmarks, keeping the old
    ones (inactive) and their updates. A request that changes nothing writes nothing."""
    sent = data.model_fields_set
    if sent & HISTORY_FIELDS and not sent & {"tier", "phase"}:
        field = sorted(sent & HISTORY_FIELDS)[0]
        raise InvalidInput(
            f"{field} describes a change of tier or phase; this request sends neither.",
            [field_error(["body", field], "only with a new tier or phase")],
        )
    tier = str(data.tier or candidate.tier)
    phase = str(data.phase or candidate.phase)
    status_change = None
    if (tier, phase) != (candidate.tier, candidate.phase):
        today = utcnow().date()
        effective_on = data.effective_on or today
        _refuse_future(effective_on, today)
        latest = max((c.effective_on for c in candidate.status_changes), default=None)
        if latest is not None and effective_on < latest:
            raise InvalidInput(
                f"effective_on {effective_on.isoformat()} is before the latest status change "
                f"({latest.isoformat()}); the history is kept in date order.",
                [field_error(["body", "effective_on"],
                        f"must not be before {latest.isoformat()}")],
            )
        status_change = CandidateStatusChange(
            tier=tier, phase=phase, effective_on=effective_on, source=data.source or "",
            note=data.note or "", note_fr=data.note_fr or "",
            is_illustrative=bool(data.is_illustrative),
            author_id=author.id,
        )

    before = snapshot(candidate, CANDIDATE_FIELDS)
    tier_changed = tier != candidate.tier
    for field, value in data.model_dump(mode="json", exclude_unset=True,
                                        exclude=HISTORY_FIELDS).items():
        setattr(candidate, field, value)
    after = snapshot(candidate, CANDIDATE_FIELDS)
    if after == before:
        return candidate
    if status_change is not None:
        candidate.status_changes.append(status_change)
        after["status_change"] = snapshot(status_change, STATUS_CHANGE_FIELDS)
    session.flush()
    if tier_changed:
        derive_candidate_benchmarks(session, candidate)
    record_event(
        session, kind="candidate.updated", entity="candidate", entity_id=candidate.slug,
        actor=author, candidate_id=candidate.id, before=before, after=after,
    )
    session.commit()
    return candidate


def candidate_status_read(
    session: Session, candidate: Candidate, status: CandidateStatus, tier: Tier | None,
    revised: dict[int, str] | None = None,
) -> CandidateStatusRead:
    """The status as the API answers it. `status.tier` is the tier evaluated: the what-if
    `tier`, or the candidate's own on the evaluated date (from its status history).
    `revised` (evaluation.revised_vintages) may be read once for many candidates."""
    evaluation, applied = status.evaluation, status.applied
    if revised is None:
        revised = revised_vintages(session, [b.latest for b in evaluation.benchmarks
                                             if b.latest])
    indicators = {a.definition.key: a.definition.indicator.key for a in applied}
    category_titles = {a.definition.category.key: a.definition.category.title for a in applied}
    by_key = {a.definition.key: a for a in applied}
    benchmarks = []
    for b in evaluation.benchmarks:
        spec, latest = b.spec, b.latest
        benchmarks.append(BenchmarkStatusRead(
            key=spec.key, indicator=indicators[spec.key], title=spec.title,
            category=spec.category, kind=spec.kind, unit=spec.unit,
            target=spec.target_value if spec.target_value is not None else spec.target_stage or "",
            due_on=spec.due_on, weight=spec.weight,
            latest=LatestValue(
                value=latest.value if latest.value is not None else latest.stage or "",
                as_of=latest.as_of, source=latest.source, vintage=latest.vintage,
                observation_status=latest.observation_status, recorded_at=latest.recorded_at,
                is_revision=latest.id in revised, revised_from=revised.get(latest.id),
                assessed_by=latest.assessed_by,
            ) if latest else None,
            progress=b.progress, status=b.status, trend=b.trend, change=b.change,
            previous_status=b.previous_status, projected_on=b.projected_on,
            behind_trend_on=b.behind_trend_on,
            projection_note=b.projection_note, reason=b.reason,
            **pace_fields(b),
            is_illustrative=benchmark_is_illustrative(by_key[spec.key], latest),
            target_is_illustrative=by_key[spec.key].target_is_illustrative,
        ))
    return CandidateStatusRead(
        slug=candidate.slug,
        tier=status.tier,
        phase=status.standing.phase,
        is_what_if=tier is not None and tier != status.standing.tier,
        is_illustrative=rests_on_illustrative(status),
        tier_is_illustrative=status.standing.tier_is_illustrative,
        as_of=evaluation.as_of,
        previous_review_on=quarter_end_before(evaluation.as_of),
        readiness=evaluation.readiness,
        counts=evaluation.counts,
        projected_on=evaluation.projected_on,
        projection_note=evaluation.projection_note,
        categories=[
            CategoryStatusRead(key=c.key, title=category_titles.get(c.key, c.key),
                               readiness=c.readiness, weight=c.weight, counts=c.counts)
            for c in evaluation.categories
        ],
        benchmarks=benchmarks,
    )


def pace_fields(b: BenchmarkEvaluation) -> dict[str, Any]:
    """A benchmark's pace and assessment, as the status API names them."""
    pace = b.pace or Pace(None, None, None, None)
    divergence = b.divergence
    return {
        "required_pace": pace.required, "achieved_pace": pace.achieved,
        "pace_ratio": pace.ratio, "pace_note": pace.note,
        "pace_sentence": pace_sentence(b.spec, pace), "status_basis": b.basis,
        "divergence": DivergenceRead(**vars(divergence)) if divergence else None,
    }
