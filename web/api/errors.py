"""One place maps the engine's refusals, bad requests and a busy database to HTTP answers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from review.errors import Conflict, Forbidden, Invalid, NotFound, SanshenError

STATUS: dict[type[SanshenError], int] = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422}
BUSY_MARKERS = ("database is locked", "lock timeout", "lock_timeout", "could not obtain lock", "deadlock detected")


def _refusal(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, SanshenError)
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
    body: dict[str, Any] = {"detail": error.message, "code": error.code}
    if error.rule:
        body["rule"] = error.rule
    return JSONResponse(body, status_code=status)


def _invalid_request(_request: Request, error: Exception) -> JSONResponse:
    """422 listing each problem with its place; the offending input is not echoed back."""
    assert isinstance(error, RequestValidationError)
    problems = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in error.errors()
    ]
    return JSONResponse({"detail": problems, "code": "invalid_request"}, status_code=422)


def _database_error(_request: Request, error: Exception) -> JSONResponse:
    """A write that could not get its lock in time is a busy server (503), not a broken one."""
    text = str(error).lower()
    if any(marker in text for marker in BUSY_MARKERS):
        return JSONResponse(
            {"detail": "the database is busy; try again in a moment", "code": "busy"},
            status_code=503,
            headers={"Retry-After": "1"},
        )
    raise error


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SanshenError, _refusal)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(OperationalError, _database_error)
