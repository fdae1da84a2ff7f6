"""Time entries: start/stop timers on cards, feeding time spent and estimate accuracy.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from organizer.models import AwareDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the time_entry table."""
    op.create_table(
        "time_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("card_id", sa.Integer(), sa.ForeignKey("card.id", ondelete="CASCADE"), nullable=False),
        sa.Column("started_at", AwareDateTime(), nullable=False),
        sa.Column("ended_at", AwareDateTime(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
    )
    op.create_index("ix_time_entry_card", "time_entry", ["card_id"])
    op.create_index("ix_time_entry_running", "time_entry", ["ended_at"])


def downgrade() -> None:
    """Drop the time_entry table."""
    op.drop_table("time_entry")
