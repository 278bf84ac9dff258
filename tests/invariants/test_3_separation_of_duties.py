"""Invariant 3: separation of duties, per draft.

The author signs no step of their own draft (R4). 初审, 复审 and 终审 are three different people (R3);
一校, 二校 and 三校 three different proofreaders (R16); a committee's approvals come from distinct
members (R13). A person may hold many roles: the rules apply per draft. When they leave nobody who
could sign a step, the engine says so and names the rule; it never passes a step by itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from review.db import Database
from review.drafts import revise_draft, submit_draft
from review.errors import Conflict, Forbidden, Invalid
from review.models import Signoff
from review.queue import queue_for
from review.workflows.registry import load_definitions
from tests.factories import (
    act,
    approve_through,
    get_draft,
    make_user,
    new_draft,
    newsroom,
    snapshot,
    submitted_draft,
)


def test_the_author_signs_no_step_of_their_own_draft(db: Database) -> None:
    room = newsroom(db)
    writer = make_user(db, "wen", "author", "proofreader", "reviewer1")
    draft_id = submitted_draft(db, room)
    own = new_draft(db, writer)
    with db.write() as session:
        submit_draft(session, actor=writer, draft_id=own)
    before = snapshot(db)
    with pytest.raises(Forbidden) as refused:
        act(db, writer, own)
    assert (refused.value.code, refused.value.rule) == ("author_cannot_sign", "R4")
    assert snapshot(db) == before
    act(db, writer, draft_id)
    act(db, room.proof1, own)
    with pytest.raises(Forbidden):
        act(db, writer, own)


def test_one_person_holding_all_three_review_roles_signs_only_one_level_of_a_draft(db: Database) -> None:
    room = newsroom(db)
    senior = make_user(db, "gao", "reviewer1", "reviewer2", "reviewer3")
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until="review1")
    act(db, senior, draft_id)
    approve_through(db, room, draft_id, until="review2")
    before = snapshot(db)
    with pytest.raises(Forbidden) as refused:
        act(db, senior, draft_id)
    assert (refused.value.code, refused.value.rule) == ("separation_of_duties", "R3")
    assert "初审" in refused.value.message
    assert snapshot(db) == before
    act(db, room.review2, draft_id)
    approve_through(db, room, draft_id, until="review3")
    with pytest.raises(Forbidden):
        act(db, senior, draft_id)


def test_the_same_person_may_sign_different_levels_of_different_drafts(db: Database) -> None:
    room = newsroom(db)
    senior = make_user(db, "gao", "reviewer1", "reviewer2")
    first, second = submitted_draft(db, room), submitted_draft(db, room)
    for draft_id in (first, second):
        approve_through(db, room, draft_id, until="review1")
    act(db, senior, first)
    act(db, room.review1, second)
    approve_through(db, room, second, until="review2")
    act(db, senior, second)
    assert get_draft(db, second).state == "proof3"


def test_one_proofreader_does_not_do_two_proofreads_of_a_draft(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until="proof2")
    with pytest.raises(Forbidden) as refused:
        act(db, room.proof1, draft_id)
    assert (refused.value.code, refused.value.rule) == ("separation_of_duties", "R16")


def test_committee_approvals_come_from_distinct_members(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room, tags=["specialist"])
    approve_through(db, room, draft_id, until="committee")
    act(db, room.committee1, draft_id)
    before = snapshot(db)
    with pytest.raises(Conflict) as refused:
        act(db, room.committee1, draft_id)
    assert refused.value.code == "already_signed"
    assert snapshot(db) == before
    act(db, room.committee2, draft_id)
    assert get_draft(db, draft_id).state == "review3"


def test_the_database_refuses_a_second_step_of_a_group_by_the_same_person(db: Database) -> None:
    """The unique constraint behind R3 holds even for a row written without the engine's checks."""
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until="review2")
    with db.read() as session:
        review1 = session.exec(select(Signoff).where(col(Signoff.step_id) == "review1")).one()
    forged = review1.model_dump(exclude={"id"}) | {"step_id": "review2", "slot": 1}

    def insert() -> None:
        with db.write() as session:
            session.add(Signoff(**forged))

    with pytest.raises(IntegrityError):
        insert()


