"""History entries know where they were made (a terminal or an app session) and when they were undone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from organizer.models import AwareDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add history.place (older entries get their origin) and history.undone_at, indexed by place."""
    with op.batch_alter_table("history") as batch:
        batch.add_column(sa.Column("place", sa.String(length=40), nullable=False, server_default="cli"))
        batch.add_column(sa.Column("undone_at", AwareDateTime(), nullable=True))
    # Before places, an entry's origin was all there was: "cli" or "tui" (or "demo", "auto").
    op.execute("UPDATE history SET place = origin")
    op.create_index("ix_history_place", "history", ["place", "undone"])


def downgrade() -> None:
    """Drop what 0005 added."""
    op.drop_index("ix_history_place", table_name="history")
    with op.batch_alter_table("history") as batch:
        batch.drop_column("undone_at")
        batch.drop_column("place")
