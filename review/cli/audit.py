"""`sanshen audit …`: export the trail with a signature, verify it, sign checkpoints of its head."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from review.audit import ExportFormat, count_events
from review.checkpoints import read_checkpoint, saved_checkpoints, take_checkpoint
from review.cli.base import App, cli, fail
from review.exports import write_export
from review.keys import KEY_FILE, public_key_from_pem, public_key_raw
from review.verify import Verification, verify_database, verify_export


class IsoTime(click.ParamType[datetime]):
    name = "ISO-TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 time such as 2026-11-01 or 2026-11-01T08:00:00+08:00", param, ctx)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A bar on stderr for long work; it stays quiet when stderr is not a terminal."""
    with click.progressbar(
        length=total, label=label, file=sys.stderr, show_pos=True, hidden=not sys.stderr.isatty()
    ) as bar:
        yield bar.update


@cli.group()
def audit() -> None:
    """The trail: signed exports, verification, checkpoints."""


@audit.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in ExportFormat]),
    default="jsonl",
    show_default=True,
    help="jsonl and csv: every event; pdf: the 审批单 (sign-off sheet) of each draft.",
)
@click.option("--draft", "draft_id", type=click.IntRange(1), help="Only this draft's events (or its sheet).")
@click.option("--since", type=IsoTime(), help="Events at or after this time (UTC unless a zone is given).")
@click.option("--until", type=IsoTime(), help="Events before this time.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The file to write; FILE.sig, its signature, is written beside it.",
)
@click.pass_obj
def export(
    app: App, fmt: str, draft_id: int | None, since: datetime | None, until: datetime | None, output: Path
) -> None:
    """Write the trail to FILE with an Ed25519 signature of its exact bytes in FILE.sig."""
    if since and until and since >= until:
        raise click.UsageError("--since must be before --until")
    if not output.parent.is_dir():
        fail(f"cannot write {output}: {output.parent} is not a directory")
    settings = app.settings
    with app.database().read() as session:
        total = count_events(session, draft_id=draft_id, since=since, until=until)
        with progress_bar(total, "exporting") as step:
            result = write_export(
                session,
                output,
                ExportFormat(fmt),
                home=settings.home,
                draft_id=draft_id,
                since=since,
                until=until,
                timezone=settings.timezone,
                pdf_font=settings.pdf_font,
                progress=step,
            )
    what = "sign-off sheet(s)" if fmt == "pdf" else "events"
    click.echo(f"{result.path}: {result.records} {what}, {result.size} bytes; signature in {result.signature_path}")


@audit.command("verify")
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="A checkpoint file, or a folder of them, beyond those under SANSHEN_HOME; repeatable.",
)
@click.option(
    "--public-key",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The PEM public key (GET /api/v1/audit/public-key); by default the key under SANSHEN_HOME.",
)
@click.option("--unsigned", is_flag=True, help="Check an export's chain although it has no signature to check.")
@click.pass_obj
def verify(app: App, file: Path | None, checkpoints: tuple[Path, ...], public_key: Path | None, unsigned: bool) -> None:
    """Verify the database's trail, or an exported JSON Lines FILE; exit 1 naming the first bad record."""
    home = app.settings.home
    raw = (
        public_key_from_pem(public_key.read_bytes())
        if public_key
        else (public_key_raw(home) if (home / KEY_FILE).exists() else None)
    )
    if file is not None:
        with progress_bar(max(file.stat().st_size // 400, 1), f"verifying {file.name}") as step:
            report(verify_export(file, public_key=raw, unsigned=unsigned, progress=step), f"{file}")
        return
    report(verify_trail(app, checkpoints, raw), "the trail")


def verify_trail(app: App, checkpoints: tuple[Path, ...] = (), raw: bytes | None = None) -> Verification:
    """The database's trail verified against the checkpoints under SANSHEN_HOME and `checkpoints`, and
    the head's signature against the public key `raw` (by default, the one under SANSHEN_HOME)."""
    home = app.settings.home
    if raw is None and (home / KEY_FILE).exists():
        raw = public_key_raw(home)
    paths = [*saved_checkpoints(home)]
    for given in checkpoints:
        paths += sorted(given.glob("checkpoint-*.json")) if given.is_dir() else [given]
    loaded = [read_checkpoint(p) for p in paths]
    with app.database().read() as session, progress_bar(count_events(session), "verifying") as step:
        return verify_database(
            session,
            checkpoints=loaded,
            public_key=Ed25519PublicKey.from_public_bytes(raw) if raw else None,
            progress=step,
        )


def report(result: Verification, what: str) -> None:
    if not result.ok:
        assert result.first_bad is not None
        fail(f"{what}: {result.first_bad['record']}: {result.first_bad['reason']}")
    parts = [f"{result.events} events intact"]
    if result.rows:
        parts.append(
            f"{result.rows} recorded rows (sign-offs, revisions, publications, pre-checks, overrides, imported "
            "rulesets) agree with their events"
        )
    if result.checkpoints:
        checked = not any("checkpoints' signatures were not checked" in note for note in result.notes)
        parts.append(f"{result.checkpoints} checkpoint(s) {'hold' if checked else 'found'}")
    click.echo(f"{what}: {'; '.join(parts + result.notes)}")


@audit.command("checkpoint")
@click.pass_obj
def checkpoint(app: App) -> None:
    """Sign the chain's head into SANSHEN_HOME/checkpoints. Keep a copy off this machine (docs/audit.md)."""
    with app.database().write() as session:
        path = take_checkpoint(session, home=app.settings.home, actor=None)
    cp = read_checkpoint(path)
    click.echo(
        f"{path}: event {cp.seq}, sha256 {cp.hash[:16]}…, signed; copy it somewhere the database's "
        "administrators cannot change it"
    )
