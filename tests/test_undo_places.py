"""Undo from the same place: the app undoes its own session, a shell its own changes, and nobody's work is lost.

A place is where a change was made: one terminal session (`organizer` commands typed in one shell) or
one app session. Undo and redo look only at their own place's changes; `undo --any` takes the newest
change from anywhere and says where it was made. Undo and redo refuse, naming what changed, rather
than overwrite a later change made elsewhere.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from organizer import history
from organizer.config import Config, build_config
from organizer.models import Card, HistoryEntry, PlanBlock, TimeEntry
from organizer.services import cards, timer
from organizer.storage import quick
from organizer.storage.orm import Store
from organizer.validate import validate

# The store and CLI tests here run on SQLite and on PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.backends

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
APP = "tui:0a0a0a0a"
OTHER_APP = "tui:0b0b0b0b"
SHELL = "cli:7"


@pytest.fixture(autouse=True)
def shell_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test process is the shell SHELL (a place named by ORGANIZER_PLACE)."""
    monkeypatch.setenv("ORGANIZER_PLACE", SHELL.removeprefix("cli:"))


def _add(store: Store, cfg: Config, title: str, place: str = SHELL, **raw: Any) -> str:
    with store.write() as s:
        history.set_place(s, place)
        card = cards.add_card(s, cfg, validate({"title": title, **raw}, cfg, now=NOW, require_title=True))
        return cards.card_ref(s, card)


def _move(store: Store, ref: str, column: str, place: str) -> None:
    with store.write() as s:
        history.set_place(s, place)
        cards.move_card(s, ref, column)


def _column(store: Store, cfg: Config, ref: str) -> str:
    with store.read() as s:
        return str(cards.card_view(s, cfg, ref)["column"])


def _undo(store: Store, place: str, **kw: Any) -> str:
    with store.write() as s:
        return history.undo(s, place, **kw)


def _redo(store: Store, place: str, **kw: Any) -> str:
    with store.write() as s:
        return history.redo(s, place, **kw)


# --- places -------------------------------------------------------------------------------------

def test_an_app_session_undo_does_not_revert_a_shell_change(store: Store, cfg: Config) -> None:
    _add(store, cfg, "one")
    _add(store, cfg, "two")
    _move(store, "MAIN-1", "Planned", APP)
    _move(store, "MAIN-2", "Review", SHELL)  # the newest change, made elsewhere
    assert _undo(store, APP) == "move MAIN-1 to Planned"
    assert _column(store, cfg, "MAIN-1") == "Ideas"
    assert _column(store, cfg, "MAIN-2") == "Review"
    with pytest.raises(history.NothingToUndo, match=r"nothing to undo in this app session.*organizer undo"):
        _undo(store, APP)
    assert _column(store, cfg, "MAIN-2") == "Review"
    assert _undo(store, SHELL) == "move MAIN-2 to Review"


def test_another_app_session_is_another_place(store: Store, cfg: Config) -> None:
    _add(store, cfg, "one")
    _move(store, "MAIN-1", "Planned", APP)
    with pytest.raises(history.NothingToUndo):
        _undo(store, OTHER_APP)
    assert _column(store, cfg, "MAIN-1") == "Planned"


def test_the_shell_place_is_the_terminal_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORGANIZER_PLACE", raising=False)
    assert quick.shell_place() == f"cli:{os.getsid(0)}"
    monkeypatch.setenv("ORGANIZER_PLACE", "nightly-import")
    assert quick.shell_place() == "cli:nightly-import"
    assert quick.new_app_place().startswith("tui:") and quick.new_app_place() != quick.new_app_place()


def test_undo_any_takes_the_newest_change_anywhere_and_says_where(store: Store, cfg: Config) -> None:
    _add(store, cfg, "one")
    _move(store, "MAIN-1", "Planned", APP)
    assert _undo(store, SHELL, anywhere=True) == "move MAIN-1 to Planned (made in the app, session 0a0a0a0a)"
    assert _column(store, cfg, "MAIN-1") == "Ideas"
    # It went to the redo stack of the place that made it.
    assert _redo(store, APP) == "move MAIN-1 to Planned"


