"""Verifying the record: the database's trail, or an exported JSON Lines file.

The database is checked in order, and the first record that does not fit is named, with why:

1. the events: numbered without gaps from 1, each linked to the one before and hashing to its stored
   hash (docs/audit.md gives the serialisation), and the chain head agreeing with the last;
2. checkpoints (signed heads kept outside the database): each signature holds and the trail still
   reaches its event with the same hash — so events cut off the end are found;
3. the rows the events describe: every sign-off, revision and publication agrees with the event that
   recorded it, and every event's row exists. A row changed behind the trail's back shows here.

Everything streams; what is kept is a digest per sign-off, revision and publication the events record
(some 200 bytes each in Python: about 320 MB of memory at a million events, bench/results/audit.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col

from review import ed25519
from review.checkpoints import Checkpoint
from review.content import content_hash
from review.decisions import signoff_record
from review.enums import EventKind
from review.models import ChainHead, Event, Publication, Revision, Signoff
from review.trail import GENESIS_HASH, canonical_json, event_hash, hashed_fields, iso_utc

BATCH = 2000
RECORD_KEYS = {"seq", "at", "actor", "kind", "draft_id", "payload", "prev_hash", "hash"}
DECISION_KINDS = {EventKind.DECIDED.value, EventKind.RETURNED.value, EventKind.REJECTED.value}
NOTED_KINDS = DECISION_KINDS | {EventKind.CREATED.value, EventKind.REVISED.value, EventKind.PUBLISHED.value}
Progress = Callable[[int], None]


@dataclass
class Verification:
    ok: bool = True
    events: int = 0
    rows: int = 0
    checkpoints: int = 0
    first_bad: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def fail(self, record: str, reason: str, seq: int | None = None) -> Verification:
        self.ok = False
        self.first_bad = {"record": record, "reason": reason, **({"seq": seq} if seq is not None else {})}
        return self


def _digest(value: Any) -> bytes:
    return hashlib.blake2b(canonical_json(value).encode(), digest_size=16).digest()


def _signoff_fields(record: dict[str, Any]) -> bytes:
    return _digest({k: v for k, v in record.items() if k not in ("cycle", "state")})


def _rows(session: Session, model: type[SQLModel], order: Any) -> Iterator[Any]:
    """Every row of a table as a plain named tuple, in batches: no ORM objects to build or forget."""
    table = model.__table__  # type: ignore[attr-defined]
    yield from session.connection().execute(sa_select(table).order_by(order).execution_options(yield_per=BATCH))


_PLAIN = re.compile(r"[a-z0-9._-]*")


def _record_text(seq: int, at: str, actor: str | None, kind: str, draft_id: int | None, payload: str) -> str | None:
    """The canonical JSON of an event record, assembled around its stored payload (stored canonical).

    A shortcut, taken only when `actor` and `kind` are plain identifiers (no quote or backslash can
    move a field's boundary); otherwise, and whenever its hash does not match, the exact serialisation
    decides (`hashed_fields`).
    """
    if not _PLAIN.fullmatch(kind) or (actor is not None and not _PLAIN.fullmatch(actor)):
        return None
    return (
        f'{{"actor":{"null" if actor is None else chr(34) + actor + chr(34)},"at":"{at}",'
        f'"draft_id":{"null" if draft_id is None else draft_id},"kind":"{kind}","payload":{payload},"seq":{seq}}}'
    )


def _payload(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


@dataclass
class _Expected:
    """What the events say the other tables hold: row key → (event seq, digest of the recorded fields)."""

    signoffs: dict[int, tuple[int, bytes]] = field(default_factory=dict)
    revisions: dict[tuple[int, int], tuple[int, str]] = field(default_factory=dict)
    publications: dict[int, tuple[int, bytes]] = field(default_factory=dict)

    def note(self, event: Event, payload: Any) -> str | None:
        """Remember what the event says of a row; say what is wrong if it lacks what its kind records."""
        try:
            if event.kind in DECISION_KINDS:
                self.signoffs[int(payload["signoff_id"])] = (event.seq, _signoff_fields(payload))
            elif event.kind == EventKind.CREATED and event.draft_id is not None:
                self.revisions[(event.draft_id, 1)] = (event.seq, str(payload["content_hash"]))
            elif event.kind == EventKind.REVISED and event.draft_id is not None:
                self.revisions[(event.draft_id, int(payload["revision"]))] = (event.seq, str(payload["content_hash"]))
            elif event.kind == EventKind.PUBLISHED:
                fields = {k: payload[k] for k in ("channel", "revision", "content_hash")} | {"draft_id": event.draft_id}
                self.publications[int(payload["publication_id"])] = (event.seq, _digest(fields))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            return f"it lacks what a {event.kind} event records ({error}): it was forged"
        return None


def verify_database(
    session: Session,
    *,
    checkpoints: Iterable[Checkpoint] = (),
    public_key: Ed25519PublicKey | None = None,
    progress: Progress | None = None,
) -> Verification:
    result = Verification()
    wanted = {c.seq: c for c in checkpoints}
    hashes_at: dict[int, str] = {}
    expected = _Expected()
    previous = GENESIS_HASH
    for event in _rows(session, Event, col(Event.seq)):
        result.events += 1
        where = f"event {event.seq} ({event.kind})"
        if event.seq != result.events:
            return result.fail(
                where, f"expected event {result.events} here: events before it are missing or reordered", event.seq
            )
        if event.prev_hash != previous:
            return result.fail(
                where,
                "its link to the previous event does not match: an event before it was changed, removed or inserted",
                event.seq,
            )
        text = _record_text(event.seq, iso_utc(event.at), event.actor, event.kind, event.draft_id, event.payload)
        if text is None or hashlib.sha256((previous + text).encode()).hexdigest() != event.hash:
            try:
                exact = event_hash(previous, hashed_fields(Event(**event._mapping)))
            except ValueError:
                exact = None
            if exact != event.hash:
                return result.fail(where, "its content does not match its hash: it was changed", event.seq)
        if event.kind in NOTED_KINDS:
            malformed = expected.note(event, _payload(event.payload))
            if malformed:
                return result.fail(where, malformed, event.seq)
        if event.seq in wanted:
            hashes_at[event.seq] = event.hash
        previous = event.hash
        if progress and result.events % 10_000 == 0:
            progress(10_000)
    if progress:
        progress(result.events % 10_000)
    head = session.get(ChainHead, 1)
    if head is None or (head.seq, head.hash) != (result.events, previous):
        shown = f"{head.seq} events" if head else "no head"
        return result.fail(
            "the chain head",
            f"it says {shown}, but {result.events} are there: events at the end were removed, or the head was changed",
            result.events + 1,
        )
    for checkpoint in sorted(wanted.values(), key=lambda c: c.seq):
        result.checkpoints += 1
        name = f"checkpoint {checkpoint.path.name}"
        if public_key is not None and not checkpoint.signature_holds(public_key):
            return result.fail(name, "its signature does not hold: it was changed, or signed with another key")
        if checkpoint.seq > result.events:
            return result.fail(
                name,
                f"it vouches for event {checkpoint.seq} ({checkpoint.at}), but the trail ends "
                f"at event {result.events}: events were cut off the end",
                checkpoint.seq,
            )
        if checkpoint.seq and hashes_at.get(checkpoint.seq) != checkpoint.hash:
            return result.fail(
                name,
                f"event {checkpoint.seq} no longer has the hash signed at {checkpoint.at}: the trail was rewritten",
                checkpoint.seq,
            )
    return _verify_rows(session, expected, result)


def _verify_rows(session: Session, expected: _Expected, result: Verification) -> Verification:
    for signoff in _rows(session, Signoff, col(Signoff.id)):
        result.rows += 1
        recorded = expected.signoffs.pop(signoff.id, None)
        if recorded is None:
            return result.fail(f"sign-off {signoff.id}", "no event records it: it was inserted behind the trail")
        if recorded[1] != _signoff_fields(signoff_record(signoff)):
            return result.fail(
                f"sign-off {signoff.id}",
                f"it differs from what event {recorded[0]} recorded: it was changed",
                recorded[0],
            )
    if expected.signoffs:
        signoff_id, (seq, _) = min(expected.signoffs.items(), key=lambda item: item[1][0])
        return result.fail(f"event {seq}", f"it records sign-off {signoff_id}, which is missing", seq)
    for revision in _rows(session, Revision, col(Revision.id)):
        result.rows += 1
        name = f"revision {revision.number} of draft {revision.draft_id}"
        if content_hash(revision.title, revision.body) != revision.content_hash:
            return result.fail(name, "its text does not match its hash: it was changed")
        revision_recorded = expected.revisions.pop((revision.draft_id, revision.number), None)
        if revision_recorded is None:
            return result.fail(name, "no event records it: it was inserted behind the trail")
        if revision_recorded[1] != revision.content_hash:
            return result.fail(
                name, f"its hash differs from what event {revision_recorded[0]} recorded", revision_recorded[0]
            )
    if expected.revisions:
        (draft_id, number), (seq, _) = min(expected.revisions.items(), key=lambda item: item[1][0])
        return result.fail(f"event {seq}", f"it records revision {number} of draft {draft_id}, which is missing", seq)
    for publication in _rows(session, Publication, col(Publication.id)):
        result.rows += 1
        published = expected.publications.pop(publication.id, None)
        fields = {
            "channel": publication.channel,
            "revision": publication.revision,
            "content_hash": publication.content_hash,
            "draft_id": publication.draft_id,
        }
        name = f"publication {publication.id}"
        if published is None:
            return result.fail(name, "no event records it: it was inserted behind the trail")
        if (
            published[1] != _digest(fields)
            or content_hash(publication.title, publication.body) != publication.content_hash
        ):
            return result.fail(
                name, f"it differs from what event {published[0]} recorded: it was changed", published[0]
            )
    if expected.publications:
        publication_id, (seq, _) = min(expected.publications.items(), key=lambda item: item[1][0])
        return result.fail(f"event {seq}", f"it records publication {publication_id}, which is missing", seq)
    return result


def verify_export(path: Path, *, public_key: bytes | None, progress: Progress | None = None) -> Verification:
    """Check a JSON Lines export: its detached signature (FILE.sig), then every line.

    Each line must hash to its own `hash` from its `prev_hash`; numbers must rise; where two lines are
    consecutive events, the second must link to the first. An export filtered by draft or time has
    gaps between its events: each line still proves itself, and the signature proves the file whole.
    """
    result = Verification()
    signature_path = path.with_name(path.name + ".sig")
    if signature_path.exists():
        if public_key is None:
            result.notes.append("the signature was not checked: no public key")
        else:
            try:
                signature = base64.b64decode(signature_path.read_text().strip(), validate=True)
            except ValueError:
                return result.fail(signature_path.name, "it is not base64")
            if not ed25519.verify(public_key, signature, ed25519.file_chunks(str(path))):
                return result.fail(
                    path.name,
                    f"its signature ({signature_path.name}) does not hold: the file was "
                    "changed after it was exported, or signed with another key",
                )
            result.notes.append("signature valid")
    else:
        result.notes.append(f"no signature: {signature_path.name} is missing")
    previous: dict[str, Any] | None = None
    gaps = 0
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            where = f"line {number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                return result.fail(where, f"it is not JSON: {error.msg}")
            if not isinstance(record, dict) or set(record) != RECORD_KEYS:
                return result.fail(where, f"it is not an event record (keys: {', '.join(sorted(RECORD_KEYS))})")
            if not (
                isinstance(record["seq"], int)
                and isinstance(record["prev_hash"], str)
                and isinstance(record["hash"], str)
            ):
                return result.fail(where, "its seq is not a number or its hashes are not text")
            result.events += 1
            seq = record["seq"]
            fields = {k: record[k] for k in RECORD_KEYS - {"prev_hash", "hash"}}
            if event_hash(record["prev_hash"], fields) != record["hash"]:
                return result.fail(f"{where}, event {seq}", "its content does not match its hash: it was changed", seq)
            if seq == 1 and record["prev_hash"] != GENESIS_HASH:
                return result.fail(f"{where}, event 1", "the first event must link to the genesis hash", seq)
            if previous is not None:
                if seq <= previous["seq"]:
                    return result.fail(
                        f"{where}, event {seq}",
                        f"it follows event {previous['seq']}: events are reordered or repeated",
                        seq,
                    )
                if seq == previous["seq"] + 1 and record["prev_hash"] != previous["hash"]:
                    return result.fail(
                        f"{where}, event {seq}",
                        "its link to the line before does not match: an event was changed or inserted",
                        seq,
                    )
                gaps += seq != previous["seq"] + 1
            previous = record
            if progress and number % 10_000 == 0:
                progress(10_000)
    if progress:
        progress(result.events % 10_000)
    if gaps:
        result.notes.append(f"{gaps} gap(s) between events: a filtered export")
    return result