def test_submission_is_refused_naming_the_rule_when_nobody_could_sign_a_step(db: Database) -> None:
    author = make_user(db, "alice", "author")
    for name in ("pat", "peng", "ping"):
        make_user(db, name, "proofreader")
    make_user(db, "gao", "reviewer1", "reviewer2", "reviewer3")
    draft_id = new_draft(db, author)
    before = snapshot(db)
    with pytest.raises(Conflict) as refused, db.write() as session:
        submit_draft(session, actor=author, draft_id=draft_id)
    assert (refused.value.code, refused.value.rule) == ("no_eligible_signer", "R3")
    assert "复审 (review2)" in refused.value.message
    assert snapshot(db) == before


def test_submission_is_refused_when_the_only_reviewer_is_the_author(db: Database) -> None:
    author = make_user(db, "alice", "author", "reviewer1")
    for name in ("pat", "peng", "ping"):
        make_user(db, name, "proofreader")
    make_user(db, "ren", "reviewer2")
    make_user(db, "rong", "reviewer3")
    draft_id = new_draft(db, author)
    with pytest.raises(Conflict) as refused, db.write() as session:
        submit_draft(session, actor=author, draft_id=draft_id)
    assert refused.value.rule == "R4"
    assert "初审 (review1)" in refused.value.message


def test_an_approval_that_would_leave_a_later_step_without_a_signer_is_refused(db: Database) -> None:
    author = make_user(db, "alice", "author")
    proofreaders = [make_user(db, name, "proofreader") for name in ("pat", "peng", "ping")]
    both = make_user(db, "gao", "reviewer1", "reviewer2")
    first_only = make_user(db, "xu", "reviewer1")
    final = make_user(db, "rong", "reviewer3")
    draft_id = new_draft(db, author)
    with db.write() as session:
        submit_draft(session, actor=author, draft_id=draft_id)
    act(db, proofreaders[0], draft_id)
    before = snapshot(db)
    with pytest.raises(Conflict) as refused:
        act(db, both, draft_id)
    assert (refused.value.code, refused.value.rule) == ("would_strand", "R3")
    assert "复审 (review2)" in refused.value.message
    assert snapshot(db) == before
    for signer in (first_only, proofreaders[1], both, proofreaders[2], final):
        act(db, signer, draft_id)
    assert get_draft(db, draft_id).state == "approved"


def test_correcting_the_text_of_one_proofread_is_taking_part_in_it(db: Database) -> None:
    """R16 counts the work, not only the signature: who corrected 一校 may not do 二校."""
    room = newsroom(db)
    make_user(db, "pei", "proofreader")
    draft_id = submitted_draft(db, room)
    with db.write() as session:
        revise_draft(session, actor=room.proof1, draft_id=draft_id, body="各单位：\n请于本月底前完成自查工作。")
    act(db, room.proof2, draft_id)
    act(db, room.review1, draft_id)
    with db.read() as session:
        assert [item.draft_id for item in queue_for(session, room.proof1)] == []
        assert [item.draft_id for item in queue_for(session, room.proof3)] == [draft_id]
    with db.write() as session, pytest.raises(Forbidden) as refused:
        revise_draft(session, actor=room.proof1, draft_id=draft_id, body="各单位：\n请于月底前完成全面自查工作。")
    assert (refused.value.code, refused.value.rule) == ("separation_of_duties", "R16")
    assert "corrected the text in 一校 (proof1)" in refused.value.message
    with pytest.raises(Forbidden):
        act(db, room.proof1, draft_id)


def test_a_workflow_putting_review_steps_outside_one_group_is_refused(tmp_path: Path) -> None:
    """R3 holds for every workflow, not only for one whose author remembered distinct_signers."""
    (tmp_path / "lax.yaml").write_text(
        "name: lax\nlabel: {zh: 宽, en: lax}\nsteps:\n"
        + "".join(
            f"  - {{id: review{n}, kind: review, label: {{zh: 审{n}, en: r{n}}}, roles: [reviewer{n}]}}\n"
            for n in (1, 2, 3)
        ),
        encoding="utf-8",
    )
    with pytest.raises(Invalid, match=r"must together be one distinct_signers group.*\(R3\)"):
        load_definitions(tmp_path)
