"""The process-level writer slots, and the per-transaction read memo."""

from __future__ import annotations

import threading
import time

from review.db import Database, WriterSlots
from review.decisions import decide
from review.models import Draft
from review.runs import current_run, run_signoffs, run_steps
from tests.factories import act, newsroom, required_checks, submitted_draft


def test_writer_slots_let_one_thread_in_at_a_time_and_a_thread_inside_may_enter_again() -> None:
    slots = WriterSlots(1)
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def first() -> None:
        with slots, slots:  # re-entrant: a nested write transaction in the same thread does not deadlock
            order.append("first in")
            inside.set()
            release.wait(5)
            order.append("first out")

    def second() -> None:
        inside.wait(5)
        with slots:
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    inside.wait(5)
    time.sleep(0.1)
    assert order == ["first in"]
    release.set()
    for thread in threads:
        thread.join(5)
    assert order == ["first in", "first out", "second in"]


def test_what_a_transaction_read_of_a_cycle_is_read_again_after_it_writes(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    act(db, room.proof1, draft_id)
    with db.write() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        run = current_run(session, draft)
        assert run is not None
        assert run.id is not None
        before = run_signoffs(session, run.id)
        assert [s.step_id for s in before] == ["proof1"]
        assert [s.status for s in run_steps(session, run.id)][:2] == ["signed", "active"]
        decide(
            session,
            actor=room.review1,
            draft_id=draft_id,
            step="review1",
            decision="approve",
            revision=draft.revision,
            comment="同意。",
            checklist=required_checks(session, draft, "review1"),
        )
        assert [s.step_id for s in run_signoffs(session, run.id)] == ["proof1", "review1"]
        assert [s.status for s in run_steps(session, run.id)][:3] == ["signed", "signed", "active"]
