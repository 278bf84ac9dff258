"""The auditor's page: verify the record, download signed exports and 审批单 sheets."""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse, HTMLResponse, Response

from review.audit import ExportFormat, require_auditor
from review.checkpoints import FOLDER, read_checkpoint, saved_checkpoints, take_checkpoint
from review.errors import Invalid, NotFound, SanshenError
from review.verify import verify_at_home
from web.exporting import MEDIA, SIGNATURE_HEADER, signed_export
from web.pages.base import Page, Posted, Visit, redirect, refused, render, wants_fragment

router = APIRouter()
CHECKPOINTS_SHOWN = 10
CHECKPOINT_NAME = re.compile(r"checkpoint-\d{12}-\d{8}T\d{12}Z\.json")


def _day(value: str, name: str) -> datetime | None:
    """A date from the form's date field (YYYY-MM-DD), as the start of that day in UTC."""
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        raise Invalid(f"{name} must be a date such as 2026-11-01", code="invalid_range") from None


def _export_request(form: dict[str, str]) -> tuple[ExportFormat, int | None, datetime | None, datetime | None]:
    formats = {f.value: f for f in ExportFormat}
    if form["format"] not in formats:
        raise Invalid(f"the format must be one of {', '.join(formats)}", code="invalid_format")
    draft_id = None
    if form["draft"]:
        if not form["draft"].isdigit() or not 1 <= int(form["draft"]) <= 2_000_000_000:
            raise Invalid(f"{form['draft']!r} is not a draft number", code="invalid_draft")
        draft_id = int(form["draft"])
    return formats[form["format"]], draft_id, _day(form["since"], "since"), _day(form["until"], "until")


def _page(current: Visit, **context: Any) -> dict[str, Any]:
    """What the audit page shows besides a result: the newest checkpoints, to download."""
    kept = [read_checkpoint(path) for path in reversed(saved_checkpoints(current.settings.home)[-CHECKPOINTS_SHOWN:])]
    return {"result": None, "form": {}, "checkpoints": kept} | context


@router.get("/audit", response_class=HTMLResponse)
def audit_page(current: Page) -> HTMLResponse:
    require_auditor(current.user)
    notice = "checkpoint" if current.request.query_params.get("done") == "checkpoint" else None
    return render(current, "audit.html", _page(current, notice=notice))


@router.get("/audit/verify", response_class=HTMLResponse)
def verify(current: Page) -> HTMLResponse:
    require_auditor(current.user)
    with current.database.read() as session:
        result = verify_at_home(session, current.settings.home)
    if wants_fragment(current.request, "result"):
        return render(current, "_verify_result.html", {"result": result})
    return render(current, "audit.html", _page(current, result=result))


@router.post("/audit/checkpoint", response_class=HTMLResponse)
def checkpoint(current: Posted) -> Response:
    """Sign the chain's head now; the auditor downloads the file and keeps it off this server."""
    require_auditor(current.user)
    try:
        with current.database.write() as session:
            take_checkpoint(session, home=current.settings.home, actor=current.user)
    except SanshenError as error:
        return refused(current, "audit.html", _page(current), error, page_url="/audit")
    return redirect("/audit?done=checkpoint")


@router.get("/audit/checkpoints/{name}", response_model=None)
def checkpoint_file(name: Annotated[str, Path(max_length=64)], current: Page) -> Response:
    require_auditor(current.user)
    path = current.settings.home / FOLDER / name
    if not CHECKPOINT_NAME.fullmatch(name) or not path.is_file():
        raise NotFound(f"there is no checkpoint {name[:64]!r}", code="not_found")
    return FileResponse(path, media_type="application/json", filename=name, headers={"Cache-Control": "no-store"})


@router.get("/audit/export", response_model=None)
def export(
    current: Page,
    format: Annotated[str, Query(max_length=8)] = ExportFormat.JSONL.value,
    draft: Annotated[str, Query(max_length=12)] = "",
    since: Annotated[str, Query(max_length=32)] = "",
    until: Annotated[str, Query(max_length=32)] = "",
    view: bool = False,
) -> Response:
    """The file zipped with its `.sig` (a browser download keeps no header), or, with `view` for the
    审批单, the PDF alone to read in the browser (its signature only in the X-Sanshen-Signature header)."""
    require_auditor(current.user)
    form = {"format": format, "draft": draft.strip(), "since": since, "until": until}
    try:
        chosen, draft_id, start, end = _export_request(form)
        written, cleanup = signed_export(
            current.database, current.settings, chosen, draft_id=draft_id, since=start, until=end
        )
    except SanshenError as error:
        return refused(current, "audit.html", _page(current, form=form), error)
    if chosen is ExportFormat.PDF and view:
        return FileResponse(
            written.path,
            media_type=MEDIA[chosen],
            filename=written.path.name,
            content_disposition_type="inline",
            headers={SIGNATURE_HEADER: written.signature_path.read_text().strip(), "Cache-Control": "no-store"},
            background=cleanup,
        )
    bundle = written.path.with_name(written.path.name + ".zip")
    with zipfile.ZipFile(bundle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.write(written.path, written.path.name)
        archive.write(written.signature_path, written.signature_path.name)
    written.path.unlink()
    return FileResponse(
        bundle,
        media_type="application/zip",
        filename=bundle.name,
        headers={"Cache-Control": "no-store"},
        background=cleanup,
    )
