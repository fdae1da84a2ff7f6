"""Where Organizer keeps its files: XDG directories through platformdirs, with overrides.

`ORGANIZER_CONFIG` names the config file and `ORGANIZER_DB` the database (a path or a
SQLAlchemy URL); `--db` on the command line beats both. Organizer's own data folder is created
0700 on first use; see `organizer.storage.orm.open_store` for the rules on other folders.
"""

from __future__ import annotations

import os
from pathlib import Path

# platformdirs and hashlib are imported where used: platformdirs costs ~6 ms (it loads tempfile), and
# a quick-add with ORGANIZER_CONFIG and ORGANIZER_DB set needs neither.

APP_NAME = "organizer"


def config_file() -> Path:
    """The config file path: `$ORGANIZER_CONFIG`, else `config.toml` in the XDG config dir."""
    override = os.environ.get("ORGANIZER_CONFIG")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / "config.toml"


def data_dir() -> Path:
    """The XDG data dir that holds the default database."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME))


def default_database() -> str:
    """The database location: `$ORGANIZER_DB`, else `organizer.db` in the XDG data dir."""
    return os.environ.get("ORGANIZER_DB") or str(data_dir() / "organizer.db")


def sqlite_path(location: str) -> Path | None:
    """The file behind a database location if it is SQLite, else None (another database, or in memory).

    A plain path is SQLite, relative to the current folder; `~` is expanded. SQLite URLs follow
    SQLAlchemy: `sqlite:///rel.db` (three slashes) is relative, `sqlite:////abs/x.db` (four) is
    absolute. Query parameters of a SQLite URL are ignored. The result is always absolute, so
    messages and backups name the real place whatever the working folder later becomes.
    """
    if location.startswith("sqlite:"):
        rest = location[len("sqlite:") :]
        if not rest.startswith("///"):
            return None  # `sqlite://`: in memory
        location = rest[3:].split("?", 1)[0]
    elif "://" in location:
        return None
    if location in ("", ":memory:"):
        return None
    return Path(location).expanduser().absolute()


def calendar_folder(location: str) -> Path | None:
    """Where copies of imported calendars are kept for the database at `location` (None: in memory).

    Beside a SQLite file, named after it (`organizer.db.calendars`), so two databases in one folder keep
    their copies apart and a backup of the folder takes both; for another database, a folder in the data
    dir named by a hash of its URL. Created by whoever writes into it.
    """
    file = sqlite_path(location)
    if file is not None:
        return file.with_name(f"{file.name}.calendars")
    if location.startswith("sqlite:") or location in ("", ":memory:"):
        return None
    import hashlib

    return data_dir() / "calendars" / hashlib.sha256(location.encode()).hexdigest()[:16]


def database_url(location: str) -> str:
    """A SQLAlchemy URL for a database location (a SQLite file always as an absolute `sqlite:////…` URL)."""
    file = sqlite_path(location)
    if file is not None:
        return f"sqlite:///{file}"
    return location
