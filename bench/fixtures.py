"""The benchmark's data set: a freshly migrated database with the demo data, then synthetic
candidates written straight to the tables with SQLAlchemy Core bulk inserts (this is fixture
building, not what is measured), two candidates that differ only in the length of their
history, and analysts with API tokens issued through app.auth.service."""

import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from app.auth.service import create_user, issue_token
from app.db import make_engine
from app.models import (
    BenchmarkDefinition,
    Candidate,
    CandidateBenchmark,
    CandidateStatusChange,
    Event,
    Indicator,
    ProgressUpdate,
    Role,
    TierRequirement,
)

ACCESSION = str(Path(sys.executable).with_name("accession"))
PROJECT_ROOT = Path(__file__).resolve().parent.parent

READ_SLUG = "ukraine"  # a demo candidate: real figures, reports, a status history
FRESH_SLUG = "bench-00000"  # first on the dashboard (by name): a write to it shows there
LONG_SLUG = "bench-long-history"
SHORT_SLUG = "bench-short-history"
HISTORY_TIER = "interim_ally"  # the tier with the most benchmarks but one
INGEST_CANDIDATES = 8  # writers spread over these, so no read target's history grows
WRITERS = 16
SOURCE = "Synthetic benchmark data — not a real figure"


@dataclass(frozen=True)
class Size:
    name: str
    candidates: int  # in the database in all, the five demo candidates included
    updates_per_benchmark: int  # of each synthetic candidate
    long_history: int  # updates per benchmark of the long-history candidate
    short_history: int  # and of the short-history one


SIZES = {
    "small": Size("small", 100, 4, 1_000, 10),
    "default": Size("default", 1_000, 4, 10_000, 10),
    "large": Size("large", 5_000, 8, 50_000, 10),
}