def test_redo_any_takes_the_most_recently_undone_change(store: Store, cfg: Config) -> None:
    _add(store, cfg, "one")
    _add(store, cfg, "two")
    _move(store, "MAIN-2", "Review", SHELL)
    _move(store, "MAIN-1", "Planned", APP)
    _undo(store, APP)
    _undo(store, SHELL)
    assert _redo(store, APP, anywhere=True) == "move MAIN-2 to Review (made from a shell)"
    assert _column(store, cfg, "MAIN-2") == "Review"


# --- never overwrite a later change -------------------------------------------------------------

def test_undo_refuses_when_the_row_was_changed_later_elsewhere(store: Store, cfg: Config) -> None:
    _add(store, cfg, "one")
    _move(store, "MAIN-1", "Planned", APP)
    _move(store, "MAIN-1", "Review", SHELL)
    with pytest.raises(history.UndoConflict, match=r"MAIN-1 was changed later from a shell \('move MAIN-1 to "
                                                  r"Review'\)"):
        _undo(store, APP)
    assert _column(store, cfg, "MAIN-1") == "Review"
    # Once the later change is undone where it was made, the app's undo goes through.
    _undo(store, SHELL)
    assert _undo(store, APP) == "move MAIN-1 to Planned"
    assert _column(store, cfg, "MAIN-1") == "Ideas"


def test_undoing_an_add_refuses_when_another_place_added_a_step_to_it(store: Store, cfg: Config) -> None:
    _add(store, cfg, "piece", APP)
    _add(store, cfg, "step", SHELL, parent="MAIN-1")
    with pytest.raises(history.UndoConflict, match="MAIN-2"):
        _undo(store, APP)
    with store.read() as s:
        assert len(s.exec(select(Card)).all()) == 2


def test_undoing_an_add_refuses_while_its_timer_runs(store: Store, cfg: Config) -> None:
    _add(store, cfg, "piece", APP)
    with store.write() as s:
        history.set_place(s, SHELL)
        timer.start_timer(s, "MAIN-1", now=NOW)
    with pytest.raises(history.UndoConflict, match="time tracked"):
        _undo(store, APP)


@pytest.mark.sqlite_only  # SQLite hands a freed row id out again; PostgreSQL's sequences never do
def test_undo_refuses_to_write_over_a_reused_row_id(store: Store, cfg: Config) -> None:
    _add(store, cfg, "one")
    _add(store, cfg, "two", APP)
    with store.write() as s:
        history.set_place(s, APP)
        cards.remove_card(s, "MAIN-2")
    _add(store, cfg, "three")  # SQLite hands the freed id out again
    with store.read() as s:
        assert cards.find_card(s, "MAIN-3").id == 2
    with pytest.raises(history.UndoConflict):
        _undo(store, APP)
    assert _column(store, cfg, "MAIN-3") == "Ideas"


@pytest.mark.sqlite_only  # the other place adds through the quick path, which is SQLite's
def test_redo_survives_another_places_add(store: Store, cfg: Config) -> None:
    _add(store, cfg, "one")
    _move(store, "MAIN-1", "Planned", APP)
    _undo(store, APP)
    _add(store, cfg, "two", SHELL)  # an unrelated change elsewhere
    conn = quick.connect(store.location)
    quick.add(conn, cfg, validate({"title": "three"}, cfg, now=NOW, require_title=True), place=OTHER_APP)
    conn.close()
    assert _redo(store, APP) == "move MAIN-1 to Planned"
    assert _column(store, cfg, "MAIN-1") == "Planned"


