"""What every page shares: who is visiting, in which language, the CSRF check, and rendering.

A browser session is a random token in an HttpOnly, SameSite=Lax cookie; the server keeps only its
SHA-256 (`review.sessions`), so log-out, a password reset or a deactivation ends it at once. Every
form that changes something carries the session's CSRF token (synchronizer pattern), checked before
the handler runs; the log-in form, which has no session yet, uses a double-submit cookie instead.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from review.actors import Actor
from review.config import Settings
from review.db import Database
from review.enums import CHECK_LABELS, ROLE_LABELS, Role
from review.errorrate import ERROR_CATEGORIES, MEDIA
from review.errors import Conflict, Forbidden, Invalid, NotFound, SanshenError
from review.sessions import find_session
from review.trail import iso_utc
from review.workflows.registry import all_compiled
from web import i18n
from web.api.deps import get_database, get_settings
from web.messages import refusal_message

SESSION_COOKIE = "sanshen_session"
LOGIN_CSRF_COOKIE = "sanshen_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOGIN_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
STATUS: dict[type[SanshenError], int] = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422}
ROLE_VALUES = frozenset(role.value for role in Role)
TEMPLATES = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(Path(__file__).parent.parent / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
)
TEMPLATES.env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
TEMPLATES.env.policies["ext.i18n.trimmed"] = True


class LoginRequired(Exception):
    """A page that needs a signed-in user was asked for without one: send them to /login."""


class CsrfRefused(Exception):
    """A form arrived without this session's CSRF token: refused, nothing done."""


@dataclass
class Visit:
    """One page request: its language and, once signed in, who is acting."""

    request: Request
    settings: Settings
    database: Database
    language: i18n.Language
    actor: Actor | None = None
    csrf: str | None = None
    session_token: str | None = None
    cookies: dict[str, str] = field(default_factory=dict)
    """Cookies to set on the response (the language a `?lang=` chose)."""

    @property
    def user(self) -> Actor:
        if self.actor is None:
            raise LoginRequired
        return self.actor

    def has(self, *roles: Role) -> bool:
        return self.actor is not None and bool(self.actor.roles & set(roles))


def visit(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    database: Annotated[Database, Depends(get_database)],
) -> Visit:
    chosen = request.query_params.get("lang")
    code = i18n.negotiate(chosen, request.cookies.get(i18n.LANG_COOKIE), request.headers.get("accept-language"))
    language = i18n.Language(code, i18n.zone(request.cookies.get(i18n.TZ_COOKIE), settings.timezone))
    current = Visit(request, settings, database, language)
    if i18n.language_from_tag(chosen):
        current.cookies[i18n.LANG_COOKIE] = code
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with database.read() as session:
            found = find_session(session, token)
        if found is not None:
            current.actor, current.csrf, current.session_token = found.actor, found.csrf_token, token
    return current


def signed_in(current: Annotated[Visit, Depends(visit)]) -> Visit:
    if current.actor is None:
        raise LoginRequired
    return current


async def form_of(request: Request) -> dict[str, str]:
    """The submitted form's single-valued fields (checkboxes arrive as their value, 'on')."""
    form = await request.form()
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


FormFields = Annotated[dict[str, str], Depends(form_of)]
"""A posted form's fields, read before the handler runs: handlers that use the database are plain
functions, run in the thread pool, so a transaction never blocks the event loop."""


async def check_csrf(request: Request, current: Visit) -> None:
    """Refuse unless the post carries this session's CSRF token (form field, or header for htmx)."""
    given = (await form_of(request)).get(CSRF_FIELD) or request.headers.get(CSRF_HEADER, "")
    if not current.csrf or not hmac.compare_digest(given.encode(), current.csrf.encode()):
        raise CsrfRefused


async def posted(request: Request, current: Annotated[Visit, Depends(signed_in)]) -> Visit:
    """A signed-in form post carrying this session's CSRF token."""
    await check_csrf(request, current)
    return current


Page = Annotated[Visit, Depends(signed_in)]
Posted = Annotated[Visit, Depends(posted)]
Visitor = Annotated[Visit, Depends(visit)]


