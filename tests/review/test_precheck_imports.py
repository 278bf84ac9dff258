"""Word lists an administrator imports: the next version of a ruleset, in force from the next check on
every server sharing the database, recorded in the trail and verified against it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from review.db import Database
from review.errors import Forbidden, Invalid
from review.models import Event, ImportedRuleset, PrecheckResult
from review.prechecks.current import rules_in_force
from review.prechecks.imports import import_word_list
from review.verify import verify_database
from tests.factories import Newsroom, make_user, newsroom, submitted_draft
from tests.review.test_cli import PASSWORD, run

LEADERS = "# 本单位领导名单\n王建国\n李卫东\n\n王建国\n"


@pytest.fixture
def room(db: Database) -> Newsroom:
    return newsroom(db)


def test_an_imported_names_list_blocks_misspellings_in_new_revisions(db: Database, room: Newsroom) -> None:
    admin = make_user(db, "boss", "admin")
    with db.write() as session:
        row = import_word_list(session, actor=admin, name="leaders", text=LEADERS, kind="names", source="办公室")
    assert (row.version, row.terms) == (1, 2)
    draft_id = submitted_draft(db, room, body="各单位：\n王健国同志出席会议并讲话。王建国同志主持。")
    with db.read() as session:
        result = session.exec(select(PrecheckResult).where(PrecheckResult.draft_id == draft_id)).one()
        event = session.exec(select(Event).where(Event.kind == "ruleset_imported")).one()
        assert verify_database(session).ok
    assert [(f["rule"], f["text"], f["severity"]) for f in result.findings] == [("leaders.list", "王健国", "block")]
    assert {"ruleset": "leaders", "version": 1} in result.rulesets
    assert event.actor == "boss"


def test_a_new_version_replaces_the_old_and_the_fingerprint_changes(db: Database) -> None:
    with db.write() as session:
        import_word_list(session, actor=None, name="local", text="甲乙\n", category="本地")
        first = rules_in_force(session)
        assert "甲乙" in [f.text for f in first.scan("甲乙丙丁")]
        import_word_list(session, actor=None, name="local", text="丙丁\n")
        second = rules_in_force(session)
    assert second.fingerprint != first.fingerprint
    assert [f.text for f in second.scan("甲乙丙丁")] == ["丙丁"]
    assert [(s.ruleset, s.version) for s in second.rulesets if s.ruleset == "local"] == [("local", 2)]


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("secrecy", "甲\n", "shipped ruleset"),
        ("local", "# only a comment\n\n", "no terms"),
        ("local", "x" * 65 + "\n", "at most 64"),
        ("local", "甲\u202e乙\n", "not allowed"),
        ("Bad Name", "甲\n", "cannot be a ruleset"),
    ],
)
def test_a_bad_word_list_is_refused_and_nothing_is_stored(db: Database, name: str, text: str, problem: str) -> None:
    with db.write() as session, pytest.raises(Invalid, match=problem):
        import_word_list(session, actor=None, name=name, text=text)
    with db.read() as session:
        assert not session.exec(select(ImportedRuleset)).all()


def test_a_name_whose_rule_ids_clash_with_another_ruleset_is_refused(db: Database) -> None:
    """leader-names and leader_names would both give rules the id leader_names.list (review finding)."""
    with db.write() as session:
        import_word_list(session, actor=None, name="leader-names", text="王建国\n", kind="names")
    with db.write() as session, pytest.raises(Invalid, match="ids of ruleset 'leader-names'"):
        import_word_list(session, actor=None, name="leader_names", text="内部\n")


def test_only_an_administrator_imports(db: Database, room: Newsroom) -> None:
    with db.write() as session, pytest.raises(Forbidden):
        import_word_list(session, actor=room.review3, name="local", text="甲乙\n")


def test_a_ruleset_inserted_behind_the_trail_is_found(db: Database) -> None:
    with db.write() as session:
        row = import_word_list(session, actor=None, name="local", text="甲乙\n")
        session.add(ImportedRuleset(**{**row.model_dump(exclude={"id"}), "version": 2}))
    with db.read() as session:
        result = verify_database(session)
    assert not result.ok
    assert "inserted behind the trail" in str(result.first_bad)


@pytest.mark.usefixtures("sanshen_env")
def test_import_and_precheck_at_the_terminal(tmp_path: Path) -> None:
    folder = tmp_path
    assert run("init").exit_code == 0
    assert run("user", "add", "boss", "--name", "韩管理", "--role", "admin", "--password", PASSWORD).exit_code == 0
    words = folder / "words.txt"
    words.write_text("内部通报\n", encoding="utf-8")
    imported = run("ruleset", "import", "local", str(words), "--severity", "block", "--as", "boss", password=PASSWORD)
    assert imported.exit_code == 0, imported.stderr
    assert "ruleset local v1: 1 terms imported" in imported.stdout
    draft = folder / "draft.txt"
    draft.write_text("这是一份内部通报。\n", encoding="utf-8")
    assert run("precheck", str(draft)).exit_code == 1
    assert run("precheck", "--no-database", str(draft)).exit_code == 0
    listed = run("ruleset", "list")
    assert "local" in listed.stdout
    assert "fingerprint" in listed.stdout
    not_admin = run("user", "add", "zhang", "--name", "张三", "--role", "author", "--password", PASSWORD)
    assert not_admin.exit_code == 0
    refused = run("ruleset", "import", "local", str(words), "--as", "zhang", password=PASSWORD)
    assert refused.exit_code == 1
