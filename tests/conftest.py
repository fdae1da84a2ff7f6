"""Shared fixtures. Every test runs against temporary config and data paths, never the user's."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from organizer.cli.main import main
from organizer.config import Config, build_config
from organizer.store import Store, open_store


@pytest.fixture(autouse=True)
def isolated_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point XDG dirs, the config file and the database at a temporary folder."""
    home = tmp_path / "home"
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"),
                     ("XDG_STATE_HOME", "state")):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("ORGANIZER_LOG_DIR", str(home / "logs"))  # crash logs of app tests stay here too
    monkeypatch.setenv("ORGANIZER_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("ORGANIZER_DB", str(home / "organizer.db"))
    monkeypatch.setenv("TZ", "Europe/Paris")
    monkeypatch.delenv("ORGANIZER_DEBUG", raising=False)
    return home


def mode(path: Path) -> int:
    """A file's permission bits (0o600 …)."""
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o077], ids=["umask022", "umask077"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under a common (022) and a strict (077) umask."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


@pytest.fixture
def db_path(isolated_paths: Path) -> Path:
    """The test's database file (created on first use)."""
    return isolated_paths / "organizer.db"


@pytest.fixture
def cfg() -> Config:
    """A config in Europe/Paris with the shipped defaults."""
    return build_config({"timezone": "Europe/Paris"})


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """A migrated, empty store on the test's database file."""
    s = open_store(str(db_path))
    yield s
    s.close()


@dataclass
class Result:
    """What a CLI run gave back."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], isolated_paths: Path) -> object:
    """Run `organizer ARGS…` in-process; returns a Result."""
    (isolated_paths / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    (isolated_paths / "config.toml").write_text('timezone = "Europe/Paris"\n')

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
