"""The one atomic writer: private (0600, umask-aware) new files, nothing half-written, clear disk-full errors."""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from organizer import files
from organizer.config import save_setting
from tests.conftest import mode


def leftovers(folder: Path) -> list[str]:
    """Hidden partial files or 0-byte files a failed write might leave."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name.endswith((".partial", ".bak")) or (p.is_file() and p.stat().st_size == 0))


def test_new_file_is_private(tmp_path: Path, umask: int) -> None:
    target = tmp_path / "out.json"
    files.write_atomic(target, "héllo\n")
    assert target.read_text(encoding="utf-8") == "héllo\n"
    assert mode(target) == 0o600
    assert leftovers(tmp_path) == []


def test_never_looser_than_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o277)
    try:
        files.write_atomic(tmp_path / "out.bin", b"x")
    finally:
        os.umask(old)
    assert mode(tmp_path / "out.bin") == 0o400


def test_replacing_a_shared_file_makes_it_private(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    target.chmod(0o644)
    files.write_atomic(target, b"new")
    assert target.read_bytes() == b"new" and mode(target) == 0o600


def test_a_stale_partial_from_a_crash_is_replaced(tmp_path: Path) -> None:
    (tmp_path / ".out.txt.partial").write_text("half")
    files.write_atomic(tmp_path / "out.txt", "whole")
    assert (tmp_path / "out.txt").read_text() == "whole"
    assert leftovers(tmp_path) == []


@contextmanager
def failing(name: str, code: int) -> Iterator[None]:
    """`os.<name>` fails with errno `code` inside the block.

    A patch of its own: the shared `monkeypatch` also holds the isolated paths, never to be undone mid-test.
    """

    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(files.os, name, boom)
        yield


@pytest.mark.parametrize("step", ["write", "fsync", "replace"])
def test_disk_full_leaves_the_old_file_and_nothing_else(tmp_path: Path, step: str) -> None:
    target = tmp_path / "out.ics"
    target.write_bytes(b"old")
    expected = f"^disk is full: could not write {re.escape(str(target))}$"
    with failing(step, errno.ENOSPC), pytest.raises(OSError, match=expected) as info:
        files.write_atomic(target, b"new" * 1000)
    assert info.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ics"]


def test_other_errors_are_one_clear_line(tmp_path: Path) -> None:
    expected = f"^could not write {re.escape(str(tmp_path / 'x'))}: Input/output error$"
    with failing("write", errno.EIO), pytest.raises(OSError, match=expected):
        files.write_atomic(tmp_path / "x", "x")
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OSError, match=r"could not write .*: No such file or directory"):
        files.write_atomic(tmp_path / "nope" / "x.json", "x")


def test_private_dir_makes_every_missing_level_0700(tmp_path: Path, umask: int) -> None:
    files.make_private_dir(tmp_path / "a" / "b" / "c")
    for sub in ("a", "a/b", "a/b/c"):
        assert mode(tmp_path / sub) == 0o700, sub
    files.make_private_dir(tmp_path / "a" / "b")  # exists: fine, unchanged


def test_private_dir_leaves_an_existing_folder_alone(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir(mode=0o755)
    (tmp_path / "shared").chmod(0o755)
    files.make_private_dir(tmp_path / "shared")
    assert mode(tmp_path / "shared") == 0o755


# --- the places that write files -------------------------------------------------------------------------

def test_config_file_is_private(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "cfg" / "config.toml"
    save_setting(path, "theme", "nord")
    assert path.read_text() == 'theme = "nord"\n'
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_config_write_on_a_full_disk_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('timezone = "Europe/Paris"\n')
    with failing("write", errno.ENOSPC), pytest.raises(OSError, match="disk is full"):
        save_setting(path, "theme", "nord")
    assert path.read_text() == 'timezone = "Europe/Paris"\n'
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("fmt", ["json", "csv", "ics"])
def test_exports_are_private(cli: Any, tmp_path: Path, umask: int, fmt: str) -> None:
    assert cli("add", "Launch post", "--role", "writer").code == 0
    target = tmp_path / f"out.{fmt}"
    r = cli("export", fmt, "-o", str(target))
    assert r.code == 0, r.err
    assert mode(target) == 0o600
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("fmt", ["json", "csv", "ics"])
def test_export_on_a_full_disk_is_one_line_and_leaves_nothing(cli: Any, tmp_path: Path, fmt: str) -> None:
    assert cli("add", "Launch post", "--role", "writer").code == 0
    out = tmp_path / "exports"
    out.mkdir()
    target = out / f"out.{fmt}"
    target.write_bytes(b"old")
    with failing("write", errno.ENOSPC):
        r = cli("export", fmt, "-o", str(target))
    assert r.code == 1
    assert r.err == f"organizer: disk is full: could not write {target}\n"
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in out.iterdir()) == [target.name]