@dataclass
class Fixture:
    url: str
    size: Size
    read_slug: str = READ_SLUG
    fresh_slug: str = FRESH_SLUG
    long_slug: str = LONG_SLUG
    short_slug: str = SHORT_SLUG
    ingest_slugs: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    benchmarks: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def accession(args: list[str], url: str) -> None:
    """Runs the `accession` command on the benchmark's database, as an operator would."""
    env = {**os.environ, "ACCESSION_DATABASE_URL": url, "ACCESSION_LOG_LEVEL": "warning"}
    done = subprocess.run([ACCESSION, *args], env=env, cwd=PROJECT_ROOT, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"accession {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def build(url: str, size: Size, *, seed: int = 1) -> Fixture:
    started = time.perf_counter()
    accession(["db", "upgrade"], url)
    accession(["demo"], url)
    engine = make_engine(url)
    try:
        fixture = Fixture(url=url, size=size)
        _add_synthetic(engine, fixture, random.Random(seed))
        _add_analysts(engine, fixture)
        with engine.connect() as connection:
            fixture.counts = {
                "candidates": connection.scalar(select(func.count()).select_from(Candidate)),
                "progress_updates": connection.scalar(
                    select(func.count()).select_from(ProgressUpdate)),
                "events": connection.scalar(select(func.count()).select_from(Event)),
            }
    finally:
        engine.dispose()
    fixture.seconds = time.perf_counter() - started
    return fixture


def _requirements(engine: Engine) -> dict[str, list[dict[str, object]]]:
    """What each tier asks for, with what a valid value of each benchmark looks like."""
    query = (
        select(TierRequirement.tier, TierRequirement.target_value, BenchmarkDefinition.id,
               BenchmarkDefinition.key, Indicator.kind, Indicator.stages,
               Indicator.min_value, Indicator.max_value, BenchmarkDefinition.adopted_on,
               BenchmarkDefinition.indicator_id)
        .join(TierRequirement.definition)
        .join(Indicator, Indicator.id == BenchmarkDefinition.indicator_id)
        .order_by(TierRequirement.tier, BenchmarkDefinition.key)
    )
    by_tier: dict[str, list[dict[str, object]]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            by_tier.setdefault(row.tier, []).append({
                "definition_id": row.id, "key": row.key, "kind": row.kind,
                "stages": list(row.stages or []), "target": row.target_value,
                "min": row.min_value, "max": row.max_value, "valid_from": row.adopted_on,
                "indicator_id": row.indicator_id,
            })
    return by_tier


def synthetic_value(benchmark: dict[str, object], step: float, rng: random.Random
                    ) -> tuple[float | None, str | None]:
    """A plausible value `step` of the way (0..1) through a history: numbers wander around the
    target, milestones move forward through their stages."""
    if benchmark["kind"] == "milestone":
        stages = benchmark["stages"]
        return None, stages[min(len(stages) - 1, int(step * len(stages)))]  # type: ignore[index]
    target = float(benchmark["target"] or 1.0)  # type: ignore[arg-type]
    value = round(target * rng.uniform(0.4, 0.8 + 0.5 * step), 2)
    low, high = benchmark["min"], benchmark["max"]
    if low is not None:
        value = max(value, float(low))  # type: ignore[arg-type]
    if high is not None:
        value = min(value, float(high))  # type: ignore[arg-type]
    return value, None


def _iso3_codes(taken: set[str]) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [a + b + c for a in "QXZJ" for b in letters for c in letters
            if a + b + c not in taken]


def _add_synthetic(engine: Engine, fixture: Fixture, rng: random.Random) -> None:
    size = fixture.size
    tiers = _requirements(engine)
    fixture.benchmarks = tiers
    now = datetime.now(UTC)
    today = now.date()
    with engine.connect() as connection:
        existing = connection.scalar(select(func.count()).select_from(Candidate)) or 0
        taken = set(connection.scalars(select(Candidate.iso3)))
    fixture.ingest_slugs = [f"bench-ingest-{i:02d}" for i in range(1, INGEST_CANDIDATES + 1)]
    named = [FRESH_SLUG, LONG_SLUG, SHORT_SLUG, *fixture.ingest_slugs]
    fill = max(0, size.candidates - existing - len(named))
    slugs = named + [f"bench-{i:05d}" for i in range(1, fill + 1)]
    codes = _iso3_codes(taken)
    tier_names = sorted(tiers)
    models = ["incremental_enlargement", "strategic_partnership", "hybrid_integration"]
    phases = ["outreach", "accession_talks", "ratification"]
    started_on = date(2019, 1, 1)

    candidate_rows = []
    for i, slug in enumerate(slugs):
        tier = HISTORY_TIER if slug in named else tier_names[i % len(tier_names)]
        candidate_rows.append({
            "slug": slug, "iso3": codes[i], "name": f"Benchland {slug[6:].title()}",
            "name_fr": f"Benchlande {slug[6:].title()}", "tier": tier,
            "model": models[i % len(models)], "phase": phases[i % len(phases)],
            "summary": "Synthetic candidate for the load benchmark.",
            "created_at": datetime(2019, 1, 2, 12, tzinfo=UTC),
        })
    with engine.begin() as connection:
        connection.execute(insert(Candidate.__table__), candidate_rows)
        ids = dict(connection.execute(
            select(Candidate.slug, Candidate.id).where(Candidate.slug.like("bench-%"))).all())
        connection.execute(insert(CandidateStatusChange.__table__), [
            {"candidate_id": ids[row["slug"]], "tier": row["tier"], "phase": row["phase"],
             "effective_on": started_on, "source": SOURCE, "note": "Synthetic starting status.",
             "recorded_at": datetime(2019, 1, 2, 12, tzinfo=UTC), "author_id": None}
            for row in candidate_rows
        ])
        connection.execute(insert(CandidateBenchmark.__table__), [
            {"candidate_id": ids[row["slug"]], "definition_id": b["definition_id"],
             "is_active": True}
            for row in candidate_rows for b in tiers[row["tier"]]
        ])

        def history(slug: str, tier: str, n: int) -> list[dict[str, object]]:
            rows = []
            # One series per indicator, however many of the tier's targets read it.
            series: dict[object, dict[str, object]] = {}
            for b in tiers[tier]:
                known = series.get(b["indicator_id"])
                if known is None or b["valid_from"] < known["valid_from"]:  # type: ignore[operator]
                    series[b["indicator_id"]] = b
            for b in series.values():
                first = max(b["valid_from"], started_on)  # type: ignore[type-var]
                span = (today - timedelta(days=1) - first).days  # type: ignore[operator]
                for k in range(n):
                    step = (k + 1) / n
                    as_of = first + timedelta(days=int(span * step))  # type: ignore[operator]
                    value, stage = synthetic_value(b, step, rng)
                    rows.append({
                        "candidate_id": ids[slug], "indicator_id": b["indicator_id"],
                        "value": value, "stage": stage,
                        "as_of": as_of, "source": SOURCE, "note": "", "is_illustrative": True,
                        "author_id": None, "supersedes_id": None,
                        "recorded_at": min(datetime.combine(as_of, datetime.min.time(), UTC)
                                           + timedelta(days=14), now - timedelta(hours=1)),
                    })
            return rows

        batch: list[dict[str, object]] = []
        for row in candidate_rows:
            slug = row["slug"]
            n = (size.long_history if slug == LONG_SLUG
                 else size.short_history if slug == SHORT_SLUG
                 else size.updates_per_benchmark)
            batch += history(slug, row["tier"], n)
            if len(batch) >= 20_000:
                connection.execute(insert(ProgressUpdate.__table__), batch)
                batch = []
        if batch:
            connection.execute(insert(ProgressUpdate.__table__), batch)
        # One public event, as a data import would leave: caches keyed on the log see a change.
        connection.execute(insert(Event.__table__), [{
            "occurred_at": now, "actor_id": None, "kind": "bench.loaded", "entity": "dataset",
            "entity_id": "bench", "candidate_id": None, "is_public": True, "before": None,
            "after": {"candidates": len(candidate_rows)},
        }])


def _add_analysts(engine: Engine, fixture: Fixture) -> None:
    with Session(engine, expire_on_commit=False) as session:
        for i in range(1, WRITERS + 1):
            user = create_user(session, f"bench-analyst-{i:02d}", Role.analyst)
            fixture.tokens.append(issue_token(session, user).token)


def update_item(benchmark: dict[str, object], as_of: date, source: str, rng: random.Random
                ) -> dict[str, object]:
    """One valid progress update for the API, as an analyst would send it."""
    value, stage = synthetic_value(benchmark, rng.random(), rng)
    return {"benchmark": benchmark["key"], "value": value if value is not None else stage,
            "as_of": as_of.isoformat(), "source": source}
