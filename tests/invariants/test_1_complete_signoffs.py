"""Invariant 1: nothing is published without a complete set of sign-offs on the exact text published.

Publishing re-hashes what goes out and re-derives from the rows that every applicable step of the
current cycle is signed, the last one on that hash (R1, R2, R22). These tests break each part of that
and expect a refusal.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from review.content import content_hash
from review.db import Database
from review.drafts import revise_draft, submit_draft
from review.errors import Conflict
from review.models import Publication, Signoff
from review.publishing import publish
from review.workflows.registry import load_definitions, register_workflows
from tests.factories import (
    Newsroom,
    act,
    approve_through,
    bypass_append_only,
    get_draft,
    new_draft,
    newsroom,
    published_draft,
    submitted_draft,
)

DEFAULT_STEPS = ["proof1", "review1", "proof2", "review2", "proof3", "review3"]


def try_publish(db: Database, room: Newsroom, draft_id: int, channel: str | None = None) -> Publication:
    with db.write() as session:
        return publish(session, actor=room.publisher, draft_id=draft_id, channel=channel)


def test_a_draft_signed_at_all_six_steps_is_published_with_the_hash_the_last_step_signed(db: Database) -> None:
    room = newsroom(db)
    draft_id = published_draft(db, room)
    draft = get_draft(db, draft_id)
    with db.read() as session:
        publication = session.exec(select(Publication).where(col(Publication.draft_id) == draft_id)).one()
        signoffs = session.exec(
            select(Signoff).where(col(Signoff.draft_id) == draft_id).order_by(col(Signoff.id))
        ).all()
    assert [s.step_id for s in signoffs] == DEFAULT_STEPS
    assert publication.content_hash == signoffs[-1].content_hash == content_hash(draft.title, draft.body)
    assert (publication.title, publication.body) == (draft.title, draft.body)
    assert draft.state == "published"


@pytest.mark.parametrize("waiting_at", DEFAULT_STEPS)
def test_publishing_before_every_step_is_signed_is_refused(db: Database, waiting_at: str) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until=waiting_at)
    with pytest.raises(Conflict) as refused:
        try_publish(db, room, draft_id)
    assert refused.value.code == "not_signed_off"
    assert get_draft(db, draft_id).state == waiting_at


def test_an_unsubmitted_draft_cannot_be_published(db: Database) -> None:
    room = newsroom(db)
    draft_id = new_draft(db, room.author)
    with pytest.raises(Conflict):
        try_publish(db, room, draft_id)


def test_a_specialist_draft_needs_both_committee_approvals(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room, tags=["specialist"])
    approve_through(db, room, draft_id, until="committee")
    act(db, room.committee1, draft_id)
    assert get_draft(db, draft_id).state == "committee"
    with pytest.raises(Conflict):
        try_publish(db, room, draft_id)
    act(db, room.committee2, draft_id)
    approve_through(db, room, draft_id)
    assert try_publish(db, room, draft_id).channel == "website"


def test_text_changed_behind_the_engines_back_is_not_published(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id)
    with db.write() as session:
        session.connection().execute(
            text("UPDATE drafts SET body = body || '（未经审核的增补）' WHERE id = :id"), {"id": draft_id}
        )
    with pytest.raises(Conflict) as refused:
        try_publish(db, room, draft_id)
    assert "no longer matches" in refused.value.message


def test_a_step_marked_signed_without_a_signoff_is_not_enough(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until="review3")
    with db.write() as session:
        session.connection().execute(text("UPDATE step_states SET status = 'signed'"))
        session.connection().execute(text("UPDATE drafts SET state = 'approved' WHERE id = :id"), {"id": draft_id})
    with pytest.raises(Conflict) as refused:
        try_publish(db, room, draft_id)
    assert "终审 (review3) is not signed" in refused.value.message


def test_the_last_signature_must_be_on_the_revision_that_goes_out(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id)
    with db.write() as session:
        bypass_append_only(session.connection())
        session.connection().execute(
            text("UPDATE signoffs SET content_hash = :h WHERE step_id = 'review3'"), {"h": "0" * 64}
        )
    with pytest.raises(Conflict) as refused:
        try_publish(db, room, draft_id)
    assert "did not sign revision" in refused.value.message


CHANNEL_WORKFLOW = """
name: 网站与公众号
label: {zh: 网站与公众号, en: Website and WeChat}
distinct_signers: [[review1, wechat_check, review3]]
steps:
  - {id: review1, kind: review, label: {zh: 初审, en: First review}, roles: [reviewer1]}
  - id: wechat_check
    kind: review
    label: {zh: 公众号审核, en: WeChat check}
    roles: [reviewer2]
    when: {channels: [wechat]}
  - {id: review3, kind: review, label: {zh: 终审, en: Final review}, roles: [reviewer3]}
"""


def test_publishing_to_a_channel_with_an_extra_step_needs_that_step_signed(db: Database, tmp_path: Path) -> None:
    (tmp_path / "channels.yaml").write_text(CHANNEL_WORKFLOW, encoding="utf-8")
    with db.write() as session:
        register_workflows(session, load_definitions(tmp_path))
    room = newsroom(db)
    draft_id = submitted_draft(db, room, workflow="channels")
    approve_through(db, room, draft_id)
    with pytest.raises(Conflict) as refused:
        try_publish(db, room, draft_id, channel="wechat")
    assert "公众号审核 (wechat_check) is not signed for channel 'wechat'" in refused.value.message
    assert try_publish(db, room, draft_id, channel="website").channel == "website"


def test_removing_a_tag_after_a_return_does_not_shed_the_committee(db: Database) -> None:
    """A step that applied in an earlier cycle applies again: the tag cannot be dropped to skip it."""
    room = newsroom(db)
    draft_id = submitted_draft(db, room, tags=["specialist"])
    approve_through(db, room, draft_id, until="committee")
    act(db, room.committee1, draft_id, "return", comment="专业表述有误。")
    with db.write() as session:
        revise_draft(session, actor=room.author, draft_id=draft_id, tags=[])
        submit_draft(session, actor=room.author, draft_id=draft_id)
    approve_through(db, room, draft_id, until="committee")
    assert get_draft(db, draft_id).tags == []
    with pytest.raises(Conflict):
        try_publish(db, room, draft_id)
    approve_through(db, room, draft_id)
    assert try_publish(db, room, draft_id).channel == "website"
