"""The store: migrations, backups, schema drift, and several processes writing at once, on SQLite and PostgreSQL.

Tests that take `fresh` (a new, empty database) or `store` run on both backends; the rest are about
SQLite files. PostgreSQL-only checks (timestamptz, the 0007 triggers, sequences) are at the end.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlmodel import SQLModel, select

from organizer import models
from organizer.schema import SCHEMA_REVISION
from organizer.storage.orm import MIGRATIONS, StoreError, open_store

pytestmark = pytest.mark.backends


@pytest.fixture
def fresh(backend: str, db_path: Path, request: pytest.FixtureRequest) -> str:
    """A new, empty database: the test's SQLite file, or a PostgreSQL database of its own."""
    return str(db_path) if backend == "sqlite" else str(request.getfixturevalue("pg_fresh_url"))


def _sql(location: str, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    """Run one statement on the database at `location` outside Organizer; returns its rows (if any)."""
    engine = create_engine(location if "://" in location else f"sqlite:///{location}")
    try:
        with engine.begin() as conn:
            result = conn.exec_driver_sql(sql)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def _alembic_cfg() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def test_schema_revision_is_the_newest_migration() -> None:
    # The quick path writes for SCHEMA_REVISION; a new migration must revisit it.
    assert ScriptDirectory.from_config(_alembic_cfg()).get_current_head() == SCHEMA_REVISION


@pytest.mark.sqlite_only
def test_new_database_is_wal_at_head(db_path: Path) -> None:
    open_store(str(db_path)).close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == SCHEMA_REVISION


def test_migrations_match_the_models(fresh: str) -> None:
    open_store(fresh).close()
    engine = create_engine(fresh if "://" in fresh else f"sqlite:///{fresh}")
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    SQLModel.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_a_new_database_is_at_head(fresh: str) -> None:
    open_store(fresh).close()
    assert _sql(fresh, "SELECT version_num FROM alembic_version") == [(SCHEMA_REVISION,)]
    open_store(fresh).close()  # opening again changes nothing
    assert _sql(fresh, "SELECT version_num FROM alembic_version") == [(SCHEMA_REVISION,)]


def _database_at_first_revision(path: Path) -> None:
    from alembic import command

    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    cfg = _alembic_cfg()
    first = ScriptDirectory.from_config(cfg).get_base()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, first)
        conn.exec_driver_sql(
            "INSERT INTO board (id, key, name, description, next_number, created_at) "
            "VALUES (1, 'OLD', 'Old board', '', 2, '2026-01-05 09:00:00.000000')"
        )
        conn.exec_driver_sql(
            "INSERT INTO board_column (id, board_id, name, position, wip_limit, is_done) "
            "VALUES (1, 1, 'Ideas', 0, NULL, 0)"
        )
        conn.exec_driver_sql(
            "INSERT INTO card (id, board_id, number, column_id, position, title, notes, role, estimate_minutes, "
            "spent_minutes, priority, popup, created_at, updated_at) VALUES (1, 1, 1, 1, 1.0, 'Kept across upgrades', "
            "'', 'writer', 45, 0, 2, 0, '2026-01-05 09:00:00.000000', '2026-01-05 09:00:00.000000')"
        )
    engine.dispose()


