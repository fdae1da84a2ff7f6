"""The store: migrations, backups, schema drift, and several processes writing at once."""

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
from organizer.store import MIGRATIONS, StoreError, open_store


def _alembic_cfg() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def test_schema_revision_is_the_newest_migration() -> None:
    # The lean path writes for SCHEMA_REVISION; a new migration must revisit it.
    assert ScriptDirectory.from_config(_alembic_cfg()).get_current_head() == SCHEMA_REVISION


def test_new_database_is_wal_at_head(db_path: Path) -> None:
    open_store(str(db_path)).close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == SCHEMA_REVISION


def test_migrations_match_the_models(db_path: Path) -> None:
    open_store(str(db_path)).close()
    engine = create_engine(f"sqlite:///{db_path}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []


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


def test_refuses_a_database_from_a_newer_organizer(db_path: Path) -> None:
    open_store(str(db_path)).close()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    with pytest.raises(StoreError, match="9999"):
        open_store(str(db_path))


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
for i in range(50):
    code = main(["add", f"worker {worker} card {i}", "--role", "writer", "--estimate", "15m"])
    if code:
        sys.exit(code)
    if i % 10 == 9:
        # Interleave full-path (SQLAlchemy) writes with the lean adds.
        code = main(["edit", "MAIN-1", "--notes", f"touched by {worker}"])
        if code:
            sys.exit(code)
"""


def _env(db: Path, isolated: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["ORGANIZER_DB"] = str(db)
    env["ORGANIZER_CONFIG"] = str(isolated / "config.toml")
    return env


@pytest.mark.slow
def test_four_processes_adding_fifty_cards_each(db_path: Path, isolated_paths: Path) -> None:
    env = _env(db_path, isolated_paths)
    subprocess.run([sys.executable, "-m", "organizer", "add", "seed"], env=env, check=True, capture_output=True)
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(w)], env=env, stdout=subprocess.PIPE,
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
def test_four_processes_opening_a_new_database_at_once(db_path: Path, isolated_paths: Path) -> None:
    env = _env(db_path, isolated_paths)
    procs = [subprocess.Popen([sys.executable, "-m", "organizer", "boards", "add", f"B{w}", f"Board {w}"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w in range(4)]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read() if p.stderr else ""
    conn = sqlite3.connect(db_path)
    assert sorted(r[0] for r in conn.execute("SELECT key FROM board")) == ["B0", "B1", "B2", "B3"]
