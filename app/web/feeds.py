"""The Atom feeds of status changes, per candidate and per benchmark: the events that
app/status_feed.py records, told in words in the reader's language (`?lang=fr`)."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.benchmarks.service import get_definition, get_definitions_by_key
from app.candidates.service import get_candidate
from app.config import get_settings
from app.i18n import N_, current_language, format_day, gettext
from app.models import BenchmarkDefinition, Candidate, Event, utcnow
from app.status_feed import list_status_changes
from app.web.templating import label, localized
from app.web.wording import target_words

# What caused a change, in words (the event's `cause.kind`).
CAUSES = {
    "progress_update": N_("a new value was recorded"),
    "retraction": N_("a value was retracted, or its retraction undone"),
    "requirements": N_("a new version of the target"),
    "time": N_("the passing of time (the daily check: a due date passed, a grace period ended, "
               "a target came into force, a tier changed)"),
}


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    link: str
    updated: datetime
    as_of: date
    reason: str  # the status rules' own sentence (English)
    cause: str
    is_illustrative: bool


def status_feed_path(slug: str, key: str | None = None) -> str:
    return f"/candidates/{slug}/benchmarks/{key}/feed.atom" if key else (
        f"/candidates/{slug}/feed.atom")


def _benchmark_words(definition: BenchmarkDefinition, fields: dict[str, Any]) -> str:
    title = localized(definition, "title")
    target = target_words(definition, fields.get("target_value"), fields.get("target_stage"))
    if target == "—":
        return title
    if fields.get("target_value") is None:  # a milestone: the stage to reach
        return f"{title} ({target})"
    operator = "≤" if definition.direction == "lower_is_better" else "≥"
    return f"{title} {operator} {target}"


def _title(candidate: Candidate, definition: BenchmarkDefinition, fields: dict[str, Any]) -> str:
    words = {"candidate": localized(candidate, "name"),
             "benchmark": _benchmark_words(definition, fields),
             "to": label(fields["to"]).lower(), "from": label(fields.get("from")).lower()}
    revised, moved = fields.get("revised"), fields.get("from") != fields["to"]
    if fields.get("from") is None:
        return gettext("%(candidate)s: %(benchmark)s is %(to)s (first recorded status)") % words
    if revised == "target":
        return (gettext("%(candidate)s: target revised: %(benchmark)s is now %(to)s "
                        "(was %(from)s)") if moved else
                gettext("%(candidate)s: target revised: %(benchmark)s is still %(to)s")) % words
    if revised == "figure":
        return (gettext("%(candidate)s: figure revised: %(benchmark)s is now %(to)s "
                        "(was %(from)s)") if moved else
                gettext("%(candidate)s: figure revised: %(benchmark)s is still %(to)s")) % words
    return gettext("%(candidate)s: %(benchmark)s is now %(to)s (was %(from)s)") % words


def _entry(event: Event, candidate: Candidate, definition: BenchmarkDefinition,
           base: str) -> FeedEntry:
    fields = event.after or {}
    page = f"{base}/candidates/{candidate.slug}/benchmarks/{definition.key}"
    cause = (fields.get("cause") or {}).get("kind", "")
    return FeedEntry(
        id=f"{page}#status-change-{event.id}", title=_title(candidate, definition, fields),
        link=page, updated=event.occurred_at, as_of=date.fromisoformat(fields["as_of"]),
        reason=fields.get("reason", ""), cause=gettext(CAUSES[cause]) if cause in CAUSES else "",
        is_illustrative=bool(fields.get("is_illustrative")))


def status_feed_context(session: Session, slug: str, key: str | None = None) -> dict[str, Any]:
    """What the Atom template shows: the latest status changes of the candidate (of one
    benchmark, with `key`), newest first. Unknown candidate or benchmark: NotFound."""
    candidate = get_candidate(session, slug)
    definition = get_definition(session, key) if key is not None else None
    events = list_status_changes(session, candidate, key)
    keys = {(e.after or {}).get("benchmark") for e in events}
    definitions = get_definitions_by_key(session, keys)
    base = get_settings().site_url
    entries = [_entry(e, candidate, definitions[e.after["benchmark"]], base)
               for e in events if e.after and e.after.get("benchmark") in definitions]
    path = status_feed_path(slug, key)
    language = current_language.get()
    name = localized(candidate, "name")
    return {
        "base": base, "lang": language, "entries": entries, "format_day": format_day,
        "feed_id": base + path,
        "self_url": base + path + ("?lang=fr" if language == "fr" else ""),
        "page_url": base + (f"/candidates/{slug}/benchmarks/{key}" if key
                            else f"/candidates/{slug}"),
        "title": (gettext("%(candidate)s: status changes of %(benchmark)s") % {
            "candidate": name, "benchmark": localized(definition, "title")} if definition
            else gettext("%(candidate)s: status changes") % {"candidate": name}),
        "updated": entries[0].updated if entries else utcnow(),
    }
