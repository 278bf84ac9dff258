"""核红 (R19): the proofread after a corrected round is shown that round's corrections and must attest
that they were applied correctly; a round without corrections asks nothing more."""

from __future__ import annotations

import pytest

from review.db import Database
from review.drafts import revise_draft, submit_draft
from review.errors import Invalid
from review.hehong import previous_round, previous_round_diff
from review.workflows.registry import compiled
from tests.factories import Newsroom, act, approve_through, get_draft, newsroom, submitted_draft

CORRECTED = "各单位：\n请于本月底前完成自查。"


@pytest.fixture
def room(db: Database) -> Newsroom:
    return newsroom(db)


def corrected_at_proof1(db: Database, room: Newsroom) -> int:
    draft_id = submitted_draft(db, room, body="各单位：\n请于本月低前完成自查。")
    with db.write() as session:
        revise_draft(session, actor=room.proof1, draft_id=draft_id, body=CORRECTED)
    approve_through(db, room, draft_id, until="proof2")
    return draft_id


def test_the_next_proofread_must_attest_hehong_after_corrections(db: Database, room: Newsroom) -> None:
    draft_id = corrected_at_proof1(db, room)
    with pytest.raises(Invalid, match=r"核红 \(hehong\).*一校.*revision 1 → 2") as refused:
        act(db, room.proof2, draft_id, checklist={})
    assert refused.value.code == "missing_checks"
    signoff = act(db, room.proof2, draft_id, checklist={"hehong": True})
    assert signoff.checklist == {"hehong": True}
    assert get_draft(db, draft_id).state == "review2"


def test_the_page_diff_shows_exactly_the_previous_rounds_corrections(db: Database, room: Newsroom) -> None:
    draft_id = corrected_at_proof1(db, room)
    with db.read() as session:
        draft = get_draft(db, draft_id)
        wf = compiled(session, draft.workflow_version_id)
        found = previous_round(session, draft, wf, "proof2")
        diff = previous_round_diff(session, draft, wf)
    assert found is not None
    assert (found.step, found.from_revision, found.to_revision) == ("proof1", 1, 2)
    assert diff is not None
    assert [(p.op, p.text) for p in diff.body if p.op != "equal"] == [("delete", "低"), ("insert", "底")]
    assert diff.signed_by == room.proof1.full_name


def test_a_round_without_corrections_asks_no_hehong(db: Database, room: Newsroom) -> None:
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until="proof2")
    with db.read() as session:
        draft = get_draft(db, draft_id)
        assert previous_round(session, draft, compiled(session, draft.workflow_version_id), "proof2") is None
    assert act(db, room.proof2, draft_id, checklist={}).checklist == {}


def test_hehong_looks_only_at_the_current_cycle(db: Database, room: Newsroom) -> None:
    """After a return the author's new text restarts the cycle; the old round's corrections are history."""
    draft_id = corrected_at_proof1(db, room)
    act(db, room.proof2, draft_id, "return", comment="请作者补充落款。")
    with db.write() as session:
        revise_draft(session, actor=room.author, draft_id=draft_id, body=CORRECTED + "\n市应急管理局")
    with db.write() as session:
        submit_draft(session, actor=room.author, draft_id=draft_id)
    approve_through(db, room, draft_id, until="proof2")
    assert act(db, room.proof2, draft_id, checklist={}).decision == "approve"