def test_a_new_action_clears_only_its_own_places_redo(store: Store, cfg: Config) -> None:
    _add(store, cfg, "one")
    _move(store, "MAIN-1", "Planned", APP)
    _undo(store, APP)
    _move(store, "MAIN-1", "Review", APP)
    with pytest.raises(history.NothingToUndo, match="nothing to redo"):
        _redo(store, APP)


def test_redo_refuses_when_the_row_changed_since(store: Store, cfg: Config) -> None:
    _add(store, cfg, "one")
    _move(store, "MAIN-1", "Planned", APP)
    _undo(store, APP)
    _move(store, "MAIN-1", "Review", SHELL)
    with pytest.raises(history.UndoConflict, match="MAIN-1"):
        _redo(store, APP)
    assert _column(store, cfg, "MAIN-1") == "Review"


# --- rm + undo brings back what hung on the card ------------------------------------------------

def _pin_block(store: Store, ref: str) -> None:
    with store.write() as s:
        card = cards.find_card(s, ref)
        start = NOW + timedelta(days=1)
        s.add(PlanBlock(day=start.date(), start_at=start, end_at=start + timedelta(hours=1), kind="work",
                        card_id=card.id, pinned=True))
        s.add(PlanBlock(day=start.date(), start_at=start + timedelta(hours=2), end_at=start + timedelta(hours=3),
                        kind="work", card_id=card.id, pinned=False))


def test_rm_and_undo_bring_back_the_running_timer_and_pinned_blocks(store: Store, cfg: Config) -> None:
    _add(store, cfg, "timed")
    with store.write() as s:
        timer.start_timer(s, "MAIN-1", now=NOW - timedelta(hours=2))
        timer.stop_timer(s, now=NOW - timedelta(hours=1))
        timer.start_timer(s, "MAIN-1", now=NOW)
    _pin_block(store, "MAIN-1")
    with store.write() as s:
        cards.remove_card(s, "MAIN-1")
    with store.read() as s:
        assert s.exec(select(TimeEntry)).all() == [] and s.exec(select(PlanBlock)).all() == []
    assert _undo(store, SHELL) == "remove MAIN-1"
    with store.read() as s:
        running = timer.running(s)
        assert running is not None and running[1].number == 1 and running[0].started_at == NOW
        entries = s.exec(select(TimeEntry).order_by(col(TimeEntry.id))).all()
        assert [(e.minutes, e.ended_at) for e in entries] == [(60, NOW - timedelta(hours=1)), (None, None)]
        blocks = s.exec(select(PlanBlock)).all()
        assert [(b.pinned, b.start_at) for b in blocks] == [(True, NOW + timedelta(days=1))]
    # Redo removes them again, and undo brings them back once more.
    assert _redo(store, SHELL) == "remove MAIN-1"
    _undo(store, SHELL)
    with store.read() as s:
        assert timer.running(s) is not None and len(s.exec(select(PlanBlock)).all()) == 1


def test_a_restored_timer_is_stopped_at_removal_when_another_runs(store: Store, cfg: Config) -> None:
    _add(store, cfg, "one")
    _add(store, cfg, "two")
    with store.write() as s:
        timer.start_timer(s, "MAIN-1", now=NOW - timedelta(minutes=30))
        cards.remove_card(s, "MAIN-1")
    with store.write() as s:
        timer.start_timer(s, "MAIN-2", now=NOW)
    _undo(store, SHELL)  # the timer start is not an undoable change: the newest is the removal
    with store.read() as s:
        running = timer.running(s)
        assert running is not None and running[1].number == 2  # still one timer at a time
        first = s.exec(select(TimeEntry).join(Card).where(Card.number == 1)).one()
        assert first.ended_at is not None and first.minutes is not None
        assert s.exec(select(Card).where(Card.number == 1)).one().spent_minutes == first.minutes


