"""The queue index ends with the draft id: a queue reads drafts at one step in (waiting since, id)
order and stops after a page, without sorting them (PostgreSQL orders equal keys by row position,
not by id, so the id must be in the index; SQLite's index already carried the rowid).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_drafts_queue", table_name="drafts")
    op.create_index("ix_drafts_queue", "drafts", ["workflow_version_id", "state", "state_since", "id"])


def downgrade() -> None:
    op.drop_index("ix_drafts_queue", table_name="drafts")
    op.create_index("ix_drafts_queue", "drafts", ["workflow_version_id", "state", "state_since"])
