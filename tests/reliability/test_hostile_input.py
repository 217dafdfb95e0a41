"""Hostile input: oversized, malformed, deeply nested and mis-encoded bodies, numbers JSON should
not carry, NUL characters, SQL- and script-looking text in every text field, path traversal in
slugs, and a Markdown report full of XSS vectors. What is valid is stored literally and read back
byte for byte; what is not is refused with a problem+json 4xx, never a 500; nothing is ever
executed: the pages escape it (checked in their HTML) and a real browser, with the
Content-Security-Policy switched off so that escaping alone is tested, runs none of it.

The API part runs on both backends through the in-process client; the pages, downloads and the
browser part run against a real server (SQLite) holding the same planted content."""

import json
import socket
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests.live import LiveServer, live_server
from tests.reliability.conftest import LIVE_ENV, sqlite_demo_database

UPDATES = "/api/v1/candidates/georgia/updates"
BENCHMARK = "defence_spending_gdp"
PROBLEM_JSON = "application/problem+json"

SQL_LOOKING = [
    "'; DROP TABLE candidates; --",
    "1' OR '1'='1",
    "\"; DELETE FROM progress_updates WHERE ''='",
    "x' UNION SELECT token_hash, 1, 1 FROM api_tokens --",
    "Robert'); DROP TABLE students;--",
    "1; SELECT pg_sleep(10); --",
]
SCRIPT_LOOKING = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<img src=x onerror=window.__xss=1>",
    "'><svg/onload=window.__xss=1>",
    "</textarea></title><script>window.__xss=1</script>",
    "javascript:window.__xss=1",
    "<iframe srcdoc=\"<script>parent.__xss=1</script>\"></iframe>",
    "{{7*7}} ${7*7} <%= 7*7 %> {% raw %}",
]
ODD_TEXT = [
    "\u202egnp.exe",  # right-to-left override
    "zero\u200bwidth\u200djoiner",
    "\U0001f1ec\U0001f1ea \u2713 \u201cquotes\u201d \u00abguillemets\u00bb \u00e9\u0301",
    '=HYPERLINK("http://evil.example","click")',
    "%s %n %x %(name)s {0} \\u0000 \\x00",
    "../../../../etc/passwd",
]
HOSTILE = SQL_LOOKING + SCRIPT_LOOKING + ODD_TEXT

XSS_MARKDOWN = "\n\n".join([
    "# Quarterly <script>window.__xss=1</script> review",
    "<script>alert(1)</script>",
    '<img src=x onerror="window.__xss=1">',
    "[plain link](javascript:window.__xss=1)",
    "[upper case](JAVASCRIPT:window.__xss=1)",
    "[entity](&#106;avascript:window.__xss=1)",
    "[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    "[vb](vbscript:msgbox(1))",
    '![image](x" onerror="window.__xss=1)',
    "![image](javascript:window.__xss=1)",
    "<svg/onload=window.__xss=1>",
    '<a href="javascript:window.__xss=1">raw anchor</a>',
    '<iframe src="javascript:window.__xss=1"></iframe>',
    "<details open ontoggle=window.__xss=1><summary>x</summary></details>",
    '<style>body{background:url("javascript:window.__xss=1")}</style>',
    "<<script>script>window.__xss=1<</script>/script>",
    "`<script>window.__xss=1</script>` in code",
    "```html\n<script>window.__xss=1</script>\n```",
    "| a | b |\n|---|---|\n| <img src=x onerror=window.__xss=1> | ok |",
    "<form action=\"javascript:window.__xss=1\"><button>go</button></form>",
])


def assert_problem(response: httpx.Response, *statuses: int) -> dict:
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON, response.headers
    body = response.json()
    assert body["status"] == response.status_code and body["title"]
    assert "Traceback" not in response.text
    return body


def an_update(n: int = 0, **fields) -> dict:
    """A valid update; a higher `n` is measured later (the last planted one is the latest)."""
    return {"benchmark": BENCHMARK, "value": 1.0 + n / 100,
            "as_of": (date.today() - timedelta(days=100 - n)).isoformat(),
            "source": f"hostile input test {n}", **fields}


