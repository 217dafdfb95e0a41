"""create_app(): the FastAPI application with its routers, static files and error handlers, and
the state each app keeps for its process (the change feed, the update writer, the response
cache, the rate limits and stream slots), handed to routes by dependencies."""

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from app.api import api_router
from app.auth.deps import AuthState
from app.config import PROJECT_ROOT, get_settings
from app.db import get_sessionmaker, get_write_sessionmaker
from app.errors import install_error_handlers
from app.evaluation import today
from app.events.feed import ChangeFeed
from app.events.streams import stream_slots
from app.http.cache import ResponseCache, ResponseCacheMiddleware
from app.http.docs_page import router as docs_router
from app.http.health import router as health_router
from app.http.middleware import (
    ConditionalGetMiddleware,
    DeadlineMiddleware,
    HeadMiddleware,
    HostMiddleware,
    RequestContextMiddleware,
    SiteHeadersMiddleware,
)
from app.imports.api import UPLOAD_PATH, ImportSlots
from app.openapi import install_openapi
from app.progress.writer import UpdateWriter
from app.status_feed import sweep_daily
from app.web.downloads import router as downloads_router
from app.web.pages import router as pages_router
from app.web.share import router as share_router
from app.web.templating import compile_templates, render_error_page


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await app.state.change_feed.start()
    sweep = asyncio.create_task(sweep_daily(lambda: get_write_sessionmaker()()),
                                name="status-sweep")
    compile_templates()
    # What start-up built (modules, mappers, schemas, templates) lives as long as the process:
    # frozen, the garbage collector's full passes stop walking it. They took ~100 ms each,
    # about once a second under load, and set the p99 of every read.
    gc.collect()
    gc.freeze()
    yield
    sweep.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sweep
    await app.state.change_feed.stop()


def create_app(*, response_cache: bool | None = None) -> FastAPI:
    """`response_cache` overrides the setting (tests that roll back their writes turn it off:
    the change feed cannot see uncommitted data)."""
    app = FastAPI(
        lifespan=lifespan,
        title="Accession Tracker",
        version="0.1.0",
        summary="Aspirant states against tiered, measurable accession benchmarks.",
        docs_url=None,  # served by app.http.docs_page from local files
        redoc_url=None,
    )
    install_openapi(app)  # each operation's own errors, as problem+json; links to the site
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    app.include_router(api_router)
    app.include_router(health_router)
    app.include_router(docs_router)
    app.include_router(downloads_router)  # before pages: /candidates/{slug}.csv
    app.include_router(share_router)  # before pages: /candidates/{slug}/benchmarks/{key}.svg
    app.include_router(pages_router)
    install_error_handlers(app, render_error_page)
    settings = get_settings()
    # The process's state, one of each per app; dependencies hand it to routes and pages
    # (app.auth.deps, app.events.streams, app.progress.writer, app.imports.api).
    app.state.change_feed = ChangeFeed(lambda: get_sessionmaker()())
    app.state.update_writer = UpdateWriter(lambda: get_write_sessionmaker()(),
                                           lambda: get_sessionmaker()())
    app.state.auth = AuthState(settings)
    app.state.import_slots = ImportSlots()
    app.state.stream_slots = stream_slots(settings)
    app.state.response_cache = ResponseCache.from_settings(settings)
    # Inner to outer. The response cache sits outside all but the request id and CORS (whose
    # headers depend on the request), so a hit skips the deadline task and the header work:
    # it keeps the headers the inner layers added. API reads it does not serve (a token's own
    # view) get a body-hash ETag from ConditionalGet instead.
    app.add_middleware(ConditionalGetMiddleware)
    app.add_middleware(SiteHeadersMiddleware)
    app.add_middleware(DeadlineMiddleware, seconds=2 * settings.db_timeout_seconds,
                       body_seconds=settings.body_timeout_seconds, long_paths=(UPLOAD_PATH,))
    if settings.response_cache if response_cache is None else response_cache:
        app.add_middleware(ResponseCacheMiddleware, feed=app.state.change_feed,
                           routes=app.router.routes, cache=app.state.response_cache,
                           today=today)
    if settings.cors_origins:  # closed unless origins are named
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET"], allow_headers=["Authorization"])
    app.add_middleware(HostMiddleware, base_url=settings.site_url,
                       allowed_hosts=settings.accepted_hosts)
    app.add_middleware(HeadMiddleware)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes,
                       body_timeout_seconds=settings.body_timeout_seconds,
                       own_limit_paths=(UPLOAD_PATH,))
    return app


app = create_app()
