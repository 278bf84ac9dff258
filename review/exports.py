"""Exports written to a file, each with a detached Ed25519 signature beside it (`FILE.sig`).

The file is written under a temporary name, signed by reading it back in chunks (`review.ed25519`), and
only then moved into place with its signature: memory stays flat however long the trail, and a crash
leaves no half-written file that looks complete. `FILE.sig` holds the base64 signature of the file's
exact bytes on one line, so anyone with the public key can check it with openssl (docs/audit.md).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from review import clock, ed25519
from review.audit import ExportFormat, export_lines
from review.errors import Invalid
from review.keys import signing_seed
from review.models import ChainHead, Event
from review.trail import iso_utc
from review.verify import manifest_line

MAX_PDF_DRAFTS = 500


@dataclass(frozen=True)
class Exported:
    path: Path
    signature_path: Path
    records: int
    size: int


def signature_path(path: Path) -> Path:
    return path.with_name(path.name + ".sig")


def sign_file(path: Path, home: Path) -> str:
    """The base64 Ed25519 signature of the file's exact bytes."""
    return base64.b64encode(ed25519.sign(signing_seed(home), ed25519.file_chunks(str(path)))).decode()


def write_export(
    session: Session,
    path: Path,
    fmt: ExportFormat,
    *,
    home: Path,
    draft_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    timezone: str = "Asia/Shanghai",
    pdf_font: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> Exported:
    signing_seed(home)  # no key, no export: fail before writing anything
    partial = path.with_name(f".{path.name}.partial")
    try:
        if fmt is ExportFormat.PDF:
            # The PDF stack (fpdf2, fontTools, Pillow) costs ~30 MB and a second to import: only when needed.
            from review.dossier import find_cjk_font, write_dossier

            records = write_dossier(
                session,
                partial,
                _drafts_for_pdf(session, draft_id, since, until),
                font=find_cjk_font(pdf_font),
                timezone=timezone,
            )
        else:
            head = session.get(ChainHead, 1)
            assert head is not None
            records, last = 0, None
            with partial.open("w", encoding="utf-8", newline="") as out:
                for chunk in export_lines(session, fmt, draft_id=draft_id, since=since, until=until):
                    out.write(chunk)
                    records, last = records + 1, chunk
                    if progress and records % 10_000 == 0:
                        progress(10_000)
                if fmt is ExportFormat.JSONL:
                    out.write(
                        manifest_line(
                            events=records,
                            last_seq=json.loads(last)["seq"] if last else None,
                            head=head,
                            exported_at=iso_utc(clock.now()),
                            draft_id=draft_id,
                            since=iso_utc(since) if since else None,
                            until=iso_utc(until) if until else None,
                        )
                    )
            records -= fmt is ExportFormat.CSV  # the header row
        signature = sign_file(partial, home)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    signature_file = signature_path(path)
    signature_file.write_text(signature + "\n", encoding="ascii")
    return Exported(path, signature_file, records, path.stat().st_size)


def _drafts_for_pdf(
    session: Session, draft_id: int | None, since: datetime | None, until: datetime | None
) -> list[int]:
    """One draft, or the drafts with events in the time range (a sheet each)."""
    if draft_id is not None:
        return [draft_id]
    statement = select(Event.draft_id).where(col(Event.draft_id).is_not(None)).distinct()
    if since is not None:
        statement = statement.where(col(Event.at) >= since)
    if until is not None:
        statement = statement.where(col(Event.at) < until)
    ids = sorted(d for d in session.exec(statement) if d is not None)
    if len(ids) > MAX_PDF_DRAFTS:
        raise Invalid(
            f"{len(ids)} drafts have events in that range; a PDF holds at most {MAX_PDF_DRAFTS} sign-off "
            "sheets: narrow it with --draft, --since or --until",
            code="too_many_drafts",
        )
    return ids