def test_upgrade_from_the_first_revision_keeps_data_and_backs_up(db_path: Path) -> None:
    _database_at_first_revision(db_path)
    store = open_store(str(db_path))
    with store.read() as s:
        card = s.exec(select(models.Card)).one()
        assert card.title == "Kept across upgrades"
        assert card.created_at is not None and card.created_at.utcoffset() is not None
    backups = list(db_path.parent.glob("organizer.db.pre-migration-0001-*.bak"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
    assert old.execute("SELECT title FROM card").fetchone()[0] == "Kept across upgrades"
    # Opening again migrates nothing and backs up nothing more.
    open_store(str(db_path)).close()
    assert len(list(db_path.parent.glob("*.bak"))) == 1


def test_new_database_gets_no_backup(db_path: Path) -> None:
    open_store(str(db_path)).close()
    assert not list(db_path.parent.glob("*.bak"))


def test_refuses_a_database_from_a_newer_organizer(fresh: str) -> None:
    open_store(fresh).close()
    _sql(fresh, "UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="9999"):
        open_store(fresh)


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("this is not SQLite " * 100)
    with pytest.raises(StoreError, match="not an Organizer database"):
        open_store(str(bogus))


def test_naive_datetimes_are_refused(store) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    with pytest.raises(Exception, match="naive"), store.write() as s:
        s.add(models.BusyEvent(uid="x", title="x", start_at=datetime(2026, 1, 1, 9), end_at=datetime(2026, 1, 1, 10),
                               created_at=models.utcnow()))


_WORKER = """
import sys
from organizer.cli.main import main
worker = sys.argv[1]
for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 50):
    code = main(["add", f"worker {worker} card {i}", "--role", "writer", "--estimate", "15m"])
    if code:
        sys.exit(code)
    if i % 10 == 9:
        # Interleave full-path (SQLAlchemy) writes with the quick adds.
        code = main(["edit", "MAIN-1", "--notes", f"touched by {worker}"])
        if code:
            sys.exit(code)
"""


def _env(db: Path | str, isolated: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["ORGANIZER_DB"] = str(db)
    env["ORGANIZER_CONFIG"] = str(isolated / "config.toml")
    return env


@pytest.mark.slow
def test_four_processes_adding_fifty_cards_each(fresh: str, isolated_paths: Path) -> None:
    env = _env(fresh, isolated_paths)
    subprocess.run([sys.executable, "-m", "organizer", "add", "seed"], env=env, check=True, capture_output=True)
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(w), "50"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for w in range(4)]
    results = [(p.wait(timeout=240), p.stderr.read() if p.stderr else "") for p in procs]
    for code, err in results:
        assert code == 0, err
        assert "locked" not in err
    out = subprocess.run([sys.executable, "-m", "organizer", "list", "--json"], env=env, check=True,
                         capture_output=True, text=True).stdout
    cards = [c for c in json.loads(out) if c["title"].startswith("worker")]
    assert len(cards) == 200
    assert sorted(c["number"] for c in cards) == list(range(2, 202))


@pytest.mark.slow
def test_four_processes_opening_a_new_database_at_once(fresh: str, isolated_paths: Path) -> None:
    env = _env(fresh, isolated_paths)
    procs = [subprocess.Popen([sys.executable, "-m", "organizer", "boards", "add", f"B{w}", f"Board {w}"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(4)]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read() if p.stderr else ""
    assert sorted(r[0] for r in _sql(fresh, "SELECT key FROM board")) == ["B0", "B1", "B2", "B3"]


@pytest.mark.slow
def test_first_adds_of_four_processes_on_a_new_database(fresh: str, isolated_paths: Path) -> None:
    """Four processes migrate, make the default board and add at once: one board, numbers 1..20, no error."""
    env = _env(fresh, isolated_paths)
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(w), "5"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for w in range(4)]
    for p in procs:
        assert p.wait(timeout=240) == 0, p.stderr.read() if p.stderr else ""
    assert _sql(fresh, "SELECT key FROM board") == [("MAIN",)]
    assert [n for (n,) in _sql(fresh, "SELECT number FROM card ORDER BY number")] == list(range(1, 21))


# --- PostgreSQL only ------------------------------------------------------------------------------

@pytest.mark.postgresql_only
def test_postgresql_instants_are_timestamptz_and_read_back_aware(backend: str, store) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta, timezone

    types = dict(_sql(store.location, "SELECT table_name || '.' || column_name, data_type FROM "
                                      "information_schema.columns WHERE table_schema = 'public' AND "
                                      "(right(column_name, 3) = '_at' OR column_name = 'at')"))
    assert types and set(types.values()) == {"timestamp with time zone"}, types
    at = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=-5)))
    with store.write() as s:
        s.add(models.BusyEvent(uid="u", title="t", start_at=at, end_at=at + timedelta(hours=1),
                               created_at=models.utcnow()))
    with store.read() as s:
        event = s.exec(select(models.BusyEvent)).one()
    assert event.start_at == at and event.start_at.tzinfo == UTC


@pytest.mark.postgresql_only
def test_postgresql_changes_mark_the_plan_stale_in_their_transaction(backend: str, store) -> None:  # type: ignore[no-untyped-def]
    names = {n for (n,) in _sql(store.location, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                                                 "AND starts_with(tgname, 'plan_stale_')")}
    assert names == {f"plan_stale_{t}_{e}" for t in ("card", "board_column", "busy_event", "time_entry", "plan_block")
                     for e in ("insert", "update", "delete")}
    _sql(store.location, "UPDATE setting SET value = '0' WHERE key = 'plan.stale'")
    _sql(store.location, "UPDATE card SET title = title")  # no row: nothing changes, nothing goes stale
    assert _sql(store.location, "SELECT value FROM setting WHERE key = 'plan.stale'") == [("0",)]
    from organizer.services import boards

    with store.write() as s:
        boards.create_board(s, "ACME", "Acme")
    assert _sql(store.location, "SELECT value FROM setting WHERE key = 'plan.stale'") == [("1",)]


@pytest.mark.postgresql_only
def test_postgresql_upgrade_from_0006_adds_triggers_and_moves_sequences(backend: str, fresh: str) -> None:
    """A PostgreSQL database made by an older Organizer (0006, no triggers) with a card id past its
    sequence (as imports used to write them) upgrades, and the next card gets a free id."""
    from alembic import command

    from organizer.services import cards
    from organizer.validate import validate

    engine = create_engine(fresh)
    cfg = _alembic_cfg()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0006")
        conn.exec_driver_sql("INSERT INTO board (id, key, name, description, next_number, created_at) "
                             "VALUES (1, 'OLD', 'Old', '', 8, now())")
        conn.exec_driver_sql("INSERT INTO board_column (id, board_id, name, position, is_done) "
                             "VALUES (1, 1, 'Ideas', 0, false)")
        conn.exec_driver_sql("INSERT INTO card (id, board_id, number, column_id, position, title, notes, "
                             "spent_minutes, priority, popup, created_at, updated_at) "
                             "VALUES (7, 1, 7, 1, 1.0, 'imported', '', 0, 3, false, now(), now())")
    engine.dispose()
    store = open_store(fresh)
    try:
        from organizer.config import build_config

        conf = build_config({"timezone": "Europe/Paris"})
        with store.write() as s:
            card = cards.add_card(s, conf, validate({"title": "new"}, conf, now=models.utcnow(), require_title=True))
        assert (card.id, card.number) == (8, 8)
    finally:
        store.close()
    assert len(_sql(fresh, "SELECT tgname FROM pg_trigger WHERE starts_with(tgname, 'plan_stale_')")) == 15


@pytest.mark.postgresql_only
def test_postgresql_data_version_moves_with_another_connections_commit(backend: str, store,  # type: ignore[no-untyped-def]
                                                                         pg_fresh_url: str) -> None:
    before = store.data_version()
    _sql(store.location, "UPDATE card SET title = title")
    after = store.data_version()
    assert after != before
    # A write to another database on the same server is not news for this one.
    _sql(pg_fresh_url, "CREATE TABLE elsewhere (x int)")
    _sql(pg_fresh_url, "INSERT INTO elsewhere VALUES (1)")
    assert store.data_version() == after


@pytest.mark.postgresql_only
def test_a_store_nobody_closed_closes_its_connections_when_collected(backend: str, db_location: str) -> None:
    """A CLI command or a test that drops its store must not leave psycopg to warn later, from other code."""
    import gc
    import warnings

    store = open_store(db_location)
    with store.read():
        pass
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del store
        gc.collect()
    assert [str(w.message) for w in caught] == []
