"""One place maps the engine's refusals, bad requests and a busy database to HTTP answers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from review.errors import Conflict, Forbidden, Invalid, NotFound, SanshenError

STATUS: dict[type[SanshenError], int] = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422}
BUSY_MARKERS = ("database is locked", "lock timeout", "lock_timeout", "could not obtain lock", "deadlock detected")
HTTP_CODES = {400: "unreadable_body", 401: "not_authenticated", 404: "not_found", 405: "method_not_allowed"}


class ApiError(HTTPException):
    """An HTTP refusal that is not the engine's (authentication, routing), with its stable code."""

    def __init__(self, status_code: int, detail: str, *, code: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status_code, detail=detail, headers=headers)
        self.code = code


def refusal(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, SanshenError)
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
    body: dict[str, Any] = {"detail": error.message, "code": error.code}
    if error.rule:
        body["rule"] = error.rule
    return JSONResponse(body, status_code=status)


def invalid_request(_request: Request, error: Exception) -> JSONResponse:
    """422 listing each problem with its place; the offending input is not echoed back."""
    assert isinstance(error, RequestValidationError)
    problems = [_problem(e) for e in error.errors()]
    return JSONResponse({"detail": problems, "code": "invalid_request"}, status_code=422)


def _problem(error: Any) -> dict[str, Any]:
    loc, kind, message = list(error.get("loc", ())), str(error.get("type", "")), str(error.get("msg", ""))
    if kind == "json_invalid":
        where = f" at character {loc[1]}" if len(loc) > 1 else ""
        message = f"the body is not valid JSON{where}: {error.get('ctx', {}).get('error', 'cannot be parsed')}"
        loc = ["body"]
    elif kind == "model_attributes_type" and loc == ["body"]:
        message = "send the body as a JSON object, with the header Content-Type: application/json"
    return {"loc": loc, "msg": message, "type": kind}


def http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = getattr(error, "code", None) or HTTP_CODES.get(error.status_code, "error")
    return JSONResponse(
        {"detail": error.detail, "code": code}, status_code=error.status_code, headers=getattr(error, "headers", None)
    )


def is_busy(error: Exception) -> bool:
    """A write that could not get its lock in time: a busy server (503), not a broken one."""
    text = str(error).lower()
    return any(marker in text for marker in BUSY_MARKERS)


def busy(_request: Request) -> JSONResponse:
    return JSONResponse(
        {"detail": "the database is busy; try again in a moment", "code": "busy"},
        status_code=503,
        headers={"Retry-After": "1"},
    )
