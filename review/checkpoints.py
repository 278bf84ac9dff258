"""Signed checkpoints: the chain's head, signed and kept outside the database.

The hash chain shows any change, removal or reordering of events — except cutting events off the end,
which leaves a shorter chain that is still consistent. A checkpoint records the head (the newest
event's number and hash) at a moment, signed with the Ed25519 key under SANSHEN_HOME; once a copy is
kept where the database's administrators cannot reach it, a trail that no longer reaches that event,
or reaches it with another hash, is detected. docs/audit.md says how an office should keep them.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import Session

from review import clock
from review.actors import Actor
from review.enums import EventKind
from review.errors import Conflict, Invalid
from review.keys import load_signing_key, public_key_pem
from review.models import Event
from review.trail import append_event, canonical_json, head_signature_holds, iso_utc, lock_chain

FOLDER = "checkpoints"
FORMAT = "sanshen-checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    seq: int
    hash: str
    at: str
    signature: bytes
    signed: bytes
    """The exact bytes the signature covers: the canonical JSON of the checkpoint record."""

    def signature_holds(self, public: Ed25519PublicKey) -> bool:
        try:
            public.verify(self.signature, self.signed)
        except InvalidSignature:
            return False
        return True


def take_checkpoint(session: Session, *, home: Path, actor: Actor | None) -> Path:
    """Sign the chain head into a file under SANSHEN_HOME/checkpoints; record that it was taken.

    The head must carry this key's signature and name its event: a checkpoint must never endorse
    events appended by someone without the key (`sanshen audit verify` finds where the trail went wrong).
    """
    head = lock_chain(session)
    key = load_signing_key(home)
    last = session.get(Event, head.seq) if head.seq else None
    if head.seq and (last is None or last.hash != head.hash or not head_signature_holds(head, key.public_key())):
        raise Conflict(
            f"the chain head (event {head.seq}) does not carry this server's signature or does not match its "
            "event; no checkpoint was taken: run `sanshen audit verify`",
            code="trail_broken",
        )
    at = clock.now()
    record = {"format": FORMAT, "seq": head.seq, "hash": head.hash, "at": iso_utc(at)}
    signed = canonical_json(record).encode()
    document = {
        "checkpoint": record,
        "signature": base64.b64encode(key.sign(signed)).decode(),
        "public_key_pem": public_key_pem(home),
    }
    folder = home / FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"checkpoint-{head.seq:012d}-{at:%Y%m%dT%H%M%S%fZ}.json"
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8") as out:
        out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)
    append_event(
        session,
        kind=EventKind.CHECKPOINT,
        actor=actor,
        at=at,
        payload={"seq": head.seq, "hash": head.hash, "file": path.name},
    )
    return path


def read_checkpoint(path: Path) -> Checkpoint:
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
        record = document["checkpoint"]
        if record.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        return Checkpoint(
            path=path,
            seq=int(record["seq"]),
            hash=str(record["hash"]),
            at=str(record["at"]),
            signature=base64.b64decode(document["signature"], validate=True),
            signed=canonical_json(record).encode(),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise Invalid(f"{path} is not a readable checkpoint: {error}", code="bad_checkpoint") from None


def saved_checkpoints(home: Path) -> list[Path]:
    """The checkpoints kept under SANSHEN_HOME, oldest first."""
    return sorted((home / FOLDER).glob("checkpoint-*.json"))
