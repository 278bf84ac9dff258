"""The auditor's endpoints: verify the record, export the trail signed, fetch the key that signs exports."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from starlette.background import BackgroundTask

from review.audit import ExportFormat, require_auditor
from review.checkpoints import read_checkpoint, saved_checkpoints
from review.errors import Invalid
from review.exports import write_export
from review.keys import public_key_pem, public_key_raw
from review.verify import verify_database
from web.api.deps import CurrentActor, DatabaseDep, SettingsDep
from web.api.schemas import VerifyOut, error

router = APIRouter(prefix="/audit", tags=["audit"])
MEDIA = {
    ExportFormat.JSONL: "application/x-ndjson; charset=utf-8",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.PDF: "application/pdf",
}
SIGNATURE_HEADER = "X-Sanshen-Signature"


@router.get("/verify", response_model=VerifyOut, responses={403: error("needs the auditor role")})
def verify(actor: CurrentActor, database: DatabaseDep, settings: SettingsDep) -> VerifyOut:
    """Verify the chain, the checkpoints kept under SANSHEN_HOME, and the rows the events describe.

    `first_bad` names the first record that does not fit, and why.
    """
    require_auditor(actor)
    checkpoints = [read_checkpoint(path) for path in saved_checkpoints(settings.home)]
    public = Ed25519PublicKey.from_public_bytes(public_key_raw(settings.home))
    with database.read() as session:
        result = verify_database(session, checkpoints=checkpoints, public_key=public)
    return VerifyOut(
        ok=result.ok, events=result.events, rows=result.rows, checkpoints=result.checkpoints, first_bad=result.first_bad
    )


@router.get(
    "/export",
    response_class=FileResponse,
    responses={
        200: {
            "content": {media.split(";")[0]: {} for media in MEDIA.values()},
            "headers": {
                SIGNATURE_HEADER: {
                    "description": "base64 Ed25519 signature of the body's exact bytes",
                    "schema": {"type": "string"},
                }
            },
        },
        403: error("needs the auditor role"),
        404: error("the sign-off sheet of a draft that does not exist"),
    },
)
def export(
    actor: CurrentActor,
    database: DatabaseDep,
    settings: SettingsDep,
    format: ExportFormat = ExportFormat.JSONL,
    draft: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> FileResponse:
    """The trail as JSON Lines or CSV (or the 审批单 PDF), filtered by draft and time (`since` ≤ at < `until`).

    The file is written to disk and signed there, then streamed: memory stays flat however long the
    trail. Its Ed25519 signature comes in the `X-Sanshen-Signature` header (what `FILE.sig` holds).
    """
    require_auditor(actor)
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise Invalid(f"`{name}` needs a time zone, e.g. 2026-11-23T00:00:00Z", code="naive_time")
    if since is not None and until is not None and since >= until:
        raise Invalid("`since` must be before `until`", code="invalid_range")
    folder = Path(tempfile.mkdtemp(prefix="sanshen-export-"))
    try:
        filename = f"sanshen-trail{f'-draft-{draft}' if draft else ''}.{format.value}"
        with database.read() as session:
            written = write_export(
                session,
                folder / filename,
                format,
                home=settings.home,
                draft_id=draft,
                since=since,
                until=until,
                timezone=settings.timezone,
                pdf_font=settings.pdf_font,
            )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        written.path,
        media_type=MEDIA[format],
        filename=filename,
        headers={SIGNATURE_HEADER: written.signature_path.read_text().strip()},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.get(
    "/public-key", response_model=None, responses={200: {"content": {"text/plain": {}, "application/json": {}}}}
)
def public_key(request: Request, settings: SettingsDep) -> PlainTextResponse | JSONResponse:
    """The Ed25519 public key (PEM, SubjectPublicKeyInfo) that verifies signed exports; no log-in needed."""
    pem = public_key_pem(settings.home)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"public_key_pem": pem})
    return PlainTextResponse(pem)
