"""Pre-checks: results per exact text and ruleset fingerprint, overrides of blocking findings, and the
result each sign-off saw. Results and overrides are append-only, like the trail.

`signoffs.precheck` is added with a plain ALTER TABLE (no batch re-creation), so the append-only
triggers of 0002 on `signoffs` stay.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 05:22:18
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import review.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPLACED = {
    "precheck_results": "id = NEW.id OR (draft_id = NEW.draft_id AND content_hash = NEW.content_hash AND "
    "fingerprint = NEW.fingerprint)",
    "precheck_overrides": "id = NEW.id OR (draft_id = NEW.draft_id AND content_hash = NEW.content_hash AND "
    "finding_key = NEW.finding_key)",
}


def upgrade() -> None:
    op.create_table(
        "precheck_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("rulesets", sa.JSON(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("blocking", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.Column("created_at", review.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["drafts.id"], name=op.f("fk_precheck_results_draft_id_drafts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_precheck_results")),
        sa.UniqueConstraint(
            "draft_id",
            "content_hash",
            "fingerprint",
            name=op.f("uq_precheck_results_draft_id_content_hash_fingerprint"),
        ),
    )
    op.create_index(op.f("ix_precheck_results_draft_id"), "precheck_results", ["draft_id"], unique=False)
    op.create_table(
        "precheck_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("finding_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("full_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", review.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["drafts.id"], name=op.f("fk_precheck_overrides_draft_id_drafts")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_precheck_overrides_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_precheck_overrides")),
        sa.UniqueConstraint(
            "draft_id",
            "content_hash",
            "finding_key",
            name=op.f("uq_precheck_overrides_draft_id_content_hash_finding_key"),
        ),
    )
    op.create_index(op.f("ix_precheck_overrides_draft_id"), "precheck_overrides", ["draft_id"], unique=False)
    op.add_column("signoffs", sa.Column("precheck", sa.JSON(), nullable=True))
    _append_only(create=True)


def downgrade() -> None:
    _append_only(create=False)
    op.drop_column("signoffs", "precheck")
    op.drop_index(op.f("ix_precheck_overrides_draft_id"), table_name="precheck_overrides")
    op.drop_table("precheck_overrides")
    op.drop_index(op.f("ix_precheck_results_draft_id"), table_name="precheck_results")
    op.drop_table("precheck_results")


def _append_only(*, create: bool) -> None:
    """The triggers of 0002 for the two new tables (its function on PostgreSQL)."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, clash in REPLACED.items():
        if postgresql:
            if create:
                op.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION sanshen_refuse_change()"
                )
                op.execute(
                    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION sanshen_refuse_change()"
                )
            else:
                op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
                op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
            continue
        if not create:
            for operation in ("update", "delete", "replace"):
                op.execute(f"DROP TRIGGER {table}_no_{operation}")
            continue
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'the {table} table is append-only: {operation} refused'); END"
            )
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {clash}) "
            f"BEGIN SELECT RAISE(ABORT, 'the {table} table is append-only: a row may not be replaced'); END"
        )
