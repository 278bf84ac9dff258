"""Databases for the benchmarks: a staff of 50 signers, and drafts made by the engine or cloned in bulk.

Drafts made by the engine (`engine_drafts`) are real in every respect, trail included. A queue of
100 000 drafts would take minutes that way, so `bulk_drafts` makes six template drafts with the engine
(one waiting at each step of the default workflow, signed up to it) and copies their rows — draft,
revision, run, step states, sign-offs, pre-check result — with new ids, authors and signers, by
`executemany` on SQLite. The copies have no events of their own: the queue and a decision read none,
and the audit benchmark measures a trail of a million events on its own.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from review import clock
from review.actors import Actor
from review.config import PROJECT_DIR
from review.db import Database
from review.decisions import decide
from review.drafts import create_draft, submit_draft
from review.keys import ensure_signing_key
from review.migrations import upgrade
from review.models import Draft
from review.users import add_user, create_token, load_actor
from review.workflows.registry import compiled, load_definitions, register_workflows

os.environ.setdefault("SANSHEN_PASSWORD_PROFILE", "cheapest")

STEPS = ("proof1", "review1", "proof2", "review2", "proof3", "review3")
"""The default workflow's steps for a normal draft (the committee step applies to important ones only)."""
ROLES = {"proofreader": 20, "reviewer1": 10, "reviewer2": 10, "reviewer3": 10}
"""50 signers, by role."""
STEP_ROLE = dict(
    zip(STEPS, ("proofreader", "reviewer1", "proofreader", "reviewer2", "proofreader", "reviewer3"), strict=True)
)
AUTHORS = 10
TITLE = "关于做好年末岁初安全生产工作的通知"
BODY = "各区县人民政府，市政府各部门：为切实做好年末岁初安全生产工作，请于12月15日前完成自查自纠。\n" * 8
PASSWORD = "bench-password-2026"


def prepare(url: str, home: Path) -> Database:
    """A migrated database with the shipped workflows registered, and a signing key in `home`."""
    os.environ["SANSHEN_HOME"] = str(home)
    ensure_signing_key(home)
    upgrade(url)
    database = Database(url, busy_timeout_ms=60_000)
    with database.write() as session:
        register_workflows(session, load_definitions(PROJECT_DIR / "workflows"))
    return database


@dataclass
class Person:
    actor: Actor
    token: str


@dataclass
class Staff:
    authors: list[Person] = field(default_factory=list)
    signers: dict[str, list[Person]] = field(default_factory=dict)

    def signer(self, step: str, draft_id: int) -> Person:
        """The signer of `step` for a draft: spread over everyone with the role, and never the same
        proofreader twice on one draft (R16)."""
        people = self.signers[STEP_ROLE[step]]
        offset = STEPS.index(step) // 2 if STEP_ROLE[step] == "proofreader" else 0
        return people[(draft_id + offset) % len(people)]

    def everyone(self) -> list[Person]:
        return [*self.authors, *(p for people in self.signers.values() for p in people)]


def make_staff(database: Database) -> Staff:
    """10 authors and 50 signers, each with an API token."""
    staff = Staff()

    def person(username: str, role: str) -> Person:
        with database.write() as session:
            user = add_user(
                session,
                username=username,
                full_name=f"{username} 全名",
                roles=[role],
                password=PASSWORD,
                actor=None,
            )
            token = create_token(session, username=username, label="bench", actor=None)
            return Person(load_actor(session, user), token)

    staff.authors = [person(f"author{i:02d}", "author") for i in range(AUTHORS)]
    for role, count in ROLES.items():
        staff.signers[role] = [person(f"{role}{i:02d}", role) for i in range(count)]
    return staff


def engine_drafts(database: Database, staff: Staff, count: int, *, first_author: int = 0) -> list[int]:
    """`count` drafts created and submitted by the engine; each waits at the first step."""
    ids = []
    for index in range(count):
        author = staff.authors[(first_author + index) % len(staff.authors)]
        with database.write() as session:
            draft = create_draft(session, actor=author.actor, title=f"{TITLE}（{index}）", body=BODY, channel="website")
            assert draft.id is not None
            submit_draft(session, actor=author.actor, draft_id=draft.id)
            ids.append(draft.id)
    return ids


