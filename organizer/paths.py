"""Where Organizer keeps its files: XDG directories through platformdirs, with overrides.

`ORGANIZER_CONFIG` names the config file and `ORGANIZER_DB` the database (a path or a
SQLAlchemy URL); `--db` on the command line beats both.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

APP_NAME = "organizer"


def config_file() -> Path:
    """The config file path: `$ORGANIZER_CONFIG`, else `config.toml` in the XDG config dir."""
    override = os.environ.get("ORGANIZER_CONFIG")
    if override:
        return Path(override).expanduser()
    return Path(user_config_dir(APP_NAME)) / "config.toml"


def data_dir() -> Path:
    """The XDG data dir that holds the default database."""
    return Path(user_data_dir(APP_NAME))


def default_database() -> str:
    """The database location: `$ORGANIZER_DB`, else `organizer.db` in the XDG data dir."""
    return os.environ.get("ORGANIZER_DB") or str(data_dir() / "organizer.db")


def sqlite_path(location: str) -> Path | None:
    """The file behind a database location if it is SQLite, else None (another database).

    A plain path is SQLite; so is a `sqlite:///…` URL. `:memory:` has no file and gives None.
    """
    if location.startswith("sqlite:///"):
        location = location[len("sqlite:///") :]
    elif "://" in location:
        return None
    if location in ("", ":memory:"):
        return None
    return Path(location).expanduser()


def database_url(location: str) -> str:
    """A SQLAlchemy URL for a database location (a plain path becomes a SQLite URL)."""
    if "://" in location:
        return location
    return f"sqlite:///{Path(location).expanduser()}"
