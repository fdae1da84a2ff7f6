"""Writing files safely: private by default, atomically, with one clear line when it fails.

Every file Organizer writes besides the database (exports, calendars, the config file) goes
through `write_atomic`. The content goes to a hidden `.NAME.partial` sibling, is flushed to disk
and then renamed over NAME, so readers see the old file or the new one, never half of one.

Permissions: a new file is created 0600 and a folder Organizer creates 0700, both through the
process umask, so they are never looser than the umask would make them. Replacing a file gives
it the new file's mode (0600): an export or config file that was shared before is private after.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
# Out of space, or out of the user's quota: both mean "disk is full" to the person typing.
_FULL = (errno.ENOSPC, errno.EDQUOT)


class WriteError(OSError):
    """A file could not be written; str() is one line naming the file (and "disk is full" for ENOSPC)."""

    def __init__(self, code: int | None, message: str, filename: str) -> None:
        super().__init__(code, message, filename)

    def __str__(self) -> str:
        return str(self.strerror)


def write_error(exc: OSError, path: Path | str) -> WriteError:
    """The one-line error for a failed write of `path`."""
    if exc.errno in _FULL:
        return WriteError(exc.errno, f"disk is full: could not write {path}", str(path))
    reason = exc.strerror or str(exc)
    return WriteError(exc.errno, f"could not write {path}: {reason}", str(path))


def create_private(path: Path) -> bool:
    """Create `path` as an empty 0600 file (through the umask); False when it already exists."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def make_private_dir(path: Path) -> None:
    """Create a folder and any missing parents, each 0700 (through the umask); existing ones are left as they are."""
    missing = []
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        # Path.mkdir(parents=True) would give the parents the default mode (0777 less the umask).
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            if not folder.is_dir():
                raise


def write_atomic(path: Path | str, data: bytes | str, *, encoding: str = "utf-8") -> None:
    """Replace `path` with `data` in one step; on any failure the old file stays and no partial file is left.

    Text is encoded as given, without newline translation. Raises `WriteError` (an OSError).
    """
    target = Path(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    partial = target.with_name(f".{target.name}.partial")
    try:
        try:
            fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
        except FileExistsError:
            # Left by a write that crashed; O_EXCL still makes sure we never write through a planted symlink.
            partial.unlink()
            fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except OSError as exc:
        raise write_error(exc, target) from None
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, target)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise write_error(exc, target) from None
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    # Makes the rename itself durable; some file systems cannot open a folder for this, which is harmless.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
