"""Invariant 5: concurrency is safe.

Several people acting on one draft at once never produce a double sign-off, a lost decision or a
skipped step. Each command is one transaction that locks the draft first (SQLite: BEGIN IMMEDIATE;
PostgreSQL: SELECT … FOR UPDATE), and unique constraints back the rules. The races below run on
separate real connections, started together by a barrier.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, func, select

from review import decisions
from review.actors import Actor
from review.db import Database, lock_draft
from review.drafts import revise_draft
from review.errors import Conflict, SanshenError
from review.models import Draft, Signoff
from review.users import add_user, refresh_actor, set_roles
from review.verify import verify_database
from tests.factories import act, approve_through, get_draft, make_user, newsroom, submitted_draft

RACERS = 6
ROUNDS = 8


def race(calls: list[Callable[[], object]]) -> list[object | SanshenError]:
    """Run the calls at the same moment on separate threads (each opens its own connection)."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object | SanshenError:
        barrier.wait()
        try:
            return call()
        except SanshenError as error:
            return error

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def eligible_proofreaders(db: Database) -> list[Actor]:
    return [make_user(db, f"proof{n}", "proofreader") for n in range(RACERS)]


def assert_one_winner(results: list[object | SanshenError]) -> None:
    errors = [r for r in results if isinstance(r, SanshenError)]
    assert len(results) - len(errors) == 1, results
    assert all(isinstance(e, Conflict) for e in errors), errors


def assert_chain_intact(db: Database) -> None:
    """Events are gapless and each links to the one before it: no append was lost or interleaved."""
    with db.read() as session:
        verification = verify_database(session)
    assert verification.ok, verification.first_bad


def test_eligible_signers_racing_one_step_produce_exactly_one_signoff(db: Database) -> None:
    room = newsroom(db)
    racers = eligible_proofreaders(db)
    for _ in range(ROUNDS):
        draft_id = submitted_draft(db, room)
        results = race([lambda who=who, d=draft_id: act(db, who, d, step="proof1", revision=1) for who in racers])
        assert_one_winner(results)
        draft = get_draft(db, draft_id)
        assert draft.state == "review1"
        with db.read() as session:
            steps = Counter(session.exec(select(Signoff.step_id).where(col(Signoff.draft_id) == draft_id)).all())
        assert steps == {"proof1": 1}
    assert_chain_intact(db)


