"""Boards, their workflow columns, cards, and cards' channels and tags.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from organizer.models import AwareDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the board, board_column, card, card_channel and card_tag tables."""
    op.create_table(
        "board",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=12), nullable=False, unique=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
    )
    op.create_table(
        "board_column",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("board_id", sa.Integer(), sa.ForeignKey("board.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("wip_limit", sa.Integer(), nullable=True),
        sa.Column("is_done", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("board_id", "name"),
    )
    op.create_table(
        "card",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("board_id", sa.Integer(), sa.ForeignKey("board.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("column_id", sa.Integer(), sa.ForeignKey("board_column.id"), nullable=False),
        sa.Column("position", sa.Float(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=True),
        sa.Column("estimate_minutes", sa.Integer(), nullable=True),
        sa.Column("spent_minutes", sa.Integer(), nullable=False),
        sa.Column("due_at", AwareDateTime(), nullable=True),
        sa.Column("publish_at", AwareDateTime(), nullable=True),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("pillar", sa.String(length=80), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("popup", sa.Boolean(), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("card.id", ondelete="CASCADE"), nullable=True),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
        sa.Column("completed_at", AwareDateTime(), nullable=True),
        sa.UniqueConstraint("board_id", "number"),
    )
    op.create_index("ix_card_column_position", "card", ["column_id", "position"])
    op.create_index("ix_card_parent", "card", ["parent_id"])
    op.create_table(
        "card_channel",
        sa.Column("card_id", sa.Integer(), sa.ForeignKey("card.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("channel", sa.String(length=24), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_table(
        "card_tag",
        sa.Column("card_id", sa.Integer(), sa.ForeignKey("card.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tag", sa.String(length=60), primary_key=True),
    )


def downgrade() -> None:
    """Drop everything 0001 created."""
    for table in ("card_tag", "card_channel", "card", "board_column", "board"):
        op.drop_table(table)
