"""Shared fixtures. Every test runs against temporary config and data paths, never the user's.

Backends: the `store` and `cli` fixtures use a SQLite file unless the test is parametrised over
`backend`. A module (or test) marked `pytest.mark.backends` runs every test that uses them on SQLite
and on PostgreSQL, except tests marked `pytest.mark.sqlite_only` (or `postgresql_only`). PostgreSQL is the server at
`postgresql://postgres@127.0.0.1/postgres` (or `$ORGANIZER_TEST_PG`): each xdist worker migrates one
database `org_test_<random>` and empties it before every test that uses it (dropped WITH (FORCE) at the
end); `pg_fresh_url` gives a new, empty, unmigrated database of its own instead. When the server cannot
be reached those tests are skipped, with the reason, unless `$CI` is set: then they fail.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from organizer.cli.main import main
from organizer.config import Config, build_config
from organizer.storage.orm import Store, open_store


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
def store(db_location: str) -> Iterator[Store]:
    """A migrated, empty store on the test's database (a file, or PostgreSQL for the `postgresql` backend)."""
    s = open_store(db_location)
    yield s
    s.close()


# --- backends -----------------------------------------------------------------------------------

BACKENDS = ("sqlite", "postgresql")
PG_SERVER = os.environ.get("ORGANIZER_TEST_PG", "postgresql://postgres@127.0.0.1/postgres")


def pytest_configure(config: pytest.Config) -> None:
    """Register the backend markers."""
    config.addinivalue_line("markers", "backends: run the tests that use store/cli on SQLite and PostgreSQL")
    config.addinivalue_line("markers", "sqlite_only: a test about SQLite files, left out of `backends`")
    config.addinivalue_line("markers", "postgresql_only: a `backends` test that runs on PostgreSQL only")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise `backend` for tests marked `backends` (and not `sqlite_only`)."""
    marked = metafunc.definition.get_closest_marker
    if "backend" in metafunc.fixturenames and marked("backends") and not marked("sqlite_only"):
        metafunc.parametrize("backend", ["postgresql"] if marked("postgresql_only") else BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database the test runs on: "sqlite" unless parametrised."""
    return str(getattr(request, "param", "sqlite"))


def pg_url(name: str) -> str:
    """The URL of database `name` on the test server."""
    return f"{PG_SERVER.rpartition('/')[0]}/{name}"


def _pg_admin() -> object:
    import psycopg

    return psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The PostgreSQL server's maintenance URL; skips (fails under $CI) when it cannot be reached."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - a dependency
        reason = f"psycopg is not installed ({exc})"
    else:
        try:
            with psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5):
                return PG_SERVER
        except psycopg.Error as exc:
            reason = f"PostgreSQL at {PG_SERVER} is not reachable ({str(exc).strip().splitlines()[0]})"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI needs it (start it, or set ORGANIZER_TEST_PG)", pytrace=False)
    pytest.skip(f"{reason}: PostgreSQL tests skipped (set ORGANIZER_TEST_PG, or start the server)")


def _new_database(prefix: str) -> str:
    name = f"{prefix}_{secrets.token_hex(6)}"
    with _pg_admin() as admin:  # type: ignore[attr-defined]
        admin.execute(f"CREATE DATABASE {name}")
    return name


def _drop_database(name: str) -> None:
    with _pg_admin() as admin:  # type: ignore[attr-defined]
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def _pg_worker_db(pg_server: str) -> Iterator[str]:
    """One migrated database per test process, emptied before each test (`pg_db`)."""
    name = _new_database("org_test")
    try:
        open_store(pg_url(name)).close()
        yield pg_url(name)
    finally:
        _drop_database(name)


@pytest.fixture
def pg_db(_pg_worker_db: str) -> str:
    """A migrated PostgreSQL database as a new one is: no rows but the plan's stale flag; ids from 1."""
    import psycopg

    with psycopg.connect(_pg_worker_db, autocommit=True) as conn:
        # Connections a previous test left open (a store it never closed) must not hold the tables.
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                             "AND tablename <> 'alembic_version'")]
        conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        conn.execute("INSERT INTO setting (key, value) VALUES ('plan.stale', '1')")
    return _pg_worker_db


@pytest.fixture
def pg_fresh_url(pg_server: str) -> Iterator[str]:
    """A new, empty (unmigrated) PostgreSQL database of the test's own, dropped after."""
    name = _new_database("org_test")
    try:
        yield pg_url(name)
    finally:
        _drop_database(name)


@pytest.fixture
def db_location(backend: str, db_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Where the test's database is: the SQLite file, or a PostgreSQL URL (also put in $ORGANIZER_DB)."""
    if backend == "sqlite":
        return str(db_path)
    url = str(request.getfixturevalue("pg_db"))
    monkeypatch.setenv("ORGANIZER_DB", url)
    return url


@dataclass
class Result:
    """What a CLI run gave back."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], isolated_paths: Path, db_location: str) -> object:
    """Run `organizer ARGS…` in-process on the test's database (`$ORGANIZER_DB`); returns a Result."""
    (isolated_paths / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    (isolated_paths / "config.toml").write_text('timezone = "Europe/Paris"\n')

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
