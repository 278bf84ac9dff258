"""`sanshen init`: schema, signing key and workflow registration, safe to run again."""

from __future__ import annotations

import click

from review.cli.base import App, cli
from review.keys import ensure_signing_key
from review.migrations import upgrade
from review.workflows.registry import load_definitions, register_workflows


@cli.command()
@click.pass_obj
def init(app: App) -> None:
    """Create or upgrade the database schema, create the signing key, register the workflows.

    Idempotent: running it again upgrades what is old and changes nothing else. A workflow file
    whose text changed is registered as a new version; drafts in flight keep the version they have.
    """
    settings = app.settings
    definitions = load_definitions(settings.workflows)
    upgrade(settings.database_url)
    key_path, created = ensure_signing_key(settings.home)
    with app.database().write() as session:
        added = register_workflows(session, definitions)
    click.echo(f"database: {settings.database_url} (schema up to date)")
    click.echo(f"signing key: {key_path} ({'created' if created else 'kept'})")
    for definition in definitions:
        new = next((row for row in added if row.key == definition.key), None)
        status = f"registered as version {new.version}" if new else "unchanged"
        click.echo(f"workflow {definition.key} ({definition.spec.name}): {status}")
