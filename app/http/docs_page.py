"""`/docs`: Swagger UI served from static/vendor, so the page makes no external request, under a
header that leads back to the site and to the lists of valid keys."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Accession Tracker API</title>
  <link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
</head>
<body>
  <header>
    <nav aria-label="Site">
      <a href="/">&larr; Accession Tracker</a> &middot;
      keys: <a href="/api/v1/indicators">indicators</a>,
      <a href="/api/v1/benchmarks">benchmarks</a>,
      <a href="/api/v1/candidates">candidates</a>
    </nav>
  </header>
  <div id="swagger-ui"></div>
  <script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
  <script src="/static/js/swagger-init.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def api_docs_page() -> HTMLResponse:
    return HTMLResponse(DOCS_HTML)
