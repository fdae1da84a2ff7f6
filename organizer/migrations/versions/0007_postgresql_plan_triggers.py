"""PostgreSQL gets the plan-stale triggers SQLite got in 0006, and sequences past every stored id.

0006 made the plan go stale in the same transaction as any change it depends on, on SQLite only;
other databases re-planned on every read. Here the same rule comes to PostgreSQL: one plpgsql
function sets the `plan.stale` setting, and a row trigger per table and statement kind calls it,
so a change that touches no row marks nothing, as on SQLite. On PostgreSQL the id sequences are
also moved past the largest stored id (imports used to give cards ids from `max(id) + 1` without
moving the sequence, which made the next insert collide). And the app's live refresh gets a counter of
its own: a sequence that a statement trigger on every table the board shows advances, which
`Store.data_version` reads (SQLite has `PRAGMA data_version`; the server-wide transaction counter moved
with every write to any database on the server). SQLite is left as it is.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("card", "board_column", "busy_event", "time_entry", "plan_block")
SERIAL_TABLES = ("board", "board_column", "card", "history", "busy_event", "plan_block", "time_entry",
                 "calendar_source")
FUNCTION = "organizer_plan_stale"
# What the board and the plan show: a change to any of them is news for an open app.
WATCHED = ("board", "board_column", "card", "card_tag", "card_channel", "busy_event", "time_entry", "plan_block",
           "calendar_source")
VERSION_SEQUENCE = "organizer_data_version"
VERSION_FUNCTION = "organizer_data_changed"


def upgrade() -> None:
    """On PostgreSQL: the stale flag, the function that sets it, its triggers; sequences past the stored ids."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("INSERT INTO setting (key, value) VALUES ('plan.stale', '1') ON CONFLICT (key) DO NOTHING")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE setting SET value = '1' WHERE key = 'plan.stale' AND value <> '1';
            RETURN NULL;
        END
        $$""")
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            name = f"plan_stale_{table}_{event.lower()}"
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()")
    for table in SERIAL_TABLES:
        op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} "
                   "HAVING max(id) IS NOT NULL")
    # A sequence, not a counter row: nextval never waits for another transaction, so concurrent writers do
    # not queue on it (a rolled-back change still advances it, which only costs an open app one reload).
    op.execute(f"CREATE SEQUENCE IF NOT EXISTS {VERSION_SEQUENCE}")
    op.execute(f"""
        CREATE OR REPLACE FUNCTION {VERSION_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM nextval('{VERSION_SEQUENCE}');
            RETURN NULL;
        END
        $$""")
    for table in WATCHED:
        name = f"data_changed_{table}"
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute(f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {VERSION_FUNCTION}()")


def downgrade() -> None:
    """Drop the triggers and their function (the setting stays: it is harmless)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS plan_stale_{table}_{event} ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS data_changed_{table} ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {VERSION_FUNCTION}()")
    op.execute(f"DROP SEQUENCE IF EXISTS {VERSION_SEQUENCE}")
