"""The schema comes from Alembic migrations that run on SQLite and PostgreSQL and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from review.db import Database
from review.migrations import downgrade, upgrade


def drift(db: Database) -> list[object]:
    with db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)


def test_the_migrated_schema_matches_the_models(db: Database) -> None:
    assert drift(db) == []


def test_downgrade_and_upgrade_round_trip(db: Database, db_url: str) -> None:
    db.dispose()
    downgrade(db_url, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    db.dispose()
    upgrade(db_url)
    upgrade(db_url)
    assert drift(db) == []
    with db.engine.connect() as connection:
        channels = connection.exec_driver_sql("SELECT key FROM channels ORDER BY key").scalars().all()
        head = connection.exec_driver_sql("SELECT seq, hash FROM chain_head").one()
    assert channels == ["bulletin", "website", "wechat"]
    assert tuple(head) == (0, "0" * 64)


APPEND_ONLY = ("events", "signoffs", "revisions", "precheck_results", "precheck_overrides", "imported_rulesets")


def test_the_append_only_triggers_exist_at_head(db: Database) -> None:
    """SQLite's batch migrations re-create tables and drop their triggers: a later migration must not."""
    if db.dialect == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        expected = {f"{t}_no_{op}" for t in APPEND_ONLY for op in ("update", "delete", "replace")}
    else:
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        expected = {f"{t}_{kind}" for t in APPEND_ONLY for kind in ("append_only", "no_truncate")}
    with db.engine.connect() as connection:
        assert set(connection.exec_driver_sql(query).scalars()) == expected
