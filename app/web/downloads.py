"""Data downloads with their sources: one candidate as CSV or JSON, the whole dataset, and the
Atom feed of published reports."""

import csv
import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.candidates.api import candidate_status_read
from app.candidates.service import get_candidate, list_candidates
from app.config import get_settings
from app.db import SessionDep
from app.evaluation import load_statuses
from app.models import (
    Candidate,
    CandidateBenchmark,
    ProgressReport,
    ProgressUpdate,
    RatificationStepRecord,
    ReportStatus,
    utcnow,
)
from app.web.templating import templates

router = APIRouter(include_in_schema=False)

# Whole-dataset downloads are written this many candidates at a time: a download grows with
# the data, and neither the server nor the response cache should hold it whole.
CANDIDATES_PER_PIECE = 50
# A cell starting with one of these would run as a formula in a spreadsheet (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

UPDATE_COLUMNS = ("candidate", "iso3", "benchmark", "kind", "unit", "value", "as_of", "source",
                  "note", "is_illustrative", "recorded_at", "update_id", "supersedes",
                  "retracted")


def update_rows(session: Session, candidates: list[Candidate]) -> list[dict[str, Any]]:
    by_id = {c.id: c for c in candidates}
    updates = session.scalars(
        select(ProgressUpdate).join(ProgressUpdate.candidate_benchmark)
        .where(CandidateBenchmark.candidate_id.in_(by_id))
        .options(selectinload(ProgressUpdate.candidate_benchmark)
                 .selectinload(CandidateBenchmark.definition),
                 selectinload(ProgressUpdate.retraction))
        .order_by(CandidateBenchmark.candidate_id, ProgressUpdate.as_of, ProgressUpdate.id)
    )
    rows = []
    for u in updates:
        candidate = by_id[u.candidate_benchmark.candidate_id]
        definition = u.candidate_benchmark.definition
        rows.append({
            "candidate": candidate.slug, "iso3": candidate.iso3, "benchmark": definition.key,
            "kind": definition.kind, "unit": definition.unit or "",
            "value": u.value if u.value is not None else u.stage,
            "as_of": u.as_of.isoformat(), "source": u.source, "note": u.note,
            "is_illustrative": u.is_illustrative, "recorded_at": u.recorded_at.isoformat(),
            "update_id": u.id, "supersedes": u.supersedes_id,
            "retracted": u.retraction.reason if u.retraction else None,
        })
    return rows


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, quoted; any other as it is (an
    empty cell stays empty)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: list[dict[str, Any]], *, header: bool) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=UPDATE_COLUMNS)
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return buffer.getvalue()


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def csv_response(rows: list[dict[str, Any]], filename: str) -> Response:
    return Response(csv_text(rows, header=True), media_type="text/csv; charset=utf-8",
                    headers=attachment(filename))


def pieces_of(candidates: Sequence[Candidate]) -> Iterator[list[Candidate]]:
    for first in range(0, len(candidates), CANDIDATES_PER_PIECE):
        yield list(candidates[first:first + CANDIDATES_PER_PIECE])


def ratification_rows(session: Session, candidate: Candidate) -> list[dict[str, Any]]:
    steps = session.scalars(
        select(RatificationStepRecord).where(RatificationStepRecord.candidate_id == candidate.id)
        .order_by(RatificationStepRecord.occurred_on, RatificationStepRecord.id)
    )
    return [{"member": s.member_iso3, "step": s.step, "occurred_on": s.occurred_on.isoformat(),
             "source": s.source, "confidence": s.confidence, "note": s.note} for s in steps]


def candidate_document(session: Session, candidate: Candidate, status) -> dict[str, Any]:
    evaluation = candidate_status_read(candidate, status.evaluation, status.applied, None)
    return {
        "slug": candidate.slug, "iso3": candidate.iso3, "name": candidate.name,
        "tier": candidate.tier, "model": candidate.model, "phase": candidate.phase,
        "summary": candidate.summary,
        "history": [{"tier": h.tier, "phase": h.phase, "effective_on": h.effective_on.isoformat(),
                     "source": h.source, "note": h.note} for h in candidate.status_changes],
        "status": evaluation.model_dump(mode="json"),
        "updates": update_rows(session, [candidate]),
        "ratification_steps": ratification_rows(session, candidate),
    }


@router.get("/candidates/{slug}.csv")
def candidate_csv(slug: str, session: SessionDep) -> Response:
    candidate = get_candidate(session, slug)
    return csv_response(update_rows(session, [candidate]), f"{slug}-progress-updates.csv")


@router.get("/candidates/{slug}.json")
def candidate_json(slug: str, session: SessionDep) -> JSONResponse:
    candidate = get_candidate(session, slug)
    status = load_statuses(session, [candidate])[candidate.id]
    return JSONResponse(candidate_document(session, candidate, status))


@router.get("/dataset.csv")
def dataset_csv(session: SessionDep) -> StreamingResponse:
    """Every progress update with its source, streamed a few candidates at a time."""
    candidates, _ = list_candidates(session)

    def pieces() -> Iterator[str]:
        yield csv_text([], header=True)
        for piece in pieces_of(candidates):
            yield csv_text(update_rows(session, piece), header=False)

    return StreamingResponse(pieces(), media_type="text/csv; charset=utf-8",
                             headers=attachment("accession-tracker-updates.csv"))


def _json(value: Any) -> str:
    # As JSONResponse writes it.
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


@router.get("/dataset.json")
def dataset_json(session: SessionDep) -> StreamingResponse:
    """Every candidate with its status, its updates and ratification steps, each with its
    source; illustrative values are flagged. Streamed a few candidates at a time."""
    candidates, _ = list_candidates(session)
    head = {"generated_at": utcnow().isoformat(),
            "licence_note": "Figures carry their sources; rows with is_illustrative=true are "
                            "demonstration data, not official figures."}

    def pieces() -> Iterator[str]:
        yield _json(head)[:-1] + ',"candidates":['
        for n, piece in enumerate(pieces_of(candidates)):
            for candidate in piece:
                session.refresh(candidate, ["status_changes"])
            statuses = load_statuses(session, piece)
            documents = (_json(candidate_document(session, c, statuses[c.id])) for c in piece)
            yield ("," if n else "") + ",".join(documents)
        yield "]}"

    return StreamingResponse(pieces(), media_type="application/json",
                             headers=attachment("accession-tracker.json"))


@router.get("/feed.atom")
def reports_feed(session: SessionDep) -> Response:
    now = utcnow()
    reports = session.scalars(
        select(ProgressReport)
        .where(ProgressReport.status == ReportStatus.published, ProgressReport.published_at <= now)
        .options(selectinload(ProgressReport.candidate))
        .order_by(ProgressReport.published_at.desc()).limit(50)
    ).all()
    body = templates.get_template("feed.atom").render(
        reports=reports, base=get_settings().site_url,
        updated=reports[0].published_at if reports else now,
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")