def post_raw(client, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return client.post(UPDATES, content=body,
                       headers={**headers, "Content-Type": "application/json"})


# Refused clearly --------------------------------------------------------------------------


def test_oversized_body_is_413_problem(client, analyst_headers):
    body = json.dumps(an_update(note="x" * 5_000_000)).encode()
    assert_problem(post_raw(client, body, analyst_headers), 413)


@pytest.mark.parametrize("body", [
    b"[" * 10_000 + b"]" * 10_000,
    b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    b'{"updates": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
], ids=["arrays", "objects", "inside-a-batch"])
def test_deeply_nested_json_is_a_problem_not_a_500(client, analyst_headers, body):
    assert_problem(post_raw(client, body, analyst_headers), 400, 422)


@pytest.mark.parametrize("body", [
    b'{"benchmark": ', b"{'benchmark': 'x'}", b'{"benchmark": "a",}', b"", b"null", b"[]",
    b'"just a string"', b"\x00\x01\x02", b'{"benchmark": "a"} trailing', b"{" * 3,
    b'{"value": 01}', b'{"value": 0x10}', b'{"value": .5}',
], ids=lambda b: repr(b[:20]))
def test_malformed_json_is_a_problem(client, analyst_headers, body):
    assert_problem(post_raw(client, body, analyst_headers), 400, 422)


@pytest.mark.parametrize("body", [
    b'{"benchmark": "defence_spending_gdp", "value": 2, "as_of": "2024-01-01", '
    b'"source": "\xff\xfe bad bytes"}',
    b'{"benchmark": "defence_spending_gdp", "value": 2, "as_of": "2024-01-01", '
    b'"source": "\xed\xa0\x80 encoded surrogate"}',
    b'{"benchmark": "defence_spending_gdp", "value": 2, "as_of": "2024-01-01", '
    b'"source": "\xc0\xaf overlong slash"}',
    "{\"benchmark\": \"defence_spending_gdp\", \"source\": \"latin-1 \u00e9\"}".encode("latin-1"),
], ids=["ff-fe", "surrogate-bytes", "overlong", "latin-1"])
def test_invalid_utf8_is_a_problem(client, analyst_headers, body):
    assert_problem(post_raw(client, body, analyst_headers), 400, 422)


@pytest.mark.parametrize("text", ["\\ud800", "a\\udc00b", "\\udfff\\ud800"],
                         ids=["high", "low", "reversed-pair"])
def test_lone_surrogates_are_422(client, analyst_headers, text):
    body = b'{"benchmark": "defence_spending_gdp", "value": 2, "as_of": "2024-01-01", ' \
           b'"source": "' + text.encode() + b'"}'
    assert_problem(post_raw(client, body, analyst_headers), 422)


@pytest.mark.parametrize("number", [
    b"1e309", b"-1e309", b"NaN", b"Infinity", b"-Infinity", b"1" + b"0" * 400,
    b"1e-400000", b"123456789012345678901234567890e999999999",
], ids=lambda b: b[:12].decode())
def test_non_finite_and_huge_values_are_422(client, analyst_headers, number):
    body = b'{"benchmark": "defence_spending_gdp", "value": ' + number + \
           b', "as_of": "2024-01-01", "source": "huge numbers"}'
    response = post_raw(client, body, analyst_headers)
    if number == b"1e-400000":  # underflows to 0.0, a legal value
        assert response.status_code in (201, 422), response.text
        return
    assert_problem(response, 422)


@pytest.mark.parametrize("number", [2**31, 2**63, 10**400], ids=["2^31", "2^63", "10^400"])
def test_huge_ids_in_a_body_are_4xx(client, analyst_headers, number):
    response = client.post(UPDATES, headers=analyst_headers,
                           json=an_update(supersedes=number))
    assert_problem(response, 404, 422)


@pytest.mark.parametrize("path", [
    "/api/v1/members?offset=100000000000000000000",
    "/api/v1/candidates?offset=9223372036854775808",
    "/api/v1/candidates/georgia/updates?offset=" + "9" * 30,
    "/api/v1/events?after=100000000000000000000",
    "/api/v1/reports/" + "9" * 30,
    "/api/v1/candidates/georgia/status?as_of=99999-01-01",
    "/api/v1/candidates/georgia/updates?from=0000-01-01",
])
def test_huge_numbers_in_a_query_are_4xx(client, path):
    assert_problem(client.get(path), 400, 404, 422)


NUL = "before\x00after"
NUL_REQUESTS = {
    "update-source": (UPDATES, an_update(source=NUL)),
    "update-note": (UPDATES, an_update(note=NUL)),
    "batch-note": (UPDATES, {"updates": [an_update(1), an_update(2, note=NUL)]}),
    "report-title": ("/api/v1/candidates/georgia/reports",
                     {"period": "2025-Q1", "title": NUL, "body": "b"}),
    "report-body": ("/api/v1/candidates/georgia/reports",
                    {"period": "2025-Q1", "title": "t", "body": NUL}),
    "retraction-reason": ("/api/v1/updates/{update_id}/retract", {"reason": NUL}),
    "ratification-source": ("/api/v1/candidates/georgia/ratifications/FRA/steps",
                            {"step": "parliament_approved", "occurred_on": "2024-01-01",
                             "source": NUL}),
    "candidate-summary": ("/api/v1/candidates",
                          {"slug": "nul-land", "iso3": "NUL", "name": "Nul",
                           "tier": "strategic_partner", "model": "strategic_partnership",
                           "phase": "outreach", "summary": NUL}),
}


@pytest.mark.parametrize("field_name", NUL_REQUESTS)
def test_nul_characters_are_422_on_every_backend(client, analyst_headers, admin_headers,
                                                 field_name):
    """PostgreSQL cannot store NUL in text. The same request must not be stored on SQLite and
    refused on PostgreSQL, so every text field refuses it up front, as reports already do."""
    path, body = NUL_REQUESTS[field_name]
    if "{update_id}" in path:
        update = client.post(UPDATES, headers=analyst_headers, json=an_update())
        path = path.format(update_id=update.json()["items"][0]["id"])
    headers = admin_headers if path == "/api/v1/candidates" else analyst_headers
    # One request per test: the test session cannot be used again after the database refused
    # a value (a real server opens a new session per request).
    assert_problem(client.post(path, headers=headers, json=body), 422)


@pytest.mark.parametrize("path", [
    "/candidates/..%2F..%2F..%2Fetc%2Fpasswd",
    "/candidates/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/candidates/%252e%252e%252fetc%252fpasswd",
    "/candidates/..%5C..%5Cpyproject.toml",
    "/candidates/..%2F..%2Fpyproject.toml.csv",
    "/candidates/..%2F..%2Fpyproject.toml.json",
    "/candidates/georgia/benchmarks/..%2F..%2F..%2Fetc%2Fpasswd",
    "/api/v1/candidates/..%2F..%2Fetc%2Fpasswd",
    "/api/v1/candidates/..%2F..%2Fetc%2Fpasswd/updates",
    "/api/v1/benchmarks/..%2F..%2Fapp%2Fconfig.py",
    "/static/..%2F..%2Fpyproject.toml",
    "/static/%2e%2e/%2e%2e/pyproject.toml",
    "/static/css/..%2F..%2F..%2Fapp%2Fconfig.py",
])
def test_path_traversal_is_404_without_file_content(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 404, (path, response.status_code)
    assert_no_file_content(response.text)


def assert_no_file_content(text: str) -> None:
    for secret in ("root:x:0:0", "[build-system]", "class Settings", "database_url"):
        assert secret not in text


# Stored literally --------------------------------------------------------------------------


def test_hostile_text_is_stored_and_read_back_literally(client, analyst_headers,
                                                        second_analyst_headers, admin_headers):
    planted = plant(client, analyst_headers, second_analyst_headers, admin_headers)
    listed = client.get(UPDATES, params={"benchmark": BENCHMARK, "limit": 500}).json()["items"]
    by_id = {u["id"]: u for u in listed}
    for update_id, (source, note) in planted.updates.items():
        assert (by_id[update_id]["source"], by_id[update_id]["note"]) == (source, note)
    retracted = by_id[planted.retracted]["retraction"]
    assert retracted["reason"] == planted.retraction_reason

    report = client.get(f"/api/v1/reports/{planted.report_id}").json()
    assert (report["title"], report["body"]) == (planted.report_title, XSS_MARKDOWN)
    assert_safe_html(f"<div>{report['body_html']}</div>", allow_site_scripts=False)

    candidate = client.get(f"/api/v1/candidates/{planted.slug}").json()
    assert (candidate["name"], candidate["summary"]) == (planted.name, planted.summary)
    assert candidate["history"][0]["note"] == planted.history_note

    category = client.get("/api/v1/categories/hostile_category").json()
    assert {k: category[k] for k in planted.category} == planted.category
    benchmark = client.get("/api/v1/benchmarks/hostile_benchmark").json()
    for name in ("title", "unit", "description", "source"):
        assert benchmark[name] == planted.benchmark[name], name

    ratifications = client.get("/api/v1/candidates/georgia/ratifications",
                               params={"limit": 500}).json()["items"]
    france = next(r for r in ratifications if r["member"]["iso3"] == "FRA")
    assert (france["steps"][-1]["source"], france["steps"][-1]["note"]) == planted.ratification

    # And the tables survived the SQL-looking text.
    assert client.get("/api/v1/candidates").json()["total"] >= 6


def test_hostile_text_is_escaped_on_pages(client, analyst_headers, second_analyst_headers,
                                          admin_headers):
    planted = plant(client, analyst_headers, second_analyst_headers, admin_headers)
    for path, expected in planted.pages().items():
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 200, path
        check_page(path, response, expected)


# Planting -----------------------------------------------------------------------------------


@dataclass
class Planted:
    updates: dict[int, tuple[str, str]] = field(default_factory=dict)
    retracted: int = 0
    retraction_reason: str = SCRIPT_LOOKING[4]
    report_id: int = 0
    report_title: str = "Q1 <script>alert(1)</script> '; DROP TABLE progress_reports; --"
    slug: str = "hostile-land"
    name: str = '<img src=x onerror=alert(1)> Land'
    summary: str = "Summary \"><svg/onload=window.__xss=1> and '; DROP TABLE candidates; --"
    history_note: str = "<script>window.__xss=1</script> note"
    ratification: tuple[str, str] = (SCRIPT_LOOKING[1], SQL_LOOKING[0])
    category: dict[str, str] = field(default_factory=lambda: {
        "key": "hostile_category", "title": "<b onmouseover=alert(1)>Category</b>",
        "description": SQL_LOOKING[3]})
    benchmark: dict = field(default_factory=lambda: {
        "key": "hostile_benchmark", "title": "Benchmark \"><img src=x onerror=alert(1)>",
        "category": "hostile_category", "kind": "numeric", "unit": "<i>u</i>'--",
        "direction": "higher_is_better", "min_value": 0, "max_value": 100,
        "description": SCRIPT_LOOKING[3], "source": SQL_LOOKING[2], "valid_from": "2020-01-01",
        "requirements": [{"tier": "strategic_partner", "target": 50}]})
    idempotency_key: str = "'; DROP TABLE idempotency_keys; --"

    def pages(self) -> dict[str, list[str]]:
        """Each page that shows planted text, with the text it must show literally."""
        sources = [s for s, _ in self.updates.values()]
        return {
            "/candidates/georgia/benchmarks/defence_spending_gdp":
                sources + [self.retraction_reason],
            "/candidates/georgia/benchmarks/hostile_benchmark":
                [self.benchmark["title"], self.benchmark["description"], self.benchmark["unit"],
                 self.idempotency_key],
            "/candidates/georgia": [sources[-1], self.ratification[0], self.benchmark["title"]],
            f"/candidates/{self.slug}": [self.name, self.summary, self.history_note],
            f"/reports/{self.report_id}": [self.report_title],
            "/": [self.name],
            f"/compare?c=georgia&c={self.slug}&c={quote(SCRIPT_LOOKING[0])}":
                [self.name, SCRIPT_LOOKING[0]],
            "/framework": [self.name, self.benchmark["title"], self.category["title"]],
        }


def plant(http: httpx.Client, analyst: dict[str, str], reviewer: dict[str, str],
          admin: dict[str, str]) -> Planted:
    """Posts hostile text into every text field the API takes, through the API."""
    planted = Planted()

    def post(path: str, headers: dict[str, str], body: dict) -> dict:
        response = http.post(path, headers=headers, json=body)
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
        return response.json()

    for n, text in enumerate(HOSTILE):
        note = HOSTILE[-1 - n]
        stored = post(UPDATES, analyst, an_update(n, source=text, note=note))["items"][0]
        assert (stored["source"], stored["note"]) == (text, note)
        planted.updates[stored["id"]] = (text, note)
    planted.retracted = next(iter(planted.updates))
    post(f"/api/v1/updates/{planted.retracted}/retract", analyst,
         {"reason": planted.retraction_reason})

    report = post("/api/v1/candidates/georgia/reports", analyst,
                  {"period": "2025-Q1", "title": planted.report_title, "body": XSS_MARKDOWN})
    assert (report["title"], report["body"]) == (planted.report_title, XSS_MARKDOWN)
    reviewed = http.get(f"/api/v1/reports/{report['id']}", headers=reviewer).headers["etag"]
    post(f"/api/v1/reports/{report['id']}/publish", {**reviewer, "If-Match": reviewed}, {})
    planted.report_id = report["id"]

    post("/api/v1/candidates", admin, {
        "slug": planted.slug, "iso3": "HXS", "name": planted.name, "tier": "strategic_partner",
        "model": "strategic_partnership", "phase": "outreach", "summary": planted.summary,
        "source": SQL_LOOKING[1], "note": planted.history_note,
    })
    source, note = planted.ratification
    post("/api/v1/candidates/georgia/ratifications/FRA/steps", analyst,
         {"step": "parliament_approved", "occurred_on": "2024-01-01", "source": source,
          "note": note})

    post("/api/v1/categories", admin, planted.category)
    post("/api/v1/benchmarks", admin, planted.benchmark)
    measured = {"benchmark": "hostile_benchmark", "value": 10.0,
                "as_of": date.today().isoformat(), "source": planted.idempotency_key}
    key = {**analyst, "Idempotency-Key": planted.idempotency_key}
    first = post(UPDATES, key, measured)
    assert post(UPDATES, key, measured) == first, "a retry with the same key stores again"
    return planted


# What a page may contain ----------------------------------------------------------------------


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.inline_scripts: list[str] = []
        self.text: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data):
        if self._open and self._open[-1] == "script" and data.strip():
            self.inline_scripts.append(data)
        self.text.append(data)


DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text/html", "livescript:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc",
                  "background", "poster"}


