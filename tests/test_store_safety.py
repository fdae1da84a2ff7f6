"""Data safety of the database: private files, never touching another app's database, clear disk errors."""

from __future__ import annotations

import builtins
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from organizer import paths
from organizer.storage import migrating
from organizer.storage import orm as store_mod
from organizer.storage.orm import StoreError, open_store
from tests.conftest import mode
from tests.test_store import _database_at_first_revision

# --- private by default ----------------------------------------------------------------------------------

def test_new_database_its_wal_and_its_folders_are_private(tmp_path: Path, umask: int) -> None:
    db = tmp_path / "a" / "b" / "organizer.db"
    s = open_store(str(db))
    with s.write() as session:
        session.execute(text("INSERT INTO setting (key, value) VALUES ('k', 'v')"))
    # While the store is open the WAL and shared-memory files exist; SQLite gives them the database's mode.
    assert {p.name: mode(p) for p in db.parent.iterdir()} == {
        "organizer.db": 0o600, "organizer.db-wal": 0o600, "organizer.db-shm": 0o600}
    s.close()
    assert mode(tmp_path / "a") == 0o700 and mode(tmp_path / "a" / "b") == 0o700


def test_an_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o755)
    open_store(str(folder / "organizer.db")).close()
    assert mode(folder) == 0o755 and mode(folder / "organizer.db") == 0o600


def test_default_data_dir_is_created_private(cli: Any, monkeypatch: pytest.MonkeyPatch, umask: int) -> None:
    monkeypatch.delenv("ORGANIZER_DB")
    assert not paths.data_dir().exists()
    # A fresh install: even a read command may create Organizer's own data folder.
    r = cli("list")
    assert r.code == 0, r.err
    assert mode(paths.data_dir()) == 0o700
    assert mode(paths.data_dir() / "organizer.db") == 0o600


def test_pre_migration_backup_is_private(db_path: Path, umask: int) -> None:
    _database_at_first_revision(db_path)
    db_path.chmod(0o600)
    open_store(str(db_path)).close()
    (backup,) = db_path.parent.glob("*.bak")
    assert mode(backup) == 0o600


# --- another app's database -------------------------------------------------------------------------------

