"""The approval gate: each reviewer's verdict on a card (approve, or reject with a note).

A board that requires approval ([approval.BOARD] in the config) lets a card past its Review column only with
enough approvals since the last rejection. Verdicts belong to their card: deleted with it, and kept in its
history snapshot, so undoing an approval takes it back.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from organizer.models import AwareDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The approval table."""
    op.create_table(
        "approval",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("card_id", sa.Integer(), sa.ForeignKey("card.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", AwareDateTime(), nullable=False),
        sa.Column("by", sa.String(80), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_approval_card_id", "approval", ["card_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER data_changed_approval AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON approval "
                   "FOR EACH STATEMENT EXECUTE FUNCTION organizer_data_changed()")


def downgrade() -> None:
    """Drop the approvals."""
    op.drop_index("ix_approval_card_id", "approval")
    op.drop_table("approval")
