"""The plan goes stale in the same transaction as any change it depends on, whoever makes it; blocks
remember when they got their place.

Triggers on the tables the planner reads (cards, columns, busy time, time entries, plan blocks) set
the `plan.stale` setting, so the CLI, the app, the quick-add path, undo and another process's writes
all make `organizer plan`, the Day plan, `export ics` and the feed re-plan before they are read
(see `organizer.services.schedule`). SQLite only for now; other databases re-plan on every read.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from organizer.models import AwareDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("card", "board_column", "busy_event", "time_entry", "plan_block")
_MARK = "UPDATE setting SET value = '1' WHERE key = 'plan.stale' AND value != '1'"


def upgrade() -> None:
    """Add plan_block.changed_at; create the stale flag and one trigger per table and statement kind."""
    with op.batch_alter_table("plan_block") as batch:
        batch.add_column(sa.Column("changed_at", AwareDateTime(), nullable=True))
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("INSERT INTO setting (key, value) SELECT 'plan.stale', '1' "
               "WHERE NOT EXISTS (SELECT 1 FROM setting WHERE key = 'plan.stale')")
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER IF NOT EXISTS plan_stale_{table}_{event.lower()} AFTER {event} ON {table} "
                       f"BEGIN {_MARK}; END")


def downgrade() -> None:
    """Drop the triggers and the column (the setting stays: it is harmless)."""
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS plan_stale_{table}_{event}")
    with op.batch_alter_table("plan_block") as batch:
        batch.drop_column("changed_at")
