"""The queue: what a person may act on now, oldest waiting first."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from review import clock
from review import queue as queue_module
from review.actors import Actor
from review.config import PROJECT_DIR
from review.db import Database
from review.drafts import submit_draft
from review.queue import queue_for, queue_size
from review.workflows.registry import load_definitions, register_workflows
from tests.factories import act, approve_through, get_draft, make_user, new_draft, newsroom, submitted_draft


def queue(db: Database, actor: Actor) -> list[tuple[int, str]]:
    with db.read() as session:
        return [(item.draft_id, item.step) for item in queue_for(session, actor)]


def test_a_draft_appears_in_the_queue_of_whoever_may_sign_its_active_step(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    assert queue(db, room.proof1) == queue(db, room.proof2) == [(draft_id, "proof1")]
    assert queue(db, room.review1) == []
    assert queue(db, room.author) == []
    act(db, room.proof1, draft_id)
    assert queue(db, room.review1) == [(draft_id, "review1")]
    assert queue(db, room.proof1) == []


def test_separation_of_duties_keeps_a_draft_out_of_the_queue(db: Database) -> None:
    room = newsroom(db)
    senior = make_user(db, "gao", "reviewer1", "reviewer2", "author")
    own = new_draft(db, senior)
    with db.write() as session:
        submit_draft(session, actor=senior, draft_id=own)
    approve_through(db, room, own, until="review1")
    assert queue(db, senior) == []
    other = submitted_draft(db, room)
    approve_through(db, room, other, until="review1")
    assert queue(db, senior) == [(other, "review1")]
    act(db, senior, other)
    approve_through(db, room, other, until="review2")
    assert queue(db, senior) == []
    assert queue(db, room.review2) == [(other, "review2")]


def test_the_queue_is_oldest_waiting_first_with_its_label_and_time(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = newsroom(db)
    start = clock.now()
    ids = []
    for minutes in (0, 5, 10):
        monkeypatch.setattr(clock, "now", lambda m=minutes: start + timedelta(minutes=m))
        ids.append(submitted_draft(db, room))
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=20))
    act(db, room.proof1, ids[0])
    act(db, room.proof1, ids[1])
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=30))
    approve_through(db, room, ids[0], until="proof2")
    with db.read() as session:
        items = queue_for(session, room.proof2)
    assert [(i.draft_id, i.step) for i in items] == [(ids[2], "proof1"), (ids[0], "proof2")]
    assert items[0].step_label == "一校"
    assert items[0].step_label_en == "First proofread"
    assert items[0].waiting_since == start + timedelta(minutes=10)
    assert items[1].waiting_since == start + timedelta(minutes=30)


def test_pages_of_the_queue_merge_its_steps_oldest_first_and_the_count_stops_at_its_cap(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proofreader signs three steps; each step is read in its own order and the pages merge them."""
    room = newsroom(db)
    other = make_user(db, "pei", "proofreader")
    start = clock.now()
    waiting = []
    for minute in range(7):
        monkeypatch.setattr(clock, "now", lambda m=minute: start + timedelta(minutes=m))
        draft_id = submitted_draft(db, room)
        if minute % 2:
            act(db, room.proof1, draft_id)
            act(db, room.review1, draft_id)
        waiting.append((draft_id, "proof2" if minute % 2 else "proof1"))
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(hours=1))
    with db.read() as session:
        pages = [[(i.draft_id, i.step) for i in queue_for(session, other, limit=3, offset=o)] for o in (0, 3, 6, 9)]
        sizes = [queue_size(session, other, cap=cap) for cap in (3, 7, 50)]
    assert pages == [waiting[0:3], waiting[3:6], waiting[6:7], []]
    assert sizes == [4, 7, 7]


def test_the_queue_works_across_hundreds_of_workflow_versions(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each edit of a workflow file registers a version; drafts keep theirs. SQLite allows 500 terms in a
    compound SELECT, so the queue must not make one per (version, step) of every version ever registered."""
    room = newsroom(db)
    definitions = load_definitions(PROJECT_DIR / "workflows")
    old = submitted_draft(db, room)
    with db.write() as session:
        for edit in range(130):
            register_workflows(session, [replace(d, source=f"{d.source}\n# edit {edit}\n") for d in definitions])
    new = submitted_draft(db, room)
    chief = make_user(db, "chief", "proofreader", "reviewer1", "reviewer2", "reviewer3")
    assert get_draft(db, new).workflow_version_id != get_draft(db, old).workflow_version_id
    assert queue(db, chief) == [(old, "proof1"), (new, "proof1")]
    with db.read() as session:
        assert queue_size(session, chief) == 2
    monkeypatch.setattr(queue_module, "MAX_BRANCHES", 1)  # past it, one filtered and sorted query
    assert queue(db, chief) == [(old, "proof1"), (new, "proof1")]
    with db.read() as session:
        assert [(i.draft_id, i.step) for i in queue_for(session, chief, limit=1, offset=1)] == [(new, "proof1")]
        assert queue_size(session, chief, cap=1) == 2