def login_csrf(request: Request) -> str:
    """The log-in form's double-submit token: the one this browser already holds, so that two tabs
    showing the log-in form both work, or a new one."""
    held = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return held if LOGIN_TOKEN.fullmatch(held) else secrets.token_urlsafe(24)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never `//elsewhere` or `https://elsewhere` (open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return "/" if parts.path == "/logout" else target


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/login?next={quote(target, safe='')}"
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def redirect(url: str) -> RedirectResponse:
    """After a form did its work: 303 See Other, so a reload does not post it again."""
    return RedirectResponse(url, status_code=303)


def _labels(current: Visit) -> dict[str, Any]:
    pick = current.language.pick
    separator = "、" if current.language.code == "zh-CN" else ", "

    def attested(checklist: dict[str, bool]) -> str:
        """The checks ticked in a sign-off, named, in the order of 六关."""
        keys = [k for k in CHECK_LABELS if checklist.get(k)] + sorted(
            k for k, v in checklist.items() if v and k not in CHECK_LABELS
        )
        return separator.join(pick(*CHECK_LABELS.get(k, (k, k))) for k in keys)

    def role_label(role: str) -> str:
        return pick(*ROLE_LABELS[Role(role)]) if role in ROLE_VALUES else role

    def error_counts(counts: dict[str, int]) -> str:
        """A correction's or a round's errors by category, named, in the categories' order."""
        return separator.join(f"{pick(*ERROR_CATEGORIES[k])} {counts[k]}" for k in ERROR_CATEGORIES if counts.get(k))

    return {
        "role_label": role_label,
        "role_list": lambda roles: separator.join(role_label(r) for r in roles),
        "attested": attested,
        "error_counts": error_counts,
        "error_categories": ERROR_CATEGORIES,
        "medium_labels": {medium.value: rules.label for medium, rules in MEDIA.items()},
        "number": lambda value: f"{value:g}",
    }


def _language_switch(request: Request, code: str) -> str:
    """A relative link (`?…`) to this page in the other language, keeping its other parameters."""
    other = "en" if code == "zh-CN" else "zh-CN"
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang", "done")]
    return "?" + urlencode([*kept, ("lang", other)])


def step_labels(database: Database) -> dict[str, tuple[str, str]]:
    """Every workflow step's (zh, en) label by id, to name a draft's state where a list shows it."""
    with database.read() as session:
        return {step.id: (step.label.zh, step.label.en) for wf in all_compiled(session) for step in wf.spec.steps}


def render(
    current: Visit,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    error: SanshenError | None = None,
) -> HTMLResponse:
    """Render a page (or, for an htmx request that is not a navigation, the fragment it names)."""
    request = current.request
    with i18n.speaking(current.language):
        values = {
            "visit": current,
            "user": current.actor,
            "csrf_token": current.csrf,
            "lang": current.language.code,
            "when": current.language.when,
            "waited": current.language.waited,
            "pick": current.language.pick,
            "utc": iso_utc,
            "step_labels": step_labels(current.database) if current.actor else {},
            "error": refusal_message(error) if error else None,
            "error_code": error.code if error else None,
            "refusal_of": refusal_message,
            "language_switch": _language_switch(request, current.language.code),
            **_labels(current),
            **(context or {}),
        }
        response = TEMPLATES.TemplateResponse(request, template, values, status_code=status)
    for name, value in current.cookies.items():
        response.set_cookie(name, value, max_age=365 * 24 * 3600, httponly=True, samesite="lax", path="/")
    response.headers["Vary"] = "HX-Request, Cookie, Accept-Language"
    if current.actor is not None:
        response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = current.language.code
    return response


def refused(
    current: Visit, template: str, context: dict[str, Any], error: SanshenError, *, page_url: str | None = None
) -> HTMLResponse:
    """The page again, with the reason shown and a 4xx status; nothing was changed.

    `page_url` is the page's own address when the form posted elsewhere (`…/decision`): htmx then
    shows that address, so a reload shows the page rather than asking to post again.
    """
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
    response = render(current, template, context, status=status, error=error)
    if page_url is not None:
        response.headers["HX-Replace-Url"] = page_url
    return response


def wants_fragment(request: Request, part: str) -> bool:
    """An htmx request for one part of a page (`?part=…`) — not a boosted navigation or a history
    restore, which get the whole page (htmx sends HX-Request with those too)."""
    headers = request.headers
    return (
        request.query_params.get("part") == part
        and headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )
