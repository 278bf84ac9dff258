"""`sanshen workflow …`: check a definition, list the registered versions."""

from __future__ import annotations

from pathlib import Path

import click
from sqlmodel import col, select

from review.cli.base import App, cli, fail
from review.models import WorkflowVersion
from review.workflows.spec import WorkflowInvalid, load_workflow_file


@cli.group()
def workflow() -> None:
    """Workflow definitions (YAML): check them, see which versions are registered."""


@workflow.command("check")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def workflow_check(file: Path) -> None:
    """Validate a definition; print every problem with its line and column."""
    try:
        spec = load_workflow_file(file)
    except WorkflowInvalid as invalid:
        for problem in invalid.problems:
            click.echo(f"{file}:{problem.line}:{problem.column}: {problem.message}", err=True)
        fail(f"{file}: {len(invalid.problems)} problem(s)")
    steps = " → ".join(f"{s.label.zh}({s.id})" + (f" [when {s.when.describe()}]" if s.when else "") for s in spec.steps)
    click.echo(f"{file}: valid workflow {spec.name!r} with {len(spec.steps)} steps: {steps}")


@workflow.command("list")
@click.pass_obj
def workflow_list(app: App) -> None:
    """The registered workflow versions, newest first per workflow."""
    with app.database().read() as session:
        rows = session.exec(
            select(WorkflowVersion).order_by(col(WorkflowVersion.key), col(WorkflowVersion.version).desc())
        ).all()
    for row in rows:
        click.echo(
            f"{row.key:<16} v{row.version:<3} {row.name}  registered {row.registered_at:%Y-%m-%d %H:%M} UTC"
            f"  sha256 {row.content_hash[:12]}…"
        )
