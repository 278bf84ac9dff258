"""`sanshen backup FILE` and `sanshen restore FILE`: the whole database, trail included (docs/audit.md)."""

from __future__ import annotations

from pathlib import Path

import click

from review.backup import backup as write_backup
from review.backup import restore as read_backup
from review.cli.audit import report, verify_trail
from review.cli.base import App, cli


@cli.command()
@click.argument("output", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def backup(app: App, output: Path) -> None:
    """Write a consistent copy of the whole database to OUTPUT (a new file), while the server runs.

    SQLite: the online backup API; PostgreSQL: pg_dump's custom format (needs the client tools).
    """
    archive = write_backup(app.database(), output)
    click.echo(f"{archive.path}: {archive.bytes} bytes, sha256 {archive.sha256}")


@cli.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--replace", is_flag=True, help="Replace a database that already holds a trail.")
@click.pass_obj
def restore(app: App, file: Path, replace: bool) -> None:
    """Replace the whole database with the backup FILE, then verify the restored trail.

    Stop the server first. The schema is then upgraded by `sanshen init` if the backup is older.
    """
    archive = read_backup(app.database(require_schema=False), file, replace=replace)
    click.echo(f"restored {archive.path} ({archive.bytes} bytes, sha256 {archive.sha256})")
    report(verify_trail(app), "the restored trail")
