"""Jinja2 environment for the site: gettext, filters for dates, numbers and stored keys, asset
URLs with a content hash, and the error page."""

import hashlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context

from app.config import PROJECT_ROOT, get_settings
from app.events.streams import change_feed_of
from app.i18n import (
    LANGUAGES,
    N_,
    current_language,
    format_day,
    format_moment,
    format_names,
    format_number,
    format_percent,
    gettext,
    language_name,
    ngettext,
)
from app.web.as_of import as_of_field, dated, viewing
from app.web.wording import (
    assessment_summary,
    measure,
    pace_number,
    pace_summary,
    pace_unit,
    status_sentence,
    target_words,
    trend_words,
)

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"

environment = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                          extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
templates = Jinja2Templates(env=environment)
templates.env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]

# Stored keys and the words people read for them; translated where shown.
LABELS = {
    "strategic_partner": N_("Strategic partner"),
    "interim_ally": N_("Interim ally"),
    "full_candidate": N_("Full candidate"),
    "incremental_enlargement": N_("Incremental enlargement"),
    "strategic_partnership": N_("Strategic partnership"),
    "hybrid_integration": N_("Hybrid integration"),
    "outreach": N_("Outreach"),
    "accession_talks": N_("Accession talks"),
    "ratification": N_("Ratification"),
    "member": N_("Member"),
    "protocol_signed": N_("Protocol signed"),
    "government_approved": N_("Government approved"),
    "lower_chamber_approved": N_("Lower chamber approved"),
    "upper_chamber_approved": N_("Upper chamber approved"),
    "parliament_approved": N_("Parliament approved"),
    "head_of_state_assent": N_("Head of state's assent"),
    "signed": N_("Signed"),
    "deposited": N_("Instrument deposited"),
    "pending": N_("Pending"),
    "met": N_("Met"),
    "on_track": N_("On track"),
    "at_risk": N_("At risk"),
    "off_track": N_("Off track"),
    "overdue": N_("Overdue"),
    "no_data": N_("No data"),
    "improving": N_("Improving"),
    "flat": N_("Flat"),
    "worsening": N_("Worsening"),
    "improved": N_("Improved"),
    "unchanged": N_("Unchanged"),
    "backslid": N_("Backslid"),
    "numeric": N_("Numeric"),
    "milestone": N_("Milestone"),
    "high": N_("High"),
    "medium": N_("Medium"),
    "low": N_("Low"),
    "inferred": N_("Inferred"),
    "higher_is_better": N_("Higher is better"),
    "lower_is_better": N_("Lower is better"),
}
# A status is never told by colour alone: each has a symbol and its word as well.
STATUS_SYMBOLS = {"met": "✔", "on_track": "↗", "at_risk": "⚠", "off_track": "✖",
                  "overdue": "‼", "no_data": "?"}
TREND_SYMBOLS = {"improving": "▲", "flat": "▶", "worsening": "▼"}


def label(value: str | None) -> str:
    """A person's words for a stored key, in the reader's language."""
    if not value:
        return ""
    if value in LABELS:
        return gettext(LABELS[value])
    return value.replace("_", " ").capitalize()


def localized(record: Any, field: str) -> str:
    """The French column (`name_fr`, `summary_fr`, ...) when reading in French and it is
    filled; the English otherwise."""
    if current_language.get() == "fr":
        french = getattr(record, f"{field}_fr", "")
        if french:
            return french
    return getattr(record, field)


def language_of(record: Any, field: str) -> str:
    """The language of what `localized` shows, for the element's `lang`: English where a French
    page falls back on an untranslated text, so readers (and screen readers) know it is
    English on purpose."""
    if current_language.get() == "fr" and getattr(record, f"{field}_fr", ""):
        return "fr"
    return "en"


def colon() -> str:
    """A colon as the reader's language sets it: French puts a no-break space before it."""
    return "\u00a0:" if current_language.get() == "fr" else ":"


def semicolon() -> str:
    return "\u00a0;" if current_language.get() == "fr" else ";"


def percent(value: float | None, digits: int = 0) -> str:
    """A percentage, whole unless `digits` says; never 100 % for what falls short of it (99.6
    reads 99 %)."""
    if value is None:
        return "—"
    below = 100 - 10 ** -digits
    if below < value < 100:
        value = below
    return format_percent(value, digits)


@lru_cache
def asset_version(path: str) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


def static_url(path: str) -> str:
    return f"/static/{path}?v={asset_version(path)}"


def on_every_render(function: Callable[..., str]) -> Callable[..., str]:
    """A filter Jinja runs on every render. Jinja computes a filter of a constant
    (`"deposited"|label`, `100|percent`) once, when it compiles the template, in the language of
    whoever came first; a filter that takes the context it never computes ahead."""
    @pass_context
    def filter_(_context: Any, *args: Any, **kwargs: Any) -> str:
        return function(*args, **kwargs)
    return filter_


# Every filter here speaks the reader's language.
templates.env.filters.update({name: on_every_render(function) for name, function in dict(
    label=label, number=format_number, day=format_day, moment=format_moment, localized=localized,
    language_of=language_of, percent=percent, names=format_names).items()})
templates.env.globals.update(measure=measure, target_words=target_words,
                             status_sentence=status_sentence, trend_words=trend_words)
templates.env.globals.update(pace_summary=pace_summary, assessment_summary=assessment_summary,
                             pace_number=pace_number, pace_unit=pace_unit)
templates.env.globals.update(static_url=static_url, STATUS_SYMBOLS=STATUS_SYMBOLS,
                             TREND_SYMBOLS=TREND_SYMBOLS, LANGUAGES=LANGUAGES,
                             language_name=language_name, dated=dated, colon=colon,
                             semicolon=semicolon,
                             as_of_field=as_of_field)
# Absolute links a reader copies away from the site (a chart's permalink and embed code).
templates.env.globals["site_url"] = lambda: get_settings().site_url


def compile_templates() -> None:
    """Every page template compiled at start-up (some 0.5 s), so the first reader of each page
    after a start does not wait for it, and a worker's first render after a change is only the
    render."""
    for name in environment.list_templates(extensions=["html", "atom"]):
        environment.get_template(name)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    feed = change_feed_of(request)
    context.setdefault("lang", current_language.get())
    context.setdefault("last_updated", feed.changed_at)
    context.setdefault("event_id", feed.last_id)
    context.setdefault("canonical_url", get_settings().site_url + request.url.path)
    review = context.setdefault("review", None)  # a page viewed as of a date (web.as_of)
    with viewing(review.as_of if review else None):  # the template renders here, at once
        return templates.TemplateResponse(request, name, context, status_code=status_code)


def render_error_page(request: Request, status_code: int, detail: str) -> HTMLResponse:
    return render(request, "errors/error.html", status_code=status_code, status=status_code,
                  detail=detail)
