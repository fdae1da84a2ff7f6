"""Imported calendars and workspace settings (calendar UIDs, the live feed's token).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from organizer.models import AwareDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the calendar_source and setting tables."""
    op.create_table(
        "calendar_source",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False, unique=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("refreshed_at", AwareDateTime(), nullable=True),
        sa.Column("event_count", sa.Integer(), nullable=False),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=100), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    """Drop the tables 0004 created."""
    op.drop_table("setting")
    op.drop_table("calendar_source")
