"""The demo's illustrative quarterly reviews, written from its data: one published review per
aspirant, and a draft of Ukraine's next one."""

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from app.demo.data import ASPIRANT_STATUS_CHANGES, LAST_DEMO_QUARTER_END, at_noon
from app.models import Candidate, CandidateBenchmark, ProgressReport, ProgressUpdate, ReportStatus


def _quarter_end(day: date) -> date:
    """The last day of the quarter before the one `day` falls in."""
    first_of_quarter = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return first_of_quarter - timedelta(days=1)


def _quarter_label(end: date) -> str:
    return f"{end.year}-Q{(end.month - 1) // 3 + 1}"


def _review_body(
    candidate: Candidate, benchmarks: list[CandidateBenchmark], updates: list[ProgressUpdate],
    period_end: date, known_at: datetime,
) -> str:
    superseded = {u.supersedes_id for u in updates if u.supersedes_id is not None}
    lines = [
        f"# {candidate.name}: quarterly review",
        "",
        "*Illustrative review written for the demo — not an official assessment. Defence "
        "spending figures are SIPRI's; all other figures are illustrative.*",
        "",
    ]
    by_category: dict[str, list[str]] = {}
    for cb in sorted(benchmarks, key=lambda cb: (cb.definition.category.position,
                                                  cb.definition.key)):
        known = [u for u in updates
                 if u.candidate is candidate and u.indicator is cb.definition.indicator
                 and u.as_of <= period_end
                 and u.recorded_at <= known_at and u.id not in superseded]
        definition = cb.definition
        if not known:
            text = "no data yet"
        else:
            last = max(known, key=lambda u: (u.as_of, u.recorded_at))
            shown = (f"{last.value:g} {definition.unit}" if last.value is not None
                     else (last.stage or "").replace("_", " "))
            text = f"{shown} (as of {last.as_of.isoformat()})"
        by_category.setdefault(definition.category.title, []).append(
            f"- **{definition.title}**: {text}")
    for title, items in by_category.items():
        lines += [f"## {title}", "", *items, ""]
    lines += [
        "## Next steps",
        "",
        "- Confirm the next SIPRI release when it is published.",
        "- Review the milestones due in the next two quarters with the national liaison team.",
        "",
    ]
    return "\n".join(lines)


def add_reports(
    session: Session, candidates: dict[str, Candidate],
    benchmarks: dict[tuple[str, str], CandidateBenchmark], updates: list[ProgressUpdate],
    today: date, latest: datetime,
) -> list[ProgressReport]:
    """One published review per aspirant for the last quarter of the demo data (or the last
    one closed three weeks before `today`), and a draft of Ukraine's next one."""
    period_end = min(_quarter_end(today - timedelta(days=21)), LAST_DEMO_QUARTER_END)
    published_at = min(at_noon(period_end + timedelta(days=21)), latest)
    added = []
    for slug in ASPIRANT_STATUS_CHANGES:
        candidate = candidates[slug]
        own = [cb for (s, _), cb in benchmarks.items() if s == slug]
        added.append(ProgressReport(
            candidate=candidate, period=_quarter_label(period_end),
            title=f"{candidate.name}: review of {_quarter_label(period_end)}",
            body=_review_body(candidate, own, updates, period_end, published_at),
            status=ReportStatus.published, is_illustrative=True,
            created_at=min(at_noon(period_end + timedelta(days=7)), published_at),
            updated_at=published_at, published_at=published_at))
    next_end = _quarter_end(period_end + timedelta(days=100))
    ukraine = candidates["ukraine"]
    draft_at = min(published_at + timedelta(days=1), latest)
    added.append(ProgressReport(
        candidate=ukraine, period=_quarter_label(next_end),
        title=f"{ukraine.name}: review of {_quarter_label(next_end)} (draft)",
        body=(f"# {ukraine.name}: quarterly review (draft)\n\n"
              "*Illustrative draft written for the demo.*\n\n"
              "## To do\n\n"
              "- Add the new SIPRI figure once published.\n"
              "- Check the classified information law's progress in parliament.\n"),
        status=ReportStatus.draft, is_illustrative=True, created_at=draft_at,
        updated_at=draft_at, published_at=None))
    session.add_all(added)
    session.flush()
    return added
