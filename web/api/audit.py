"""The auditor's endpoints: verify the record, export the trail signed, fetch the key that signs exports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse

from review.audit import ExportFormat, require_auditor
from review.keys import public_key_pem
from review.verify import verify_at_home
from web.api.deps import CurrentActor, DatabaseDep, SettingsDep
from web.api.schemas import VerifyOut, error
from web.exporting import MEDIA, SIGNATURE_HEADER, signed_export

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/verify", response_model=VerifyOut, responses={403: error("needs the auditor role")})
def verify(actor: CurrentActor, database: DatabaseDep, settings: SettingsDep) -> VerifyOut:
    """Verify the chain, the checkpoints kept under SANSHEN_HOME, and the rows the events describe.

    `first_bad` names the first record that does not fit, and why.
    """
    require_auditor(actor)
    with database.read() as session:
        result = verify_at_home(session, settings.home)
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
    written, cleanup = signed_export(database, settings, format, draft_id=draft, since=since, until=until)
    return FileResponse(
        written.path,
        media_type=MEDIA[format],
        filename=written.path.name,
        headers={SIGNATURE_HEADER: written.signature_path.read_text().strip()},
        background=cleanup,
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
