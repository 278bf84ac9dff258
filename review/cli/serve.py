"""`sanshen serve`: the web app and API under uvicorn, one process or several."""

from __future__ import annotations

import click

from review.cli.base import App, cli
from review.keys import load_signing_key
from review.workflows.registry import load_definitions, register_workflows


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes; several servers may also share one PostgreSQL database.",
)
@click.pass_obj
def serve(app: App, host: str, port: int, workers: int) -> None:
    """Serve the web app and the API (/api/v1). Run `sanshen init` first.

    The database is the only state: any number of workers, on this machine or others pointed at the same
    PostgreSQL, behave as one.
    """
    settings = app.settings
    with app.database().write() as session:
        register_workflows(session, load_definitions(settings.workflows))
    load_signing_key(settings.home)
    app.close()
    import uvicorn  # only `serve` needs the server: every other command starts faster without it

    click.echo(
        f"Sanshen on http://{host}:{port}/ with {workers} worker(s); API /api/v1, "
        f"OpenAPI /api/v1/openapi.json; database {settings.database_url}"
    )
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=False,
    )
