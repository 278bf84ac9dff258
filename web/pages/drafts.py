"""The draft pages: write, edit, submit, decide, publish, retract, and the draft's trail (CONTRACT §6).

Each form handler calls one engine command in one transaction, as the API does. A refusal re-renders
the page the form was on, with the reason and a 4xx status; the form keeps what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select

from review.abilities import abilities
from review.actors import Actor
from review.decisions import decide
from review.diffs import diff_since_last_signature
from review.drafts import create_draft, require_author, revise_draft, submit_draft
from review.enums import Role
from review.errors import Conflict, Invalid, NotFound, SanshenError
from review.hehong import previous_round_diff
from review.models import Channel, Draft
from review.prechecks.records import may_override, override_findings, precheck_view
from review.publishing import publish, retract
from review.views import draft_trail, draft_view, earlier_cycles, list_drafts
from review.workflows.registry import compiled
from web.pages.base import FormFields, Page, Posted, Visit, redirect, refused, render, wants_fragment

router = APIRouter()
DraftId = Annotated[int, Path(ge=1, le=2_000_000_000)]
ACTIONS = ("submit", "decision", "publish", "retract", "overrides")
NOTICES = {"created", "saved", "submitted", "decided", "published", "retracted", "unchanged", "overridden"}
STATE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")
LIST_LIMIT = 50
SHOWN_FINDINGS = 300
"""Every blocking finding is shown; warnings up to this many in all (the API and `sanshen findings` list
every one): a text with thousands of hits stays a page a browser can open."""


def channels(session: Session) -> list[Channel]:
    return list(session.exec(select(Channel).where(col(Channel.active)).order_by(col(Channel.key))))


def _draft_row(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFound(f"draft {draft_id} does not exist", code="draft_not_found")
    return draft


@dataclass(frozen=True)
class Segment:
    """A run of text with the findings that cover it (none for plain text), for marking them on the page."""

    text: str
    severity: str | None
    rules: str


def marked(text: str, offset: int, findings: list[dict[str, Any]]) -> list[Segment]:
    """`text` (which starts at `offset` of the checked text) cut where findings start and end."""
    covering: list[list[dict[str, Any]]] = [[] for _ in text]
    for finding in findings:
        for index in range(max(finding["start"] - offset, 0), min(finding["end"] - offset, len(text))):
            covering[index].append(finding)
    segments: list[Segment] = []
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or covering[index] != covering[start]:
            found = covering[start]
            severity = None
            if found:
                severity = "block" if any(f["severity"] == "block" and not f["override"] for f in found) else "warn"
            rules = " · ".join(f"{f['rule']}: {f['suggestion']}".strip(": ") for f in found)
            segments.append(Segment(text[start:index], severity, rules))
            start = index
    return segments


def draft_context(session: Session, actor: Actor, draft_id: int) -> dict[str, Any]:
    view = draft_view(session, actor, draft_id)
    draft = _draft_row(session, draft_id)
    checked = precheck_view(session, draft)
    blocking = [f for f in checked.findings if f["severity"] == "block"]
    warnings = [f for f in checked.findings if f["severity"] != "block"]
    shown = sorted(blocking + warnings[: max(SHOWN_FINDINGS - len(blocking), 0)], key=lambda f: f["start"])
    return {
        "draft": view,
        "can": abilities(session, actor, draft),
        "diff": diff_since_last_signature(session, draft),
        "earlier": earlier_cycles(session, actor, draft_id),
        "channels": {c.key: c for c in channels(session)},
        "is_author": actor.id == draft.author_id,
        "hehong": previous_round_diff(session, draft, compiled(session, draft.workflow_version_id)),
        "precheck": checked,
        "may_override": checked.open_blocking > 0 and may_override(session, actor, draft),
        "findings": shown,
        "hidden_findings": len(checked.findings) - len(shown),
        "marked_title": marked(draft.title, 0, shown),
        "marked_body": marked(draft.body, len(draft.title) + 1, shown),
    }


def show_draft(
    current: Visit, draft_id: int, *, error: SanshenError | None = None, form: dict[str, str] | None = None
) -> HTMLResponse:
    with current.database.read() as session:
        context = draft_context(session, current.user, draft_id)
    notice = current.request.query_params.get("done")
    context |= {
        "form": form or {},
        "notice": notice if notice in NOTICES else None,
        "diff_layout": "side" if current.request.query_params.get("diff") == "side" else "inline",
    }
    if error is not None:
        return refused(current, "drafts/show.html", context, error, page_url=f"/drafts/{draft_id}")
    partial = wants_fragment(current.request, "diff") and context["diff"] is not None
    return render(current, "drafts/_diff.html" if partial else "drafts/show.html", context)


@router.get("/drafts", response_class=HTMLResponse)
def drafts_list(
    current: Page,
    state: Annotated[str | None, Query(max_length=32)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    go: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    """My drafts (an author), or every draft (everyone else), newest change first, a page at a time."""
    if go and go.strip().isdigit():
        return redirect(f"/drafts/{int(go)}")
    known = state if state and STATE_PATTERN.fullmatch(state) else None
    with current.database.read() as session:
        total, items = list_drafts(session, current.user, state=known, limit=LIST_LIMIT, offset=(page - 1) * LIST_LIMIT)
        by_key = {c.key: c for c in channels(session)}
    mine = not current.has(*(set(Role) - {Role.AUTHOR}))
    return render(
        current,
        "drafts/list.html",
        {
            "items": items,
            "total": total,
            "mine": mine,
            "channels": by_key,
            "state": known,
            "page": page,
            "pages": max(1, -(-total // LIST_LIMIT)),
        },
    )


@router.get("/drafts/new", response_class=HTMLResponse)
def new_draft_form(current: Page) -> HTMLResponse:
    require_author(current.user)
    with current.database.read() as session:
        options = channels(session)
    return render(current, "drafts/new.html", {"channels": options, "form": {}})


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.replace("，", ",").split(",") if tag.strip()]


@router.post("/drafts/new", response_class=HTMLResponse)
def create(current: Posted, form: FormFields) -> Response:
    try:
        with current.database.write() as session:
            draft = create_draft(
                session,
                actor=current.user,
                title=form.get("title", ""),
                body=form.get("body", ""),
                channel=form.get("channel", ""),
                tags=_tags(form.get("tags", "")),
                importance=form.get("importance") or "normal",
            )
            draft_id = draft.id
    except SanshenError as error:
        with current.database.read() as session:
            options = channels(session)
        return refused(current, "drafts/new.html", {"channels": options, "form": form}, error)
    return redirect(f"/drafts/{draft_id}?done=created")


@router.get("/drafts/{draft_id}", response_class=HTMLResponse)
def show(draft_id: DraftId, current: Page) -> HTMLResponse:
    return show_draft(current, draft_id)


def _edit_context(session: Session, actor: Actor, draft_id: int, form: dict[str, str]) -> dict[str, Any]:
    view = draft_view(session, actor, draft_id)
    can = abilities(session, actor, _draft_row(session, draft_id))
    values = {"title": view.title, "body": view.body, "tags": ", ".join(view.tags), "revision": str(view.revision)}
    return {"draft": view, "can": can, "form": values | form, "newer": False}


@router.get("/drafts/{draft_id}/edit", response_class=HTMLResponse)
def edit_form(draft_id: DraftId, current: Page) -> HTMLResponse:
    with current.database.read() as session:
        context = _edit_context(session, current.user, draft_id, {})
    if not context["can"].edit:
        error = Conflict("this draft cannot be edited by you in its present state", code="not_editable")
        return show_draft(current, draft_id, error=error)
    return render(current, "drafts/edit.html", context)


@router.post("/drafts/{draft_id}/edit", response_class=HTMLResponse)
def save(draft_id: DraftId, current: Posted, form: FormFields) -> Response:
    try:
        expected = int(form.get("revision", ""))
    except ValueError:
        expected = 0
    try:
        with current.database.write() as session:
            before = _draft_row(session, draft_id).revision
            draft = revise_draft(
                session,
                actor=current.user,
                draft_id=draft_id,
                title=form.get("title", ""),
                body=form.get("body", ""),
                tags=_tags(form["tags"]) if "tags" in form else None,
                expected_revision=expected,
                errors=form_errors(form),
            )
            changed = draft.revision != before
    except SanshenError as error:
        with current.database.read() as session:
            context = _edit_context(session, current.user, draft_id, form)
        if error.code == "stale_revision":
            # Show the text saved meanwhile beside what was typed; saving again now replaces it knowingly.
            context["newer"] = True
            context["form"]["revision"] = str(context["draft"].revision)
        return refused(current, "drafts/edit.html", context, error)
    return redirect(f"/drafts/{draft_id}?done={'saved' if changed else 'unchanged'}")


def form_errors(form: dict[str, str]) -> dict[str, Any] | None:
    """A correction's error counts from its `errors_<category>` fields; None when all are empty."""
    given = {k.removeprefix("errors_"): v.strip() for k, v in form.items() if k.startswith("errors_") and v.strip()}
    if not given:
        return None
    for key, value in given.items():
        if not re.fullmatch(r"[0-9]{1,5}", value):
            raise Invalid(f"the count of {key[:40]!r} errors must be a whole number from 0", code="invalid_errors")
    return {key: int(value) for key, value in given.items()}


