"""Data downloads with their sources: one candidate as CSV or JSON, the whole dataset, and the
Atom feed of published reports."""

import csv
import io
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.candidates.api import candidate_status_read
from app.candidates.service import get_candidate, list_candidates
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


def csv_response(rows: list[dict[str, Any]], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=UPDATE_COLUMNS)
    writer.writeheader()
    for row in rows:
        # A cell starting with = + - @ would run as a formula in a spreadsheet.
        writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@" else v)
                         for k, v in row.items()})
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


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
def dataset_csv(session: SessionDep) -> Response:
    candidates, _ = list_candidates(session)
    return csv_response(update_rows(session, candidates), "accession-tracker-updates.csv")


@router.get("/dataset.json")
def dataset_json(session: SessionDep) -> JSONResponse:
    """Every candidate with its status, its updates and ratification steps, each with its
    source; illustrative values are flagged."""
    candidates, _ = list_candidates(session)
    for candidate in candidates:
        session.refresh(candidate, ["status_changes"])
    statuses = load_statuses(session, candidates)
    return JSONResponse({
        "generated_at": utcnow().isoformat(),
        "licence_note": "Figures carry their sources; rows with is_illustrative=true are "
                        "demonstration data, not official figures.",
        "candidates": [candidate_document(session, c, statuses[c.id]) for c in candidates],
    }, headers={"Content-Disposition": 'attachment; filename="accession-tracker.json"'})


@router.get("/feed.atom")
def reports_feed(request: Request, session: SessionDep) -> Response:
    now = utcnow()
    reports = session.scalars(
        select(ProgressReport)
        .where(ProgressReport.status == ReportStatus.published, ProgressReport.published_at <= now)
        .options(selectinload(ProgressReport.candidate))
        .order_by(ProgressReport.published_at.desc()).limit(50)
    ).all()
    body = templates.get_template("feed.atom").render(
        reports=reports, base=str(request.base_url).rstrip("/"),
        updated=reports[0].published_at if reports else now,
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")
