"""Alembic environment: the same engine factory as the app, batch mode for SQLite ALTERs."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import review.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from review.config import get_settings
from review.db import WRITE_OPTION, make_engine

config = context.config
url = config.attributes.get("database_url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=SQLModel.metadata, render_as_batch=True, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.execution_options(**{WRITE_OPTION: True}).connect() as connection:
            if sqlite:
                # Batch mode re-creates tables; the pragma only takes effect outside a transaction.
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            context.configure(
                connection=connection,
                target_metadata=SQLModel.metadata,
                render_as_batch=True,
                compare_type=True,
                transactional_ddl=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
