"""Invariant 2: any change of content after a sign-off voids it.

Editing creates a new revision; sign-offs on an older one do not count. The author edits only after a
return, and the next submission restarts the cycle so that every step signs the new text (R10). A
proofreader's correction inside a proofread step is a new revision attributed to them, with its diff
recorded; the later steps sign that revision (R18).
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select

from review.db import Database
from review.drafts import revise_draft, submit_draft
from review.errors import Conflict
from review.models import Event, Revision, Signoff
from review.publishing import publish
from review.views import draft_view
from tests.factories import act, approve_through, get_draft, newsroom, snapshot, submitted_draft


def test_after_a_return_and_an_edit_every_step_signs_the_new_revision_again(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until="review3")
    act(db, room.review3, draft_id, "return", comment="第二段数据需核实。")
    with db.write() as session:
        revise_draft(session, actor=room.author, draft_id=draft_id, body="各单位：\n请于本月25日前完成自查。")
    with db.write() as session, pytest.raises(Conflict):
        publish(session, actor=room.publisher, draft_id=draft_id)
    with db.write() as session:
        submit_draft(session, actor=room.author, draft_id=draft_id)
    draft = get_draft(db, draft_id)
    assert (draft.state, draft.cycle, draft.revision) == ("proof1", 2, 2)
    with db.read() as session:
        view = draft_view(session, room.auditor, draft_id)
    assert [s.status for s in view.steps] == ["active"] + ["pending"] * 5
    assert all(not s.signoffs for s in view.steps)
    approve_through(db, room, draft_id)
    with db.write() as session:
        publish(session, actor=room.publisher, draft_id=draft_id)
    with db.read() as session:
        signoffs = session.exec(select(Signoff).where(col(Signoff.draft_id) == draft_id)).all()
    old = [s for s in signoffs if s.revision == 1]
    new = [s for s in signoffs if s.revision == 2]
    assert [s.step_id for s in old] == ["proof1", "review1", "proof2", "review2", "proof3", "review3"]
    assert old[-1].decision == "return"
    assert [s.step_id for s in new] == ["proof1", "review1", "proof2", "review2", "proof3", "review3"]


def test_the_author_cannot_change_the_text_while_it_is_under_review(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until="review1")
    before = snapshot(db)
    with db.write() as session, pytest.raises(Conflict) as refused:
        revise_draft(session, actor=room.author, draft_id=draft_id, title="改过的标题")
    assert refused.value.code == "not_editable"
    assert snapshot(db) == before


def test_a_proofreaders_correction_is_a_new_revision_the_later_steps_sign(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until="proof2")
    with db.write() as session:
        revise_draft(session, actor=room.proof2, draft_id=draft_id, body="各单位：\n请于本月底前完成自查工作。")
    with pytest.raises(Conflict) as stale:
        act(db, room.proof2, draft_id, revision=1)
    assert stale.value.code == "stale_revision"
    act(db, room.proof2, draft_id)
    approve_through(db, room, draft_id)
    with db.write() as session:
        publication = publish(session, actor=room.publisher, draft_id=draft_id)
    with db.read() as session:
        correction = session.exec(
            select(Revision).where(col(Revision.draft_id) == draft_id, col(Revision.number) == 2)
        ).one()
        signoffs = session.exec(
            select(Signoff).where(col(Signoff.draft_id) == draft_id).order_by(col(Signoff.id))
        ).all()
        revised = session.exec(select(Event).where(col(Event.draft_id) == draft_id, col(Event.kind) == "revised")).one()
    assert (correction.author_id, correction.step_id, correction.cycle) == (room.proof2.id, "proof2", 1)
    assert [(s.step_id, s.revision) for s in signoffs] == [
        ("proof1", 1),
        ("review1", 1),
        ("proof2", 2),
        ("review2", 2),
        ("proof3", 2),
        ("review3", 2),
    ]
    assert publication.revision == 2
    payload = json.loads(revised.payload)
    assert revised.actor == room.proof2.username
    assert (payload["step"], payload["lines_added"], payload["lines_removed"]) == ("proof2", 1, 1)


def test_a_save_that_changes_nothing_creates_nothing_and_voids_nothing(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until="proof2")
    draft = get_draft(db, draft_id)
    before = snapshot(db)
    with db.write() as session:
        revise_draft(session, actor=room.proof2, draft_id=draft_id, title=draft.title, body=draft.body)
    assert snapshot(db) == before


def test_line_endings_are_canonical_so_a_crlf_save_of_the_same_text_is_no_change(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until="proof2")
    before = snapshot(db)
    with db.write() as session:
        revise_draft(session, actor=room.proof2, draft_id=draft_id, body="各单位：\r\n请于本月底前完成自查。")
    assert snapshot(db) == before
