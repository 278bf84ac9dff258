"""The draft and trail as clients see them (CONTRACT §4 shapes), and who may read them."""

from __future__ import annotations

import pytest

from review.db import Database
from review.errors import Forbidden, NotFound
from review.views import draft_trail, draft_view, list_drafts
from tests.factories import act, make_user, new_draft, newsroom, published_draft, submitted_draft

DRAFT_KEYS = {
    "id",
    "title",
    "body",
    "channel",
    "tags",
    "author",
    "state",
    "revision",
    "content_hash",
    "workflow",
    "steps",
    "importance",
}
STEP_KEYS = {"id", "label", "kind", "status", "signoffs"}
SIGNOFF_KEYS = {
    "user",
    "name",
    "decision",
    "revision",
    "content_hash",
    "at",
    "comment",
    "role",
    "step",
    "meaning",
    "checklist",
    "qualifications",
}


def test_a_draft_has_the_contracts_shape(db: Database) -> None:
    room = newsroom(db)
    draft_id = published_draft(db, room)
    with db.read() as session:
        shown = draft_view(session, room.auditor, draft_id).model_dump(mode="json")
    assert shown.keys() >= DRAFT_KEYS
    assert (shown["state"], shown["workflow"], shown["author"]) == ("published", "三审三校", "alice")
    assert [s["id"] for s in shown["steps"]] == ["proof1", "review1", "proof2", "review2", "proof3", "review3"]
    for step in shown["steps"]:
        assert step.keys() >= STEP_KEYS
        assert step["status"] == "signed"
        [signoff] = step["signoffs"]
        assert signoff.keys() >= SIGNOFF_KEYS
        assert signoff["at"].endswith("Z")
    review3 = shown["steps"][-1]["signoffs"][0]
    assert review3["meaning"] == "终审 approve"
    assert review3["checklist"] == {"political": True, "legal": True, "secrecy": True}
    assert shown["publications"][0]["content_hash"] == shown["content_hash"]


def test_before_submission_the_steps_that_will_apply_are_listed_pending(db: Database) -> None:
    room = newsroom(db)
    draft_id = new_draft(db, room.author, tags=["specialist"])
    with db.read() as session:
        shown = draft_view(session, room.author, draft_id)
    assert [(s.id, s.status) for s in shown.steps][-2:] == [("committee", "pending"), ("review3", "pending")]


def test_a_returned_draft_shows_the_opinion_it_was_returned_with(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    act(db, room.proof1, draft_id)
    act(db, room.review1, draft_id, "return", comment="导语过长，请压缩到一百字以内。")
    with db.read() as session:
        shown = draft_view(session, room.author, draft_id)
    assert shown.state == "returned"
    assert [(s.id, s.status) for s in shown.steps][:2] == [("proof1", "signed"), ("review1", "pending")]
    assert shown.steps[1].signoffs[0].comment == "导语过长，请压缩到一百字以内。"


def test_the_trail_lists_every_event_oldest_first(db: Database) -> None:
    room = newsroom(db)
    draft_id = published_draft(db, room)
    with db.read() as session:
        events = draft_trail(session, room.auditor, draft_id)
    assert [e.kind for e in events] == ["created", "prechecked", "submitted"] + ["decided"] * 6 + ["published"]
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert events[3].payload["meaning"] == "一校 approve"
    assert events[-1].payload["content_hash"] == events[-2].payload["content_hash"]


def test_authors_read_only_their_own_drafts_and_everyone_else_reads_all(db: Database) -> None:
    room = newsroom(db)
    other = make_user(db, "bo", "author")
    draft_id = new_draft(db, room.author)
    with db.read() as session:
        with pytest.raises(Forbidden):
            draft_view(session, other, draft_id)
        with pytest.raises(Forbidden):
            draft_trail(session, other, draft_id)
        with pytest.raises(NotFound):
            draft_view(session, room.auditor, 999_999)
        assert draft_view(session, room.review3, draft_id).id == draft_id
        assert list_drafts(session, other)[0] == 0
        assert list_drafts(session, room.auditor)[0] == 1
