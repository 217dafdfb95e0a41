"""Small builders of test data, shared by several test files: inputs to the status rules
(no database) and candidates written to the test database."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

from sqlalchemy import insert, select

from app.benchmarks.service import derive_candidate_benchmarks
from app.candidates.service import get_candidate
from app.evaluation import today
from app.models import (
    Candidate,
    CandidateBenchmark,
    CandidateStatusChange,
    ProgressUpdate,
    utcnow,
)
from app.status import BenchmarkSpec, Measurement

# Inputs to app/status.py (tests/test_status.py and the status tests beside it)

AS_OF = date(2025, 6, 30)
STAGES = ("drafted", "tabled", "adopted", "in_force")

SPENDING = BenchmarkSpec(
    key="defence_spending",
    title="Defence spending",
    category="spending",
    kind="numeric",
    weight=2.0,
    unit="% of GDP",
    direction="higher_is_better",
    target_value=2.0,
    due_on=date(2027, 12, 31),
)
RESPONSE = BenchmarkSpec(
    key="response_days",
    title="Crisis response time",
    category="readiness",
    kind="numeric",
    weight=1.0,
    unit="days",
    direction="lower_is_better",
    target_value=10.0,
    due_on=date(2027, 12, 31),
)
LAW = BenchmarkSpec(
    key="intelligence_law",
    title="Intelligence-sharing law",
    category="legal",
    kind="milestone",
    weight=1.0,
    stages=STAGES,
    target_stage="adopted",
    due_on=date(2025, 12, 31),
)


def noon(iso: str) -> datetime:
    return datetime.combine(date.fromisoformat(iso), time(12), tzinfo=UTC)


def m(
    id: int,
    as_of: str,
    value: float | None = None,
    *,
    stage: str | None = None,
    recorded: str | None = None,
    supersedes: int | None = None,
    retracted: str | None = None,
) -> Measurement:
    """A measurement recorded at noon UTC on the day it was measured, unless `recorded` says."""
    return Measurement(
        id=id,
        as_of=date.fromisoformat(as_of),
        recorded_at=noon(recorded or as_of),
        source="test",
        value=value,
        stage=stage,
        supersedes_id=supersedes,
        retracted_at=noon(retracted) if retracted else None,
    )


def yearly(*values: float, start: int = 2022) -> list[Measurement]:
    """One value per year, measured on 31 December, from `start` on."""
    return [m(i, f"{start + i}-12-31", v) for i, v in enumerate(values)]


# Candidates in the test database

SP, IA = "strategic_partner", "interim_ally"
FAR = 5000  # days: beyond the widest horizon (3650), so never listed
_codes = count()


def add_candidate(session, slug, name, *, tier=SP, phase="outreach", due=None, met=(),
                  values=None, illustrative=False) -> Candidate:
    """A candidate of `tier` since 2019. `due`: days from today to each benchmark's due date by
    key (None keeps the tier's own date); every other benchmark is due FAR days away. `met`:
    benchmarks given a value that meets them; `values`: other values (key -> value or stage),
    measured a month ago, marked `illustrative` or not."""
    due = due or {}
    n = next(_codes)
    candidate = Candidate(slug=slug, iso3=f"Z{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}",
                          name=name, tier=tier, model="strategic_partnership", phase=phase)
    candidate.status_changes.append(CandidateStatusChange(
        tier=tier, phase=phase, effective_on=date(2019, 1, 1), source="test"))
    session.add(candidate)
    session.flush()
    recorded = datetime.now(UTC) - timedelta(hours=1)
    for cb in derive_candidate_benchmarks(session, candidate):
        key = cb.definition.key
        days = due.get(key, FAR)
        cb.due_on = None if days is None else today() + timedelta(days=days)
        indicator = cb.definition.indicator
        if key in met:
            value = indicator.max_value if indicator.kind == "numeric" else indicator.stages[-1]
        elif values and key in values:
            value = values[key]
        else:
            continue
        session.add(ProgressUpdate(
            candidate_id=candidate.id, indicator_id=indicator.id, as_of=today() - timedelta(30),
            value=value if indicator.kind == "numeric" else None,
            stage=value if indicator.kind == "milestone" else None,
            source="test", recorded_at=recorded, is_illustrative=illustrative))
    session.commit()
    return candidate


def grow(session) -> None:
    """Forty more candidates, and two hundred more updates on each Georgian benchmark."""
    template = get_candidate(session, "bosnia-and-herzegovina")
    for n in range(40):
        session.add(Candidate(slug=f"synthetic-{n}", iso3=f"Q{n // 26 % 26 + 65:c}{n % 26 + 65:c}",
                              name=f"Synthetic {n}", tier=template.tier, model=template.model,
                              phase=template.phase))
    session.flush()
    benchmarks = session.scalars(select(CandidateBenchmark).where(
        CandidateBenchmark.candidate_id == get_candidate(session, "georgia").id)).all()
    numeric = [cb for cb in benchmarks if cb.definition.kind == "numeric"]
    rows = [dict(candidate_id=cb.candidate_id, indicator_id=cb.definition.indicator_id,
                 value=1.0 + i / 1000, as_of=date(2019, 1, 1)
                 + timedelta(days=i), source="synthetic", recorded_at=utcnow(), note="",
                 is_illustrative=True)
            for cb in numeric for i in range(200)]
    session.execute(insert(ProgressUpdate), rows)
    session.commit()
