"""Invariant 6: the trail is append-only and tamper-evident.

The database refuses UPDATE and DELETE on events (and on sign-offs and revisions). Someone with direct
access can bypass that — here, as such a person would: dropping the triggers on SQLite, switching them
off with `session_replication_role` on PostgreSQL — and then every change is still found by
verification, which names the first bad record: a rewritten field of any event, an event deleted from
the middle, two swapped, a forged one inserted, the tail cut off past the last signed checkpoint, a
sign-off or revision row changed behind the trail.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, col, select

from review.checkpoints import read_checkpoint, take_checkpoint
from review.config import get_settings
from review.db import Database, lock_draft
from review.drafts import revise_draft
from review.errors import Conflict
from review.keys import ensure_signing_key, load_signing_key, public_key_raw
from review.models import ChainHead, Event
from review.prechecks.imports import import_word_list
from review.prechecks.records import override_findings, record_precheck
from review.trail import GENESIS_HASH, event_hash, event_record, hashed_fields, head_bytes, iso_utc
from review.verify import Verification, _record_text, verify_database
from tests.conftest import home_with_key
from tests.factories import (
    APPEND_ONLY,
    act,
    approve_through,
    bypass_append_only,
    newsroom,
    published_draft,
    submitted_draft,
)

FIELDS = ["at", "actor", "kind", "draft_id", "payload", "prev_hash", "hash"]


@pytest.fixture
def trail(db: Database) -> Database:
    """Two published drafts, a returned one and one in review: every kind of draft event."""
    room = newsroom(db)
    published_draft(db, room)
    published_draft(db, room, tags=["specialist"])
    returned = submitted_draft(db, room)
    act(db, room.proof1, returned, "return", comment="请补充落款。")
    secret = submitted_draft(db, room, body="各单位：\n机密★1年\n请于本月底前完成自查。")
    approve_through(db, room, secret, until="proof2")
    with db.write() as session:  # a correction counting its errors (差错率)
        body = "各单位：\n机密★1年\n请于本月底前完成自查工作。"
        revise_draft(session, actor=room.proof2, draft_id=secret, body=body, errors={"other": 1})
    approve_through(db, room, secret, until="review2")
    with db.write() as session:
        draft = lock_draft(session, secret)
        result = record_precheck(session, draft)
        keys = [f["key"] for f in result.findings if f["severity"] == "block"]
        override_findings(
            session, actor=room.review2, draft_id=secret, revision=draft.revision, keys=keys, reason="示例文本。"
        )
        import_word_list(session, actor=None, name="local", text="内部通报\n")
    return db


@contextmanager
def tampering(db: Database) -> Iterator[Session]:
    """A transaction with the append-only triggers out of the way; rolled back when the block ends."""
    with Session(db.engine) as session:
        session.begin()
        bypass_append_only(session.connection())
        try:
            yield session
        finally:
            session.rollback()


def events_of(session: Session) -> list[Event]:
    return list(session.exec(select(Event).order_by(col(Event.seq))))


def bad(result: Verification) -> tuple[str, str]:
    assert not result.ok
    assert result.first_bad is not None
    return str(result.first_bad["record"]), str(result.first_bad["reason"])


def test_an_untouched_trail_verifies(trail: Database) -> None:
    with trail.read() as session:
        result = verify_database(session)
    assert result.ok, result.first_bad
    assert result.events >= 40
    assert result.rows > 20


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_database_refuses_to_change_or_delete_the_record(trail: Database, table: str) -> None:
    column = "name" if table == "imported_rulesets" else "draft_id"
    for statement in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError, match="append-only"), trail.write() as session:
            session.connection().execute(text(statement))
    if trail.dialect == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), trail.write() as session:
            session.connection().execute(text(f"TRUNCATE {table} CASCADE"))


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_an_insert_cannot_replace_a_row_of_the_record(trail: Database, table: str) -> None:
    """SQLite's INSERT OR REPLACE deletes the clashing row without a DELETE trigger; PostgreSQL's upsert updates."""
    columns = ", ".join(c for c in _columns(trail, table))
    statement = (
        f"INSERT OR REPLACE INTO {table} ({columns}) SELECT {columns} FROM {table} WHERE id = 1"
        if trail.dialect == "sqlite"
        else f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table} WHERE id = 1 "
        "ON CONFLICT (id) DO UPDATE SET draft_id = EXCLUDED.draft_id"
    )
    if table == "imported_rulesets":
        statement = statement.replace("draft_id", "name")
    if table == "events":
        statement = statement.replace("id = 1", "seq = 1").replace("(id)", "(seq)")
    with trail.read() as session:
        before = session.connection().execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    with pytest.raises(DatabaseError, match="append-only"), trail.write() as session:
        session.connection().execute(text(statement))
    with trail.read() as session:
        assert session.connection().execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == before
        assert verify_database(session).ok


def _columns(db: Database, table: str) -> list[str]:
    with db.read() as session:
        return list(session.connection().execute(text(f"SELECT * FROM {table} WHERE 1 = 0")).keys())


@pytest.mark.parametrize("field", FIELDS)
def test_rewriting_any_field_of_any_event_is_found_and_named(trail: Database, field: str) -> None:
    with trail.read() as session:
        seqs = [e.seq for e in events_of(session)]
    for seq in [*seqs[:: max(1, len(seqs) // 9)], seqs[-1]]:
        with tampering(trail) as session:
            event = session.get(Event, seq)
            assert event is not None
            value = getattr(event, field)
            forged = {
                "at": event.at.replace(microsecond=(event.at.microsecond + 1) % 1_000_000),
                "actor": "mallory",
                "kind": "decided" if event.kind != "decided" else "returned",
                "draft_id": None if event.draft_id else 1,
                "payload": json.dumps({**json.loads(value), "forged": True}, sort_keys=True, separators=(",", ":"))
                if field == "payload"
                else None,
                "prev_hash": "f" * 64,
                "hash": "e" * 64,
            }[field]
            setattr(event, field, forged)
            session.add(event)
            session.flush()
            record, reason = bad(verify_database(session))
        if field == "hash" and seq != seqs[-1]:
            assert record.startswith(f"event {seq + 1} ") or record.startswith(f"event {seq} ")
        elif field == "hash":
            assert record == "the chain head" or record.startswith(f"event {seq} ")
        else:
            assert record.startswith(f"event {seq} ")
        assert "changed" in reason or "link" in reason


def test_an_event_deleted_from_the_middle_is_found(trail: Database) -> None:
    with tampering(trail) as session:
        victim = events_of(session)[20]
        seq = victim.seq
        session.delete(victim)
        session.flush()
        record, reason = bad(verify_database(session))
    assert record.startswith(f"event {seq + 1} ")
    assert "missing or reordered" in reason


def test_two_swapped_events_are_found(trail: Database) -> None:
    with tampering(trail) as session:
        connection = session.connection()
        for old, new in ((11, -1), (26, 11), (-1, 26)):
            connection.execute(text("UPDATE events SET seq = :new WHERE seq = :old"), {"old": old, "new": new})
        record, reason = bad(verify_database(session))
    assert record.startswith("event 11 ")
    assert "link" in reason


def test_a_forged_event_inserted_in_the_middle_is_found(trail: Database) -> None:
    """Even a forger who knows the serialisation and links the forged event correctly is found."""
    with tampering(trail) as session:
        connection = session.connection()
        before = connection.execute(text("SELECT seq, at, draft_id, hash FROM events WHERE seq = 15")).one()
        last = connection.execute(text("SELECT max(seq) FROM events")).scalar_one()
        for seq in range(last, 15, -1):
            connection.execute(text("UPDATE events SET seq = seq + 1 WHERE seq = :s"), {"s": seq})
        stored = before.at  # SQLite hands back text, PostgreSQL a datetime
        at = stored if isinstance(stored, datetime) else datetime.fromisoformat(stored).replace(tzinfo=UTC)
        fields = event_record(
            seq=16, at=at, actor="mallory", kind="decided", draft_id=before.draft_id, payload={"forged": True}
        )
        connection.execute(
            text(
                "INSERT INTO events (seq, at, actor, kind, draft_id, payload, prev_hash, hash) "
                "VALUES (16, :at, 'mallory', 'decided', :draft, :payload, :prev, :hash)"
            ),
            {
                "at": before.at,
                "draft": before.draft_id,
                "payload": '{"forged":true}',
                "prev": before.hash,
                "hash": event_hash(before.hash, fields),
            },
        )
        record, reason = bad(verify_database(session))
        connection.execute(
            text("UPDATE events SET payload = :p WHERE seq = 16"), {"p": '{"forged":true,"signoff_id":99}'}
        )
        linked = event_record(
            seq=16,
            at=at,
            actor="mallory",
            kind="decided",
            draft_id=before.draft_id,
            payload={"forged": True, "signoff_id": 99},
        )
        connection.execute(text("UPDATE events SET hash = :h WHERE seq = 16"), {"h": event_hash(before.hash, linked)})
        well_formed_record, well_formed_reason = bad(verify_database(session))
    assert (record, reason) == (
        "event 16 (decided)",
        "it lacks what a decided event records (KeyError('signoff_id')): it was forged",
    )
    assert well_formed_record.startswith("event 17 ")
    assert "inserted" in well_formed_reason


def test_cutting_off_the_tail_is_found_by_the_head_and_past_a_checkpoint(db: Database, tmp_path: Path) -> None:
    """The head's signature stops a cut with a made-up head; an older signed head replayed is caught by a checkpoint."""
    home = tmp_path / "home"
    home_with_key(home)
    room = newsroom(db)
    published_draft(db, room)
    with db.read() as session:
        older = session.exec(select(ChainHead)).one()
        older_head = (older.seq, older.hash, older.signature)
    approve_through(db, room, submitted_draft(db, room), until="review1")
    with db.write() as session:
        checkpoint_path = take_checkpoint(session, home=home, actor=None)
    checkpoint = read_checkpoint(checkpoint_path)
    public = Ed25519PublicKey.from_public_bytes(public_key_raw(home))
    with db.read() as session:
        assert verify_database(session, checkpoints=[checkpoint], public_key=public).ok
    keep = older_head[0]
    with tampering(db) as session:
        connection = session.connection()
        connection.execute(text("DELETE FROM events WHERE seq > :k"), {"k": keep})
        record, reason = bad(verify_database(session))
        assert record == "the chain head"
        last = session.get(Event, keep)
        assert last is not None
        connection.execute(text("UPDATE chain_head SET seq = :k, hash = :h"), {"k": keep, "h": last.hash})
        record, reason = bad(verify_database(session, public_key=public))
        assert record == "the chain head"
        assert "signature does not hold" in reason
        connection.execute(
            text("UPDATE chain_head SET seq = :k, hash = :h, signature = :s"),
            {"k": older_head[0], "h": older_head[1], "s": older_head[2]},
        )
        session.flush()
        cut = verify_database(session, checkpoints=[checkpoint], public_key=public)
        quiet = verify_database(session)
    record, reason = bad(cut)
    assert record == f"checkpoint {checkpoint_path.name}"
    assert f"vouches for event {checkpoint.seq}" in reason
    assert "cut off the end" in reason
    assert not quiet.ok  # the rows whose events were cut still tell


