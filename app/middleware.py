"""Headers every response carries (security, language), set in one pure ASGI middleware so
the cost per request stays small."""

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import COOKIE, LANGUAGES, choose_language, current_language

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI styles its widgets inline; its page alone allows inline styles.
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
ONE_YEAR = 365 * 24 * 3600


class SiteHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        language = choose_language(request)
        remember = request.query_params.get("lang") in LANGUAGES
        path = scope["path"]
        token = current_language.set(language)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("content-security-policy",
                                   DOCS_CONTENT_SECURITY_POLICY if path == "/docs"
                                   else CONTENT_SECURITY_POLICY)
                if path.startswith("/static/"):
                    # Asset URLs carry a content hash (?v=), so they may be kept for a year.
                    cache = ("public, max-age=31536000, immutable" if request.query_params.get("v")
                             else "public, max-age=3600")
                    headers["cache-control"] = cache
                elif not path.startswith("/api/"):
                    headers.setdefault("content-language", language)
                    headers.add_vary_header("Accept-Language")
                    headers.add_vary_header("Cookie")
                if remember:
                    headers.append("set-cookie", f"{COOKIE}={language}; Path=/; "
                                   f"Max-Age={ONE_YEAR}; SameSite=Lax")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            current_language.reset(token)
