"""Alembic environment: runs on the connection the store hands over (no alembic.ini needed)."""

from alembic import context
from sqlmodel import SQLModel

from organizer import models  # noqa: F401  (registers the tables on the metadata)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
