"""Log-in and log-out (CONTRACT §6: `GET /login` with `username` and `password`, `POST /logout`)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from review.errors import Forbidden, SanshenError
from review.sessions import close_session, open_session
from review.throttle import Throttled, throttled_log_in
from web.pages.base import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    FormFields,
    Visit,
    Visitor,
    check_csrf,
    login_csrf,
    redirect,
    render,
    safe_next,
)

router = APIRouter()
SESSION_HOURS = 12


def _login_page(
    current: Visit, next_url: str, *, username: str = "", status: int = 200, failure: SanshenError | None = None
) -> HTMLResponse:
    token = login_csrf(current.request)
    response = render(
        current,
        "login.html",
        {"next": next_url, "login_csrf": token, "username": username},
        status=status,
        error=failure,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict", secure=_secure(current.request)
    )
    return response


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/login", response_class=HTMLResponse)
def login_form(current: Visitor, next: str = "/") -> Response:
    if current.actor is not None:
        return redirect(safe_next(next))
    return _login_page(current, safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def submit_login(request: Request, current: Visitor, form: FormFields) -> Response:
    """Runs in the thread pool: checking the password (argon2) and opening the session would otherwise
    hold up every other request while they run."""
    next_url = safe_next(form.get("next"))
    username = form.get("username", "").strip()[:64]
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), form.get(CSRF_FIELD, "").encode()):
        expired = Forbidden("the log-in form's CSRF token is missing or wrong", code="csrf")
        return _login_page(current, next_url, username=username, status=403, failure=expired)
    address = request.client.host if request.client else "unknown"
    try:
        actor = throttled_log_in(
            current.database, username=username, password=form.get("password", "")[:1024], address=address
        )
    except Throttled as throttled:
        page = _login_page(current, next_url, username=username, status=429, failure=throttled)
        page.headers["Retry-After"] = str(throttled.retry_after)
        return page
    except SanshenError as refused:
        return _login_page(current, next_url, username=username, status=401, failure=refused)
    with current.database.write() as session:
        secret, _csrf = open_session(session, actor=actor, hours=SESSION_HOURS)
    response = redirect(next_url)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
async def log_out(request: Request, current: Visitor) -> Response:
    """End the session. Without one (it expired, or another tab logged out) there is nothing to end."""
    if current.actor is not None:
        await check_csrf(request, current)
        assert current.session_token is not None
        with current.database.write() as session:
            close_session(session, current.session_token)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
