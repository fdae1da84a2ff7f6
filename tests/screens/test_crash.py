"""The app never exits 0 after a crash, and a new empty database survives every mode key."""

from __future__ import annotations

from pathlib import Path

import pytest

from organizer.config import Config
from screens import crash
from screens.app import OrganizerApp

from .conftest import settle


async def test_a_new_empty_database_survives_every_mode_key(store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key in ("p", "f1", "C", "f1", "f2", "f3", "f1", "p", "f3", "f2", "f1"):
            await pilot.press(key)
            await settle(pilot)
        assert app.crash is None
    assert not app.return_code


class _Boom(RuntimeError):
    pass


async def test_an_unhandled_error_writes_a_private_log_and_exits_1(store, make_app, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ORGANIZER_LOG_DIR", str(tmp_path / "logs"))
    app = make_app()

    def explode() -> None:
        raise _Boom("the board could not be drawn")

    with pytest.raises(_Boom):
        async with app.run_test() as pilot:
            await settle(pilot)
            app.call_later(explode)
            await pilot.pause()
    assert app.return_code == 1
    assert app.crash is not None and app.crash.startswith("organizer: the app stopped after an error: _Boom: "
                                                          "the board could not be drawn (the traceback is in ")
    logs = list((tmp_path / "logs").iterdir())
    assert len(logs) == 1 and "_Boom" in logs[0].read_text() and "explode" in logs[0].read_text()
    assert logs[0].stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "logs").stat().st_mode & 0o777 == 0o700


def test_run_returns_1_and_prints_one_line_after_a_crash(monkeypatch: pytest.MonkeyPatch, db_path: Path,
                                                         cfg: Config, capsys: pytest.CaptureFixture[str]) -> None:
    from screens import app as app_module

    def fake_run(self: OrganizerApp) -> None:
        self.crash = "organizer: the app stopped after an error: X: y (the traceback is in /tmp/z.log)"
        self._return_code = 1

    monkeypatch.setattr(app_module.OrganizerApp, "run", fake_run)
    assert app_module.run(str(db_path), cfg) == 1
    assert capsys.readouterr().err.strip().endswith("(the traceback is in /tmp/z.log)")


def test_an_unwritable_log_dir_still_gives_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("ORGANIZER_LOG_DIR", str(tmp_path / "file" / "logs"))
    line = crash.one_line(ValueError("bad\nthing"), crash.write_crash_log(ValueError("x")))
    assert line == "organizer: the app stopped after an error: ValueError: bad thing (no log file could be written; " \
                   "run with ORGANIZER_DEBUG=1)"


async def test_a_broken_stored_date_shows_a_warning_and_the_board(demo_store, make_app, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE card SET due_at = '226-01-15 09:00:00.000000' WHERE id = (SELECT MIN(id) FROM card)")
    conn.commit()
    conn.close()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        notes = [str(n.message) for n in app._notifications]
        assert any("NWC-1: its due_at '226-01-15 09:00:00.000000' cannot be read" in n for n in notes), notes
        board = app.board_screen()
        assert board is not None and board.board is not None and app.crash is None