def _foreign(path: Path, journal: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("CREATE TABLE tags (note_id INTEGER, tag TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('my precious note')")
    conn.commit()
    conn.close()


def _fingerprint(path: Path) -> tuple[bytes, int, int, list[str]]:
    st = path.stat()
    return path.read_bytes(), st.st_mtime_ns, stat.S_IMODE(st.st_mode), sorted(os.listdir(path.parent))


FOREIGN_COMMANDS: list[tuple[str, ...]] = [
    ("add", "A card"), ("list",), ("list", "--all", "--json"), ("show", "MAIN-1"), ("move", "MAIN-1", "Done"),
    ("done", "MAIN-1"), ("edit", "MAIN-1", "--title", "x"), ("rm", "MAIN-1"), ("undo",), ("redo",),
    ("boards",), ("boards", "add", "NEW", "New board"), ("boards", "rename", "MAIN", "Main"),
    ("plan",), ("capacity",), ("start", "MAIN-1"), ("stop",), ("pin", "MAIN-1"), ("busy",),
    ("busy", "add", "fri 10:00", "1h", "Meeting"),
    ("export", "json"), ("export", "csv"), ("export", "ics"), ("events",), ("calendars",), ("calendars", "list"),
    ("import", "json", "EXPORT"),
]


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_another_apps_database_is_refused_and_left_byte_for_byte(cli: Any, tmp_path: Path, journal: str) -> None:
    # A real export to import, made from an Organizer database elsewhere.
    export = tmp_path / "cards.json"
    assert cli("add", "Real card").code == 0
    assert cli("export", "json", "-o", str(export)).code == 0
    folder = tmp_path / "other-app"
    folder.mkdir()
    foreign = folder / "notes.db"
    _foreign(foreign, journal)
    before = _fingerprint(foreign)
    for command in FOREIGN_COMMANDS:
        args = [str(export) if a == "EXPORT" else a for a in command]
        r = cli("--db", str(foreign), *args)
        assert r.code == 2, (command, r.out, r.err)
        assert r.err == (f"organizer: {foreign} is not an Organizer database: it has tables notes, tags; "
                         "give --db a new file or an Organizer database\n"), command
        assert _fingerprint(foreign) == before, command
    assert cli("--db", str(foreign), "info").code == 0
    assert _fingerprint(foreign) == before
    conn = sqlite3.connect(f"file:{foreign}?mode=ro", uri=True)
    assert conn.execute("SELECT body FROM notes").fetchall() == [("my precious note",)]
    conn.close()


def test_open_store_refuses_another_apps_database(tmp_path: Path) -> None:
    foreign = tmp_path / "notes.db"
    _foreign(foreign, "delete")
    before = _fingerprint(foreign)
    with pytest.raises(store_mod.ForeignDatabase, match="it has tables notes, tags"):
        open_store(str(foreign))
    assert _fingerprint(foreign) == before


def test_another_alembic_apps_database_is_refused_unchanged(cli: Any, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    _foreign(other, "delete")
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    conn.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
    conn.commit()
    conn.close()
    before = _fingerprint(other)
    for command in (("list",), ("add", "x"), ("boards",)):
        r = cli("--db", str(other), *command)
        assert r.code == 1 and "schema revision ae1027a6acf" in r.err, (command, r.err)
        assert _fingerprint(other) == before, command


def test_open_store_reads_the_file_only_through_sqlite(db_path: Path, tmp_path: Path) -> None:
    # Closing any other descriptor of a database drops the POSIX locks this process's SQLite connections
    # hold on it; with other processes writing, that corrupted databases (seen with four adders at once).
    foreign = tmp_path / "notes.db"
    _foreign(foreign, "wal")
    open_store(str(db_path)).close()
    guarded = {db_path.resolve(), foreign.resolve()}
    real_open, real_os_open = builtins.open, os.open

    def check(path: Any) -> None:
        if isinstance(path, (str, os.PathLike)) and Path(path).resolve() in guarded:
            raise AssertionError(f"{path} opened outside SQLite")

    def fake_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        check(path)
        return real_open(path, *args, **kwargs)

    def fake_os_open(path: Any, *args: Any, **kwargs: Any) -> int:
        check(path)
        return real_os_open(path, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        for target, name, fake in ((builtins, "open", fake_open), (io, "open", fake_open), (os, "open", fake_os_open)):
            patch.setattr(target, name, fake)
        first = open_store(str(db_path))
        open_store(str(db_path)).close()  # while `first` holds connections
        with pytest.raises(store_mod.ForeignDatabase):
            open_store(str(foreign))
        first.close()


def test_many_foreign_tables_are_named_briefly(tmp_path: Path) -> None:
    foreign = tmp_path / "big.db"
    conn = sqlite3.connect(foreign)
    for i in range(12):
        conn.execute(f"CREATE TABLE t{i:02} (x)")
    conn.close()
    with pytest.raises(StoreError, match=r"it has tables t00, t01, t02, t03, t04 and 7 more;"):
        open_store(str(foreign))


def test_an_empty_sqlite_file_becomes_an_organizer_database(tmp_path: Path) -> None:
    empty = tmp_path / "new.db"
    sqlite3.connect(empty).close()  # a 0-byte file
    open_store(str(empty)).close()
    conn = sqlite3.connect(empty)
    assert conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
    conn.close()


# --- a folder that does not exist -------------------------------------------------------------------------

READ_COMMANDS: list[tuple[str, ...]] = [
    ("list",), ("list", "--json"), ("show", "MAIN-1"), ("plan",), ("capacity",), ("export", "json"),
    ("export", "csv"), ("events",), ("calendars",), ("boards",), ("busy",), ("undo",),
]


def test_read_commands_refuse_a_folder_that_does_not_exist(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "typo" / "nested" / "organizer.db"
    for command in READ_COMMANDS:
        r = cli("--db", str(db), *command)
        assert r.code == 2, (command, r.out, r.err)
        assert r.err == (f"organizer: cannot open {db}: folder {db.parent} does not exist "
                         "(commands that add something create it)\n"), command
        assert not (tmp_path / "typo").exists(), command
    assert cli("--db", str(db), "info").code == 0
    assert not (tmp_path / "typo").exists()


def test_ics_export_refuses_a_folder_that_does_not_exist(cli: Any, tmp_path: Path) -> None:
    db = tmp_path / "typo" / "organizer.db"
    r = cli("--db", str(db), "export", "ics")
    assert r.code == 2 and "does not exist" in r.err
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize("command", [("add", "First card"), ("boards", "add", "NEW", "New board"),
                                     ("import", "json", "EXPORT"), ("demo",)])
def test_write_commands_create_the_folder_privately(cli: Any, tmp_path: Path, umask: int,
                                                    command: tuple[str, ...]) -> None:
    export = tmp_path / "cards.json"
    assert cli("add", "Real card").code == 0
    assert cli("export", "json", "-o", str(export)).code == 0
    db = tmp_path / "new" / "place" / "organizer.db"
    if command == ("demo",):
        r = cli("demo", "--keep", str(db), "--no-app")
    else:
        r = cli("--db", str(db), *[str(export) if a == "EXPORT" else a for a in command])
    assert r.code == 0, r.err
    assert mode(tmp_path / "new") == 0o700 and mode(tmp_path / "new" / "place") == 0o700
    assert mode(db) == 0o600


# --- sqlite URLs ------------------------------------------------------------------------------------------

def test_sqlite_urls_relative_and_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert paths.sqlite_path("sqlite:///rel.db") == tmp_path / "rel.db"
    assert paths.sqlite_path("rel.db") == tmp_path / "rel.db"
    assert paths.sqlite_path(f"sqlite:///{tmp_path}/abs.db") == tmp_path / "abs.db"  # four slashes
    assert paths.sqlite_path("sqlite:///~/x.db") == Path.home() / "x.db"
    assert paths.sqlite_path("sqlite:///x.db?timeout=5") == tmp_path / "x.db"
    assert paths.sqlite_path("sqlite://") is None and paths.sqlite_path("sqlite:///:memory:") is None
    open_store("sqlite:///rel.db").close()
    assert (tmp_path / "rel.db").is_file()


# --- a read-only folder -----------------------------------------------------------------------------------

def _run_unprivileged(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a new process that folder modes bind: root's override of them is dropped first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORGANIZER_", "XDG_"))}
    env |= {"ORGANIZER_CONFIG": str(folder / "config.toml"), "TZ": "Europe/Paris",
            "ORGANIZER_DB": str(folder / "data" / "organizer.db"), "XDG_DATA_HOME": str(folder / "xdg"),
            "XDG_CONFIG_HOME": str(folder / "xdg"), "XDG_CACHE_HOME": str(folder / "xdg")}
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: a read-only folder cannot be simulated")
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]
    return subprocess.run([*prefix, sys.executable, "-m", "organizer", *args], env=env, capture_output=True,
                          text=True, timeout=120, cwd=folder)


@pytest.mark.slow
def test_read_only_folder_reads_and_refuses_writes_clearly(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('timezone = "Europe/Paris"\n')
    r = _run_unprivileged(tmp_path, "add", "Written before the folder went read-only")
    assert r.returncode == 0, r.stderr
    data = tmp_path / "data"
    data.chmod(0o555)
    listing = sorted(os.listdir(data))
    db = data / "organizer.db"
    before = db.read_bytes()

    r = _run_unprivileged(tmp_path, "list", "--json")
    assert r.returncode == 0, r.stderr
    assert [c["title"] for c in json.loads(r.stdout)] == ["Written before the folder went read-only"]
    for command in (("show", "MAIN-1"), ("export", "json"), ("boards",)):
        r = _run_unprivileged(tmp_path, *command)
        assert r.returncode == 0, (command, r.stderr)
    for command in (("add", "Another"), ("done", "MAIN-1"), ("boards", "add", "NEW", "New")):
        r = _run_unprivileged(tmp_path, *command)
        assert r.returncode == 1, (command, r.stderr)
        assert r.stderr == f"organizer: cannot write to {db}: read-only (the folder {data} is not writable)\n"
    assert sorted(os.listdir(data)) == listing and db.read_bytes() == before
    data.chmod(0o700)  # so pytest can clean up


# --- a full disk ------------------------------------------------------------------------------------------

@contextmanager
def tiny_disk() -> Iterator[None]:
    """Inside the block no new SQLAlchemy connection may grow its file: SQLite then fails with SQLITE_FULL.

    A patch of its own: the shared `monkeypatch` also holds the isolated paths, never to be undone mid-test.
    """
    real = store_mod._configure_sqlite

    def configure(engine: Any) -> None:
        real(engine)

        @event.listens_for(engine, "connect")
        def _full(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            count = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
            dbapi_conn.execute(f"PRAGMA max_page_count = {count}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store_mod, "_configure_sqlite", configure)
        yield


def test_full_disk_on_a_write_is_one_line_and_saves_nothing(cli: Any, db_path: Path) -> None:
    assert cli("add", "A card").code == 0
    with tiny_disk():
        r = cli("edit", "MAIN-1", "--notes", "long " * 50_000)
    assert r.code == 1
    assert r.err == f"organizer: disk is full: could not write to {db_path}; nothing was saved\n"
    card = json.loads(cli("show", "MAIN-1", "--json").out)
    assert card["notes"] == ""


def test_full_disk_in_the_store_api(db_path: Path) -> None:
    open_store(str(db_path)).close()
    with tiny_disk():
        s = open_store(str(db_path))
    with pytest.raises(store_mod.DiskFull, match="disk is full"), s.write() as session:
        session.execute(text("INSERT INTO setting (key, value) VALUES ('k', :v)"), {"v": "x" * 500_000})
    s.close()


def test_full_disk_on_the_lean_add(cli: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from organizer.storage import quick

    assert cli("add", "A card").code == 0

    class TinySqlite:
        def __getattr__(self, name: str) -> Any:
            return getattr(sqlite3, name)

        @staticmethod
        def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            conn = sqlite3.connect(*args, **kwargs)
            conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
            return conn

    monkeypatch.setattr(quick, "sqlite3", TinySqlite())
    r = cli("add", "Big notes", "--notes", "long " * 50_000)
    assert r.code == 1 and r.err.startswith("organizer: disk is full: ") and r.err.count("\n") == 1, r.err
    monkeypatch.setattr(quick, "sqlite3", sqlite3)
    assert len(json.loads(cli("list", "--json").out)) == 1


def test_full_disk_during_the_pre_migration_backup_leaves_no_backup(db_path: Path) -> None:
    _database_at_first_revision(db_path)

    class TinyBackups:
        def __getattr__(self, name: str) -> Any:
            return getattr(sqlite3, name)

        @staticmethod
        def connect(path: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
            conn = sqlite3.connect(path, *args, **kwargs)
            if str(path).endswith(".bak"):
                conn.execute("PRAGMA max_page_count = 1")
            return conn

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(migrating, "sqlite3", TinyBackups())
        with pytest.raises(store_mod.DiskFull, match=r"^disk is full: could not back up .*organizer.db"):
            open_store(str(db_path))
    assert sorted(p.name for p in db_path.parent.iterdir() if "organizer.db" in p.name) == ["organizer.db"]
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"  # not migrated
    conn.close()
