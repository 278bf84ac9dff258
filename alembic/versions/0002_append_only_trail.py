"""The database refuses to change or remove the record: events, sign-offs and revisions are append-only.

Triggers refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE; on SQLite, an INSERT OR REPLACE that
would replace a row). Someone with the right to alter the tables can still bypass them (dropping a
trigger, or ALTER … USING on PostgreSQL); the signed hash chain and the verifier find what they change.
SQLite's batch migrations re-create tables and lose their triggers: a later migration that batch-alters
one of these tables must re-create them (`tests/review/test_migrations.py` checks they exist at head).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 03:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("events", "signoffs", "revisions")
REPLACED = {
    # SQLite's INSERT OR REPLACE deletes a clashing row without firing DELETE triggers (unless
    # recursive_triggers is on): refuse any insert that clashes with a key of an existing row.
    "events": "seq = NEW.seq OR hash = NEW.hash",
    "signoffs": "id = NEW.id OR (run_id = NEW.run_id AND step_id = NEW.step_id AND (slot = NEW.slot OR "
    "user_id = NEW.user_id)) OR (run_id = NEW.run_id AND distinct_group = NEW.distinct_group AND "
    "user_id = NEW.user_id)",
    "revisions": "id = NEW.id OR (draft_id = NEW.draft_id AND number = NEW.number)",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION sanshen_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the % table is append-only: % refused', TG_TABLE_NAME, TG_OP;
            END $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION sanshen_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION sanshen_refuse_change()"
            )
        return
    for table in APPEND_ONLY:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'the {table} table is append-only: {operation} refused'); END"
            )
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {REPLACED[table]}) "
            f"BEGIN SELECT RAISE(ABORT, 'the {table} table is append-only: a row may not be replaced'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION sanshen_refuse_change()")
        return
    for table in APPEND_ONLY:
        for operation in ("update", "delete", "replace"):
            op.execute(f"DROP TRIGGER {table}_no_{operation}")
