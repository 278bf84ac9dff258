"""Invariant 7: bad input never corrupts state.

Every bad input to every command gets its own clear error (a meaning, a stable code, a message that
says what is wrong) and leaves the database exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from review.content import BODY_MAX, COMMENT_MAX, TITLE_MAX
from review.db import Database
from review.decisions import decide
from review.drafts import create_draft, revise_draft, submit_draft
from review.errors import Conflict, Forbidden, Invalid, NotFound, SanshenError
from review.publishing import publish, retract
from review.users import add_user, create_token, deactivate_user
from tests.factories import Newsroom, approve_through, newsroom, published_draft, snapshot, submitted_draft


@dataclass
class World:
    db: Database
    room: Newsroom
    at_review1: int
    published: int


@pytest.fixture
def world(db: Database) -> World:
    room = newsroom(db)
    at_review1 = submitted_draft(db, room)
    approve_through(db, room, at_review1, until="review1")
    return World(db, room, at_review1, published_draft(db, room))


def create(w: World, **overrides: Any) -> None:
    fields: dict[str, Any] = {"title": "标题", "body": "正文。", "channel": "website"} | overrides
    actor = fields.pop("actor", w.room.author)
    with w.db.write() as session:
        create_draft(session, actor=actor, **fields)


def decide_on(w: World, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "actor": w.room.review1,
        "draft_id": w.at_review1,
        "step": "review1",
        "decision": "approve",
        "revision": 1,
        "comment": "同意。",
        "checklist": {"language": True, "factual": True},
    } | overrides
    with w.db.write() as session:
        decide(session, **fields)


def new_user(w: World, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "username": "newbie",
        "full_name": "新人",
        "roles": ["author"],
        "password": "a-long-secret-9",
    } | overrides
    with w.db.write() as session:
        add_user(session, actor=None, **fields)


def revise(w: World, actor: str, **fields: Any) -> None:
    with w.db.write() as session:
        revise_draft(session, actor=getattr(w.room, actor), **fields)


def submit(w: World, draft_id: int, actor: str = "author") -> None:
    with w.db.write() as session:
        submit_draft(session, actor=getattr(w.room, actor), draft_id=draft_id)


def release(w: World, draft_id: int, actor: str = "publisher", channel: str | None = None) -> None:
    with w.db.write() as session:
        publish(session, actor=getattr(w.room, actor), draft_id=draft_id, channel=channel)


def withdraw(w: World, draft_id: int, reason: str, actor: str = "publisher") -> None:
    with w.db.write() as session:
        retract(session, actor=getattr(w.room, actor), draft_id=draft_id, reason=reason)


CASES: dict[str, tuple[Callable[[World], None], type[SanshenError], str]] = {
    # create
    "empty title": (lambda w: create(w, title="   "), Invalid, "title_empty"),
    "title too long": (lambda w: create(w, title="长" * (TITLE_MAX + 1)), Invalid, "title_too_long"),
    "line break in title": (lambda w: create(w, title="第一行\n第二行"), Invalid, "invalid_text"),
    "empty body": (lambda w: create(w, body="\n \n"), Invalid, "body_empty"),
    "body too long": (lambda w: create(w, body="字" * (BODY_MAX + 1)), Invalid, "body_too_long"),
    "NUL byte in body": (lambda w: create(w, body="正文\x00尾"), Invalid, "invalid_text"),
    "lone surrogate in body": (lambda w: create(w, body="正文\ud800"), Invalid, "invalid_text"),
    "unknown channel": (lambda w: create(w, channel="tv"), Invalid, "unknown_channel"),
    "unknown importance": (lambda w: create(w, importance="urgent"), Invalid, "unknown_importance"),
    "unknown workflow": (lambda w: create(w, workflow="nope"), Invalid, "unknown_workflow"),
    "line separator in title": (lambda w: create(w, title="标题\u2028第二行"), Invalid, "invalid_text"),
    "bidi override in title": (lambda w: create(w, title="标题\u202e题标"), Invalid, "invalid_text"),
    "zero-width space in title": (lambda w: create(w, title="标\u200b题"), Invalid, "invalid_text"),
    "bidi override in body": (lambda w: create(w, body="正文\u202e文正"), Invalid, "invalid_text"),
    "invalid tag": (lambda w: create(w, tags=["a b"]), Invalid, "invalid_tag"),
    "too many tags": (lambda w: create(w, tags=[f"t{n}" for n in range(21)]), Invalid, "too_many_tags"),
    "create without the author role": (lambda w: create(w, actor=w.room.review1), Forbidden, "missing_role"),
    # revise and submit
    "revise an unknown draft": (
        lambda w: revise(w, "author", draft_id=999_999, title="x"),
        NotFound,
        "draft_not_found",
    ),
    "revise under review by the author": (
        lambda w: revise(w, "author", draft_id=w.at_review1, title="x"),
        Conflict,
        "not_editable",
    ),
    "revise under review by a reviewer": (
        lambda w: revise(w, "review1", draft_id=w.at_review1, title="x"),
        Forbidden,
        "not_editable",
    ),
    "revise a published draft": (
        lambda w: revise(w, "author", draft_id=w.published, title="x"),
        Conflict,
        "not_editable",
    ),
    "submit an unknown draft": (lambda w: submit(w, 999_999), NotFound, "draft_not_found"),
    "submit twice": (lambda w: submit(w, w.at_review1), Conflict, "not_submittable"),
    "submit someone else's draft": (lambda w: submit(w, w.at_review1, actor="review1"), Forbidden, "not_author"),
    # decide
    "decide on an unknown draft": (lambda w: decide_on(w, draft_id=999_999), NotFound, "draft_not_found"),
    "wrong step": (lambda w: decide_on(w, step="review2", actor=w.room.review2), Conflict, "wrong_step"),
    "unknown step": (lambda w: decide_on(w, step="review9"), Invalid, "unknown_step"),
    "stale revision": (lambda w: decide_on(w, revision=0), Conflict, "stale_revision"),
    "future revision": (lambda w: decide_on(w, revision=7), Conflict, "stale_revision"),
    "ineligible signer": (lambda w: decide_on(w, actor=w.room.proof1), Forbidden, "missing_role"),
    "the author signs": (lambda w: decide_on(w, actor=w.room.author), Forbidden, "missing_role"),
    "empty opinion": (lambda w: decide_on(w, comment=""), Invalid, "comment_required"),
    "blank opinion": (lambda w: decide_on(w, comment=" \n\t "), Invalid, "comment_required"),
    "opinion too long": (
        lambda w: decide_on(w, comment="意" * (COMMENT_MAX + 1)),
        Invalid,
        "comment_required_too_long",
    ),
    "missing check": (lambda w: decide_on(w, checklist={"language": True}), Invalid, "missing_checks"),
    "check set to false": (
        lambda w: decide_on(w, checklist={"language": True, "factual": False}),
        Invalid,
        "missing_checks",
    ),
    "check not a boolean": (
        lambda w: decide_on(w, checklist={"language": True, "factual": "yes"}),
        Invalid,
        "invalid_checklist",
    ),
    "bad check key": (lambda w: decide_on(w, checklist={"Language!": True}), Invalid, "invalid_checklist"),
    "a check the workflow does not know": (
        lambda w: decide_on(w, checklist={"language": True, "factual": True, "bogus": True}),
        Invalid,
        "invalid_checklist",
    ),
    "check key with a trailing newline": (
        lambda w: decide_on(w, checklist={"language": True, "factual": True, "political\n": True}),
        Invalid,
        "invalid_checklist",
    ),
    "unknown decision": (lambda w: decide_on(w, decision="maybe"), Invalid, "unknown_decision"),
    "a draft id beyond 32 bits": (lambda w: decide_on(w, draft_id=2**63), NotFound, "draft_not_found"),
    "a draft id of zero": (lambda w: decide_on(w, draft_id=0), NotFound, "draft_not_found"),
    # publish and retract
    "publish without the publisher role": (
        lambda w: release(w, w.at_review1, actor="review1"),
        Forbidden,
        "missing_role",
    ),
    "publish before sign-off": (lambda w: release(w, w.at_review1), Conflict, "not_signed_off"),
    "publish to an unknown channel": (lambda w: release(w, w.at_review1, channel="tv"), Invalid, "unknown_channel"),
    "publish twice": (lambda w: release(w, w.published), Conflict, "already_published"),
    "publish an unknown draft": (lambda w: release(w, 999_999), NotFound, "draft_not_found"),
    "retract without a reason": (lambda w: withdraw(w, w.published, "  "), Invalid, "reason_required"),
    "retract an unpublished draft": (lambda w: withdraw(w, w.at_review1, "错误"), Conflict, "not_published"),
    "retract without the publisher role": (
        lambda w: withdraw(w, w.published, "错误", actor="author"),
        Forbidden,
        "missing_role",
    ),
    # users and tokens
    "unknown role": (lambda w: new_user(w, roles=["wizard"]), Invalid, "unknown_role"),
    "no role": (lambda w: new_user(w, roles=[]), Invalid, "no_role"),
    "duplicate username": (lambda w: new_user(w, username="alice"), Conflict, "username_taken"),
    "invalid username": (lambda w: new_user(w, username="Alice Smith"), Invalid, "invalid_username"),
    "username with a trailing newline": (lambda w: new_user(w, username="rui\n"), Invalid, "invalid_username"),
    "bidi override in a full name": (lambda w: new_user(w, full_name="芮\u202e审稿"), Invalid, "invalid_text"),
    "weak password": (lambda w: new_user(w, password="12345"), Invalid, "weak_password"),
    "common password": (lambda w: new_user(w, password="password123"), Invalid, "weak_password"),
    "password contains username": (lambda w: new_user(w, password="newbie-2026-x"), Invalid, "weak_password"),
    "empty full name": (lambda w: new_user(w, full_name=" "), Invalid, "invalid_full_name"),
    "deactivate an unknown user": (lambda w: _deactivate(w, "ghost"), NotFound, "user_not_found"),
    "token for an unknown user": (lambda w: _token(w, "ghost"), NotFound, "user_not_found"),
}


def _deactivate(w: World, username: str) -> None:
    with w.db.write() as session:
        deactivate_user(session, username=username, actor=None)


def _token(w: World, username: str) -> None:
    with w.db.write() as session:
        create_token(session, username=username, actor=None)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_clearly_and_changes_nothing(world: World, case: str) -> None:
    call, error, code = CASES[case]
    before = snapshot(world.db)
    with pytest.raises(error) as refused:
        call(world)
    assert refused.value.code == code
    assert refused.value.message.strip()
    assert "\n" not in refused.value.message
    assert snapshot(world.db) == before
