"""The schema revision this code writes, kept light for the quick-add path.

`organizer.storage.quick` writes raw SQL against exactly this revision and refuses any other;
a test checks that it equals the newest alembic migration, so adding a migration without
revisiting the quick path fails the suite instead of corrupting data.
"""

SCHEMA_REVISION = "0011"
