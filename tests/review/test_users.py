"""Users and tokens: never deleted, never reused; tokens stored hashed, refused once revoked or expired."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlmodel import col, select

from review import clock
from review.db import Database
from review.errors import Conflict, Forbidden, Invalid, NotFound
from review.models import ApiToken, Event, User, WebSession
from review.sessions import close_session, find_session, open_session
from review.users import (
    add_user,
    authenticate_password,
    authenticate_token,
    create_token,
    deactivate_user,
    reset_password,
    set_qualifications,
    set_roles,
)
from review.views import draft_view
from tests.factories import PASSWORD, make_user, newsroom, published_draft


def test_a_user_logs_in_with_their_password_and_not_with_another(db: Database) -> None:
    make_user(db, "alice", "author", "proofreader", qualifications=("senior_editor",))
    with db.read() as session:
        actor = authenticate_password(session, username="alice", password=PASSWORD)
        assert actor is not None
        assert {r.value for r in actor.roles} == {"author", "proofreader"}
        assert actor.qualifications == {"senior_editor"}
        assert authenticate_password(session, username="alice", password="wrong-password-1") is None
        assert authenticate_password(session, username="nobody", password=PASSWORD) is None
        stored = session.exec(select(User.password_hash)).one()
    assert stored.startswith("$argon2id$")


def test_a_token_is_shown_once_and_only_its_hash_is_kept(db: Database) -> None:
    make_user(db, "alice", "author")
    with db.write() as session:
        token = create_token(session, username="alice", label="script", actor=None)
    with db.read() as session:
        row = session.exec(select(ApiToken)).one()
        actor = authenticate_token(session, token)
        assert authenticate_token(session, token + "x") is None
        assert authenticate_token(session, "not-a-token") is None
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash
    assert actor is not None
    assert actor.username == "alice"


def test_an_expired_token_is_refused(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    make_user(db, "alice", "author")
    with db.write() as session:
        token = create_token(session, username="alice", expires_at=clock.now() + timedelta(days=1), actor=None)
    later = clock.now() + timedelta(days=2)
    monkeypatch.setattr(clock, "now", lambda: later)
    with db.read() as session:
        assert authenticate_token(session, token) is None


def test_a_deactivated_user_cannot_log_in_but_their_signoffs_stay_and_the_name_is_never_reused(db: Database) -> None:
    room = newsroom(db)
    draft_id = published_draft(db, room)
    with db.write() as session:
        token = create_token(session, username="rui", actor=None)
        deactivate_user(session, username="rui", actor=None)
    with db.read() as session:
        assert authenticate_password(session, username="rui", password=PASSWORD) is None
        assert authenticate_token(session, token) is None
        kinds = session.exec(select(Event.kind).where(col(Event.kind).like("user%"))).all()
    assert "user_deactivated" in kinds
    with db.write() as session, pytest.raises(Conflict, match="never reused"):
        add_user(session, username="rui", full_name="另一个人", roles=["reviewer1"], password=PASSWORD, actor=None)
    with db.write() as session, pytest.raises(Conflict, match="already deactivated"):
        deactivate_user(session, username="rui", actor=None)
    with db.read() as session:
        view = draft_view(session, room.auditor, draft_id)
    assert [s.user for s in view.steps[1].signoffs] == ["rui"]


def test_roles_and_qualifications_are_set_exactly_and_recorded(db: Database) -> None:
    make_user(db, "alice", "author")
    with db.write() as session:
        set_roles(session, username="alice", roles=["proofreader", "author"], actor=None)
        set_qualifications(session, username="alice", qualifications=["senior_editor"], actor=None)
        set_roles(session, username="alice", roles=["author", "proofreader"], actor=None)  # unchanged: no event
    with db.read() as session:
        actor = authenticate_password(session, username="alice", password=PASSWORD)
        kinds = [e.kind for e in session.exec(select(Event).order_by(col(Event.seq)))][-2:]
        last = session.exec(select(Event).order_by(col(Event.seq).desc())).first()
    assert actor is not None
    assert {r.value for r in actor.roles} == {"author", "proofreader"}
    assert actor.qualifications == {"senior_editor"}
    assert kinds == ["user_roles_changed", "user_qualifications_changed"]
    assert last is not None
    assert '"previous":[]' in last.payload
    with pytest.raises(Invalid, match="at least one role"), db.write() as session:
        set_roles(session, username="alice", roles=[], actor=None)
    with pytest.raises(Invalid), db.write() as session:
        set_roles(session, username="alice", roles=["admin-of-everything"], actor=None)
    with pytest.raises(NotFound), db.write() as session:
        set_roles(session, username="nobody", roles=["author"], actor=None)


def test_a_browser_session_ends_at_log_out_expiry_reset_and_deactivation(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = make_user(db, "alice", "author")

    def opened() -> str:
        with db.write() as session:
            secret, csrf = open_session(session, actor=alice, hours=8)
        with db.read() as session:
            found = find_session(session, secret)
        assert found is not None
        assert (found.actor.username, found.csrf_token) == ("alice", csrf)
        return secret

    def is_open(secret: str) -> bool:
        with db.read() as session:
            return find_session(session, secret) is not None

    closed = opened()
    with db.write() as session:
        close_session(session, closed)
    assert not is_open(closed)
    assert not any(is_open(secret) for secret in ("", "x" * 500, "not-a-session"))
    with db.read() as session:
        assert session.exec(select(WebSession.token_hash)).first() == hashlib.sha256(closed.encode()).hexdigest()

    expiring = opened()
    later = clock.now() + timedelta(hours=9)
    with monkeypatch.context() as patched:
        patched.setattr(clock, "now", lambda: later)
        assert not is_open(expiring)

    reset = opened()
    with db.write() as session:
        reset_password(session, username="alice", password="a-new-passphrase-2026", actor=None)
    assert not is_open(reset)
    with db.read() as session:
        assert authenticate_password(session, username="alice", password=PASSWORD) is None
        assert authenticate_password(session, username="alice", password="a-new-passphrase-2026") is not None
        recorded = session.exec(select(Event).order_by(col(Event.seq).desc())).first()
    assert recorded is not None
    assert recorded.kind == "password_reset"
    assert "passphrase" not in recorded.payload

    deactivated = opened()
    with db.write() as session:
        deactivate_user(session, username="alice", actor=None)
    assert not is_open(deactivated)


def test_a_password_reset_also_revokes_the_users_api_tokens(db: Database) -> None:
    make_user(db, "alice", "author")
    with db.write() as session:
        token = create_token(session, username="alice", actor=None)
        reset_password(session, username="alice", password="a-new-passphrase-2026", actor=None)
    with db.read() as session:
        assert authenticate_token(session, token) is None


def test_only_an_administrator_manages_users_and_none_can_lock_themselves_out(db: Database) -> None:
    make_user(db, "alice", "author")
    boss = make_user(db, "boss", "admin")
    author = make_user(db, "bob", "author")
    for attempt in (
        lambda s: set_roles(s, username="alice", roles=["admin"], actor=author),
        lambda s: reset_password(s, username="alice", password="a-new-passphrase-2026", actor=author),
        lambda s: deactivate_user(s, username="alice", actor=author),
    ):
        with pytest.raises(Forbidden, match="administrator"), db.write() as session:
            attempt(session)
    for attempt in (
        lambda s: set_roles(s, username="boss", roles=["author"], actor=boss),
        lambda s: deactivate_user(s, username="boss", actor=boss),
    ):
        with pytest.raises(Conflict) as refused, db.write() as session:
            attempt(session)
        assert refused.value.code == "self_lockout"
