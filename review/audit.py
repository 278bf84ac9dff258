"""Reading the trail as an auditor: events as JSON Lines or CSV, streamed in batches (flat memory).

Verification is `review.verify`; files with signatures are `review.exports`.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlmodel import Session, col, func, select
from sqlmodel.sql.expression import SelectOfScalar

from review.actors import Actor
from review.enums import Role
from review.errors import Forbidden, Invalid
from review.models import Event
from review.trail import canonical_json, hashed_fields

BATCH = 2000
CSV_COLUMNS = ["seq", "at", "actor", "kind", "draft_id", "payload", "prev_hash", "hash"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    PDF = "pdf"


def require_auditor(actor: Actor) -> None:
    if not actor.roles & {Role.AUDITOR, Role.ADMIN}:
        raise Forbidden("reading the whole trail needs the auditor role (审计)", code="missing_role")


_S = TypeVar("_S", bound=SelectOfScalar[Any])


def _within(statement: _S, draft_id: int | None, since: datetime | None, until: datetime | None) -> _S:
    """The events of one draft and/or a time range [since, until)."""
    if draft_id is not None:
        statement = statement.where(col(Event.draft_id) == draft_id)
    if since is not None:
        statement = statement.where(col(Event.at) >= since)
    if until is not None:
        statement = statement.where(col(Event.at) < until)
    return statement


def _stream(
    session: Session, *, draft_id: int | None = None, since: datetime | None = None, until: datetime | None = None
) -> Iterator[Event]:
    statement = _within(
        select(Event).order_by(col(Event.seq)).execution_options(yield_per=BATCH), draft_id, since, until
    )
    for event in session.exec(statement):
        yield event
        session.expunge(event)


def record_of(event: Event) -> dict[str, Any]:
    """An event as exported: the hashed fields, plus the links of the chain."""
    return {**hashed_fields(event), "prev_hash": event.prev_hash, "hash": event.hash}


def export_lines(
    session: Session,
    fmt: ExportFormat,
    *,
    draft_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[str]:
    """The export, a line (JSON Lines) or a row (CSV, its header first) at a time."""
    if since is not None and until is not None and since >= until:
        raise Invalid("`since` must be before `until`", code="invalid_range")
    if fmt is ExportFormat.PDF:
        raise Invalid("a PDF is a document, not a stream of lines: write it with review.exports", code="invalid_format")
    events = _stream(session, draft_id=draft_id, since=since, until=until)
    if fmt is ExportFormat.JSONL:
        for event in events:
            yield canonical_json(record_of(event)) + "\n"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    rows: Iterator[list[Any]] = (
        [_csv_safe(canonical_json(row[c]) if c == "payload" else row[c]) for c in CSV_COLUMNS]
        for row in map(record_of, events)
    )
    for row in itertools.chain([CSV_COLUMNS], rows):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _csv_safe(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (`=cmd|…`): prefix it with a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def count_events(
    session: Session, *, draft_id: int | None = None, since: datetime | None = None, until: datetime | None = None
) -> int:
    statement = _within(select(func.count()).select_from(Event), draft_id, since, until)
    return session.exec(statement).one()