def assert_safe_html(html: str, *, allow_site_scripts: bool = True) -> PageParser:
    """No element, attribute or URL that runs code: the site's own scripts (external, from
    /static/) are the only scripts."""
    parser = PageParser()
    parser.feed(html)
    problems = [f"inline script {s[:80]!r}" for s in parser.inline_scripts]
    for tag, attrs in parser.elements:
        if tag == "script" and not (allow_site_scripts
                                    and (attrs.get("src") or "").startswith("/static/")):
            problems.append(f"<script {attrs}>")
        if tag in ("iframe", "object", "embed", "base", "style", "frame", "applet"):
            problems.append(f"<{tag} {attrs}>")
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            problems.append(f"<meta {attrs}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"<{tag} {name}={value!r}>")
            squeezed = "".join((value or "").split()).lower()
            if name in URL_ATTRIBUTES and squeezed.startswith(DANGEROUS_SCHEMES):
                problems.append(f"<{tag} {name}={value!r}>")
    assert problems == [], problems
    return parser


def check_page(path: str, response: httpx.Response, expected: list[str]) -> None:
    assert response.headers["content-type"].startswith("text/html"), path
    parser = assert_safe_html(response.text)
    text = "".join(parser.text)
    missing = [s for s in expected if s not in text]
    assert missing == [], f"{path} does not show these literally: {missing}"
    for raw in ("<script>alert(1)</script>", "<img src=x onerror", "<svg/onload"):
        assert raw not in response.text, f"{path} holds {raw!r} unescaped"


# Against a real server, in a real browser ------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> tuple[LiveServer, Planted]:
    engine = sqlite_demo_database(tmp_path_factory.mktemp("hostile"))
    with live_server(engine, extra_env=LIVE_ENV) as server, httpx.Client(
            base_url=server.url, timeout=30) as http:
        planted = plant(http, server.token("mallory"), server.token("reviewer"),
                        server.token("root", "admin"))
        yield server, planted
    engine.dispose()


def test_live_pages_escape_hostile_text(hostile_site):
    server, planted = hostile_site
    for path, expected in planted.pages().items():
        response = httpx.get(server.url + path, headers={"Accept": "text/html"}, timeout=30)
        assert response.status_code == 200, path
        check_page(path, response, expected)


def test_downloads_carry_hostile_text_inertly(hostile_site):
    server, planted = hostile_site
    sources = {s for s, _ in planted.updates.values()}
    for path in ("/candidates/georgia.json", "/dataset.json"):
        response = httpx.get(server.url + path, timeout=30)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["x-content-type-options"] == "nosniff"
        rows = [u for c in ([response.json()] if "candidates/" in path
                            else response.json()["candidates"]) for u in c["updates"]]
        assert sources <= {row["source"] for row in rows}, path
    for path in ("/candidates/georgia.csv", "/dataset.csv"):
        response = httpx.get(server.url + path, timeout=30)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"].startswith("attachment")
        formula = '=HYPERLINK("http://evil.example","click")'
        assert '"\'' + formula.replace('"', '""') + '"' in response.text, \
            "a formula cell must be defused with a leading quote"
        assert "\n" + formula not in response.text and "," + formula not in response.text
    feed = httpx.get(server.url + "/feed.atom", timeout=30)
    assert feed.status_code == 200
    assert "<script>alert(1)</script>" not in feed.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in feed.text


@pytest.mark.parametrize("target", [
    "/candidates/../../../../etc/passwd",
    "/candidates/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/static/../../pyproject.toml",
    "/static/../app/config.py",
    "/static/..%2f..%2fpyproject.toml",
    "/static/%2e%2e/%2e%2e/pyproject.toml",
    "/api/v1/candidates/../../../etc/passwd",
    "/candidates/georgia.csv/../../../pyproject.toml",
    "//etc/passwd",
])
def test_raw_path_traversal_reaches_no_file(hostile_site, target):
    """Sent byte for byte over a socket: an HTTP client would normalise the dots away."""
    server, _ = hostile_site
    status, body = raw_get(server.url, target)
    assert status in (400, 404), (target, status)
    assert_no_file_content(body)


def raw_get(url: str, target: str) -> tuple[int, str]:
    host, port = urlsplit(url).hostname, urlsplit(url).port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nAccept: text/html\r\n"
                     "Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", "replace")


