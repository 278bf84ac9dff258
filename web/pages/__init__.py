"""The web pages (CONTRACT §6): server-rendered, zh-CN first, each form working without JavaScript."""

from fastapi import APIRouter

from web.pages import admin, audit, auth, desk, drafts, rulesets

pages = APIRouter(include_in_schema=False)
for section in (auth, desk, drafts, audit, admin, rulesets):
    pages.include_router(section.router)
