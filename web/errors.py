"""One place maps every refusal and error to an answer: JSON under /api/v1, an HTML page elsewhere."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from review.errors import SanshenError
from web.api import errors as api
from web.pages import errors as pages
from web.pages.base import CsrfRefused, LoginRequired

Handler = Callable[[Request, Exception], Response]


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _refusal(request: Request, error: Exception) -> Response:
    assert isinstance(error, SanshenError)
    return api.refusal(request, error) if _is_api(request) else pages.page_refusal(request, error)


def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return api.http_error(request, error) if _is_api(request) else pages.page_http_error(request, error)


def _invalid_request(request: Request, error: Exception) -> Response:
    """On a page, a malformed address (`/drafts/abc`) is a page that does not exist."""
    if _is_api(request):
        return api.invalid_request(request, error)
    return pages.page_http_error(request, HTTPException(404))


def _database_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, OperationalError)
    if not api.is_busy(error):
        raise error
    return api.busy(request) if _is_api(request) else pages.page_busy(request)


def _login_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, LoginRequired)
    return pages.page_login_required(request, error)


def _csrf_refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, CsrfRefused)
    return pages.page_csrf_refused(request, error)


def install_error_handlers(app: FastAPI) -> None:
    handlers: dict[type[Exception], Handler] = {
        SanshenError: _refusal,
        HTTPException: _http_error,
        RequestValidationError: _invalid_request,
        OperationalError: _database_error,
        LoginRequired: _login_required,
        CsrfRefused: _csrf_refused,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
