"""The ASGI application: `create_app()` is what `sanshen serve` runs in each worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from review.config import Settings, get_settings
from review.db import Database
from review.migrations import require_current
from web.api import api
from web.errors import install_error_handlers
from web.headers import SecurityHeaders
from web.limits import BodySizeLimit
from web.pages import pages

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = database or Database(settings.database_url, busy_timeout_ms=settings.busy_timeout_ms)
    require_current(database.engine, database.url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        database.dispose()

    app = FastAPI(
        title="Sanshen 三审",
        version="1",
        summary="三审三校: drafts through three reviews and three proofreads, each signed on the exact text.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
    install_error_handlers(app)
    app.include_router(api)
    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    return app