def test_committee_members_racing_fill_the_quorum_exactly(db: Database) -> None:
    room = newsroom(db)
    members = [make_user(db, f"member{n}", "committee") for n in range(RACERS)]
    for _ in range(ROUNDS // 2):
        draft_id = submitted_draft(db, room, tags=["specialist"])
        approve_through(db, room, draft_id, until="committee")
        results = race([lambda who=who, d=draft_id: act(db, who, d, step="committee") for who in members])
        winners = [r for r in results if not isinstance(r, SanshenError)]
        assert len(winners) == 2
        assert get_draft(db, draft_id).state == "review3"
        with db.read() as session:
            count = session.exec(
                select(func.count()).where(col(Signoff.draft_id) == draft_id, col(Signoff.step_id) == "committee")
            ).one()
        assert count == 2
    assert_chain_intact(db)


def test_a_correction_racing_an_approval_never_leaves_a_signature_on_changed_text(db: Database) -> None:
    room = newsroom(db)
    for round_number in range(ROUNDS):
        draft_id = submitted_draft(db, room)

        def correct(n: int = round_number, d: int = draft_id) -> object:
            with db.write() as session:
                return revise_draft(session, actor=room.proof1, draft_id=d, body=f"更正后的正文 {n}。")

        results = race([correct, lambda d=draft_id: act(db, room.proof1, d, step="proof1", revision=1)])
        draft = get_draft(db, draft_id)
        with db.read() as session:
            signoffs = session.exec(select(Signoff).where(col(Signoff.draft_id) == draft_id)).all()
        if draft.revision == 2:
            # The correction won: the approval named revision 1 and was refused as stale.
            assert signoffs == []
            assert isinstance(results[1], Conflict)
            assert results[1].code == "stale_revision"
        else:
            # The approval won: the step moved on and the proofreader may no longer edit.
            assert [s.revision for s in signoffs] == [1]
            assert isinstance(results[0], SanshenError)
            assert draft.state == "review1"


def test_the_unique_constraint_alone_stops_a_double_signoff(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the draft lock switched off, the database's unique constraint still admits one decision."""

    def no_lock(session: Session, draft_id: int) -> Draft:
        return session.exec(select(Draft).where(col(Draft.id) == draft_id)).one()

    monkeypatch.setattr(decisions, "lock_draft", no_lock)
    room = newsroom(db)
    racers = eligible_proofreaders(db)
    for _ in range(ROUNDS):
        draft_id = submitted_draft(db, room)
        results = race([lambda who=who, d=draft_id: act(db, who, d, step="proof1", revision=1) for who in racers])
        assert_one_winner(results)
        with db.read() as session:
            count = session.exec(select(func.count()).where(col(Signoff.draft_id) == draft_id)).one()
        assert count == 1
    assert_chain_intact(db)


def test_the_draft_lock_blocks_a_second_writer_until_the_first_ends(db: Database) -> None:
    """One helper, two mechanisms: BEGIN IMMEDIATE on SQLite, FOR UPDATE on PostgreSQL."""
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    impatient = Database(db.url, busy_timeout_ms=200)
    try:

        def wait_for_lock() -> None:
            with impatient.write() as waiter:
                if db.dialect == "postgresql":
                    waiter.connection().execute(text("SET LOCAL lock_timeout = '200ms'"))
                lock_draft(waiter, draft_id)

        with db.write() as holder:
            lock_draft(holder, draft_id)
            with pytest.raises(OperationalError):
                wait_for_lock()
        with impatient.write() as waiter:
            assert lock_draft(waiter, draft_id).id == draft_id
    finally:
        impatient.dispose()


def test_a_write_transaction_takes_the_lock_its_backend_needs(db: Database) -> None:
    room = newsroom(db)
    draft_id = submitted_draft(db, room)
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.write() as session:
            lock_draft(session, draft_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    if db.dialect == "sqlite":
        assert statements[0] == "BEGIN IMMEDIATE"
    else:
        assert statements[0].rstrip().endswith("FOR UPDATE")


def test_two_administrators_adding_the_same_username_at_once_get_one_user(db: Database) -> None:
    def add(n: int) -> object:
        with db.write() as session:
            return add_user(
                session,
                username="dup",
                full_name=f"重复{n}",
                roles=["author"],
                password=f"correct-horse-{n}",
                actor=None,
            )

    results = race([lambda n=n: add(n) for n in range(4)])
    errors = [r for r in results if isinstance(r, SanshenError)]
    assert len(errors) == 3
    assert {e.code for e in errors} == {"username_taken"}


def test_a_signer_whose_role_was_removed_while_they_waited_signs_without_it(db_url: str) -> None:
    """refresh_actor waits for an administrator's change to the signer's roles, then sees it: a statement
    that waited for the user row's lock must not answer with the roles of the snapshot it began with."""
    admin_db, signer_db = Database(db_url), Database(db_url)
    try:
        alice = make_user(admin_db, "alice", "reviewer3", "author")
        changing, seen = threading.Event(), {}

        def admin() -> None:
            with admin_db.write() as session:
                set_roles(session, username="alice", roles=["author"], actor=None)
                changing.set()
                time.sleep(1.0)

        def signer() -> None:
            changing.wait(5)
            with signer_db.write() as session:
                seen["roles"] = sorted(refresh_actor(session, alice).roles)

        threads = [threading.Thread(target=admin), threading.Thread(target=signer)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert seen["roles"] == ["author"]
    finally:
        admin_db.dispose()
        signer_db.dispose()
