"""Workflow versions: registered by content, pinned per draft, compiled per database and version."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlmodel import col, select

from review.config import PROJECT_DIR
from review.db import Database
from review.drafts import submit_draft
from review.errors import Conflict, Invalid
from review.migrations import upgrade
from review.models import WorkflowVersion
from review.workflows.registry import compiled, latest_version, load_definitions, register_workflows
from tests.factories import approve_through, get_draft, new_draft, newsroom, submitted_draft

SHIPPED = (PROJECT_DIR / "workflows" / "sanshen.yaml").read_text(encoding="utf-8")


def register(db: Database, folder: Path) -> list[WorkflowVersion]:
    with db.write() as session:
        return register_workflows(session, load_definitions(folder))


def test_registering_the_same_text_again_adds_nothing(db: Database) -> None:
    assert register(db, PROJECT_DIR / "workflows") == []


def test_a_changed_definition_is_a_new_version_and_drafts_in_flight_keep_theirs(db: Database, tmp_path: Path) -> None:
    room = newsroom(db)
    before = submitted_draft(db, room)
    changed = SHIPPED.replace("    roles: [reviewer3]\n", "    roles: [reviewer3]\n    qualification: head\n")
    (tmp_path / "sanshen.yaml").write_text(changed, encoding="utf-8")
    [added] = register(db, tmp_path)
    assert (added.key, added.name, added.version) == ("sanshen", "三审三校", 2)
    after = new_draft(db, room.author)
    assert get_draft(db, after).workflow_version_id == added.id
    with (
        pytest.raises(Conflict, match="no active user holds role reviewer3 with qualification 'head'"),
        db.write() as session,
    ):
        submit_draft(session, actor=room.author, draft_id=after)
    approve_through(db, room, before)
    assert get_draft(db, before).state == "approved"


def test_workflows_are_found_by_key_or_name_and_unknown_ones_are_named(db: Database) -> None:
    with db.read() as session:
        assert latest_version(session, "sanshen").name == "三审三校"
        assert latest_version(session, "三审三校").key == "sanshen"
        with pytest.raises(Invalid, match="unknown workflow 'nope'; registered: publishing, sanshen"):
            latest_version(session, "nope")


def test_compiled_machines_are_cached_per_database(tmp_path: Path) -> None:
    """Two databases in one process may give the same version id to different workflows."""
    machines = []
    for name, folder in (("a", PROJECT_DIR / "workflows"), ("b", tmp_path / "other")):
        if name == "b":
            folder.mkdir()
            (folder / "sanshen.yaml").write_text(SHIPPED.replace("name: 三审三校", "name: 另一个"), encoding="utf-8")
        url = f"sqlite:///{tmp_path / name}.db"
        upgrade(url)
        database = Database(url)
        register(database, folder)
        with database.read() as session:
            version_id = session.exec(select(WorkflowVersion.id).where(col(WorkflowVersion.key) == "sanshen")).one()
            assert version_id is not None
            machines.append(compiled(session, version_id).name)
        database.dispose()
    assert machines == ["三审三校", "另一个"]


def test_a_folder_must_hold_valid_uniquely_named_definitions(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="does not exist"):
        load_definitions(tmp_path / "missing")
    with pytest.raises(Invalid, match="holds no"):
        load_definitions(tmp_path)
    (tmp_path / "a.yaml").write_text(SHIPPED, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(SHIPPED, encoding="utf-8")
    with pytest.raises(Invalid, match="workflow name '三审三校' is also used by"):
        load_definitions(tmp_path)


def test_reverting_a_file_reverts_the_rules(db: Database, tmp_path: Path) -> None:
    loosened = SHIPPED.replace("tags: [specialist]", "tags: [never]")
    for text, expected in ((loosened, 2), (SHIPPED, 3)):
        (tmp_path / "sanshen.yaml").write_text(text, encoding="utf-8")
        [added] = register(db, tmp_path)
        assert added.version == expected
    with db.read() as session:
        assert latest_version(session, "sanshen").source == SHIPPED


def test_long_step_ids_make_a_long_group_name_that_both_databases_store(db: Database, tmp_path: Path) -> None:
    ids = ["a" * 32, "b" * 32, "c" * 32]
    steps = "".join(
        f"  - {{id: {i}, kind: review, label: {{zh: 审{n}, en: r{n}}}, roles: [reviewer{n + 1}]}}\n"
        for n, i in enumerate(ids)
    )
    (tmp_path / "long.yaml").write_text(
        f"name: long\nlabel: {{zh: 长, en: long}}\ndistinct_signers: [[{', '.join(ids)}]]\nsteps:\n{steps}",
        encoding="utf-8",
    )
    register(db, tmp_path)
    room = newsroom(db)
    draft_id = new_draft(db, room.author, workflow="long")
    with db.write() as session:
        submit_draft(session, actor=room.author, draft_id=draft_id)
    assert get_draft(db, draft_id).state == "a" * 32


def test_a_name_may_not_be_another_workflows_key_and_keys_win(db: Database, tmp_path: Path) -> None:
    (tmp_path / "sanshen.yaml").write_text(SHIPPED, encoding="utf-8")
    (tmp_path / "other.yaml").write_text(SHIPPED.replace("name: 三审三校", "name: sanshen"), encoding="utf-8")
    with pytest.raises(Invalid, match="is the key of another file"):
        load_definitions(tmp_path)


def test_a_when_clause_naming_an_unknown_channel_is_refused_at_registration(db: Database, tmp_path: Path) -> None:
    (tmp_path / "sanshen.yaml").write_text(SHIPPED.replace("tags: [specialist]", "channels: [tv]"), encoding="utf-8")
    with pytest.raises(Invalid, match=r"unknown channel\(s\) in `when`: tv"):
        register(db, tmp_path)


def test_servers_starting_together_register_a_new_version_once(db: Database, tmp_path: Path) -> None:
    (tmp_path / "sanshen.yaml").write_text(SHIPPED + "\n# edited\n", encoding="utf-8")
    definitions = load_definitions(tmp_path)
    barrier = threading.Barrier(4)

    def start() -> int:
        barrier.wait()
        with db.write() as session:
            return len(register_workflows(session, definitions))

    with ThreadPoolExecutor(4) as pool:
        added = list(pool.map(lambda _: start(), range(4)))
    assert sorted(added) == [0, 0, 0, 1]
