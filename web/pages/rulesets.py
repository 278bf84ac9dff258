"""管理: the pre-check rulesets (预检规则集) in force, and importing an office's own word list.

The page calls the same engine command as `sanshen ruleset import` and `POST /api/v1/rulesets`, and
validates the form with the API's schema, so the three accept and refuse the same lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select
from starlette.datastructures import UploadFile

from review.errors import Invalid, SanshenError
from review.models import ImportedRuleset, User
from review.prechecks.current import rules_in_force
from review.prechecks.imports import import_word_list
from review.prechecks.rulesets import RulesetSpec
from review.users import require_admin
from web.api.schemas import RulesetImport
from web.pages.base import Page, Visit, check_csrf, form_of, redirect, refused, render

router = APIRouter(prefix="/admin")
FIELDS = ("name", "kind", "severity", "category", "source", "text")
VERSION = re.compile(r"[1-9][0-9]{0,8}")
BLANK_FORM = {"kind": "terms", "severity": "", "category": "词表"}


@dataclass(frozen=True)
class ShownRuleset:
    """A row of the table: a ruleset in force and, for an imported list, who imported it and when."""

    spec: RulesetSpec
    digest: str
    terms: int
    imported: bool
    by: User | None
    at: datetime | None


def _in_force(session: Session) -> tuple[str, list[ShownRuleset]]:
    """The fingerprint and rulesets every draft is checked against now: shipped files, then imports."""
    rules = rules_in_force(session)
    names = [spec.ruleset for spec in rules.rulesets]
    imports = {
        (name, version): (at, by)
        for name, version, at, by in session.exec(
            select(ImportedRuleset.name, ImportedRuleset.version, ImportedRuleset.imported_at, User)
            .join(User, col(ImportedRuleset.imported_by) == col(User.id), isouter=True)
            .where(col(ImportedRuleset.name).in_(names))
        )
    }
    shown = []
    for spec in rules.rulesets:
        at, by = imports.get((spec.ruleset, spec.version), (None, None))
        terms = sum(len(rule.terms) + len(rule.names) for rule in spec.rules)
        imported = (spec.ruleset, spec.version) in imports
        shown.append(ShownRuleset(spec, spec.digest(), terms, imported, by, at))
    return rules.fingerprint, shown


def _imported_notice(session: Session, request: Request) -> dict[str, Any] | None:
    """After an import (`?done=imported&ruleset=…&version=…`): what was imported, read back from the
    database, so that an address cannot make the page announce an import that did not happen."""
    query = request.query_params
    name, version = query.get("ruleset", ""), query.get("version", "")
    if query.get("done") != "imported" or len(name) > 32 or not VERSION.fullmatch(version):
        return None
    terms = session.exec(
        select(ImportedRuleset.terms).where(
            col(ImportedRuleset.name) == name, col(ImportedRuleset.version) == int(version)
        )
    ).first()
    return None if terms is None else {"name": name, "version": int(version), "terms": terms}


def _page(current: Visit, form: dict[str, str], error: SanshenError | None = None) -> HTMLResponse:
    with current.database.read() as session:
        require_admin(session, current.user)
        fingerprint, shown = _in_force(session)
        imported = _imported_notice(session, current.request)
    context = {"fingerprint": fingerprint, "rulesets": shown, "form": form, "imported": imported}
    if error is not None:
        return refused(current, "admin/rulesets.html", context, error)
    return render(current, "admin/rulesets.html", context)


async def _list_posted(request: Request, current: Page) -> Visit:
    """A word-list form post: its parts may be as large as the body limit allows (Starlette's own
    limit for a field is 1 MiB, a quarter of the largest list), and it carries the CSRF token."""
    await request.form(max_part_size=current.settings.max_body_bytes)
    await check_csrf(request, current)
    return current


ListPosted = Annotated[Visit, Depends(_list_posted)]


async def _list_text(pasted: str, upload: UploadFile | str | None) -> str:
    """The list, pasted or uploaded (one of the two), as text. A browser sends an empty file part,
    without a name, when no file was chosen."""
    if isinstance(upload, UploadFile) and (upload.filename or upload.size):
        if pasted.strip():
            raise Invalid("paste the list or upload a file, not both", code="word_list_twice")
        try:
            return (await upload.read()).decode("utf-8")
        except UnicodeDecodeError as error:
            raise Invalid(
                f"the file is not UTF-8 text (byte {error.start} is not valid UTF-8)", code="word_list_not_utf8"
            ) from None
    if not pasted.strip():
        raise Invalid("paste the list or choose a file", code="word_list_missing")
    return pasted


def _import_request(fields: dict[str, str], text: str) -> RulesetImport:
    """The form as the API's request body, so that the page refuses what the API refuses."""
    try:
        return RulesetImport.model_validate(fields | {"text": text, "severity": fields["severity"] or None})
    except ValidationError as error:
        if any(item["loc"][:1] == ("name",) for item in error.errors()):
            raise Invalid(f"{fields['name']!r} is not a ruleset name", code="invalid_ruleset_name") from None
        problems = "; ".join(f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors())
        raise Invalid(f"the form cannot be imported: {problems}", code="word_list_invalid") from None


def _on_this_form(error: SanshenError) -> SanshenError:
    """The engine names every problem of a list `ruleset_invalid` (a code whose headline speaks of the
    server's own ruleset files) or `invalid_text`; here it is the list, and its message says which line."""
    if isinstance(error, Invalid) and error.code in ("ruleset_invalid", "invalid_text"):
        return Invalid(error.message, code="word_list_invalid")
    return error


@router.get("/rulesets", response_class=HTMLResponse)
def rulesets(current: Page) -> HTMLResponse:
    return _page(current, BLANK_FORM)


@router.post("/rulesets", response_class=HTMLResponse)
async def import_list(request: Request, current: ListPosted) -> Response:
    given = await form_of(request)
    fields = {name: given.get(name, "") for name in FIELDS}
    try:
        text = await _list_text(fields["text"], (await request.form()).get("file"))
        body = _import_request(fields, text)
        with current.database.write() as session:
            row = import_word_list(session, actor=current.user, **body.model_dump())
    except SanshenError as error:
        return _page(current, fields, _on_this_form(error))
    return redirect("/admin/rulesets?" + urlencode({"done": "imported", "ruleset": row.name, "version": row.version}))
