"""What the app does when something inside it fails: a log file with the traceback, exit 1, one line.

Textual's default prints a long rich traceback with locals to the terminal after the app closes (locals
that may hold card text) and leaves the exit code to the caller; `organizer` used to return 0 after it.
Here the traceback goes to a private log file and the shell gets one line naming that file.
"""

from __future__ import annotations

import os
import traceback
from datetime import UTC, datetime
from pathlib import Path

from platformdirs import user_log_path

from organizer.paths import APP_NAME


def log_dir() -> Path:
    """Where crash logs go: `$ORGANIZER_LOG_DIR`, else the XDG state/log dir."""
    override = os.environ.get("ORGANIZER_LOG_DIR")
    return Path(override).expanduser() if override else user_log_path(APP_NAME)


def write_crash_log(error: BaseException) -> Path | None:
    """Write the traceback to a new private file and return its path (None if nothing could be written)."""
    folder = log_dir()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"crash-{stamp}-{os.getpid()}.log"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("".join(traceback.format_exception(error)))
            inner = getattr(error, "error", None)  # Textual's WorkerFailed carries the worker's own error
            if isinstance(inner, BaseException):
                out.write("\nThe worker's error:\n" + "".join(traceback.format_exception(inner)))
    except OSError:
        return None
    return path


def one_line(error: BaseException, log: Path | None) -> str:
    """The message the shell sees: what failed and where the traceback is."""
    detail = " ".join(str(error).split())
    detail = detail if len(detail) <= 200 else detail[:197] + "..."
    where = f"the traceback is in {log}" if log else "no log file could be written; run with ORGANIZER_DEBUG=1"
    return f"organizer: the app stopped after an error: {type(error).__name__}: {detail} ({where})"
