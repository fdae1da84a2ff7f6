"""PostgreSQL tells listeners when data changes: the data-version trigger also sends `NOTIFY organizer_changes`.

0007 gave an open app a counter to poll (`organizer_data_version`). With a NOTIFY from the same statement
trigger, the app's change watcher (`organizer.storage.postgres.PgChanges`) LISTENs and wakes at the commit of
another client's change, instead of asking the server twice a second. PostgreSQL delivers a notification at
commit, once per transaction however many statements sent it, and only to listeners on this database.
SQLite has nothing to change: its watcher reads `PRAGMA data_version`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

VERSION_SEQUENCE = "organizer_data_version"
VERSION_FUNCTION = "organizer_data_changed"
CHANNEL = "organizer_changes"


def _function(notify: bool) -> str:
    send = f"PERFORM pg_notify('{CHANNEL}', '');" if notify else ""
    return f"""
        CREATE OR REPLACE FUNCTION {VERSION_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM nextval('{VERSION_SEQUENCE}');
            {send}
            RETURN NULL;
        END
        $$"""


def upgrade() -> None:
    """On PostgreSQL: the data-changed function notifies too."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_function(notify=True))


def downgrade() -> None:
    """Back to counting only."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_function(notify=False))
