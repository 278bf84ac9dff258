"""Signed exports for the API and the auditor's page: written to a temporary folder, signed there,
streamed from disk (flat memory however long the trail), and the folder removed once sent."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from starlette.background import BackgroundTask

from review.audit import ExportFormat
from review.config import Settings
from review.db import Database
from review.errors import Invalid, NotFound
from review.exports import Exported, write_export
from review.models import Draft

MEDIA = {
    ExportFormat.JSONL: "application/x-ndjson; charset=utf-8",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.PDF: "application/pdf",
}
SIGNATURE_HEADER = "X-Sanshen-Signature"


def check_range(since: datetime | None, until: datetime | None) -> None:
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise Invalid(f"`{name}` needs a time zone, e.g. 2026-11-23T00:00:00Z", code="naive_time")
    if since is not None and until is not None and since >= until:
        raise Invalid("`since` must be before `until`", code="invalid_range")


def signed_export(
    database: Database,
    settings: Settings,
    fmt: ExportFormat,
    *,
    draft_id: int | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[Exported, BackgroundTask]:
    """The export and its `.sig`, in a folder of their own; the task removes the folder."""
    check_range(since, until)
    if draft_id is not None:
        with database.read() as session:
            if session.get(Draft, draft_id) is None:
                raise NotFound(f"draft {draft_id} does not exist", code="draft_not_found")
    folder = Path(tempfile.mkdtemp(prefix="sanshen-export-"))
    try:
        filename = f"sanshen-trail{f'-draft-{draft_id}' if draft_id else ''}.{fmt.value}"
        with database.read() as session:
            written = write_export(
                session,
                folder / filename,
                fmt,
                home=settings.home,
                draft_id=draft_id,
                since=since,
                until=until,
                timezone=settings.timezone,
                pdf_font=settings.pdf_font,
            )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return written, BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
