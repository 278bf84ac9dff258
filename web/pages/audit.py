"""The auditor's page: verify the record, download signed exports and 审批单 sheets."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, HTMLResponse, Response

from review.audit import ExportFormat, require_auditor
from review.errors import Invalid, SanshenError
from review.verify import verify_at_home
from web.exporting import MEDIA, SIGNATURE_HEADER, signed_export
from web.pages.base import Page, refused, render, wants_fragment

router = APIRouter()


def _day(value: str | None, name: str) -> datetime | None:
    """A date from the form's date field, as the start of that day in UTC."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise Invalid(f"{name} must be a date such as 2026-11-01", code="invalid_range") from None


@router.get("/audit", response_class=HTMLResponse)
def audit_page(current: Page) -> HTMLResponse:
    require_auditor(current.user)
    return render(current, "audit.html", {"result": None, "form": {}})


@router.get("/audit/verify", response_class=HTMLResponse)
def verify(current: Page) -> HTMLResponse:
    require_auditor(current.user)
    with current.database.read() as session:
        result = verify_at_home(session, current.settings.home)
    template = "_verify_result.html" if wants_fragment(current.request, "result") else "audit.html"
    return render(current, template, {"result": result, "form": {}})


@router.get("/audit/export", response_model=None)
def export(
    current: Page,
    format: ExportFormat = ExportFormat.JSONL,
    draft: Annotated[str | None, Query(max_length=12)] = None,
    since: Annotated[str | None, Query(max_length=32)] = None,
    until: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """JSON Lines and CSV come zipped with their `.sig`; a 审批单 PDF comes as it is (signature in a header)."""
    require_auditor(current.user)
    form = {"format": format.value, "draft": draft or "", "since": since or "", "until": until or ""}
    try:
        draft_id = int(draft) if draft else None
        if draft_id is not None and not 1 <= draft_id <= 2_000_000_000:
            raise ValueError
    except ValueError:
        return refused(
            current, "audit.html", {"result": None, "form": form}, Invalid("not a draft number", code="invalid_draft")
        )
    try:
        written, cleanup = signed_export(
            current.database,
            current.settings,
            format,
            draft_id=draft_id,
            since=_day(since, "since"),
            until=_day(until, "until"),
        )
    except SanshenError as error:
        return refused(current, "audit.html", {"result": None, "form": form}, error)
    if format is ExportFormat.PDF:
        return FileResponse(
            written.path,
            media_type=MEDIA[format],
            filename=written.path.name,
            headers={SIGNATURE_HEADER: written.signature_path.read_text().strip()},
            background=cleanup,
        )
    bundle = written.path.with_name(written.path.name + ".zip")
    with zipfile.ZipFile(bundle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.write(written.path, written.path.name)
        archive.write(written.signature_path, written.signature_path.name)
    written.path.unlink()
    return FileResponse(bundle, media_type="application/zip", filename=bundle.name, background=cleanup)
