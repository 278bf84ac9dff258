"""The trail: append-only, hash-chained events.

Each event is appended in the transaction of the change it records. Its hash is

    SHA-256( prev_hash || canonical_json({seq, at, actor, kind, draft_id, payload}) )

with `canonical_json` = JSON with sorted keys, no insignificant white space, UTF-8, non-ASCII kept
as is; `at` is ISO 8601 UTC with microseconds and a `Z`. The first event's `prev_hash` is 64 zeros.
All appends lock the one `chain_head` row, which orders events from different drafts into a single
chain; commands append last, so that lock is held only for the end of the transaction.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import Session, col, select

from review.actors import Actor
from review.enums import EventKind
from review.keys import head_signer
from review.models import ChainHead, Event

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(prev_hash: str, record: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(record)).encode()).hexdigest()


def event_record(
    *, seq: int, at: datetime, actor: str | None, kind: str, draft_id: int | None, payload: dict[str, Any]
) -> dict[str, Any]:
    """The fields an event's hash covers, in the shape the documented serialisation uses."""
    return {
        "seq": seq,
        "at": iso_utc(at),
        "actor": actor,
        "kind": kind,
        "draft_id": draft_id,
        "payload": payload,
    }


def lock_chain(session: Session) -> ChainHead:
    """Take the chain head's row lock: it orders every append, and anything else that must not interleave."""
    return session.exec(
        select(ChainHead).where(col(ChainHead.id) == 1).with_for_update().execution_options(populate_existing=True)
    ).one()


def hashed_fields(event: Event) -> dict[str, Any]:
    """What an event's hash covers, read back from its row."""
    return event_record(
        seq=event.seq,
        at=event.at,
        actor=event.actor,
        kind=event.kind,
        draft_id=event.draft_id,
        payload=json.loads(event.payload),
    )


def head_bytes(seq: int, head_hash: str) -> bytes:
    """What the head's signature covers; the label keeps it apart from anything else the key signs."""
    return f"sanshen-chain-head/1\n{seq}\n{head_hash}".encode()


def head_signature_holds(head: ChainHead, public: Ed25519PublicKey) -> bool:
    """Whether the head carries the signature of `public`'s private key over its seq and hash."""
    try:
        public.verify(base64.b64decode(head.signature or "", validate=True), head_bytes(head.seq, head.hash))
    except (InvalidSignature, ValueError):
        return False
    return True


def append_event(
    session: Session,
    *,
    kind: EventKind,
    actor: Actor | None,
    at: datetime,
    payload: dict[str, Any],
    draft_id: int | None = None,
) -> Event:
    head = lock_chain(session)
    seq = head.seq + 1
    username = actor.username if actor is not None else None
    record = event_record(seq=seq, at=at, actor=username, kind=kind.value, draft_id=draft_id, payload=payload)
    digest = event_hash(head.hash, record)
    event = Event(
        seq=seq,
        at=at,
        actor_id=actor.id if actor is not None else None,
        actor=username,
        kind=kind.value,
        draft_id=draft_id,
        payload=canonical_json(payload),
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(event)
    head.seq = seq
    head.hash = digest
    head.signature = base64.b64encode(head_signer().sign(head_bytes(seq, digest))).decode()
    session.add(head)
    return event


def draft_events(session: Session, draft_id: int) -> list[Event]:
    """A draft's events, oldest first."""
    statement = select(Event).where(col(Event.draft_id) == draft_id).order_by(col(Event.seq))
    return list(session.exec(statement))