def test_an_entry_written_before_the_new_snapshot_keys_still_undoes(store: Store, cfg: Config) -> None:
    _add(store, cfg, "old")
    with store.write() as s:
        card = cards.find_card(s, "MAIN-1")
        assert card.id is not None
        snap = history.snapshot(s, "card", card.id)
        s.delete(card)
        s.add(HistoryEntry(at=NOW, origin="cli", place=SHELL, summary="remove MAIN-1",
                           changes=json.dumps([history.change("card", card.id, snap, None)])))
    assert _undo(store, SHELL) == "remove MAIN-1"
    assert _column(store, cfg, "MAIN-1") == "Ideas"


# --- pruning ------------------------------------------------------------------------------------

def _entries(store: Store, specs: list[tuple[str, datetime]]) -> None:
    with store.write() as s:
        for place, at in specs:
            s.add(HistoryEntry(at=at, origin="cli", place=place, summary=f"x {place}", changes="[]"))


def test_pruning_drops_old_and_surplus_entries_but_never_the_undo_depth(store: Store) -> None:
    old = NOW - timedelta(days=200)
    # A shell used today whose three newest changes are old; an app session idle for 200 days.
    _entries(store, [("cli:1", old)] * 5 + [("tui:idle", old)] * 3 + [("cli:2", NOW)] * 10 + [("cli:1", NOW)])
    with store.write() as s:
        removed = history.prune(s, keep_days=90, max_entries=6, undo_depth=3, now=NOW)
    with store.read() as s:
        kept = s.exec(select(HistoryEntry.place, HistoryEntry.at).order_by(col(HistoryEntry.id))).all()
    # cli:1 keeps its newest three (two old ones inside the depth); the idle app session is gone;
    # cli:2 keeps what fits in the newest six (the size limit).
    assert [p for p, _ in kept] == ["cli:1"] * 2 + ["cli:2"] * 5 + ["cli:1"]
    assert removed == 19 - len(kept)


def test_recording_prunes_every_so_often(store: Store, cfg: Config, isolated_paths: Path) -> None:
    (isolated_paths / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    (isolated_paths / "config.toml").write_text("[history]\nkeep_days = 1\nmax_entries = 100\nundo_depth = 2\n")
    _entries(store, [("cli:old", NOW - timedelta(days=30))] * (history.PRUNE_EVERY - 3))
    for i in range(3):
        _add(store, cfg, f"card {i}")
    with store.read() as s:
        places = s.exec(select(HistoryEntry.place)).all()
    assert places.count("cli:old") == 0  # idle longer than keep_days: no depth kept
    assert places.count(SHELL) == 4  # the auto board and three adds: all recent


def test_history_config_keys() -> None:
    c = build_config({"timezone": "UTC", "history": {"keep_days": 30, "max_entries": 800, "undo_depth": 50}})
    assert (c.history_keep_days, c.history_max_entries, c.history_undo_depth) == (30, 800, 50)
    d = build_config({"timezone": "UTC"})
    assert (d.history_keep_days, d.history_max_entries, d.history_undo_depth) == (90, 5000, 100)
    with pytest.raises(ValueError, match=r"history\.undo_depth"):
        build_config({"timezone": "UTC", "history": {"undo_depth": 0}})
    with pytest.raises(ValueError, match=r"history\.keep"):
        build_config({"timezone": "UTC", "history": {"keep": 3}})


# --- the app ------------------------------------------------------------------------------------

async def test_the_apps_undo_takes_back_its_own_move_not_the_shells(store: Store, cfg: Config) -> None:
    from screens.app import OrganizerApp

    _add(store, cfg, "one")
    _add(store, cfg, "two")
    app = OrganizerApp(store.location, cfg, clock=lambda: NOW)
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]

        async def settle() -> None:
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()

        await settle()
        await pilot.press("L")  # the app moves MAIN-1 to Planned
        await settle()
        _move(store, "MAIN-2", "Review", SHELL)  # then the shell moves another card
        await pilot.press("u")
        await settle()
        assert (_column(store, cfg, "MAIN-1"), _column(store, cfg, "MAIN-2")) == ("Ideas", "Review")
        await pilot.press("u")  # the app has nothing more of its own
        await settle()
        assert _column(store, cfg, "MAIN-2") == "Review"
        assert "nothing to undo in this app session" in notes[-1] and "organizer undo" in notes[-1]
        await pilot.press("ctrl+y")
        await settle()
        assert _column(store, cfg, "MAIN-1") == "Planned"


