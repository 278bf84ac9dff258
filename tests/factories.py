"""Small plain factories: a newsroom of users, drafts, and a way to walk a draft through its steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, MetaData, select, text
from sqlmodel import Session

from review.actors import Actor
from review.db import Database
from review.decisions import decide
from review.drafts import create_draft, submit_draft
from review.hehong import checks_to_attest
from review.models import Draft, Signoff
from review.publishing import publish
from review.users import add_user, load_actor
from review.workflows.registry import compiled

PASSWORD = "correct-horse-battery"


def make_user(db: Database, username: str, *roles: str, qualifications: tuple[str, ...] = ()) -> Actor:
    with db.write() as session:
        user = add_user(
            session,
            username=username,
            full_name=f"{username} 全名",
            roles=roles,
            password=PASSWORD,
            qualifications=qualifications,
            actor=None,
        )
        return load_actor(session, user)


@dataclass
class Newsroom:
    """One person per role and step, as the default workflow needs them."""

    author: Actor
    proof1: Actor
    proof2: Actor
    proof3: Actor
    review1: Actor
    review2: Actor
    review3: Actor
    committee1: Actor
    committee2: Actor
    publisher: Actor
    auditor: Actor

    def signer(self, step: str, *, second: bool = False) -> Actor:
        if step == "committee":
            return self.committee2 if second else self.committee1
        return getattr(self, step)  # type: ignore[no-any-return]


def newsroom(db: Database) -> Newsroom:
    return Newsroom(
        author=make_user(db, "alice", "author"),
        proof1=make_user(db, "pat", "proofreader"),
        proof2=make_user(db, "peng", "proofreader"),
        proof3=make_user(db, "ping", "proofreader"),
        review1=make_user(db, "rui", "reviewer1"),
        review2=make_user(db, "ren", "reviewer2"),
        review3=make_user(db, "rong", "reviewer3"),
        committee1=make_user(db, "chen", "committee"),
        committee2=make_user(db, "cai", "committee"),
        publisher=make_user(db, "pub", "publisher"),
        auditor=make_user(db, "aud", "auditor"),
    )


def new_draft(db: Database, author: Actor, **fields: Any) -> int:
    values: dict[str, Any] = {
        "title": "关于开展安全生产检查的通知",
        "body": "各单位：\n请于本月底前完成自查。",
        "channel": "website",
    }
    values.update(fields)
    with db.write() as session:
        draft = create_draft(session, actor=author, **values)
        assert draft.id is not None
        return draft.id


def submitted_draft(db: Database, room: Newsroom, **fields: Any) -> int:
    draft_id = new_draft(db, room.author, **fields)
    with db.write() as session:
        submit_draft(session, actor=room.author, draft_id=draft_id)
    return draft_id


def get_draft(db: Database, draft_id: int) -> Draft:
    with db.read() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        return draft


def required_checks(session: Session, draft: Draft, step: str) -> dict[str, bool]:
    """The checks an approval of `step` must attest: the step's own, and 核红 after a corrected round."""
    return dict.fromkeys(checks_to_attest(session, draft, compiled(session, draft.workflow_version_id), step), True)


def act(
    db: Database,
    actor: Actor,
    draft_id: int,
    decision: str = "approve",
    *,
    step: str | None = None,
    revision: int | None = None,
    comment: str = "同意。",
    checklist: dict[str, Any] | None = None,
) -> Signoff:
    """Decide on the draft's active step (or `step`), on its current revision unless told otherwise."""
    with db.write() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        step = step or draft.state
        if checklist is None:
            checklist = required_checks(session, draft, step) if decision == "approve" else {}
        return decide(
            session,
            actor=actor,
            draft_id=draft_id,
            step=step,
            decision=decision,
            revision=revision if revision is not None else draft.revision,
            comment=comment,
            checklist=checklist,
        )


def approve_through(db: Database, room: Newsroom, draft_id: int, *, until: str | None = None) -> None:
    """Approve each active step with the right person, stopping when `until` becomes active."""
    while True:
        state = get_draft(db, draft_id).state
        if state == until or state in ("approved", "draft", "returned", "rejected", "published"):
            return
        act(db, room.signer(state), draft_id)
        if state == "committee" and get_draft(db, draft_id).state == "committee":
            act(db, room.signer(state, second=True), draft_id)


def published_draft(db: Database, room: Newsroom, **fields: Any) -> int:
    draft_id = submitted_draft(db, room, **fields)
    approve_through(db, room, draft_id)
    with db.write() as session:
        publish(session, actor=room.publisher, draft_id=draft_id)
    return draft_id


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for asserting that a refused command changed nothing — except the
    failed log-ins kept for throttling, which a refused log-in is meant to add (tests/review/test_throttle.py)."""
    metadata = MetaData()
    metadata.reflect(db.engine)
    with db.engine.connect() as connection:
        return {
            name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for name, table in metadata.tables.items()
            if name != "login_failures"
        }


APPEND_ONLY = ("events", "signoffs", "revisions", "precheck_results", "precheck_overrides", "imported_rulesets")


def bypass_append_only(connection: Connection) -> None:
    """As someone with direct database access could: drop (SQLite) or switch off (PostgreSQL) the
    triggers that make the record append-only, for the rest of the transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        return
    for table in APPEND_ONLY:
        for operation in ("update", "delete", "replace"):
            connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{operation}"))
