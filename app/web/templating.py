"""Jinja2 environment for the site: templates, filters, and the error page."""

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

templates = Jinja2Templates(directory=TEMPLATES_DIR)

LABELS = {
    "strategic_partner": "Strategic partner",
    "interim_ally": "Interim ally",
    "full_candidate": "Full candidate",
    "incremental_enlargement": "Incremental enlargement",
    "strategic_partnership": "Strategic partnership",
    "hybrid_integration": "Hybrid integration",
    "outreach": "Outreach",
    "accession_talks": "Accession talks",
    "ratification": "Ratification",
    "member": "Member",
    "parliament_approved": "Parliament approved",
    "signed": "Signed",
    "deposited": "Instrument deposited",
    "pending": "Pending",
}


def label(value: str | None) -> str:
    """A person's words for a stored key: `accession_talks` → "Accession talks"."""
    if value is None:
        return ""
    return LABELS.get(value, value.replace("_", " ").capitalize())


def number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


def isodate(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()


templates.env.filters.update(label=label, number=number, isodate=isodate)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def render_error_page(request: Request, status_code: int, detail: str) -> HTMLResponse:
    return render(request, "errors/error.html", status_code=status_code, status=status_code,
                  detail=detail)