def form_revision(form: dict[str, str]) -> int:
    """The revision a form was made on; without it the form is stale or forged."""
    try:
        return int(form.get("revision", ""))
    except ValueError:
        raise Invalid("the form lacks the revision it was made on; reload the page", code="invalid_form") from None


def _act(
    current: Visit, draft_id: int, notice: str, command: Callable[[Session], object], form: dict[str, str] | None = None
) -> Response:
    """Run one engine command in one transaction; on refusal show the draft with the reason and the form."""
    try:
        with current.database.write() as session:
            command(session)
    except SanshenError as error:
        return show_draft(current, draft_id, error=error, form=form)
    return redirect(f"/drafts/{draft_id}?done={notice}")


@router.post("/drafts/{draft_id}/submit", response_class=HTMLResponse)
def submit(draft_id: DraftId, current: Posted) -> Response:
    return _act(current, draft_id, "submitted", lambda s: submit_draft(s, actor=current.user, draft_id=draft_id))


@router.post("/drafts/{draft_id}/decision", response_class=HTMLResponse)
def decision(draft_id: DraftId, current: Posted, form: FormFields) -> Response:
    # A ticked box sends "on"; the engine refuses keys the workflow does not know.
    checklist = {k.removeprefix("check_"): True for k, v in form.items() if k.startswith("check_") and v == "on"}

    def sign(session: Session) -> object:
        return decide(
            session,
            actor=current.user,
            draft_id=draft_id,
            step=form.get("step", ""),
            decision=form.get("decision", ""),
            revision=form_revision(form),
            comment=form.get("comment", ""),
            checklist=checklist,
        )

    return _act(current, draft_id, "decided", sign, form)


