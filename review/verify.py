"""Verifying the record: the database's trail, or an exported JSON Lines file.

The database is checked in order, and the first record that does not fit is named, with why:

1. the events: numbered without gaps from 1, each linked to the one before and hashing to its stored
   hash (docs/audit.md gives the serialisation), each stored payload in canonical form;
2. the chain head: it names the last event, and carries the server's signature of it — a hash chain
   anyone can recompute, but only the key's holder can sign its head, so a rewritten or extended
   trail shows even when every hash in it is consistent;
3. checkpoints (signed heads kept outside the database): each signature holds and the trail still
   reaches its event with the same hash — so events cut off the end are found;
4. the rows the events describe: every sign-off, revision and publication agrees, field by field,
   with the events that recorded it, and every event's row exists.

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
from review.checkpoints import Checkpoint, read_checkpoint, saved_checkpoints
from review.content import content_hash
from review.decisions import signoff_record
from review.enums import EventKind
from review.keys import public_key_raw
from review.models import (
    ChainHead,
    Event,
    ImportedRuleset,
    PrecheckOverride,
    PrecheckResult,
    Publication,
    Revision,
    Signoff,
    User,
)
from review.prechecks.records import prechecked_record
from review.prechecks.rulesets import RulesetSpec
from review.trail import GENESIS_HASH, canonical_json, event_hash, event_record, head_signature_holds, iso_utc

BATCH = 2000
RECORD_KEYS = {"seq", "at", "actor", "kind", "draft_id", "payload", "prev_hash", "hash"}
MANIFEST_FORMAT = "sanshen-export/1"
DECISION_KINDS = {EventKind.DECIDED.value, EventKind.RETURNED.value, EventKind.REJECTED.value}
NOTED_KINDS = DECISION_KINDS | {
    EventKind.CREATED.value,
    EventKind.REVISED.value,
    EventKind.PUBLISHED.value,
    EventKind.RETRACTED.value,
    EventKind.PRECHECK_OVERRIDDEN.value,
    EventKind.RULESET_IMPORTED.value,
    EventKind.PRECHECKED.value,
}
UNREADABLE = (ValueError, TypeError, KeyError, AttributeError, RecursionError, UnicodeError)
Progress = Callable[[int], None]
_PLAIN = re.compile(r"[a-z0-9._-]*")


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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def strict_json(text: str | bytes) -> Any:
    """JSON as Sanshen writes it: no NaN or Infinity (they cannot be hashed the same everywhere)."""
    return json.loads(text, parse_constant=_reject_constant)


def _digest(value: Any) -> bytes:
    return hashlib.blake2b(canonical_json(value).encode(), digest_size=16).digest()


def _rows(session: Session, model: type[SQLModel], order: Any) -> Iterator[Any]:
    """Every row of a table as a plain named tuple, in batches: no ORM objects to build or forget."""
    table = model.__table__  # type: ignore[attr-defined]
    yield from session.connection().execute(sa_select(table).order_by(order).execution_options(yield_per=BATCH))


def _record_text(seq: int, at: str, actor: str | None, kind: str, draft_id: int | None, payload: str) -> str | None:
    """The canonical JSON of an event record, assembled around its payload's canonical text.

    A shortcut, taken only when `actor` and `kind` are plain identifiers (no quote or backslash can
    move a field's boundary); otherwise the record is serialised whole.
    """
    if not _PLAIN.fullmatch(kind) or (actor is not None and not _PLAIN.fullmatch(actor)):
        return None
    return (
        f'{{"actor":{"null" if actor is None else chr(34) + actor + chr(34)},"at":"{at}",'
        f'"draft_id":{"null" if draft_id is None else draft_id},"kind":"{kind}","payload":{payload},"seq":{seq}}}'
    )


@dataclass
class _Expected:
    """What the events say the other tables hold: row key → (event seq, digest of the recorded fields)."""

    signoffs: dict[int, tuple[int, bytes]] = field(default_factory=dict)
    revisions: dict[tuple[int, int], tuple[int, bytes]] = field(default_factory=dict)
    publications: dict[int, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)
    retractions: dict[int, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)
    overrides: dict[int, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)
    rulesets: dict[int, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)
    prechecks: dict[int, tuple[int, bytes]] = field(default_factory=dict)

    def note(self, event: Any, at: str, payload: Any) -> str | None:
        """Remember what the event says of a row; say what is wrong if it lacks what its kind records."""
        try:
            if event.kind in DECISION_KINDS:
                self.signoffs[int(payload["signoff_id"])] = (event.seq, _signoff_digest(payload, event.draft_id))
            elif event.kind == EventKind.CREATED:
                self.revisions[(event.draft_id, 1)] = (
                    event.seq,
                    _revision_digest(1, payload["content_hash"], event.actor, None, 0, None, at),
                )
            elif event.kind == EventKind.REVISED:
                self.revisions[(event.draft_id, int(payload["revision"]))] = (
                    event.seq,
                    _revision_digest(
                        payload["revision"],
                        payload["content_hash"],
                        event.actor,
                        payload["step"],
                        payload["cycle"],
                        payload.get("errors"),
                        at,
                    ),
                )
            elif event.kind == EventKind.PUBLISHED:
                self.publications[int(payload["publication_id"])] = (
                    event.seq,
                    (event.draft_id, payload["channel"], payload["revision"], payload["content_hash"], event.actor, at),
                )
            elif event.kind == EventKind.RETRACTED:
                for publication_id in payload["publications"]:
                    self.retractions[int(publication_id)] = (event.seq, (event.actor, at, payload["reason"]))
            elif event.kind == EventKind.PRECHECKED:
                self.prechecks[int(payload["precheck_id"])] = (event.seq, _digest([event.draft_id, payload, at]))
            elif event.kind == EventKind.RULESET_IMPORTED:
                self.rulesets[int(payload["ruleset_id"])] = (
                    event.seq,
                    (payload["name"], payload["version"], payload["digest"], payload["terms"], event.actor, at),
                )
            elif event.kind == EventKind.PRECHECK_OVERRIDDEN:
                for item in payload["overrides"]:
                    self.overrides[int(item["override_id"])] = (
                        event.seq,
                        (
                            event.draft_id,
                            payload["revision"],
                            payload["content_hash"],
                            item["key"],
                            item["rule"],
                            event.actor,
                            payload["name"],
                            payload["role"],
                            payload["reason"],
                            at,
                        ),
                    )
        except UNREADABLE as error:
            return f"it lacks what a {event.kind} event records ({error!r}): it was forged"
        return None


def _signoff_digest(fields: dict[str, Any], draft_id: int | None) -> bytes:
    return _digest({**{k: v for k, v in fields.items() if k not in ("cycle", "state")}, "draft_id": draft_id})


def _revision_digest(number: Any, digest: Any, author: Any, step: Any, cycle: Any, errors: Any, at: str) -> bytes:
    return _digest([number, digest, author, step, cycle, errors, at])


def verify_database(
    session: Session,
    *,
    checkpoints: Iterable[Checkpoint] = (),
    public_key: Ed25519PublicKey | None = None,
    progress: Progress | None = None,
) -> Verification:
    result = Verification()
    marks = sorted(checkpoints, key=lambda c: c.seq)
    wanted = {c.seq for c in marks}
    hashes_at: dict[int, str] = {}
    expected = _Expected()
    previous = GENESIS_HASH
    events = _rows(session, Event, col(Event.seq))
    while True:
        try:
            event = next(events, None)
            if event is None:
                break
            where = f"event {event.seq} ({event.kind})"
            at = iso_utc(event.at)
        except UNREADABLE as error:
            return result.fail(
                f"event {result.events + 1}", f"it cannot be read ({error!r}): it was changed", result.events + 1
            )
        result.events += 1
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
        try:
            payload = strict_json(event.payload)
            canonical = canonical_json(payload) == event.payload
        except UNREADABLE as error:
            return result.fail(where, f"its payload cannot be read ({error!r}): it was changed", event.seq)
        if not canonical:
            return result.fail(
                where, "its payload is not stored in canonical form (docs/audit.md): it was changed", event.seq
            )
        text = _record_text(event.seq, at, event.actor, event.kind, event.draft_id, event.payload)
        if text is None:
            text = canonical_json(
                event_record(
                    seq=event.seq,
                    at=event.at,
                    actor=event.actor,
                    kind=event.kind,
                    draft_id=event.draft_id,
                    payload=payload,
                )
            )
        if hashlib.sha256((previous + text).encode()).hexdigest() != event.hash:
            return result.fail(where, "its content does not match its hash: it was changed", event.seq)
        malformed = expected.note(event, at, payload) if event.kind in NOTED_KINDS else None
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
    failure = _check_head_signature(head, public_key, result)
    if failure:
        return result.fail("the chain head", failure, head.seq)
    for checkpoint in marks:
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
    if marks and public_key is None:
        result.notes.append("the checkpoints' signatures were not checked: no public key")
    return _verify_rows(session, expected, result)


def verify_at_home(session: Session, home: Path, *, progress: Progress | None = None) -> Verification:
    """Verify with what the server holds under SANSHEN_HOME: its public key and saved checkpoints."""
    checkpoints = [read_checkpoint(path) for path in saved_checkpoints(home)]
    public = Ed25519PublicKey.from_public_bytes(public_key_raw(home))
    return verify_database(session, checkpoints=checkpoints, public_key=public, progress=progress)


def _check_head_signature(head: ChainHead, public_key: Ed25519PublicKey | None, result: Verification) -> str | None:
    if head.seq == 0:
        return None
    if public_key is None:
        result.notes.append("the head's signature was not checked: no public key")
        return None
    if not head_signature_holds(head, public_key):
        return "its signature does not hold: the trail was rewritten or extended by someone without the server's key"
    return None


def _verify_rows(session: Session, expected: _Expected, result: Verification) -> Verification:
    try:
        usernames = {row.id: row.username for row in _rows(session, User, col(User.id))}
        for signoff in _rows(session, Signoff, col(Signoff.id)):
            result.rows += 1
            recorded = expected.signoffs.pop(signoff.id, None)
            if recorded is None:
                return result.fail(f"sign-off {signoff.id}", "no event records it: it was inserted behind the trail")
            if recorded[1] != _signoff_digest(signoff_record(signoff), signoff.draft_id):
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
            recorded_revision = expected.revisions.pop((revision.draft_id, revision.number), None)
            if recorded_revision is None:
                return result.fail(name, "no event records it: it was inserted behind the trail")
            row = _revision_digest(
                revision.number,
                revision.content_hash,
                usernames.get(revision.author_id),
                revision.step_id,
                revision.cycle,
                revision.errors,
                iso_utc(revision.created_at),
            )
            if recorded_revision[1] != row:
                return result.fail(
                    name,
                    f"it differs from what event {recorded_revision[0]} recorded: it was changed",
                    recorded_revision[0],
                )
        if expected.revisions:
            (draft_id, number), (seq, _) = min(expected.revisions.items(), key=lambda item: item[1][0])
            return result.fail(
                f"event {seq}", f"it records revision {number} of draft {draft_id}, which is missing", seq
            )
        return _verify_publications(session, expected, usernames, result)
    except UNREADABLE as error:
        return result.fail("a row", f"it cannot be read ({error!r}): it was changed")


def _verify_publications(
    session: Session, expected: _Expected, usernames: dict[int, str], result: Verification
) -> Verification:
    for publication in _rows(session, Publication, col(Publication.id)):
        result.rows += 1
        name = f"publication {publication.id}"
        published = expected.publications.pop(publication.id, None)
        if published is None:
            return result.fail(name, "no event records it: it was inserted behind the trail")
        row = (
            publication.draft_id,
            publication.channel,
            publication.revision,
            publication.content_hash,
            usernames.get(publication.published_by),
            iso_utc(publication.published_at),
        )
        if row != published[1] or content_hash(publication.title, publication.body) != publication.content_hash:
            return result.fail(
                name, f"it differs from what event {published[0]} recorded: it was changed", published[0]
            )
        retracted = expected.retractions.pop(publication.id, None)
        withdrawn = (
            None
            if publication.retracted_at is None
            else (
                usernames.get(publication.retracted_by),
                iso_utc(publication.retracted_at),
                publication.retract_reason,
            )
        )
        if (retracted[1] if retracted else None) != withdrawn:
            seq = retracted[0] if retracted else published[0]
            return result.fail(name, f"its retraction differs from what event {seq} recorded: it was changed", seq)
    for missing in (expected.publications, expected.retractions):
        if missing:
            publication_id, (seq, _) = min(missing.items(), key=lambda item: item[1][0])
            return result.fail(f"event {seq}", f"it records publication {publication_id}, which is missing", seq)
    return _verify_overrides(session, expected, usernames, result)


def _verify_overrides(
    session: Session, expected: _Expected, usernames: dict[int, str], result: Verification
) -> Verification:
    """Overrides let blocking findings stand; imported word lists decide what blocks; a stored pre-check
    result decides whether a draft may pass the gate. One inserted behind the trail (a clean result for a
    text with blocking findings, say) or changed would let a draft through: each is checked against the
    event that recorded it."""

    def override(row: PrecheckOverride) -> tuple[Any, ...]:
        user = row.username if usernames.get(row.user_id) == row.username else f"user id {row.user_id}"
        fields = (row.draft_id, row.revision, row.content_hash, row.finding_key, row.rule, user, row.full_name)
        return (*fields, row.role, row.reason, iso_utc(row.at))

    def ruleset(row: ImportedRuleset) -> tuple[Any, ...]:
        by = usernames.get(row.imported_by) if row.imported_by is not None else None
        digest = row.digest if RulesetSpec.model_validate(row.spec).digest() == row.digest else "its rules differ"
        return (row.name, row.version, digest, row.terms, by, iso_utc(row.imported_at))

    def precheck(row: PrecheckResult) -> bytes:
        return _digest([row.draft_id, prechecked_record(row), iso_utc(row.created_at)])

    checks: list[tuple[type[SQLModel], dict[int, tuple[int, Any]], str, Callable[[Any], Any]]] = [
        (PrecheckOverride, expected.overrides, "pre-check override", override),
        (ImportedRuleset, expected.rulesets, "imported ruleset", ruleset),
        (PrecheckResult, expected.prechecks, "pre-check result", precheck),
    ]
    for model, recorded, kind, fields_of in checks:
        for row in _rows(session, model, col(model.id)):  # type: ignore[attr-defined]
            result.rows += 1
            name = f"{kind} {row.id}"
            found = recorded.pop(row.id, None)
            if found is None:
                return result.fail(name, "no event records it: it was inserted behind the trail")
            if fields_of(row) != found[1]:
                return result.fail(name, f"it differs from what event {found[0]} recorded: it was changed", found[0])
        if recorded:
            row_id, (seq, _) = min(recorded.items(), key=lambda item: item[1][0])
            return result.fail(f"event {seq}", f"it records {kind} {row_id}, which is missing", seq)
    return result


def verify_export(
    path: Path, *, public_key: bytes | None, unsigned: bool = False, progress: Progress | None = None
) -> Verification:
    """Check a JSON Lines export: its detached signature (FILE.sig), every line, and its closing manifest.

    Each line must hash to its own `hash` from its `prev_hash`; numbers must rise; where two lines are
    consecutive events, the second must link to the first. The last line is the export's manifest: the
    filter it was made with, how many events it holds and the chain's head at the time — signed with
    the rest, so a file cut short, or a filtered export passed off as a whole one, shows. Without a
    signature the file proves nothing about its completeness: that is a failure unless `unsigned`.
    """
    result = Verification()
    signature_path = path.with_name(path.name + ".sig")
    if not unsigned:
        failure = _check_file_signature(path, signature_path, public_key)
        if failure:
            return result.fail(failure[0], failure[1])
        result.notes.append("signature valid")
    previous: dict[str, Any] | None = None
    manifest: dict[str, Any] | None = None
    gaps = 0
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            where = f"line {number}"
            if manifest is not None:
                return result.fail(where, "it follows the manifest, which must be the last line")
            try:
                record = strict_json(raw.decode("utf-8"))
            except UNREADABLE as error:
                return result.fail(where, f"it is not JSON ({error!r})")
            if isinstance(record, dict) and set(record) == {"manifest"}:
                manifest = record["manifest"]
                continue
            if not isinstance(record, dict) or set(record) != RECORD_KEYS:
                return result.fail(where, f"it is not an event record (keys: {', '.join(sorted(RECORD_KEYS))})")
            seq = record["seq"]
            if not (type(seq) is int and isinstance(record["prev_hash"], str) and isinstance(record["hash"], str)):
                return result.fail(where, "its seq is not a number or its hashes are not text")
            result.events += 1
            fields = {k: record[k] for k in RECORD_KEYS - {"prev_hash", "hash"}}
            try:
                hashed = event_hash(record["prev_hash"], fields)
            except UNREADABLE as error:
                return result.fail(f"{where}, event {seq}", f"it cannot be serialised ({error!r})", seq)
            if hashed != record["hash"]:
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
    return _check_manifest(manifest, result, previous, gaps)


def _check_file_signature(path: Path, signature_path: Path, public_key: bytes | None) -> tuple[str, str] | None:
    if not signature_path.exists():
        return "the signature", f"{signature_path.name} is missing; check the chain alone with --unsigned"
    if public_key is None:
        return "the signature", "it cannot be checked without the public key (--public-key)"
    try:
        signature = base64.b64decode(signature_path.read_text().strip(), validate=True)
    except (ValueError, UnicodeError):
        return signature_path.name, "it is not base64"
    if not ed25519.verify(public_key, signature, ed25519.file_chunks(str(path))):
        return "the signature", (
            f"{signature_path.name} does not hold: the file was changed after it was exported, "
            "or signed with another key"
        )
    return None


def _check_manifest(manifest: Any, result: Verification, last: dict[str, Any] | None, gaps: int) -> Verification:
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return result.fail(
            "the end of the file", "there is no manifest: the file was cut short, or is not a Sanshen export"
        )
    last_seq = last["seq"] if last else None
    if manifest.get("events") != result.events or manifest.get("last_seq") != last_seq:
        return result.fail(
            "the manifest",
            f"it says {manifest.get('events')} events, ending at {manifest.get('last_seq')}; "
            f"the file holds {result.events}, ending at {last_seq}",
        )
    criteria, head = manifest.get("filter"), manifest.get("chain_head")
    if not isinstance(criteria, dict) or not isinstance(head, dict):
        return result.fail("the manifest", "its filter or chain head is not an object")
    result.notes.append(f"exported at {manifest.get('exported_at')}, the trail then at event {head.get('seq')}")
    given = {k: v for k, v in criteria.items() if v is not None}
    if given:
        result.notes.append("filtered by " + ", ".join(f"{k}={v}" for k, v in given.items()))
        if gaps:
            result.notes.append(f"{gaps} gap(s) between events, as a filtered export has")
    elif gaps or result.events != head.get("seq"):
        return result.fail("the manifest", "an unfiltered export must hold every event up to the head it names")
    return result


def manifest_line(
    *,
    events: int,
    last_seq: int | None,
    head: ChainHead,
    exported_at: str,
    draft_id: int | None,
    since: str | None,
    until: str | None,
) -> str:
    """The closing line of a JSON Lines export."""
    return (
        canonical_json(
            {
                "manifest": {
                    "format": MANIFEST_FORMAT,
                    "events": events,
                    "last_seq": last_seq,
                    "exported_at": exported_at,
                    "chain_head": {"seq": head.seq, "hash": head.hash},
                    "filter": {"draft": draft_id, "since": since, "until": until},
                }
            }
        )
        + "\n"
    )
