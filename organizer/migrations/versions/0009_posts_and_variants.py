"""A card's post: its master text (card.post) and one variant per network (post_variant).

The master is the message told once; a variant is that message as it goes out on one network, with its own
text, first comment, alt text notes, publish time (None: the card's), status (draft → ready → scheduled →
published) and, once published, its URL. Variants belong to their card: deleted with it, and recorded in its
history snapshot, so undo and redo take a variant's edit back like any edit of the card.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from organizer.models import AwareDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The card's master text and the variants table."""
    with op.batch_alter_table("card") as batch:
        batch.add_column(sa.Column("post", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "post_variant",
        sa.Column("card_id", sa.Integer(), sa.ForeignKey("card.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("channel", sa.String(24), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("first_comment", sa.Text(), nullable=False, server_default=""),
        sa.Column("alt_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("publish_at", AwareDateTime(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False, server_default="draft"),
        sa.Column("url", sa.Text(), nullable=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Live refresh and the plan hear of variants as of any card change (migrations 0007, 0008).
        op.execute("CREATE TRIGGER data_changed_post_variant AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "
                   "post_variant FOR EACH STATEMENT EXECUTE FUNCTION organizer_data_changed()")


def downgrade() -> None:
    """Drop the variants and the master text."""
    op.drop_table("post_variant")
    with op.batch_alter_table("card") as batch:
        batch.drop_column("post")
