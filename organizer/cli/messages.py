"""One-line messages for the shell: runtime failures, and stored values a command could not read."""

from __future__ import annotations

import sys

from organizer import paths


def describe_failure(exc: BaseException) -> str:
    """One line for a runtime failure: what went wrong, without a traceback."""
    from organizer.storage.orm import StoreError, is_disk_full

    if isinstance(exc, StoreError | OSError):
        return " ".join(str(exc).split())
    if is_disk_full(exc):
        return "disk is full: could not write the database; nothing was saved"
    name = type(exc).__name__
    # SQLAlchemy's messages carry the statement and a help link on further lines; keep the driver's words.
    detail = " ".join(str(getattr(exc, "orig", None) or exc).split())
    if name == "OperationalError":
        return f"database error: {detail}"
    return f"unexpected {name}: {detail} (run with ORGANIZER_DEBUG=1 for the traceback)"


# Commands that show or export cards: they say which stored values they could not read.
READS_CARDS = frozenset({"list", "ls", "show", "export", "plan", "capacity"})


def warn_unreadable(location: str, *, most: int = 5) -> None:
    """Name, on stderr, each card value that could not be read (shown empty), so the user can fix it."""
    import sqlite3

    from organizer import integrity

    file = paths.sqlite_path(location)
    if file is None or not file.is_file():
        return
    try:
        conn = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
        try:
            problems = integrity.unreadable_cards(integrity.for_sqlite3(conn))
        finally:
            conn.close()
    except sqlite3.Error:
        return  # the command itself has already said what is wrong with the file
    for problem in problems[:most]:
        print(f"organizer: warning: {problem.message()}", file=sys.stderr)
    if len(problems) > most:
        print(f"organizer: warning: and {len(problems) - most} more unreadable values", file=sys.stderr)
