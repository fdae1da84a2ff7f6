"""Undo history, busy events and plan blocks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from organizer.models import AwareDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the history, busy_event and plan_block tables."""
    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", AwareDateTime(), nullable=False),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("undone", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "busy_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uid", sa.String(length=500), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("start_at", AwareDateTime(), nullable=False),
        sa.Column("end_at", AwareDateTime(), nullable=False),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
    )
    op.create_index("ix_busy_event_start", "busy_event", ["start_at"])
    op.create_index("ix_busy_event_source", "busy_event", ["source"])
    op.create_table(
        "plan_block",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_at", AwareDateTime(), nullable=False),
        sa.Column("end_at", AwareDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("card_id", sa.Integer(), sa.ForeignKey("card.id", ondelete="CASCADE"), nullable=True),
        sa.Column(
            "event_id", sa.Integer(), sa.ForeignKey("busy_event.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("pinned", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_plan_block_day", "plan_block", ["day"])


def downgrade() -> None:
    """Drop everything 0002 created."""
    for table in ("plan_block", "busy_event", "history"):
        op.drop_table(table)
