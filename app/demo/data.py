"""The demo data set as read from its files: app/data/demo/*.toml (definitions, candidates,
illustrative series, gates, how the ratification CSVs are read; each with its sources and its
illustrative marks) and the real figures' CSVs in app/data. Read once, at import."""

import csv
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from app.models import (
    AccessionMilestone,
    BenchmarkKind,
    ExpansionModel,
    Phase,
    RatificationStep,
    Tier,
)

DATA_DIR = Path(__file__).parent.parent / "data"
DEMO_DIR = DATA_DIR / "demo"


def _toml(name: str) -> dict[str, Any]:
    with (DEMO_DIR / name).open("rb") as file:
        return tomllib.load(file)


def read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def at_noon(day: date) -> datetime:
    """When the demo records what happened on (or is known from) `day`: its noon, UTC."""
    return datetime.combine(day, time(12), tzinfo=UTC)


FC = Tier.full_candidate


@dataclass(frozen=True)
class Requirement:
    tier: Tier
    target: float | str
    weight: float
    due_on: date | None = None
    due_offset_days: int | None = None


@dataclass(frozen=True)
class Definition:
    key: str
    category: str
    title: str
    title_fr: str
    kind: BenchmarkKind
    description: str
    description_fr: str
    valid_from: date
    requirements: tuple[Requirement, ...]
    is_illustrative: bool
    source: str = ""
    guideline_ids: tuple[str, ...] = ()
    unit: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    stages: tuple[str, ...] = ()
    # The key of another definition's indicator this target reads (None: one of its own).
    indicator: str | None = None


def _definition(row: dict[str, Any]) -> Definition:
    requirements = tuple(Requirement(**{**r, "tier": Tier(r["tier"])})
                         for r in row["requirements"])
    return Definition(**{**row, "kind": BenchmarkKind(row["kind"]), "requirements": requirements,
                         "guideline_ids": tuple(row.get("guideline_ids", ())),
                         "stages": tuple(row.get("stages", ()))})


DEFINITIONS = tuple(_definition(row) for row in _toml("benchmarks.toml")["definition"])

_candidates = _toml("candidates.toml")
FRAMEWORK_NOTE = _candidates["framework_note"]
FRAMEWORK_NOTE_FR = _candidates["framework_note_fr"]
ASPIRANT_NOTE = f"{_candidates['aspirant_note']} {FRAMEWORK_NOTE}"
ASPIRANT_NOTE_FR = f"{_candidates['aspirant_note_fr']} {FRAMEWORK_NOTE_FR}"
ILLUSTRATIVE_STATUS_NOTE = _candidates["illustrative_status_note"]
ILLUSTRATIVE_STATUS_NOTE_FR = _candidates["illustrative_status_note_fr"]
_SUMMARY_NOTES = {"aspirant": (ASPIRANT_NOTE, ASPIRANT_NOTE_FR),
                  "framework": (FRAMEWORK_NOTE, FRAMEWORK_NOTE_FR)}
# (slug, iso3, name, name_fr, tier, model, phase, summary, summary_fr)
CANDIDATES = tuple(
    (c["slug"], c["iso3"], c["name"], c["name_fr"], Tier(c["tier"]), ExpansionModel(c["model"]),
     Phase(c["phase"]), f"{c['summary']} {_SUMMARY_NOTES[c['summary_note']][0]}",
     f"{c['summary_fr']} {_SUMMARY_NOTES[c['summary_note']][1]}")
    for c in _candidates["candidate"]
)
# The aspirants' illustrative status histories: (effective_on, tier, phase, note, note_fr).
ASPIRANT_STATUS_CHANGES = {
    c["slug"]: [(s["effective_on"], Tier(s["tier"]), Phase(s["phase"]), s["note"], s["note_fr"])
                for s in c["status_change"]]
    for c in _candidates["candidate"] if "status_change" in c
}
# Finland's and Sweden's phases, from accession_milestones.csv: (milestone, phase, note,
# note_fr).
MEMBER_STATUS_MILESTONES = tuple(
    (m["milestone"], Phase(m["phase"]), m["note"], m["note_fr"])
    for m in _candidates["member_status_milestone"]
)

_progress = _toml("progress.toml")
ILLUSTRATIVE_SOURCE = _progress["illustrative_source"]
SELF_ASSESSED_SOURCE = _progress["self_assessed_source"]
SIPRI_2023_SOURCE = _progress["sipri"]["release_2023_source"]
_month, _day = _progress["sipri"]["publication_day"]
SIPRI_PUBLICATION_DAY = (int(_month), int(_day))  # (month, day)
UKRAINE_REVISED_YEAR = _progress["sipri"]["revised_year"]
UKRAINE_2023_RELEASE_VALUE = _progress["sipri"]["release_2023_value"]
HALF_YEARS = [date(year, month, day)
              for year in range(_progress["half_years"]["first_year"],
                                _progress["half_years"]["last_year"] + 1)
              for month, day in ((6, 30), (12, 31))]
NUMERIC_SERIES = {(s["candidate"], s["benchmark"]): s["values"]
                  for s in _progress["numeric_series"]}
MILESTONE_SERIES = {(s["candidate"], s["benchmark"]): [(p["as_of"], p["stage"])
                                                        for p in s["stages"]]
                    for s in _progress["milestone_series"]}
SELF_ASSESSED_SERIES = {(s["candidate"], s["benchmark"]): [(p["as_of"], p["value"])
                                                            for p in s["points"]]
                        for s in _progress["self_assessed_series"]}
ILLUSTRATIVE_RECORDING_DELAY = timedelta(days=14)
LAST_DEMO_QUARTER_END = date(2025, 12, 31)

_gates = _toml("gates.toml")
GATE_NOTE = _gates["note"]
GATE_NOTE_FR = _gates["note_fr"]
# (tier, to_phase, targets, the phases whose gates of the same tier it requires)
GATES = tuple((Tier(g["tier"]), Phase(g["to_phase"]), tuple(g["targets"]),
               tuple(Phase(p) for p in g["requires"])) for g in _gates["gate"])

_ratifications = _toml("ratifications.toml")
MEMBER_NAME_ALIASES: dict[str, str] = _ratifications["member_name_aliases"]
# date_type: (step, its note, the note in French).
RATIFICATION_STEPS = {
    date_type: (RatificationStep(t["step"]), t["note"], t["note_fr"])
    for date_type, t in _ratifications["date_types"].items()
}
RATIFICATION_NOTES_FR = {note["en"]: note["fr"] for note in _ratifications["note"]}
CSV_MILESTONES = {milestone: AccessionMilestone(value)
                  for milestone, value in _ratifications["accession_milestones"].items()}