@router.post("/drafts/{draft_id}/publish", response_class=HTMLResponse)
def release(draft_id: DraftId, current: Posted, form: FormFields) -> Response:
    channel = form.get("channel") or None
    return _act(
        current,
        draft_id,
        "published",
        lambda s: publish(s, actor=current.user, draft_id=draft_id, channel=channel),
        form,
    )


@router.post("/drafts/{draft_id}/retract", response_class=HTMLResponse)
def withdraw(draft_id: DraftId, current: Posted, form: FormFields) -> Response:
    reason = form.get("reason", "")
    return _act(
        current, draft_id, "retracted", lambda s: retract(s, actor=current.user, draft_id=draft_id, reason=reason), form
    )


@router.post("/drafts/{draft_id}/overrides", response_class=HTMLResponse)
def overrides(draft_id: DraftId, current: Posted, form: FormFields) -> Response:
    keys = [key.removeprefix("override:") for key, value in form.items() if key.startswith("override:") and value]

    def let_stand(session: Session) -> object:
        return override_findings(
            session,
            actor=current.user,
            draft_id=draft_id,
            revision=form_revision(form),
            keys=keys,
            reason=form.get("reason", ""),
        )

    return _act(current, draft_id, "overridden", let_stand, form)


@router.get("/drafts/{draft_id}/trail", response_class=HTMLResponse)
def trail(draft_id: DraftId, current: Page) -> HTMLResponse:
    with current.database.read() as session:
        events = draft_trail(session, current.user, draft_id)
        view = draft_view(session, current.user, draft_id)
        by_key = {c.key: c for c in channels(session)}
    return render(current, "drafts/trail.html", {"draft": view, "events": events, "channels": by_key})


@router.get("/drafts/{draft_id}/{action}", response_class=HTMLResponse)
def action_page(draft_id: DraftId, action: str, current: Page) -> Response:
    """A form's address opened directly (a reload after a refusal, a bookmark): show the draft."""
    if action not in ACTIONS:
        raise NotFound(f"there is no page {action[:40]!r} of a draft", code="not_found")
    query = current.request.url.query
    return redirect(f"/drafts/{draft_id}{'?' + query if query else ''}")
