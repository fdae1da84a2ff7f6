"""What the app remembers about how you look at a board (folded columns), kept out of the database.

View preferences are not data: they are not undone, exported or shared with a team, so they live in a
small JSON file in the XDG state dir (`$XDG_STATE_HOME/organizer/ui.json`), keyed by the database and
the board. A missing or damaged file means "nothing remembered", never an error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from organizer.files import make_private_dir, write_atomic
from organizer.paths import APP_NAME

__all__ = ["folded_columns", "set_folded_columns", "state_file"]


def state_file() -> Path:
    """`ui.json` in the XDG state dir (`$XDG_STATE_HOME`, else ~/.local/state) under `organizer/`."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base).expanduser() / APP_NAME / "ui.json"


def _read() -> dict[str, Any]:
    try:
        data = json.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _board_key(location: str, board: str) -> str:
    return f"{location}#{board}"


def folded_columns(location: str, board: str) -> set[str]:
    """Names of the columns folded on this board of this database."""
    entry = _read().get("folded", {}).get(_board_key(location, board), [])
    return {name for name in entry if isinstance(name, str)} if isinstance(entry, list) else set()


def set_folded_columns(location: str, board: str, names: set[str]) -> None:
    """Remember the folded columns of a board; a write that fails is ignored (it is only a preference)."""
    data = _read()
    folded = data.get("folded")
    if not isinstance(folded, dict):
        folded = data["folded"] = {}
    if names:
        folded[_board_key(location, board)] = sorted(names)
    else:
        folded.pop(_board_key(location, board), None)
    path = state_file()
    try:
        make_private_dir(path.parent)
        write_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
    except OSError:
        pass
