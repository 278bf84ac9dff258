"""`sanshen backup` and `sanshen restore`: a round trip keeps every row and a trail that verifies."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from review.db import Database
from tests.conftest import admin_execute, pg_url
from tests.factories import make_user, new_draft, newsroom, published_draft, snapshot, submitted_draft

SANSHEN = str(Path(sys.executable).with_name("sanshen"))


def sanshen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SANSHEN, *args], capture_output=True, text=True, env=os.environ.copy(), timeout=120)


@pytest.fixture
def trail(db: Database, sanshen_env: dict[str, str]) -> dict[str, list[tuple[object, ...]]]:
    """A newsroom with a published draft and one under review; every row as it stands."""
    room = newsroom(db)
    published_draft(db, room)
    submitted_draft(db, room, title="在审稿件")
    return snapshot(db)


def test_a_backup_restored_over_later_changes_brings_back_every_row_and_the_trail_verifies(
    db: Database, trail: dict[str, list[tuple[object, ...]]], tmp_path: Path
) -> None:
    archive = tmp_path / "sanshen.backup"
    made = sanshen("backup", str(archive))
    assert made.returncode == 0, made.stderr
    assert f"{archive}: " in made.stdout
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    new_draft(db, make_user(db, "later", "author"), title="备份之后的稿件")
    assert snapshot(db) != trail
    refused = sanshen("restore", str(archive))
    assert refused.returncode == 1
    assert "already holds a trail" in refused.stderr
    assert "--replace" in refused.stderr
    restored = sanshen("restore", str(archive), "--replace")
    assert restored.returncode == 0, restored.stderr
    assert "the restored trail:" in restored.stdout
    assert "events intact" in restored.stdout
    db.dispose()
    assert snapshot(db) == trail
    assert sanshen("audit", "verify").returncode == 0


def test_backup_refuses_to_overwrite_and_restore_refuses_what_is_not_a_backup(
    db: Database, trail: dict[str, list[tuple[object, ...]]], tmp_path: Path
) -> None:
    existing = tmp_path / "taken"
    existing.write_text("keep me")
    overwrite = sanshen("backup", str(existing))
    assert overwrite.returncode == 1
    assert "already exists" in overwrite.stderr
    assert existing.read_text() == "keep me"
    nowhere = sanshen("backup", str(tmp_path / "no-such-folder" / "x.backup"))
    assert nowhere.returncode == 1
    assert "does not exist" in nowhere.stderr
    for name, content in (("garbage.backup", b"not a backup at all"), ("empty.backup", b"")):
        bad = tmp_path / name
        bad.write_bytes(content)
        result = sanshen("restore", str(bad), "--replace")
        assert result.returncode == 1
        assert "cannot be restored" in result.stderr
    missing = sanshen("restore", str(tmp_path / "missing.backup"))
    assert missing.returncode == 1
    assert "is not a file" in missing.stderr
    db.dispose()
    assert snapshot(db) == trail


def test_a_backup_restores_into_an_empty_database_on_another_machine(
    db: Database,
    trail: dict[str, list[tuple[object, ...]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    archive = tmp_path / "sanshen.backup"
    assert sanshen("backup", str(archive)).returncode == 0
    if db.dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'elsewhere' / 'new.db'}"
        (tmp_path / "elsewhere").mkdir()
    else:
        name = f"sanshen_restore_{uuid.uuid4().hex[:12]}"
        admin_execute(f"CREATE DATABASE {name}")
        request.addfinalizer(lambda: admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        url = pg_url(name)
    monkeypatch.setenv("SANSHEN_DATABASE_URL", url)
    restored = sanshen("restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    elsewhere = Database(url)
    try:
        assert snapshot(elsewhere) == trail
    finally:
        elsewhere.dispose()
    assert sanshen("audit", "verify").returncode == 0
