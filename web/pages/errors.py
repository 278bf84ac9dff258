"""Refusals and errors on pages: an HTML page in the reader's language, with the right status."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from review.config import Settings
from review.db import Database
from review.errors import SanshenError
from web.i18n import N_, gettext, speaking
from web.pages.base import STATUS, CsrfRefused, LoginRequired, Visit, login_redirect, render, visit

TITLES = {
    400: N_("The request could not be read"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not found"),
    409: N_("Refused"),
    422: N_("Refused"),
    503: N_("Busy"),
}
MESSAGES = {
    404: N_("There is no such page."),
    405: N_("There is no such page."),
    400: N_("The request could not be read."),
    503: N_("The server is busy; try again in a moment."),
}


def _visit(request: Request) -> Visit:
    settings: Settings = request.app.state.settings
    database: Database = request.app.state.database
    return visit(request, settings, database)


def _page(request: Request, status: int, error: SanshenError | None = None) -> HTMLResponse:
    current = _visit(request)
    with speaking(current.language):
        title = gettext(TITLES.get(status, TITLES[409]))
        message = gettext(MESSAGES.get(status, MESSAGES[400]))
    return render(current, "error.html", {"title": title, "message": message}, status=status, error=error)


def page_refusal(request: Request, error: SanshenError) -> Response:
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
    return _page(request, status, error)


def page_http_error(request: Request, error: HTTPException) -> Response:
    return _page(request, error.status_code if error.status_code in TITLES else 400)


def page_login_required(request: Request, _error: LoginRequired) -> Response:
    return login_redirect(request)


def page_csrf_refused(request: Request, _error: CsrfRefused) -> Response:
    return _page(request, 403, SanshenError("the form's CSRF token is missing or wrong", code="csrf"))


def page_busy(request: Request) -> Response:
    return _page(request, 503, SanshenError("the database is busy", code="busy"))
