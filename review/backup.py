"""Backup and restore of the whole database, the trail included (`sanshen backup` / `sanshen restore`).

- SQLite: SQLite's online backup API, which copies a consistent snapshot page by page while the server
  keeps running (a plain file copy of a WAL database can miss committed pages or tear).
- PostgreSQL: `pg_dump --format=custom` (one consistent snapshot) and `pg_restore --clean
  --single-transaction`, so a restore that fails changes nothing. The client tools must be installed
  (Debian: postgresql-client), of the server's major version or newer.

A backup is written to a temporary file beside the destination and renamed into place when complete,
readable by its owner only; an existing file is never overwritten. A restore replaces everything in the
target database, so it refuses a database that holds a trail unless told to replace it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from review.db import Database
from review.errors import Conflict, Invalid

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Archive:
    path: Path
    bytes: int
    sha256: str


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise Invalid("an in-memory SQLite database cannot be backed up or restored", code="backup_unsupported")
    return Path(database)


def _pg_tool(tool: str, url: str) -> tuple[list[str], dict[str, str]]:
    """The command line for a PostgreSQL client tool and its environment; the password goes in the
    environment, not on the command line where `ps` would show it."""
    if shutil.which(tool) is None:
        raise Conflict(
            f"{tool} is not installed; install the PostgreSQL client tools (Debian: postgresql-client)",
            code="backup_tool_missing",
        )
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return [tool, f"--dbname={plain}"], env


def _digest(path: Path) -> str:
    hashed = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            hashed.update(block)
    return hashed.hexdigest()


def backup(database: Database, destination: Path) -> Archive:
    """Write a consistent copy of the whole database to `destination`, which must not exist yet."""
    if destination.exists():
        raise Conflict(f"{destination} already exists; choose a new file name", code="backup_exists")
    if not destination.parent.is_dir():
        raise Invalid(f"the folder {destination.parent} does not exist", code="backup_folder_missing")
    partial = destination.with_name(f".{destination.name}.partial")
    try:
        if database.dialect == "sqlite":
            source = sqlite3.connect(_sqlite_path(database.url))
            target = sqlite3.connect(partial)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            command, env = _pg_tool("pg_dump", database.url)
            done = subprocess.run(
                [*command, "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise Conflict(f"pg_dump failed: {done.stderr.strip()[:500]}", code="backup_failed")
        partial.chmod(0o600)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return Archive(destination, destination.stat().st_size, _digest(destination))


def holds_trail(database: Database) -> int:
    """How many events the database's trail holds (0 without a Sanshen schema)."""
    with database.engine.connect() as connection:
        if not inspect(connection).has_table("events"):
            return 0
        return int(connection.execute(text("SELECT COUNT(*) FROM events")).scalar_one())


def restore(database: Database, source: Path, *, replace: bool = False) -> Archive:
    """Replace the database's whole content with the backup at `source`."""
    if not source.is_file():
        raise Invalid(f"{source} is not a file", code="backup_missing")
    with source.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    expected = SQLITE_MAGIC if database.dialect == "sqlite" else PG_MAGIC
    if not head.startswith(expected):
        kind = "a SQLite database" if database.dialect == "sqlite" else "a pg_dump archive (--format=custom)"
        raise Invalid(f"{source} is not {kind}, so it cannot be restored into this database", code="backup_invalid")
    events = holds_trail(database)
    if events and not replace:
        raise Conflict(
            f"the database already holds a trail of {events} events; restoring would replace it "
            "(use --replace if that is what you mean)",
            code="restore_would_replace",
        )
    archive = Archive(source, source.stat().st_size, _digest(source))
    database.dispose()
    if database.dialect == "sqlite":
        copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(database.url))
        try:
            if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise Invalid(f"{source} is a damaged SQLite database", code="backup_invalid")
            copy.backup(target)
        finally:
            target.close()
            copy.close()
        return archive
    command, env = _pg_tool("pg_restore", database.url)
    done = subprocess.run(
        [
            *command,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            str(source),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise Conflict(f"pg_restore failed, nothing was changed: {done.stderr.strip()[:500]}", code="restore_failed")
    return archive