def test_oversized_chunked_body_is_413_on_a_real_server(hostile_site):
    """No Content-Length to go by: the limit must count the bytes as they come."""
    server, _ = hostile_site
    headers = {**server.token("chunky"), "Content-Type": "application/json"}

    def body():
        yield b'{"benchmark": "defence_spending_gdp", "value": 2, "as_of": "2024-01-01", ' \
              b'"source": "s", "note": "'
        for _ in range(5 * 16):
            yield b"x" * 65536
        yield b'"}'

    try:
        response = httpx.post(server.url + UPDATES, content=body(), headers=headers, timeout=30)
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        return  # the server cut the upload short: also refused
    assert_problem(response, 413)


def test_no_injected_script_runs_in_a_browser(browser, hostile_site):
    """Every page that shows planted text, opened with the Content-Security-Policy bypassed so
    that only escaping stands between the text and the page: no dialog opens and no payload
    sets `window.__xss`."""
    server, planted = hostile_site
    # /dataset.json and the CSV files are attachments: a browser saves them, never renders them.
    paths = [*planted.pages(), "/candidates/georgia.json", "/feed.atom",
             "/candidates/" + quote('<img src=x onerror="window.__xss=1">'),
             "/candidates/georgia/benchmarks/" + quote("<svg/onload=alert(1)>")]
    context = browser.new_context(bypass_csp=True, java_script_enabled=True)
    try:
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        ran = {}
        for path in paths:
            page.goto(server.url + path, wait_until="load")
            page.wait_for_timeout(150)  # onerror and onload handlers fire after load
            ran[path] = page.evaluate("typeof window.__xss")
        assert dialogs == []
        assert {p: v for p, v in ran.items() if v != "undefined"} == {}
    finally:
        context.close()
