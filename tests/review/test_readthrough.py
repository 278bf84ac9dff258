"""通读 (R15, R20) in the shipped publishing-house workflow: the read-through ends in 付印 when its reader
corrected nothing, or in 改后付印 when they did — and then someone else checks the corrections (核红)
before the draft is approved and can be published."""

from __future__ import annotations

import pytest

from review.actors import Actor
from review.db import Database
from review.drafts import revise_draft, submit_draft
from review.errors import Conflict, Forbidden, Invalid
from review.models import Draft
from review.publishing import publish
from review.users import deactivate_user, set_qualifications
from tests.factories import act, get_draft, make_user, new_draft, newsroom, snapshot

CHECKED = ("proof3", "readthrough")


class House:
    """The default newsroom, plus the qualified proofreaders 三校 and the read-through need (R17)."""

    def __init__(self, db: Database) -> None:
        self.room = newsroom(db)
        self.proof3 = make_user(db, "qiao", "proofreader", qualifications=("proof_mid",))
        self.reader = make_user(db, "qin", "proofreader", qualifications=("proof_mid",))
        self.checker = make_user(db, "qu", "proofreader", qualifications=("proof_mid",))

    def signer(self, step: str) -> Actor:
        return {"proof3": self.proof3, "readthrough": self.reader}.get(step) or self.room.signer(step)


@pytest.fixture
def house(db: Database) -> House:
    return House(db)


def at_readthrough(db: Database, house: House, **fields: object) -> int:
    draft_id = new_draft(db, house.room.author, workflow="publishing", **fields)
    with db.write() as session:
        submit_draft(session, actor=house.room.author, draft_id=draft_id)
    while (state := get_draft(db, draft_id).state) != "readthrough":
        act(db, house.signer(state), draft_id)
    return draft_id


def correct(db: Database, actor: Actor, draft_id: int) -> Draft:
    with db.write() as session:
        return revise_draft(
            session,
            actor=actor,
            draft_id=draft_id,
            body=get_draft(db, draft_id).body.replace("底", "末"),
            errors={"typo": 1},
        )


def test_a_clean_read_through_is_signed_fuyin_and_published(db: Database, house: House) -> None:
    draft_id = at_readthrough(db, house)
    with pytest.raises(Invalid, match=r"通读全文 \(read_in_full\)"):
        act(db, house.reader, draft_id, checklist={})
    with pytest.raises(Invalid, match="make the corrections first") as refused:
        act(db, house.reader, draft_id, "approve_with_changes", checklist={"read_in_full": True})
    assert refused.value.code == "no_corrections"
    signoff = act(db, house.reader, draft_id, checklist={"read_in_full": True})
    assert (signoff.decision, signoff.step_kind, signoff.step_label_zh) == ("approve", "readthrough", "通读")
    assert get_draft(db, draft_id).state == "approved"
    with db.write() as session:
        assert publish(session, actor=house.room.publisher, draft_id=draft_id).revision == 1


def test_corrections_in_the_read_through_need_gaihoufuyin_and_a_second_check(db: Database, house: House) -> None:
    draft_id = at_readthrough(db, house)
    corrected = correct(db, house.reader, draft_id)
    with pytest.raises(Invalid, match=r"sign 改后付印 \(approve_with_changes\)") as refused:
        act(db, house.reader, draft_id, checklist={"read_in_full": True})
    assert refused.value.code == "corrections_unchecked"
    signed = act(db, house.reader, draft_id, "approve_with_changes", checklist={"read_in_full": True})
    assert (signed.slot, signed.quorum, signed.revision) == (1, 2, corrected.revision)
    assert signed.errors is not None
    assert signed.errors["counts"] == {"typo": 1}
    assert get_draft(db, draft_id).state == "readthrough"  # waiting for the check

    with pytest.raises(Conflict, match="being checked") as frozen:
        correct(db, house.checker, draft_id)
    assert frozen.value.code == "not_editable"
    with pytest.raises(Conflict, match="already signed"):
        act(db, house.reader, draft_id, checklist={"hehong": True})
    with db.write() as session, pytest.raises(Conflict, match="not fully signed off") as unpublished:
        publish(session, actor=house.room.publisher, draft_id=draft_id)
    assert unpublished.value.code == "not_signed_off"
    with pytest.raises(Invalid, match=r"核红 \(hehong\).*通读.*revision 1 → 2"):
        act(db, house.checker, draft_id, checklist={"read_in_full": True})

    checked = act(db, house.checker, draft_id, checklist={"hehong": True})
    assert (checked.decision, checked.slot, checked.quorum) == ("approve", 2, 2)
    assert get_draft(db, draft_id).state == "approved"
    with db.write() as session:
        publication = publish(session, actor=house.room.publisher, draft_id=draft_id)
    assert (publication.revision, publication.content_hash) == (corrected.revision, corrected.content_hash)


