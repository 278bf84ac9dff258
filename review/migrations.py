"""Schema upgrades through Alembic, for `sanshen init` and the tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from review.config import PROJECT_DIR
from review.errors import Conflict


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_DIR / "alembic"))
    config.attributes["database_url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def require_current(engine: Engine, url: str) -> None:
    """Refuse to work on a database whose schema is missing or not at the newest migration."""
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        raise Conflict("the database has no Sanshen schema yet; run `sanshen init`", code="not_initialised")
    if current != head:
        raise Conflict(
            f"the database schema is at {current}, not {head}; run `sanshen init` to upgrade it",
            code="schema_outdated",
        )
