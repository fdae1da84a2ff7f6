"""Analytics: metrics snapshots per published variant, and organic experiments with their arms and posts.

A snapshot holds a variant's numbers at one moment from one source (typed in, a network's CSV export, or a
public API); each count is NULL where the network does not give it. An experiment tests one variable over
arms (A, B, …) of posts; its posts are variants, so deleting a card takes its snapshots and assignments.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from organizer.metrics.names import METRICS
from organizer.models import AwareDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TABLES = ("metric_snapshot", "experiment", "experiment_arm", "experiment_post")


def upgrade() -> None:
    """The four tables, and on PostgreSQL the change-notify trigger on each (the app's live reload)."""
    op.create_table(
        "metric_snapshot",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(24), nullable=False),
        sa.Column("taken_at", AwareDateTime(), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=True) for name in METRICS),
        sa.ForeignKeyConstraint(["card_id", "channel"], ["post_variant.card_id", "post_variant.channel"],
                                ondelete="CASCADE"),
        sa.UniqueConstraint("card_id", "channel", "taken_at", "source", name="uq_metric_snapshot_reading"),
    )
    op.create_index("ix_metric_snapshot_variant", "metric_snapshot", ["card_id", "channel", "taken_at"])
    op.create_table(
        "experiment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(40), nullable=False, unique=True),
        sa.Column("hypothesis", sa.Text(), nullable=False, server_default=""),
        sa.Column("variable", sa.String(24), nullable=False),
        sa.Column("metric", sa.String(24), nullable=False, server_default="engagement_rate"),
        sa.Column("eval_hours", sa.Integer(), nullable=False, server_default="48"),
        sa.Column("min_posts", sa.Integer(), nullable=False, server_default="8"),
        sa.Column("status", sa.String(8), nullable=False, server_default="open"),
        sa.Column("conclusion", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("closed_at", AwareDateTime(), nullable=True),
    )
    op.create_table(
        "experiment_arm",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("experiment_id", sa.Integer(), sa.ForeignKey("experiment.id", ondelete="CASCADE"), nullable=False),
        sa.Column("label", sa.String(24), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint("experiment_id", "label", name="uq_experiment_arm_label"),
    )
    op.create_table(
        "experiment_post",
        sa.Column("experiment_id", sa.Integer(), sa.ForeignKey("experiment.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("card_id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(24), primary_key=True),
        sa.Column("arm_id", sa.Integer(), sa.ForeignKey("experiment_arm.id", ondelete="CASCADE"), nullable=False),
        sa.ForeignKeyConstraint(["card_id", "channel"], ["post_variant.card_id", "post_variant.channel"],
                                ondelete="CASCADE"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in _TABLES:
            op.execute(f"CREATE TRIGGER data_changed_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION organizer_data_changed()")


def downgrade() -> None:
    """Drop the analytics tables."""
    for table in reversed(_TABLES):
        op.drop_table(table)
