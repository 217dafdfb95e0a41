"""The import template: the columns of an import, one example row per indicator kind, and (in
the XLSX) a second sheet listing every candidate, indicator, benchmark and stage with its English
and French labels. Built from the database on each request, so it is never stale."""

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.imports.rows import COLUMNS
from app.models import BenchmarkDefinition, BenchmarkKind, Candidate, Indicator, utcnow

UPDATES_SHEET = "updates"
REFERENCE_SHEET = "reference"
REFERENCE_COLUMNS = ("list", "key", "label_en", "label_fr", "indicator", "kind", "unit",
                     "unit_en", "unit_fr", "min_value", "max_value")


@dataclass(frozen=True)
class Template:
    examples: list[dict[str, Any]]
    reference: list[tuple[Any, ...]]


def _unit_label(indicator: Indicator, language: str) -> str:
    forms = (indicator.unit_labels or {}).get(language) or {}
    return forms.get("other") or forms.get("one") or ""


def _example_value(indicator: Indicator) -> float | str:
    if indicator.kind == BenchmarkKind.milestone:
        return (indicator.stages or [""])[0]
    low, high = indicator.min_value, indicator.max_value
    if low is not None and high is not None:
        return round((low + high) / 2, 2)
    return next((bound for bound in (low, high) if bound is not None), 1.0)


def build_template(session: Session) -> Template:
    candidates = list(session.scalars(select(Candidate).order_by(Candidate.slug)))
    indicators = list(session.scalars(select(Indicator).order_by(Indicator.key)))
    benchmarks = session.execute(
        select(BenchmarkDefinition.key, BenchmarkDefinition.title, BenchmarkDefinition.title_fr,
               Indicator.key)
        .join(Indicator, Indicator.id == BenchmarkDefinition.indicator_id)
        .order_by(BenchmarkDefinition.key)).all()
    as_of = utcnow().date().replace(day=1)
    examples = []
    for kind in BenchmarkKind:
        indicator = next((i for i in indicators if i.kind == kind), None)
        if indicator is None or not candidates:
            continue
        examples.append({
            "candidate": candidates[0].slug, "benchmark": "", "indicator": indicator.key,
            "value": _example_value(indicator), "as_of": as_of, "source": "Example: name the "
            "source (publisher, document)", "note": f"An example {kind} row: replace it.",
            "supersedes": "", "vintage": "", "published_on": "", "observation_status": "final",
            "assessed_by": "independent",
        })
    reference: list[tuple[Any, ...]] = []
    reference += [("candidate", c.slug, c.name, c.name_fr, "", "", "", "", "", None, None)
                  for c in candidates]
    reference += [("indicator", i.key, i.title, i.title_fr, "", i.kind, i.unit or "",
                   _unit_label(i, "en"), _unit_label(i, "fr"), i.min_value, i.max_value)
                  for i in indicators]
    reference += [("benchmark", key, title, title_fr, indicator, "", "", "", "", None, None)
                  for key, title, title_fr, indicator in benchmarks]
    for i in indicators:
        for stage in i.stages or []:
            labels = (i.stage_labels or {}).get(stage) or {}
            reference.append(("stage", stage, labels.get("en", ""), labels.get("fr", ""), i.key,
                              "", "", "", "", None, None))
    return Template(examples, reference)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def template_csv(template: Template) -> bytes:
    """The columns and the example rows (a CSV has one sheet: the lists are in the XLSX)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in template.examples:
        writer.writerow([_text(row[c]) for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode()  # the mark spreadsheets read as UTF-8


def _cell(value: Any) -> Any:
    """XLSX cannot hold most control characters (a name may: the API stores what it is sent
    but NUL); they are dropped from the template, not a 500."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def template_xlsx(template: Template) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    updates = workbook.create_sheet(UPDATES_SHEET)
    updates.append(list(COLUMNS))
    for row in template.examples:
        # as_of as text, so it reads back exactly as typed: YYYY-MM-DD
        updates.append([_cell(_text(row[c]) if c == "as_of" else row[c]) for c in COLUMNS])
    reference = workbook.create_sheet(REFERENCE_SHEET)
    reference.append(list(REFERENCE_COLUMNS))
    for entry in template.reference:
        reference.append([_cell(v) for v in entry])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
