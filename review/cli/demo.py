"""`sanshen demo`: load the demo newsroom (for `make run`) and print its log-ins."""

from __future__ import annotations

import click

from review.cli.base import App, cli
from review.demo import DEMO_PASSWORD, USERS, load_demo


@cli.command()
@click.pass_obj
def demo(app: App) -> None:
    """Load demo users (every role) and drafts at different steps, once; print the log-ins."""
    created = load_demo(app.database())
    click.echo("demo data loaded" if created else "demo data already loaded; nothing added")
    click.echo(f"log in with any of these users; the password of each is {DEMO_PASSWORD}")
    for user in USERS:
        click.echo(f"  {user.username:<10} {user.name}  ({', '.join(user.roles)})")
