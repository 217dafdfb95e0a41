"""Loads the demo data set (app/demo/data.py, read from app/data) into an empty database: the
rows, their back-dated recording times, and the reviews written from them."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.benchmarks.applied import derive_candidate_benchmarks
from app.benchmarks.labels import KNOWN_UNIT_LABELS, known_stage_labels
from app.demo.data import (
    ASPIRANT_STATUS_CHANGES,
    CANDIDATES,
    CSV_MILESTONES,
    DEFINITIONS,
    FC,
    GATE_NOTE,
    GATE_NOTE_FR,
    GATES,
    HALF_YEARS,
    ILLUSTRATIVE_RECORDING_DELAY,
    ILLUSTRATIVE_SOURCE,
    ILLUSTRATIVE_STATUS_NOTE,
    ILLUSTRATIVE_STATUS_NOTE_FR,
    MEMBER_NAME_ALIASES,
    MEMBER_STATUS_MILESTONES,
    MILESTONE_SERIES,
    NUMERIC_SERIES,
    RATIFICATION_NOTES_FR,
    RATIFICATION_STEPS,
    SELF_ASSESSED_SERIES,
    SELF_ASSESSED_SOURCE,
    SIPRI_2023_SOURCE,
    SIPRI_PUBLICATION_DAY,
    UKRAINE_2023_RELEASE_VALUE,
    UKRAINE_REVISED_YEAR,
    at_noon,
    read_csv,
)
from app.demo.reviews import add_reports
from app.models import (
    AccessionMilestoneRecord,
    AssessedBy,
    BenchmarkCategory,
    BenchmarkDefinition,
    BenchmarkKind,
    Candidate,
    CandidateBenchmark,
    CandidateStatusChange,
    Confidence,
    Direction,
    Event,
    Gate,
    Indicator,
    MemberState,
    Phase,
    ProgressUpdate,
    RatificationStepRecord,
    Tier,
    TierRequirement,
)
from app.status_feed import replay_status_history


def is_empty(session: Session) -> bool:
    return session.scalar(select(Candidate.id).limit(1)) is None


def load_demo(session: Session, *, today: date | None = None) -> dict[str, int]:
    """Load the demo data set into a database that has no candidate yet; commit once, or roll
    back everything. `today` bounds the progress data: nothing measured after it, nothing
    recorded after its midnight (UTC). Returns how many rows of each kind were added."""
    if not is_empty(session):
        raise RuntimeError("The database already has candidates; the demo data set loads only "
                           "into an empty database.")
    today = today or date.today()
    try:
        counts = _load(session, today)
        session.add(Event(kind="demo.loaded", entity="dataset", entity_id="demo",
                          is_public=True, after=counts))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return counts


def _load(session: Session, today: date) -> dict[str, int]:
    latest = datetime.combine(today, time.min, tzinfo=UTC)
    definitions = _add_definitions(session)
    candidates = _add_candidates(session)
    benchmarks = {
        (candidate.slug, cb.definition.key): cb
        for candidate in candidates.values()
        for cb in derive_candidate_benchmarks(session, candidate)
    }
    indicators = {i.key: i for d in definitions for i in [d.indicator]}
    updates = _add_spending_updates(session, candidates, indicators, benchmarks, today, latest)
    updates += _add_illustrative_updates(session, candidates, indicators, today, latest)
    reports = add_reports(session, candidates, benchmarks, updates, today, latest)
    updates += _add_self_assessed_updates(session, candidates, indicators, today, latest)
    steps = _add_ratification_steps(session, candidates)
    milestones = _add_accession_milestones(session, candidates)
    gates = _add_gates(session)
    session.flush()
    # The status changes the history would have recorded, review by review, so the feeds of
    # status changes start full (app/status_feed.py).
    status_changes = replay_status_history(session, today)
    return {
        "indicators": len(indicators),
        "benchmark_definitions": len(definitions),
        "tier_requirements": sum(len(d.requirements) for d in definitions),
        "candidates": len(candidates),
        "status_changes": sum(len(c.status_changes) for c in candidates.values()),
        "candidate_benchmarks": len(benchmarks),
        "progress_updates": len(updates),
        "progress_reports": len(reports),
        "ratification_steps": len(steps),
        "accession_milestones": len(milestones),
        "status_change_events": status_changes,
        "gates": len(gates),
        "events": 1,
    }


def _add_definitions(session: Session) -> list[BenchmarkDefinition]:
    categories = {c.key: c for c in session.scalars(select(BenchmarkCategory))}
    taken = session.scalar(select(func.count()).select_from(BenchmarkDefinition).where(
        BenchmarkDefinition.key.in_([d.key for d in DEFINITIONS])))
    if taken:
        raise RuntimeError("Benchmark definitions of the demo data set already exist; load the "
                           "demo into a freshly migrated database.")
    guidelines = {row["id"]: row for row in read_csv("nato_guidelines.csv")}
    added = []
    indicators: dict[str, Indicator] = {}
    for spec in DEFINITIONS:
        if spec.category not in categories:
            raise RuntimeError(f"Benchmark category {spec.category!r} is missing: run the "
                               "migrations (alembic upgrade head) first.")
        source = spec.source or " | ".join(
            f"{guidelines[g]['benchmark']} ({guidelines[g]['instrument']}, "
            f"{guidelines[g]['agreed_on']}). Source: {guidelines[g]['source']}"
            for g in spec.guideline_ids
        )
        numeric = spec.kind == BenchmarkKind.numeric
        if spec.indicator is not None:
            indicator = indicators[spec.indicator]
        else:
            indicator = indicators[spec.key] = Indicator(
                key=spec.key, title=spec.title, title_fr=spec.title_fr,
                category=categories[spec.category], kind=spec.kind, unit=spec.unit,
                direction=Direction.higher_is_better if numeric else None,
                min_value=spec.min_value, max_value=spec.max_value,
                stages=None if numeric else list(spec.stages),
                stage_labels=None if numeric else known_stage_labels(list(spec.stages)),
                unit_labels=KNOWN_UNIT_LABELS.get(spec.unit or ""),
                description=spec.description, description_fr=spec.description_fr,
                source=source)
        definition = BenchmarkDefinition(
            key=spec.key, title=spec.title, title_fr=spec.title_fr,
            category=categories[spec.category], indicator=indicator,
            description=spec.description, description_fr=spec.description_fr, source=source,
            is_illustrative=spec.is_illustrative,
            adopted_on=spec.valid_from,
        )
        for req in spec.requirements:
            if not numeric and req.target not in spec.stages:
                raise ValueError(f"{spec.key}: unknown target stage {req.target!r}")
            definition.requirements.append(TierRequirement(
                tier=req.tier, effective_on=spec.valid_from,
                target_value=float(req.target) if numeric else None,
                target_stage=None if numeric else str(req.target),
                weight=req.weight, due_on=req.due_on, due_offset_days=req.due_offset_days,
                # The alliance's figures are asked of full candidates; what the other tiers
                # are asked is this tool's own tiering.
                is_illustrative=spec.is_illustrative or req.tier != FC,
            ))
        session.add(definition)
        added.append(definition)
    session.flush()
    return added


def _member_status_changes() -> dict[str, list[tuple[date, Tier, Phase, str, str, str]]]:
    rows = read_csv("accession_milestones.csv")
    history: dict[str, list[tuple[date, Tier, Phase, str, str, str]]] = {}
    for milestone, phase, note, note_fr in MEMBER_STATUS_MILESTONES:
        matching = [r for r in rows if r["milestone"] == milestone]
        for name in ("Finland", "Sweden"):
            row = next((r for r in matching if name in r["candidate"].split("+")), None)
            if row is None:
                raise RuntimeError(f"accession_milestones.csv has no {milestone!r} for {name}")
            history.setdefault(name.lower(), []).append(
                (date.fromisoformat(row["date"]), FC, phase, row["source"], note, note_fr))
    return history


def _add_candidates(session: Session) -> dict[str, Candidate]:
    histories = _member_status_changes()
    for slug, changes in ASPIRANT_STATUS_CHANGES.items():
        histories[slug] = [(day, tier, phase, "", f"{note} {ILLUSTRATIVE_STATUS_NOTE}",
                            f"{note_fr} {ILLUSTRATIVE_STATUS_NOTE_FR}")
                           for day, tier, phase, note, note_fr in changes]
    candidates = {}
    for slug, iso3, name, name_fr, tier, model, phase, summary, summary_fr in CANDIDATES:
        history = histories[slug]
        last = history[-1]
        if (last[1], last[2]) != (tier, phase):
            raise ValueError(f"{slug}: status history does not end in {tier}/{phase}")
        recorded = [at_noon(day + timedelta(days=1)) for day, *_ in history]
        candidate = Candidate(slug=slug, iso3=iso3, name=name, name_fr=name_fr, tier=tier,
                              model=model, phase=phase, summary=summary, summary_fr=summary_fr,
                              created_at=recorded[0])
        for (day, change_tier, change_phase, source, note, note_fr), at in zip(
                history, recorded, strict=True):
            candidate.status_changes.append(CandidateStatusChange(
                tier=change_tier, phase=change_phase, effective_on=day, source=source,
                note=note, note_fr=note_fr, recorded_at=at,
                is_illustrative=slug in ASPIRANT_STATUS_CHANGES))
        session.add(candidate)
        candidates[slug] = candidate
    session.flush()
    return candidates


def _add_spending_updates(
    session: Session, candidates: dict[str, Candidate], indicators: dict[str, Indicator],
    benchmarks: dict[tuple[str, str], CandidateBenchmark], today: date, latest: datetime,
) -> list[ProgressUpdate]:
    """SIPRI's figures, as published in its 2025 release and recorded when it came out (none
    earlier: we hold that release's figures, not the earlier releases'), unrounded. Ukraine's
    2022 figure was first recorded from the 2023 release; the 2025 release revises it."""
    slugs = {"BIH": "bosnia-and-herzegovina", "GEO": "georgia", "UKR": "ukraine",
             "FIN": "finland", "SWE": "sweden"}
    spending = indicators["defence_spending_gdp"]
    released_on = date(2025, *SIPRI_PUBLICATION_DAY)
    added = []
    for row in read_csv("defence_spending.csv"):
        year = int(row["year"])
        as_of = date(year, 12, 31)
        value = float(row["pct_gdp_unrounded"])  # as published: rounding is for display
        slug = slugs[row["iso3"]]
        cb = benchmarks.get((slug, "defence_spending_gdp"))
        if year == 2018 and cb is not None:
            cb.baseline_value, cb.baseline_on = value, as_of
        supersedes = None
        recorded_at = at_noon(released_on)
        note = ""
        if row["iso3"] == "UKR" and year == UKRAINE_REVISED_YEAR:
            first_on = date(2023, *SIPRI_PUBLICATION_DAY)
            if at_noon(first_on) <= latest:
                supersedes = ProgressUpdate(
                    candidate=candidates[slug], indicator=spending,
                    value=UKRAINE_2023_RELEASE_VALUE, as_of=as_of, source=SIPRI_2023_SOURCE,
                    vintage="SIPRI 2023", published_on=first_on, is_illustrative=False,
                    recorded_at=at_noon(first_on),
                    note="SIPRI 2023 release; revised in later releases.")
                session.add(supersedes)
                session.flush()
                added.append(supersedes)
            note = (f"Revision: SIPRI's 2023 release gave {UKRAINE_2023_RELEASE_VALUE:g} % for "
                    f"{year}; its 2025 release gives {value:.2f} %.")
        if as_of > today or recorded_at > latest:
            continue
        update = ProgressUpdate(
            candidate=candidates[slug], indicator=spending, value=value, as_of=as_of,
            source=row["source"], vintage="SIPRI 2025", published_on=released_on, note=note,
            is_illustrative=False, recorded_at=recorded_at,
            supersedes_id=supersedes.id if supersedes is not None else None)
        session.add(update)
        added.append(update)
    session.flush()
    return added


def _illustrative_points() -> Iterator[tuple[str, str, date, float | None, str | None]]:
    for (slug, key), values in NUMERIC_SERIES.items():
        for as_of, value in zip(HALF_YEARS, values, strict=True):
            yield slug, key, as_of, float(value), None
    for (slug, key), stages in MILESTONE_SERIES.items():
        for as_of, stage in stages:
            yield slug, key, as_of, None, stage


def _add_illustrative_updates(
    session: Session, candidates: dict[str, Candidate], indicators: dict[str, Indicator],
    today: date, latest: datetime,
) -> list[ProgressUpdate]:
    added = []
    for slug, key, as_of, value, stage in _illustrative_points():
        if as_of > today:
            continue
        note = ("Twelve months to this date." if key == "joint_exercises"
                else "Illustrative stage." if stage is not None else "")
        update = ProgressUpdate(
            candidate=candidates[slug], indicator=indicators[key], value=value, stage=stage,
            as_of=as_of, source=ILLUSTRATIVE_SOURCE, note=note, is_illustrative=True,
            recorded_at=min(at_noon(as_of + ILLUSTRATIVE_RECORDING_DELAY), latest))
        session.add(update)
        added.append(update)
    session.flush()
    return added


def _add_self_assessed_updates(
    session: Session, candidates: dict[str, Candidate], indicators: dict[str, Indicator],
    today: date, latest: datetime,
) -> list[ProgressUpdate]:
    """Added last, so the ids of the other demo rows (which docs and examples quote) stay."""
    added = []
    for (slug, key), points in SELF_ASSESSED_SERIES.items():
        for as_of, value in points:
            if as_of > today:
                continue
            update = ProgressUpdate(
                candidate=candidates[slug], indicator=indicators[key], value=value,
                as_of=as_of, source=SELF_ASSESSED_SOURCE, assessed_by=AssessedBy.self,
                note="Self-assessed (illustrative).", is_illustrative=True,
                recorded_at=min(at_noon(as_of + ILLUSTRATIVE_RECORDING_DELAY), latest))
            session.add(update)
            added.append(update)
    session.flush()
    return added


def _add_gates(session: Session) -> list[Gate]:
    added: dict[tuple[str, str], Gate] = {}
    for tier, to_phase, targets, requires in GATES:
        gate = Gate(tier=tier, to_phase=to_phase, targets=list(targets), requires=[],
                    source="Accession Tracker demo data set", note=GATE_NOTE,
                    note_fr=GATE_NOTE_FR, is_illustrative=True)
        session.add(gate)
        session.flush()
        gate.requires = [added[(tier, phase)].id for phase in requires]
        added[(tier, to_phase)] = gate
    return list(added.values())


def _add_accession_milestones(
    session: Session, candidates: dict[str, Candidate]
) -> list[AccessionMilestoneRecord]:
    added = []
    for row in read_csv("accession_milestones.csv"):
        occurred_on = date.fromisoformat(row["date"])
        for name in row["candidate"].split("+"):
            added.append(AccessionMilestoneRecord(
                candidate_id=candidates[name.lower()].id,
                milestone=CSV_MILESTONES[row["milestone"]], occurred_on=occurred_on,
                source=row["source"], recorded_at=at_noon(occurred_on + timedelta(days=1))))
    session.add_all(added)
    session.flush()
    return added


def _add_ratification_steps(
    session: Session, candidates: dict[str, Candidate]
) -> list[RatificationStepRecord]:
    iso3_by_name = {
        name: iso3 for name, iso3 in session.execute(select(MemberState.name, MemberState.iso3))
    }
    added = []
    for row in read_csv("ratifications.csv"):
        name = MEMBER_NAME_ALIASES.get(row["member_state"], row["member_state"])
        if name not in iso3_by_name:
            raise RuntimeError(f"ratifications.csv: member state {row['member_state']!r} is not "
                               "in the member_states table")
        if row["date_type"] not in RATIFICATION_STEPS:
            raise RuntimeError(f"ratifications.csv: unknown date_type {row['date_type']!r}")
        if row["note"] and row["note"] not in RATIFICATION_NOTES_FR:
            raise RuntimeError(f"ratifications.csv: note {row['note']!r} has no French")
        step, step_note, step_note_fr = RATIFICATION_STEPS[row["date_type"]]
        occurred_on = date.fromisoformat(row["ratified_on"])
        added.append(RatificationStepRecord(
            candidate_id=candidates[row["candidate"].lower()].id,
            member_iso3=iso3_by_name[name], step=step, occurred_on=occurred_on,
            source=row["source"], confidence=Confidence(row["confidence"].lower()),
            note="; ".join(part for part in (step_note, row["note"]) if part),
            note_fr=" ; ".join(part for part in (step_note_fr,
                                                 RATIFICATION_NOTES_FR.get(row["note"], ""))
                               if part),
            recorded_at=at_noon(occurred_on + timedelta(days=1))))
    session.add_all(added)
    session.flush()
    return added
