"""The auditor's endpoints: verify the chain, export the trail, fetch the key that signs exports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

from review.audit import ExportFormat, export_lines, require_auditor, verify_chain
from review.db import Database
from review.errors import Invalid
from review.keys import public_key_pem
from web.api.deps import CurrentActor, DatabaseDep, SettingsDep
from web.api.schemas import VerifyOut, error

router = APIRouter(prefix="/audit", tags=["audit"])
MEDIA = {ExportFormat.JSONL: "application/x-ndjson; charset=utf-8", ExportFormat.CSV: "text/csv; charset=utf-8"}


@router.get("/verify", response_model=VerifyOut, responses={403: error("needs the auditor role")})
def verify(actor: CurrentActor, database: DatabaseDep) -> VerifyOut:
    """Recompute the whole hash chain; `first_bad` names the first event that does not fit, and why."""
    require_auditor(actor)
    with database.read() as session:
        result = verify_chain(session)
    return VerifyOut(ok=result.ok, events=result.events, first_bad=result.first_bad)


@router.get(
    "/export",
    responses={
        200: {"content": {"application/x-ndjson": {}, "text/csv": {}}},
        403: {"description": "needs the auditor role"},
    },
)
def export(
    actor: CurrentActor,
    database: DatabaseDep,
    format: ExportFormat = ExportFormat.JSONL,
    draft: Annotated[int | None, Query(ge=1, le=2_000_000_000)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> StreamingResponse:
    """The trail as JSON Lines or CSV, streamed; filter by draft and by time (`since` ≤ at < `until`)."""
    require_auditor(actor)
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise Invalid(f"`{name}` needs a time zone, e.g. 2026-11-23T00:00:00Z", code="naive_time")
    if since is not None and until is not None and since >= until:
        raise Invalid("`since` must be before `until`", code="invalid_range")
    filename = f"sanshen-trail{f'-draft-{draft}' if draft else ''}.{format.value}"
    return StreamingResponse(
        _stream(database, format, draft, since, until),
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _stream(
    database: Database, fmt: ExportFormat, draft: int | None, since: datetime | None, until: datetime | None
) -> Iterator[bytes]:
    with database.read() as session:
        for line in export_lines(session, fmt, draft_id=draft, since=since, until=until):
            yield line.encode()


@router.get(
    "/public-key", response_model=None, responses={200: {"content": {"text/plain": {}, "application/json": {}}}}
)
def public_key(request: Request, settings: SettingsDep) -> PlainTextResponse | JSONResponse:
    """The Ed25519 public key (PEM, SubjectPublicKeyInfo) that verifies signed exports; no log-in needed."""
    pem = public_key_pem(settings.home)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"public_key_pem": pem})
    return PlainTextResponse(pem)