def test_a_forged_checkpoint_or_a_rewritten_chain_under_one_is_found(trail: Database, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home_with_key(home)
    with trail.write() as session:
        path = take_checkpoint(session, home=home, actor=None)
    public = Ed25519PublicKey.from_public_bytes(public_key_raw(home))
    document = json.loads(path.read_text())
    document["checkpoint"]["seq"] -= 1
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document))
    with trail.read() as session:
        record, reason = bad(verify_database(session, checkpoints=[read_checkpoint(forged)], public_key=public))
    assert record == "checkpoint forged.json"
    assert "signature does not hold" in reason
    checkpoint = read_checkpoint(path)
    with tampering(trail) as session:
        events = events_of(session)
        previous = GENESIS_HASH
        for event in events:  # rewrite the whole chain consistently, as a forger would
            if event.seq == 3:
                event.actor = "mallory"
            event.prev_hash = previous
            event.hash = event_hash(previous, hashed_fields(event))
            previous = event.hash
        session.add_all(events)
        connection = session.connection()
        session.flush()
        connection.execute(text("UPDATE chain_head SET hash = :h"), {"h": previous})
        assert verify_database(session).ok  # consistent again, but for the head's signature
        assert bad(verify_database(session, public_key=public))[0] == "the chain head"
        head = session.exec(select(ChainHead)).one()
        resigned = load_signing_key(home).sign(head_bytes(head.seq, head.hash))  # an insider holding the key
        head.signature = base64.b64encode(resigned).decode()
        session.add(head)
        session.flush()
        assert verify_database(session, public_key=public).ok  # only a checkpoint kept elsewhere can tell
        record, reason = bad(verify_database(session, checkpoints=[checkpoint], public_key=public))
    assert record == f"checkpoint {path.name}"
    assert "no longer has the hash signed" in reason


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("UPDATE signoffs SET comment = '同意（改）' WHERE id = 3", "sign-off 3"),
        (f"UPDATE signoffs SET content_hash = '{'1' * 64}' WHERE id = 2", "sign-off 2"),
        ("DELETE FROM signoffs WHERE id = 4", "event"),
        ("UPDATE revisions SET body = body || '（增补）' WHERE id = 1", "revision 1 of draft 1"),
        ("UPDATE publications SET content_hash = repeat('0', 64) WHERE id = 1", "publication 1"),
        ("UPDATE publications SET body = body || '！' WHERE id = 1", "publication 1"),
        ("UPDATE publications SET published_by = (SELECT min(id) FROM users) WHERE id = 1", "publication 1"),
        ("UPDATE revisions SET author_id = (SELECT max(id) FROM users) WHERE id = 1", "revision 1 of draft 1"),
        ("UPDATE revisions SET step_id = 'proof1' WHERE id = 1", "revision 1 of draft 1"),
        ("UPDATE revisions SET errors = NULL WHERE step_id IS NOT NULL", "revision 2 of draft 4"),
        ("UPDATE signoffs SET errors = NULL WHERE id = 1", "sign-off 1"),
        ("UPDATE signoffs SET user_id = (SELECT min(id) FROM users) WHERE id = 3", "sign-off 3"),
        ("UPDATE signoffs SET draft_id = (SELECT max(id) FROM drafts) WHERE id = 3", "sign-off 3"),
        ("UPDATE signoffs SET full_name = '冒名' WHERE id = 3", "sign-off 3"),
        ("UPDATE signoffs SET id = 999 WHERE id = 3", "sign-off 999"),
        ("UPDATE precheck_overrides SET reason = '无' WHERE id = 1", "pre-check override 1"),
        ("UPDATE precheck_overrides SET user_id = (SELECT min(id) FROM users), username = 'alice'", "pre-check"),
        ("UPDATE precheck_overrides SET finding_key = 'secrecy.mark@0-1' WHERE id = 2", "pre-check override 2"),
        ("DELETE FROM precheck_overrides WHERE id = 2", "event"),
        ("UPDATE imported_rulesets SET digest = repeat('0', 64)", "imported ruleset 1"),
        ("UPDATE imported_rulesets SET terms = 0", "imported ruleset 1"),
        ("DELETE FROM imported_rulesets", "event"),
        ("UPDATE precheck_overrides SET full_name = '冒名' WHERE id = 1", "pre-check override 1"),
        ("UPDATE precheck_overrides SET user_id = (SELECT min(id) FROM users) WHERE id = 1", "pre-check override 1"),
        ("UPDATE precheck_results SET findings = '[]', blocking = 0", "pre-check result"),
        ("DELETE FROM precheck_results WHERE id = 1", "event"),
    ],
)
def test_rows_changed_behind_the_trail_disagree_with_their_events(trail: Database, statement: str, named: str) -> None:
    if "repeat(" in statement and trail.dialect == "sqlite":
        statement = statement.replace("repeat('0', 64)", "'" + "0" * 64 + "'")
    with tampering(trail) as session:
        session.connection().execute(text(statement))
        record, reason = bad(verify_database(session))
    assert record.startswith(named)
    assert any(word in reason for word in ("changed", "missing", "differs", "inserted"))