def test_gaihoufuyin_is_refused_when_nobody_is_left_to_check_it(db: Database, house: House) -> None:
    draft_id = at_readthrough(db, house)
    correct(db, house.reader, draft_id)
    with db.write() as session:
        set_qualifications(session, actor=None, username=house.checker.username, qualifications=[])
        set_qualifications(session, actor=None, username=house.proof3.username, qualifications=[])
    before = snapshot(db)
    with pytest.raises(Conflict, match="nobody is left to sign 通读") as refused:
        act(db, house.reader, draft_id, "approve_with_changes", checklist={"read_in_full": True})
    assert refused.value.code == "would_strand"
    assert snapshot(db) == before


def test_gaihoufuyin_belongs_to_read_throughs_only(db: Database, house: House) -> None:
    draft_id = at_readthrough(db, house)
    assert get_draft(db, draft_id).workflow_version_id
    other = new_draft(db, house.room.author)
    with db.write() as session:
        submit_draft(session, actor=house.room.author, draft_id=other)
    correct(db, house.room.proof1, other)
    with pytest.raises(Invalid, match="ends a read-through") as refused:
        act(db, house.room.proof1, other, "approve_with_changes")
    assert refused.value.code == "unknown_decision"


def test_the_read_through_needs_the_qualification_and_key_items_get_a_fourth_proofread(
    db: Database, house: House
) -> None:
    draft_id = new_draft(db, house.room.author, workflow="publishing", tags=["key"])
    with db.write() as session:
        submit_draft(session, actor=house.room.author, draft_id=draft_id)
    steps = []
    while (state := get_draft(db, draft_id).state) not in ("readthrough", "proof4"):
        act(db, house.signer(state), draft_id)
        steps.append(state)
    assert state == "proof4"
    assert steps == ["proof1", "review1", "proof2", "review2", "proof3"]
    with pytest.raises(Forbidden, match="proof_mid") as refused:
        act(db, house.room.proof3, draft_id)
    assert refused.value.code == "missing_qualification"
    act(db, house.reader, draft_id)
    act(db, house.room.review3, draft_id)
    with pytest.raises(Forbidden, match="proof_mid"):
        act(db, house.room.proof1, draft_id, checklist={"read_in_full": True})
    act(db, house.checker, draft_id, checklist={"read_in_full": True})
    assert get_draft(db, draft_id).state == "approved"


def test_a_read_through_has_one_reader_who_signs_for_their_own_corrections(db: Database, house: House) -> None:
    draft_id = at_readthrough(db, house)
    correct(db, house.checker, draft_id)  # the would-be checker corrects first
    with pytest.raises(Conflict, match="another proofreader already corrected") as second:
        correct(db, house.reader, draft_id)
    assert second.value.code == "not_editable"
    with pytest.raises(Invalid, match="someone else did") as not_mine:
        act(db, house.reader, draft_id, "approve_with_changes", checklist={"read_in_full": True})
    assert not_mine.value.code == "no_corrections"
    with pytest.raises(Invalid, match="sign 改后付印") as unchecked:
        act(db, house.reader, draft_id, checklist={"read_in_full": True})
    assert unchecked.value.code == "corrections_unchecked"
    act(db, house.checker, draft_id, "approve_with_changes", checklist={"read_in_full": True})
    with pytest.raises(Conflict, match="already signed"):
        act(db, house.checker, draft_id, checklist={"hehong": True})
    act(db, house.reader, draft_id, checklist={"hehong": True})
    assert get_draft(db, draft_id).state == "approved"


def test_the_check_of_gaihoufuyin_is_not_stranded_by_counting_the_reader_twice(db: Database, house: House) -> None:
    draft_id = at_readthrough(db, house)
    correct(db, house.reader, draft_id)
    act(db, house.reader, draft_id, "approve_with_changes", checklist={"read_in_full": True})
    with db.write() as session:  # the reader leaves, and so does the other qualified proofreader
        deactivate_user(session, actor=None, username=house.reader.username)
        set_qualifications(session, actor=None, username=house.proof3.username, qualifications=[])
    act(db, house.checker, draft_id, checklist={"hehong": True})
    assert get_draft(db, draft_id).state == "approved"