def checklists(database: Database, draft_id: int) -> dict[str, dict[str, bool]]:
    """The checks each step's approval attests, for a draft of the default workflow."""
    with database.read() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        wf = compiled(session, draft.workflow_version_id)
        return {step: dict.fromkeys(spec.checks, True) for step in STEPS if (spec := wf.step(step)) is not None}


def approve(database: Database, staff: Staff, draft_id: int, step: str, checks: dict[str, dict[str, bool]]) -> None:
    """The step's signer approves it, through the engine."""
    with database.write() as session:
        decide(
            session,
            actor=staff.signer(step, draft_id).actor,
            draft_id=draft_id,
            step=step,
            decision="approve",
            revision=1,
            comment="同意。",
            checklist=checks[step],
        )


CLONED = ("drafts", "revisions", "workflow_runs", "step_states", "signoffs", "precheck_results")


def bulk_drafts(path: Path, database: Database, staff: Staff, count: int) -> None:
    """`count` more drafts, evenly spread over the six steps, cloned from engine-made templates."""
    templates = engine_drafts(database, staff, len(STEPS))
    checks = checklists(database, templates[0])
    for done, draft_id in enumerate(templates):
        for step in STEPS[:done]:
            approve(database, staff, draft_id, step, checks)
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA synchronous=OFF")
    rows = {table: _template_rows(connection, table, templates) for table in CLONED}
    next_id = {table: _max_id(connection, table) + 1 for table in CLONED}
    base = clock.now() - timedelta(days=30)
    for batch in _batches(count, 5000):
        out: dict[str, list[dict[str, Any]]] = {table: [] for table in CLONED}
        for index in batch:
            template = templates[index % len(STEPS)]
            draft_id = next_id["drafts"]
            run_id = next_id["workflow_runs"]
            since = base + timedelta(seconds=index * 20)
            author = staff.authors[index % len(staff.authors)]
            for table in CLONED:
                for row in rows[table][template]:
                    copy = dict(row)
                    copy["id"] = next_id[table]
                    next_id[table] += 1
                    if table == "drafts":
                        copy.update(id=draft_id, author_id=author.actor.id, state_since=_ts(since))
                    elif table == "step_states":
                        copy["run_id"] = run_id
                    else:
                        copy["draft_id"] = draft_id
                    if table == "signoffs":
                        person = staff.signer(copy["step_id"], draft_id)
                        copy.update(
                            run_id=run_id,
                            user_id=person.actor.id,
                            username=person.actor.username,
                            full_name=person.actor.full_name,
                        )
                    if table == "revisions":
                        copy["author_id"] = author.actor.id
                    if table == "step_states" and copy["status"] == "active":
                        copy["activated_at"] = _ts(since)
                    out[table].append(copy)
        for table in CLONED:
            if out[table]:
                columns = list(out[table][0])
                connection.executemany(
                    f"INSERT INTO {table} ({', '.join(_quote(c) for c in columns)}) "
                    f"VALUES ({', '.join(':' + c for c in columns)})",
                    out[table],
                )
        connection.commit()
    connection.close()


def _quote(column: str) -> str:
    return f'"{column}"'


def _template_rows(connection: sqlite3.Connection, table: str, templates: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for draft_id in templates:
        if table == "drafts":
            query = "SELECT * FROM drafts WHERE id = ?"
        elif table == "step_states":
            query = "SELECT s.* FROM step_states s JOIN workflow_runs r ON r.id = s.run_id WHERE r.draft_id = ?"
        else:
            query = f"SELECT * FROM {table} WHERE draft_id = ? ORDER BY id"
        found[draft_id] = [dict(row) for row in connection.execute(query, (draft_id,))]
    return found


def _max_id(connection: sqlite3.Connection, table: str) -> int:
    return int(connection.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0])


def _ts(moment: Any) -> str:
    return str(moment.strftime("%Y-%m-%d %H:%M:%S.%f"))


def _batches(count: int, size: int) -> Iterator[range]:
    for first in range(0, count, size):
        yield range(first, min(first + size, count))
