"""Users and tokens: never deleted, never reused; tokens stored hashed, refused once revoked or expired."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlmodel import col, select

from review import clock
from review.db import Database
from review.errors import Conflict
from review.models import ApiToken, Event, User
from review.users import add_user, authenticate_password, authenticate_token, create_token, deactivate_user
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
