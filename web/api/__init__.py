"""The JSON API, /api/v1 (CONTRACT §4)."""

from __future__ import annotations

from fastapi import APIRouter

from web.api import audit, auth, drafts, meta, prechecks
from web.api.schemas import COMMON_ERRORS

api = APIRouter(prefix="/api/v1", responses=COMMON_ERRORS)
for module in (auth, drafts, audit, meta, prechecks):
    api.include_router(module.router)
