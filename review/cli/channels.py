"""`sanshen channel list|set`: which medium each channel is, and the 差错率 limit that holds (R21)."""

from __future__ import annotations

import click

from review.channels import configure_channel, list_channels
from review.cli.base import App, cli
from review.errorrate import MEDIA, Medium


def _limit(value: float | None) -> str:
    return "no limit" if value is None else f"{value:g}/10000"


@cli.group("channel")
def channel() -> None:
    """Publishing channels: their medium (book, journal, newspaper, web) and error-rate limit."""


@channel.command("list")
@click.pass_obj
def channel_list(app: App) -> None:
    """Each channel, its medium and the 差错率 limit in force (its own, or the medium's legal one)."""
    with app.database().read() as session:
        rows = list_channels(session)
    for row, limit in rows:
        own = "own limit" if row.error_limit is not None else "legal limit"
        click.echo(f"{row.key:<12} {row.medium:<10} {_limit(limit.limit):<14} ({own})  {row.label_zh}")


@channel.command("set")
@click.argument("key")
@click.option("--medium", type=click.Choice([m.value for m in Medium]), help="Which annex weighs its errors.")
@click.option("--error-limit", type=float, help="The office's own limit, errors per 10 000 characters.")
@click.option("--legal-limit", is_flag=True, help="Drop the channel's own limit: the medium's legal one holds.")
@click.option("--as", "username", help="An administrator; without it, the server's own terminal acts.")
@click.pass_obj
def channel_set(
    app: App, key: str, medium: str | None, error_limit: float | None, legal_limit: bool, username: str | None
) -> None:
    """Set channel KEY's medium and/or its own 差错率 limit; the change is recorded in the trail."""
    if medium is None and error_limit is None and not legal_limit:
        raise click.UsageError("give --medium, --error-limit or --legal-limit")
    actor = app.authenticate(username, None) if username else None
    with app.database().write() as session:
        row = configure_channel(
            session, actor=actor, key=key, medium=medium, error_limit=error_limit, legal_limit=legal_limit
        )
        legal = MEDIA[Medium(row.medium)].legal_limit
        limit = row.error_limit if row.error_limit is not None else legal
    click.echo(f"channel {row.key}: {row.medium}, limit {_limit(limit)} (legal limit {_limit(legal)})")
