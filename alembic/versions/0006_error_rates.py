"""差错率 and 通读: channels name their medium and limit; corrections and proofread sign-offs record errors.

`revisions.errors` and `signoffs.errors` are added with a plain ALTER TABLE, so the append-only triggers
on those tables stay in place. `signoffs.decision` widens to 32 characters for `approve_with_changes`
(改后付印): PostgreSQL alters the column; SQLite, which cannot, re-creates the table (batch mode) and
then its append-only triggers, which the re-creation drops. The shipped 内部简报 channel is a
periodical (journal); the website and 微信公众号 are web media, which have no legal limit.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As 0002 creates them on SQLite; re-created after the batch re-creation of `signoffs`.
SQLITE_SIGNOFF_TRIGGERS = (
    "CREATE TRIGGER signoffs_no_update BEFORE UPDATE ON signoffs "
    "BEGIN SELECT RAISE(ABORT, 'the signoffs table is append-only: UPDATE refused'); END",
    "CREATE TRIGGER signoffs_no_delete BEFORE DELETE ON signoffs "
    "BEGIN SELECT RAISE(ABORT, 'the signoffs table is append-only: DELETE refused'); END",
    "CREATE TRIGGER signoffs_no_replace BEFORE INSERT ON signoffs "
    "WHEN EXISTS (SELECT 1 FROM signoffs WHERE id = NEW.id OR (run_id = NEW.run_id AND step_id = NEW.step_id "
    "AND (slot = NEW.slot OR user_id = NEW.user_id)) OR (run_id = NEW.run_id AND distinct_group = "
    "NEW.distinct_group AND user_id = NEW.user_id)) "
    "BEGIN SELECT RAISE(ABORT, 'the signoffs table is append-only: a row may not be replaced'); END",
)


def _decision_length(length: int, was: int) -> None:
    old = sqlmodel.sql.sqltypes.AutoString(length=was)
    new = sqlmodel.sql.sqltypes.AutoString(length=length)
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("signoffs", "decision", type_=new, existing_type=old, existing_nullable=False)
        return
    with op.batch_alter_table("signoffs", recreate="always") as batch:
        batch.alter_column("decision", type_=new, existing_type=old, existing_nullable=False)
    for statement in SQLITE_SIGNOFF_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    op.add_column(
        "channels",
        sa.Column("medium", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="web"),
    )
    op.add_column("channels", sa.Column("error_limit", sa.Float(), nullable=True))
    op.execute("UPDATE channels SET medium = 'journal' WHERE key = 'bulletin'")
    op.add_column("revisions", sa.Column("errors", sa.JSON(), nullable=True))
    op.add_column("signoffs", sa.Column("errors", sa.JSON(), nullable=True))
    _decision_length(32, was=16)


def downgrade() -> None:
    wide = op.get_bind().exec_driver_sql("SELECT count(*) FROM signoffs WHERE length(decision) > 16").scalar()
    if wide:
        raise RuntimeError(
            f"{wide} sign-off(s) are 改后付印 (approve_with_changes), which the schema before 0006 cannot hold; "
            "the append-only sign-offs cannot be removed, so this database cannot be downgraded below 0006"
        )
    _decision_length(16, was=32)
    op.drop_column("signoffs", "errors")
    op.drop_column("revisions", "errors")
    op.drop_column("channels", "error_limit")
    op.drop_column("channels", "medium")