# --- several processes --------------------------------------------------------------------------

_ADDER = """
import os, sys, time
from pathlib import Path
from organizer.cli.main import main
folder, worker = Path(sys.argv[1]), sys.argv[2]
deadline = time.monotonic() + 60
while not (folder / "go").exists():  # the undoer has warmed up
    if time.monotonic() > deadline:
        sys.exit("no go from the undoing process")
    time.sleep(0.01)
for i in range(50):
    if main(["add", f"worker {worker} card {i}"]):
        sys.exit(1)
    time.sleep(0.01)
(folder / f"done-{worker}").touch()
"""

# The fifth process: a shell (its own terminal session) or an app session, moving its own card and
# undoing the move, again and again, while the others add.
_UNDOER = """
import sqlite3, sys
from pathlib import Path
from organizer.cli.main import main
folder, mode, db = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
if mode == "app":
    from organizer import history
    from organizer.storage import quick
    from organizer.storage.orm import open_store
    store, place = open_store(db), quick.new_app_place()
    raw = sqlite3.connect(db)
    card_id = raw.execute("SELECT id FROM card WHERE number = 1").fetchone()[0]
    review = raw.execute("SELECT id FROM board_column WHERE name = 'Review'").fetchone()[0]
    raw.close()

def once():
    if mode == "cli":
        return main(["move", "MAIN-1", "review"]) or main(["undo"])
    conn = quick.connect(db)
    quick.move(conn, card_id, review, 0, place=place)
    conn.close()
    with store.write() as s:
        history.undo(s, place)
    return 0

rounds = 0
while True:
    finished = all((folder / f"done-{w}").exists() for w in range(4))
    if once():
        sys.exit(1)
    rounds += 1
    (folder / "go").touch()
    if finished:
        break
print(rounds)
"""


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["cli", "app"])
def test_adders_and_an_undoing_process_lose_no_card(tmp_path: Path, db_path: Path, isolated_paths: Path,
                                                    mode: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("ORGANIZER_DEBUG", "ORGANIZER_PLACE")}
    env |= {"ORGANIZER_DB": str(db_path), "ORGANIZER_CONFIG": str(isolated_paths / "config.toml")}
    subprocess.run([sys.executable, "-m", "organizer", "add", "mine"], env=env, check=True, capture_output=True)
    folder = tmp_path / "signals"
    folder.mkdir()
    # Each process in its own session, as if typed in its own terminal.
    undoer = subprocess.Popen([sys.executable, "-c", _UNDOER, str(folder), mode, str(db_path)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    adders = [subprocess.Popen([sys.executable, "-c", _ADDER, str(folder), str(w)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True) for w in range(4)]
    for p in adders:
        assert p.wait(timeout=300) == 0, p.stderr.read() if p.stderr else ""
    out, err = undoer.communicate(timeout=300)
    assert undoer.returncode == 0, err
    lines = out.splitlines()
    assert int(lines[-1]) > 3  # it really did undo while the others added
    assert {line for line in lines if line.startswith("undid")} <= {"undid: move MAIN-1 to Review"}
    conn = sqlite3.connect(db_path)
    titles = [r[0] for r in conn.execute("SELECT title FROM card WHERE title LIKE 'worker %'")]
    assert len(titles) == 200
    assert conn.execute("SELECT bc.name FROM card c JOIN board_column bc ON bc.id = c.column_id "
                        "WHERE c.number = 1").fetchone()[0] == "Ideas"
    conn.close()