def test_a_sign_off_appended_without_the_server_key_is_found_and_never_checkpointed(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone with write access runs the engine against the database with a key of their own: every
    hash and row is consistent, but the head's signature is not the server's."""
    home = home_with_key(tmp_path / "home")
    public = Ed25519PublicKey.from_public_bytes(public_key_raw(home))
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    forger_home = tmp_path / "forger"
    ensure_signing_key(forger_home)
    monkeypatch.setenv("SANSHEN_HOME", str(forger_home))
    get_settings.cache_clear()
    try:
        act(db, room.proof1, draft_id)
    finally:
        get_settings.cache_clear()
    with db.read() as session:
        assert verify_database(session).ok  # without the key, nothing shows
        record, reason = bad(verify_database(session, public_key=public))
    assert record == "the chain head"
    assert "someone without the server's key" in reason
    with pytest.raises(Conflict, match="no checkpoint was taken") as refused, db.write() as session:
        take_checkpoint(session, home=home, actor=None)
    assert refused.value.code == "trail_broken"
    assert not list((home / "checkpoints").glob("*.json")) if (home / "checkpoints").exists() else True


@pytest.mark.parametrize(
    "stored",
    [
        '{"reason": "x"}',  # white space: not canonical
        '{"reason":"x","reason":"y"}',  # a duplicate key: readers disagree on which counts
        '{"reason":"\\u0078"}',  # an escape where the canonical form has the character
        '{"reason":"x","n":1.0}',  # keys out of order
    ],
)
def test_a_payload_not_in_canonical_form_is_found_even_with_a_matching_hash(trail: Database, stored: str) -> None:
    with tampering(trail) as session:
        event = events_of(session)[-1]
        seq = event.seq
        hashed = _record_text(seq, iso_utc(event.at), event.actor, event.kind, event.draft_id, stored)
        assert hashed is not None
        event.payload = stored
        event.hash = hashlib.sha256((event.prev_hash + hashed).encode()).hexdigest()
        session.add(event)
        session.flush()
        session.connection().execute(text("UPDATE chain_head SET hash = :h"), {"h": event.hash})
        record, reason = bad(verify_database(session))
    assert record.startswith(f"event {seq} ")
    assert "canonical form" in reason or "cannot be read" in reason
