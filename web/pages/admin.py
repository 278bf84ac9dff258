"""管理: users — add, deactivate, roles, qualifications, password reset. Every change is an event."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from review.enums import Role
from review.errors import Invalid, SanshenError
from review.users import (
    account_history,
    add_user,
    deactivate_user,
    get_user,
    list_users,
    load_actor,
    reactivate_user,
    reset_password,
    set_qualifications,
    set_roles,
)
from review.workflows.registry import workflow_qualifications
from web.pages.base import Page, Posted, Visit, redirect, refused, render

router = APIRouter(prefix="/admin")
Username = Annotated[str, Path(max_length=64)]
NOTICES = {"added", "roles", "qualifications", "password", "deactivated", "reactivated"}


def _qualifications(text: str) -> list[str]:
    return [q.strip() for q in text.replace("，", ",").split(",") if q.strip()]


def _users_page(current: Visit, form: dict[str, Any], error: SanshenError | None = None) -> HTMLResponse:
    with current.database.read() as session:
        users = list_users(session, current.user)
        known = workflow_qualifications(session)
    context = {"users": users, "roles": list(Role), "form": form, "known_qualifications": known}
    if error is not None:
        return refused(current, "admin/users.html", context, error)
    notice = current.request.query_params.get("done")
    return render(current, "admin/users.html", context | {"notice": notice if notice in NOTICES else None})


def _user_page(current: Visit, username: str, error: SanshenError | None = None) -> HTMLResponse:
    with current.database.read() as session:
        history = account_history(session, current.user, username)
        user = get_user(session, username)
        held = load_actor(session, user)
        known = workflow_qualifications(session)
    records = [(event, json.loads(event.payload)) for event in history]
    context = {"person": user, "held": held, "roles": list(Role), "history": records, "known_qualifications": known}
    if error is not None:
        return refused(current, "admin/user.html", context, error, page_url=f"/admin/users/{username}")
    notice = current.request.query_params.get("done")
    return render(current, "admin/user.html", context | {"notice": notice if notice in NOTICES else None})


async def _form(request: Request) -> FormData:
    return await request.form()


PostedForm = Annotated[FormData, Depends(_form)]
"""The form, read before the handler, which then runs in the thread pool (web.pages.base.FormFields)."""


@router.get("/users", response_class=HTMLResponse)
def users(current: Page) -> HTMLResponse:
    return _users_page(current, {"roles": []})


@router.post("/users", response_class=HTMLResponse)
def add(current: Posted, form: PostedForm) -> Response:
    username, full_name = str(form.get("username", "")), str(form.get("full_name", ""))
    qualified, roles = str(form.get("qualifications", "")), [str(r) for r in form.getlist("roles")]
    fields = {"username": username, "full_name": full_name, "qualifications": qualified, "roles": roles}
    try:
        with current.database.write() as session:
            add_user(
                session,
                username=username,
                full_name=full_name,
                roles=roles,
                password=str(form.get("password", "")),
                qualifications=_qualifications(qualified),
                actor=current.user,
            )
    except SanshenError as error:
        return _users_page(current, fields, error)
    return redirect("/admin/users?done=added")


@router.get("/users/{username}", response_class=HTMLResponse)
def person(username: Username, current: Page) -> HTMLResponse:
    return _user_page(current, username)


def _change(current: Visit, username: str, notice: str, command: Callable[[Session], object]) -> Response:
    """Run one change to an account in one transaction; on refusal show the user's page with the reason."""
    try:
        with current.database.write() as session:
            command(session)
    except SanshenError as error:
        return _user_page(current, username, error)
    return redirect(f"/admin/users/{username}?done={notice}")


@router.post("/users/{username}/roles", response_class=HTMLResponse)
def roles(username: Username, current: Posted, form: PostedForm) -> Response:
    chosen = [str(r) for r in form.getlist("roles")]
    return _change(
        current, username, "roles", lambda s: set_roles(s, username=username, roles=chosen, actor=current.user)
    )


@router.post("/users/{username}/qualifications", response_class=HTMLResponse)
def qualifications(username: Username, current: Posted, form: PostedForm) -> Response:
    given = _qualifications(str(form.get("qualifications", "")))
    return _change(
        current,
        username,
        "qualifications",
        lambda s: set_qualifications(s, username=username, qualifications=given, actor=current.user),
    )


@router.post("/users/{username}/password", response_class=HTMLResponse)
def password(username: Username, current: Posted, form: PostedForm) -> Response:
    new, again = str(form.get("password", "")), str(form.get("password_again", ""))

    def reset(session: Session) -> object:
        if new != again:
            raise Invalid("the two passwords differ", code="passwords_differ")
        return reset_password(session, username=username, password=new, actor=current.user)

    return _change(current, username, "password", reset)


@router.post("/users/{username}/reactivate", response_class=HTMLResponse)
def reactivate(username: Username, current: Posted) -> Response:
    return _change(
        current, username, "reactivated", lambda s: reactivate_user(s, username=username, actor=current.user)
    )


@router.post("/users/{username}/deactivate", response_class=HTMLResponse)
def deactivate(username: Username, current: Posted) -> Response:
    return _change(
        current, username, "deactivated", lambda s: deactivate_user(s, username=username, actor=current.user)
    )
