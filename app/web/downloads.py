"""Data downloads with their sources: one candidate as CSV or JSON, the whole dataset, and the
Atom feed of published reports. Every download but the feed takes `?as_of=`, as the pages do:
the data as known on that day."""

import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from app.auth.deps import allow_full_evaluation
from app.candidates.service import candidate_status_read, get_candidate, list_candidates
from app.config import get_settings
from app.db import SessionDep
from app.evaluation import end_of_day, load_statuses, revised_vintages
from app.models import (
    Candidate,
    ProgressUpdate,
    utcnow,
)
from app.progress.service import list_update_page, resolve_indicator, retracted_on
from app.ratifications.service import list_ratification_steps
from app.reports.service import list_latest_reports
from app.web.as_of import ReviewDep
from app.web.feeds import status_feed_context
from app.web.templating import templates

router = APIRouter(include_in_schema=False)

# Whole-dataset downloads are written this many candidates at a time: a download grows with
# the data, and neither the server nor the response cache should hold it whole.
CANDIDATES_PER_PIECE = 50
ROWS_PER_PIECE = 500  # updates per page read and sent
FEED_SIZE = 50  # reports in the Atom feed
CSV = "text/csv; charset=utf-8"
# A cell starting with one of these would run as a formula in a spreadsheet (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

UPDATE_COLUMNS = ("candidate", "iso3", "benchmark", "kind", "unit", "value", "as_of", "source",
                  "note", "is_illustrative", "recorded_at", "update_id", "supersedes",
                  "retracted", "indicator", "vintage", "published_on", "observation_status",
                  "assessed_by")


def update_row_pages(session: Session, candidates: Sequence[Candidate],
                     indicator_id: int | None = None,
                     as_of: date | None = None) -> Iterator[list[dict[str, Any]]]:
    """Every update of `candidates` (of one indicator, when given), ordered by candidate, date
    and id, ROWS_PER_PIECE at a time: each page is read from where the last one ended, so no
    download is held whole. With `as_of`, the updates known on that day (measured and
    recorded by then, as the status reads them), retracted only by a retraction then in
    effect."""
    by_id = {c.id: c for c in candidates}
    after: tuple[Any, ...] | None = None
    while True:
        updates = list_update_page(session, list(by_id), after=after,
                                   indicator_id=indicator_id, as_of=as_of,
                                   limit=ROWS_PER_PIECE)
        if updates:
            reasons = retraction_reasons(session, updates, as_of)
            yield [_update_row(by_id[u.candidate_id], u, reasons.get(u.id)) for u in updates]
        if len(updates) < ROWS_PER_PIECE:
            return
        last = updates[-1]
        after = (last.candidate_id, last.as_of, last.id)


def retraction_reasons(session: Session, updates: Sequence[ProgressUpdate],
                       as_of: date | None) -> dict[int, str]:
    """The reason of each retracted update's retraction in effect now, or at the end of
    `as_of` (the last one made by then: at most one is in effect at a time)."""
    if as_of is None:
        return {u.id: u.retraction.reason for u in updates if u.retraction}
    until, hidden = end_of_day(as_of), retracted_on(session, updates, as_of)
    return {u.id: [r for r in u.retractions if r.retracted_at < until][-1].reason
            for u in updates if u.id in hidden}


def _update_row(candidate: Candidate, u: ProgressUpdate, retracted: str | None) -> dict[str, Any]:
    indicator = u.indicator
    return {
        "candidate": candidate.slug, "iso3": candidate.iso3, "benchmark": indicator.key,
        "indicator": indicator.key, "kind": indicator.kind, "unit": indicator.unit or "",
        "value": u.value if u.value is not None else u.stage,
        "as_of": u.as_of.isoformat(), "source": u.source, "vintage": u.vintage,
        "published_on": u.published_on.isoformat() if u.published_on else None,
        "observation_status": u.observation_status, "assessed_by": u.assessed_by,
        "note": u.note,
        "is_illustrative": u.is_illustrative, "recorded_at": u.recorded_at.isoformat(),
        "update_id": u.id, "supersedes": u.supersedes_id,
        "retracted": retracted,
    }


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


def csv_pieces(session: Session, candidates: Sequence[Candidate],
               indicator_id: int | None = None, as_of: date | None = None) -> Iterator[str]:
    yield csv_text([], header=True)
    for piece in pieces_of(candidates):
        for page in update_row_pages(session, piece, indicator_id, as_of):
            yield csv_text(page, header=False)


def pieces_of(candidates: Sequence[Candidate]) -> Iterator[list[Candidate]]:
    for first in range(0, len(candidates), CANDIDATES_PER_PIECE):
        yield list(candidates[first:first + CANDIDATES_PER_PIECE])


def _json(value: Any) -> str:
    # As JSONResponse writes it.
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def ratification_rows(session: Session, candidate: Candidate,
                      as_of: date | None = None) -> list[dict[str, Any]]:
    steps = list_ratification_steps(session, candidate, as_of=as_of)
    return [{"member": s.member_iso3, "step": s.step, "occurred_on": s.occurred_on.isoformat(),
             "source": s.source, "confidence": s.confidence, "note": s.note} for s in steps]


def candidate_document(session: Session, candidate: Candidate, status,
                       revised: dict[int, str] | None = None,
                       as_of: date | None = None) -> dict[str, Any]:
    """A candidate's download but for its updates and ratification steps (candidate_pieces
    adds them, in that order); with `as_of`, its history up to that day."""
    evaluation = candidate_status_read(session, candidate, status, None, revised)
    return {
        "slug": candidate.slug, "iso3": candidate.iso3, "name": candidate.name,
        "tier": candidate.tier, "model": candidate.model, "phase": candidate.phase,
        "summary": candidate.summary,
        "history": [{"tier": h.tier, "phase": h.phase, "effective_on": h.effective_on.isoformat(),
                     "source": h.source, "note": h.note} for h in candidate.status_changes
                    if as_of is None or h.effective_on <= as_of],
        "status": evaluation.model_dump(mode="json"),
    }


def candidate_pieces(session: Session, candidate: Candidate, status,
                     revised: dict[int, str] | None = None,
                     as_of: date | None = None) -> Iterator[str]:
    """One candidate's JSON document, its updates a page at a time."""
    document = candidate_document(session, candidate, status, revised, as_of)
    yield _json(document)[:-1] + ',"updates":['
    for n, page in enumerate(update_row_pages(session, [candidate], as_of=as_of)):
        yield ("," if n else "") + ",".join(_json(row) for row in page)
    yield ('],"ratification_steps":' + _json(ratification_rows(session, candidate, as_of))
           + "}")


@router.get("/candidates/{slug}.csv")
def candidate_csv(slug: str, session: SessionDep, review: ReviewDep) -> StreamingResponse:
    candidate = get_candidate(session, slug)
    return StreamingResponse(csv_pieces(session, [candidate], as_of=review.as_of), media_type=CSV,
                             headers=attachment(f"{slug}-progress-updates.csv"))


@router.get("/candidates/{slug}/benchmarks/{key}.csv")
def benchmark_csv(slug: str, key: str, session: SessionDep,
                  review: ReviewDep) -> StreamingResponse:
    """One series: every update of the indicator a benchmark reads, corrections and
    retractions included, each with its source and whether it is illustrative."""
    candidate = get_candidate(session, slug)
    indicator = resolve_indicator(session, benchmark=key)
    return StreamingResponse(csv_pieces(session, [candidate], indicator.id, review.as_of),
                             media_type=CSV,
                             headers=attachment(f"{slug}-{indicator.key}.csv"))


@router.get("/candidates/{slug}.json")
def candidate_json(slug: str, session: SessionDep, review: ReviewDep) -> StreamingResponse:
    """The candidate's status as GET /api/v1/candidates/{slug}/status answers it (on
    `as_of`), with its history, updates and ratification steps."""
    candidate = get_candidate(session, slug)
    status = load_statuses(session, [candidate], as_of=review.as_of)[candidate.id]
    return StreamingResponse(candidate_pieces(session, candidate, status, as_of=review.as_of),
                             media_type="application/json")


@router.get("/dataset.csv")
def dataset_csv(session: SessionDep, review: ReviewDep) -> StreamingResponse:
    """Every progress update with its source, streamed a page at a time."""
    candidates, _ = list_candidates(session)
    return StreamingResponse(csv_pieces(session, candidates, as_of=review.as_of), media_type=CSV,
                             headers=attachment("accession-tracker-updates.csv"))


@router.get("/dataset.json")
def dataset_json(request: Request, session: SessionDep, review: ReviewDep) -> StreamingResponse:
    """Every candidate with its status, its updates and ratification steps, each with its
    source; illustrative values are flagged. Streamed a page at a time."""
    as_of = review.as_of
    if as_of is not None:  # any day may be asked: the response cache cannot absorb them all
        allow_full_evaluation(request)
    candidates, _ = list_candidates(session)
    head = {"generated_at": utcnow().isoformat(),
            **({"as_of": as_of.isoformat()} if as_of else {}),
            "licence_note": "Figures carry their sources; rows with is_illustrative=true are "
                            "demonstration data, not official figures."}

    def pieces() -> Iterator[str]:
        yield _json(head)[:-1] + ',"candidates":['
        for n, piece in enumerate(pieces_of(candidates)):
            for candidate in piece:
                session.refresh(candidate, ["status_changes"])
            statuses = load_statuses(session, piece, as_of=as_of)
            revised = revised_vintages(session, [
                b.latest for s in statuses.values() for b in s.evaluation.benchmarks
                if b.latest])
            for m, candidate in enumerate(piece):
                if n or m:
                    yield ","
                yield from candidate_pieces(session, candidate, statuses[candidate.id],
                                            revised, as_of)
        yield "]}"

    return StreamingResponse(pieces(), media_type="application/json",
                             headers=attachment("accession-tracker.json"))


@router.get("/feed.atom")
def reports_feed(session: SessionDep) -> Response:
    now = utcnow()
    reports = list_latest_reports(session, now=now, limit=FEED_SIZE)
    body = templates.get_template("feed.atom").render(
        reports=reports, base=get_settings().site_url,
        updated=reports[0].published_at if reports else now,
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/candidates/{slug}/feed.atom")
def candidate_status_feed(slug: str, session: SessionDep) -> Response:
    """The candidate's status changes, every benchmark (Atom)."""
    return atom(templates.get_template("status_feed.atom").render(
        status_feed_context(session, slug)))


@router.get("/candidates/{slug}/benchmarks/{key}/feed.atom")
def benchmark_status_feed(slug: str, key: str, session: SessionDep) -> Response:
    """One benchmark's status changes for the candidate (Atom)."""
    return atom(templates.get_template("status_feed.atom").render(
        status_feed_context(session, slug, key)))


def atom(body: str) -> Response:
    return Response(body, media_type="application/atom+xml; charset=utf-8")
