"""Invariant 4: only the active step can be signed, only by a person eligible for it, only once.

A decision names the step and the revision it is about; a stale one is refused (Conflict → 409),
never silently applied. Every refusal here leaves the database exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from review.db import Database
from review.drafts import revise_draft, submit_draft
from review.errors import Conflict, Forbidden, Invalid, SanshenError
from review.users import deactivate_user
from review.views import draft_view
from review.workflows.registry import load_definitions, register_workflows
from tests.factories import (
    act,
    approve_through,
    get_draft,
    make_user,
    new_draft,
    newsroom,
    published_draft,
    snapshot,
    submitted_draft,
)


def refused(db: Database, call: Callable[[], object], error: type[SanshenError], code: str) -> SanshenError:
    """Assert that `call` is refused with `error` and `code`, and that it changed nothing."""
    before = snapshot(db)
    with pytest.raises(error) as caught:
        call()
    assert caught.value.code == code
    assert snapshot(db) == before
    return caught.value


@pytest.mark.parametrize(
    ("active", "attempted"),
    [
        ("proof1", "review1"),
        ("review1", "review2"),
        ("review2", "review3"),
        ("review2", "review1"),
        ("proof3", "proof2"),
    ],
)
def test_a_step_that_is_not_active_cannot_be_signed(db: Database, active: str, attempted: str) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until=active)
    error = refused(db, lambda: act(db, room.signer(attempted), draft_id, step=attempted), Conflict, "wrong_step")
    assert "is not the active step" in error.message


def test_a_decision_on_an_older_revision_is_refused_not_applied(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until="proof2")
    with db.write() as session:
        revise_draft(session, actor=room.proof2, draft_id=draft_id, title="关于开展安全生产大检查的通知")
    error = refused(db, lambda: act(db, room.proof2, draft_id, revision=1), Conflict, "stale_revision")
    assert "revision 1 is stale" in error.message


def test_a_person_without_the_steps_role_cannot_sign(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    refused(db, lambda: act(db, room.review1, draft_id), Forbidden, "missing_role")
    refused(db, lambda: act(db, room.publisher, draft_id), Forbidden, "missing_role")


def test_a_step_requiring_a_qualification_refuses_a_signer_without_it(db: Database, tmp_path: Path) -> None:
    (tmp_path / "senior.yaml").write_text(
        "name: senior\nlabel: {zh: 高级, en: Senior}\nsteps:\n"
        "  - {id: review3, kind: review, label: {zh: 终审, en: Final}, roles: [reviewer3], qualification: head}\n",
        encoding="utf-8",
    )
    with db.write() as session:
        register_workflows(session, load_definitions(tmp_path))
    author = make_user(db, "alice", "author")
    plain = make_user(db, "rong", "reviewer3")
    head = make_user(db, "zhang", "reviewer3", qualifications=("head",))
    draft_id = new_draft(db, author, workflow="senior")
    with db.write() as session:
        submit_draft(session, actor=author, draft_id=draft_id)
    error = refused(db, lambda: act(db, plain, draft_id), Forbidden, "missing_qualification")
    assert error.rule == "R5"
    signoff = act(db, head, draft_id)
    assert signoff.qualifications == ["head"]


def test_a_step_is_signed_once_and_a_second_approval_finds_it_moved_on(db: Database) -> None:
    room = newsroom(db)
    other = make_user(db, "pei", "proofreader")
    draft_id = submitted_draft(db, room)
    act(db, room.proof1, draft_id)
    refused(db, lambda: act(db, other, draft_id, step="proof1"), Conflict, "wrong_step")


def test_nothing_can_be_signed_on_a_draft_that_is_not_under_review(db: Database) -> None:
    room = newsroom(db)
    unsubmitted = new_draft(db, room.author)
    refused(db, lambda: act(db, room.proof1, unsubmitted, step="proof1"), Conflict, "not_under_review")
    returned = submitted_draft(db, room)
    act(db, room.proof1, returned, "return", comment="请补充落款。")
    assert get_draft(db, returned).state == "returned"
    refused(db, lambda: act(db, room.proof1, returned, step="proof1"), Conflict, "not_under_review")
    done = published_draft(db, room)
    refused(db, lambda: act(db, room.review3, done, step="review3"), Conflict, "not_under_review")


def test_a_step_the_workflow_does_not_have_is_bad_input(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    error = refused(db, lambda: act(db, room.proof1, draft_id, step="proof9"), Invalid, "unknown_step")
    assert "proof1, review1" in error.message


def test_a_rejected_draft_ends_and_its_remaining_steps_are_skipped(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until="review2")
    act(db, room.review2, draft_id, "reject", comment="选题不宜公开发布。")
    with db.read() as session:
        view = draft_view(session, room.auditor, draft_id)
    assert view.state == "rejected"
    assert [s.status for s in view.steps] == ["signed", "signed", "signed", "pending", "skipped", "skipped"]
    refused(db, lambda: act(db, room.proof3, draft_id, step="proof3"), Conflict, "not_under_review")


def test_a_user_deactivated_after_logging_in_cannot_sign(db: Database) -> None:
    """The actor is re-read inside the decision's transaction; a log-in earlier does not carry over."""
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    logged_in = room.proof1
    with db.write() as session:
        deactivate_user(session, username=logged_in.username, actor=None)
    error = refused(db, lambda: act(db, logged_in, draft_id), Forbidden, "user_deactivated")
    assert "deactivated" in error.message
