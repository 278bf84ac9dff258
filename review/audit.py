"""Reading the trail as an auditor: verify the hash chain, export events (JSON Lines, CSV).

Both stream: events are read in batches, so memory stays flat however long the trail is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from review.actors import Actor
from review.enums import Role
from review.errors import Forbidden, Invalid
from review.models import ChainHead, Event
from review.trail import GENESIS_HASH, canonical_json, event_hash, hashed_fields

BATCH = 2000
CSV_COLUMNS = ["seq", "at", "actor", "kind", "draft_id", "payload", "prev_hash", "hash"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


def require_auditor(actor: Actor) -> None:
    if not actor.roles & {Role.AUDITOR, Role.ADMIN}:
        raise Forbidden("reading the whole trail needs the auditor role (审计)", code="missing_role")


@dataclass(frozen=True)
class Verification:
    ok: bool
    events: int
    first_bad: dict[str, Any] | None


def _stream(
    session: Session, *, draft_id: int | None = None, since: datetime | None = None, until: datetime | None = None
) -> Iterator[Event]:
    statement = select(Event).order_by(col(Event.seq)).execution_options(yield_per=BATCH)
    if draft_id is not None:
        statement = statement.where(col(Event.draft_id) == draft_id)
    if since is not None:
        statement = statement.where(col(Event.at) >= since)
    if until is not None:
        statement = statement.where(col(Event.at) < until)
    for event in session.exec(statement):
        yield event
        session.expunge(event)


def record_of(event: Event) -> dict[str, Any]:
    """An event as exported: the hashed fields, plus the links of the chain."""
    return {**hashed_fields(event), "prev_hash": event.prev_hash, "hash": event.hash}


def verify_chain(session: Session) -> Verification:
    """Recompute every event's hash in order; name the first event that does not fit, and why."""
    previous, expected_seq, count = GENESIS_HASH, 1, 0
    for event in _stream(session):
        count += 1
        problem = None
        if event.seq != expected_seq:
            problem = f"expected event {expected_seq} here, found {event.seq}: events are missing or reordered"
        elif event.prev_hash != previous:
            problem = "its link to the previous event does not match: an event before it was changed or removed"
        elif event_hash(previous, hashed_fields(event)) != event.hash:
            problem = "its content does not match its hash: it was changed"
        if problem is not None:
            return Verification(False, count, {"seq": event.seq, "reason": problem})
        previous, expected_seq = event.hash, expected_seq + 1
    head = session.get(ChainHead, 1)
    if head is not None and (head.seq, head.hash) != (expected_seq - 1, previous):
        return Verification(
            False,
            count,
            {
                "seq": expected_seq,
                "reason": f"the chain head says {head.seq} events; "
                f"{expected_seq - 1} are there: events at the end were removed",
            },
        )
    return Verification(True, count, None)


def export_lines(
    session: Session,
    fmt: ExportFormat,
    *,
    draft_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[str]:
    """The export, a line (JSON Lines) or a row (CSV) at a time."""
    if since is not None and until is not None and since >= until:
        raise Invalid("`since` must be before `until`", code="invalid_range")
    events = _stream(session, draft_id=draft_id, since=since, until=until)
    if fmt is ExportFormat.JSONL:
        for event in events:
            yield canonical_json(record_of(event)) + "\n"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in events:
        row = record_of(event)
        writer.writerow([_csv_safe(canonical_json(row[c]) if c == "payload" else row[c]) for c in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


def _csv_safe(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (`=cmd|…`): prefix it with a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
