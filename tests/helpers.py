"""Helpers shared by several test files: reading answers and pages, counting rows and queries,
posting through the API and the command line."""

import re
from html.parser import HTMLParser

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app import db
from app.cli import app as cli
from app.config import get_settings
from app.i18n import LOCALES_DIR
from app.models import (
    AccessionMilestone,
    Confidence,
    Direction,
    Event,
    ExpansionModel,
    ObservationStatus,
    Phase,
    RatificationStep,
    Tier,
)
from app.reports.rendering import ALLOWED_TAGS
from app.status import Change, Status, Trend
from tests.conftest import upgrade

# Administration through the API (tests/candidates, tests/benchmarks, tests/ratifications)

PROBLEM = "application/problem+json"


def count(session, model=Event):
    return session.scalar(select(func.count()).select_from(model))


def count_writes(session):
    """Events of the writes themselves, without the status changes they cause (a new status,
    a revised target: tests/test_status_feed.py)."""
    return session.scalar(select(func.count()).select_from(Event)
                          .where(Event.kind != "benchmark_status.changed"))


def last_event(client, headers):
    """The last write's own event (the status changes it caused come after it)."""
    return [e for e in client.get("/api/v1/events", params={"limit": 500},
                                  headers=headers).json()["items"]
            if e["kind"] != "benchmark_status.changed"][-1]


def benchmark_keys(client, slug):
    items = client.get(f"/api/v1/candidates/{slug}/benchmarks", params={"limit": 500})
    return {b["key"] for b in items.json()["items"]}


def assert_422_naming(response, field, words=""):
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    errors = {e["field"]: e["msg"] for e in response.json()["errors"]}
    assert field in errors, errors
    assert words in errors[field]


# The status API

def status_of(client, slug, **params):
    response = client.get(f"/api/v1/candidates/{slug}/status", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def benchmark(body, key):
    return next(b for b in body["benchmarks"] if b["key"] == key)


# Imports

def upload(client, headers, body: bytes, content_type: str = "text/csv", **params):
    return client.post("/api/v1/imports", content=body, params=params,
                       headers={**headers, "Content-Type": content_type})


# The command line, in process, against a migrated database holding the demo data

runner = CliRunner()


def clear_caches() -> None:
    get_settings.cache_clear()  # the settings are read once; the engine follows their URL


@pytest.fixture(name="demo_engine")
def demo_engine_fixture(empty_engine, monkeypatch):
    from app.demo import load_demo

    upgrade(empty_engine)
    with Session(empty_engine) as session:
        load_demo(session)
    monkeypatch.setenv("ACCESSION_DATABASE_URL",
                       empty_engine.url.render_as_string(hide_password=False))
    clear_caches()
    yield empty_engine
    db.get_engine().dispose()
    clear_caches()


def invoke(*args: str):
    return runner.invoke(cli, list(args))


# Pages: their text, their words, their queries

ENUMS = (Status, Trend, Change, Tier, Phase, ExpansionModel, Direction, Confidence,
         RatificationStep, AccessionMilestone, ObservationStatus)


class VisibleText(HTMLParser):
    """The text a reader (or a screen reader) gets: text nodes, not tags or attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def count_queries(session, client, path) -> int:
    statements = []
    connection = session.get_bind()  # the test's connection: not the change feed's polls
    session.expunge_all()  # cold: nothing already loaded saves a query

    def record(*_args) -> None:
        statements.append(1)

    event.listen(connection, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(connection, "before_cursor_execute", record)
    return len(statements)


# The French catalogue

# A %-placeholder as Python's % operator reads it; Jinja's newstyle gettext applies % to
# every message, so a lone % in a translation would break the page.
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def french_catalogue() -> Catalog:
    with (LOCALES_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale="fr")


# Safe Markdown: hostile input, and what a rendering of it may hold

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x]( javascript:alert(1) )",
    "<javascript:alert(1)>",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    '[x](https://example.org "title" onmouseover="alert(1)")',
    '[x](https://example.org"onmouseover="alert(1))',
    "![x](https://example.org/x.png\"onerror=\"alert(1))",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<a href=javascript:alert(1)>x</a>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<style>*{background:red}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=javascript:alert(1)//>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<!-- --><script>alert(1)</script> -->",
    "<div>\n\n<script>alert(1)</script>\n\n</div>",
    "<p>\n<img src=x onerror=alert(1)>\n</p>",
    "```html\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
    "\ufffd<script>alert(1)</script>",
]


class _Elements(HTMLParser):
    """Every element and attribute the browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))


def parsed(html: str):
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def assert_safe(html: str) -> None:
    # Raw text such as `onerror=` or `javascript:` may stay, escaped and inert; what must never
    # appear is a script element, an event handler, a style or a dangerous URL.
    assert "<script" not in html.lower() and "<svg" not in html.lower()
    for tag, attrs in parsed(html):
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert not name.startswith("on") and name not in ("style", "srcdoc", "class"), name
            if name in ("href", "src"):
                assert re.match(r"^(https?:|mailto:|[^:]*$)", value or ""), value
        if tag == "a":
            assert ("rel", "nofollow noopener") in attrs


@pytest.fixture(scope="module", name="server")
def demo_server_fixture(databases):
    """A live server (tests/live.py) on a migrated database holding the demo data, one per
    test module."""
    from app.demo import load_demo
    from tests.live import live_server

    engine = databases.create()
    upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    with live_server(engine) as live:
        yield live


def requirements_with(client, key: str, tier: str, target: float) -> list[dict]:
    """A target's requirements as `PATCH /api/v1/benchmarks/{key}` takes them, with `tier`
    asked `target` instead."""
    current = client.get(f"/api/v1/benchmarks/{key}").json()["requirements"]
    requirements = [{field: r[field] for field in ("tier", "target", "weight", "due_on",
                                                   "due_offset_days", "is_illustrative")}
                    for r in current]
    for r in requirements:
        if r["tier"] == tier:
            r["target"] = target
    return requirements
