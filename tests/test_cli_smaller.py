"""Smaller CLI items: `--db` after the command, progress on a terminal only, the demo's findable database, `info`."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from organizer import paths
from organizer.cli import app_commands
from organizer.cli.progress import Progress
from tests.test_cli import Runner, run_bad, run_json, run_ok

# --- --db before or after the command --------------------------------------------------------------


def test_db_after_the_command(cli: Runner, tmp_path: Path, db_path: Path) -> None:
    other = tmp_path / "other.db"
    run_ok(cli, "add", "In the default database")
    run_ok(cli, "add", "In the other database", "--db", str(other))
    assert [c["title"] for c in run_json(cli, "list", "--json", "--db", str(other))] == ["In the other database"]
    assert [c["title"] for c in run_json(cli, "--db", str(other), "list", "--json")] == ["In the other database"]
    assert [c["title"] for c in run_json(cli, "list", "--json")] == ["In the default database"]
    # An action of a command takes it too.
    assert "board ACME added" in run_ok(cli, "boards", "add", "ACME", "Acme", "--db", str(other))
    keys = [b["key"] for b in run_json(cli, "boards", "list", "--json", "--db", str(other))]
    assert "ACME" in keys
    assert "ACME" not in [b["key"] for b in run_json(cli, "boards", "list", "--json")]


def test_db_before_and_after_is_refused(cli: Runner, tmp_path: Path) -> None:
    line = run_bad(cli, "--db", str(tmp_path / "a.db"), "list", "--db", str(tmp_path / "b.db"))
    assert line.startswith("organizer: --db given twice, before and after the command")
    assert "give it once" in line


def test_every_command_takes_db_after_it() -> None:
    from organizer.cli.main import build_parser

    parser = build_parser()
    for command in ("add", "list", "ls", "show", "move", "done", "edit", "rm", "undo", "redo", "boards", "plan",
                    "capacity", "start", "stop", "pin", "busy", "info", "demo", "export", "import", "calendars",
                    "events", "serve-ics"):
        needs = {"add": ["T"], "show": ["1"], "move": ["1", "rev"], "done": ["1"], "edit": ["1"], "rm": ["1"],
                 "start": ["1"], "pin": ["1"], "export": ["json"], "import": ["json", "f"]}.get(command, [])
        args = parser.parse_args([command, *needs, "--db", "x.db"])
        assert args.db_after == "x.db" and args.db is None, command


# --- progress: a bar on a terminal, nothing when piped ------------------------------------------------


class FakeTerminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        """A terminal, as far as the progress bar can tell."""
        return True


@pytest.fixture
def export_file(cli: Runner, tmp_path: Path) -> Path:
    """A JSON export of 600 cards."""
    from organizer.config import load_config
    from organizer.storage import quick
    from organizer.validate import CardFields

    src = str(tmp_path / "src.db")
    run_ok(cli, "boards", "add", "NWC", "Northwind", "--db", src)
    conn = quick.connect(src)
    try:
        for n in range(600):
            quick.add(conn, load_config(), CardFields(title=f"Card {n}"))
    finally:
        conn.close()
    target = tmp_path / "export.json"
    run_ok(cli, "--db", str(tmp_path / "src.db"), "export", "json", "-o", str(target))
    return target


def test_import_is_quiet_when_piped(cli: Runner, export_file: Path) -> None:
    r = cli("import", "json", str(export_file))
    assert r.code == 0 and r.out == "imported 600 cards\n"
    assert r.err == ""


def test_import_shows_progress_on_a_terminal(cli: Runner, export_file: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    from organizer.cli.main import main

    capsys.readouterr()
    assert main(["import", "json", str(export_file)]) == 0
    assert capsys.readouterr().out == "imported 600 cards\n"
    shown = terminal.getvalue()
    assert "\rimporting: checking 0/600 cards ▕" in shown
    assert "\rimporting: writing 600/600 cards ▕████████████████████▏" in shown
    assert shown.endswith("\r\x1b[K")  # the line is cleared: the result starts on a clean line


def test_progress_is_silent_when_not_a_terminal_and_throttled_on_one() -> None:
    piped = io.StringIO()
    bar = Progress("importing", "cards", stream=piped)
    for n in range(0, 10_001, 100):
        bar("checking", n, 10_000)
    bar.done()
    assert piped.getvalue() == ""
    terminal = FakeTerminal()
    bar = Progress("importing", "cards", stream=terminal)
    for n in range(0, 10_001, 100):
        bar("checking", n, 10_000)
    bar.done()
    lines = terminal.getvalue().split("\r")
    assert 2 <= len(lines) < 20  # the first and the last step, not all 101
    assert lines[-2].startswith("importing: checking 10,000/10,000 cards ▕")
    assert lines[-1] == "\x1b[K"


def test_progress_clears_after_a_failed_import(cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "organizer", "version": 1, "cards": [{"id": "NWC-1", "title": ""}]}))
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    from organizer.cli.main import main

    assert main(["import", "json", str(bad)]) == 2
    shown = terminal.getvalue()
    assert "\r\x1b[Korganizer: " in shown and shown.endswith("\n")


# --- the demo: a database you can find -----------------------------------------------------------------


def test_demo_database_is_in_the_data_dir_and_made_afresh(cli: Runner) -> None:
    target = paths.data_dir() / "demo.db"
    r = cli("demo", "--no-app")
    assert r.code == 0, r.err
    total = int(r.out.removeprefix(f"demo database {target}: ").removesuffix(" cards\n"))
    assert r.err == f"to use it from another shell: export ORGANIZER_DB={target}\n"
    assert os.environ["ORGANIZER_DB"] == str(target)
    run_ok(cli, "add", "Mine", "--db", str(target))
    assert len(run_json(cli, "--db", str(target), "list", "--all", "--json")) == total + 1
    # Again: afresh.
    run_ok(cli, "demo", "--no-app")
    assert len(run_json(cli, "--db", str(target), "list", "--all", "--json")) == total
    # --resume: as it was left.
    run_ok(cli, "add", "Mine", "--db", str(target))
    assert run_ok(cli, "demo", "--resume", "--no-app") == f"demo database {target}: reopened as it was\n"
    assert len(run_json(cli, "--db", str(target), "list", "--all", "--json")) == total + 1


def test_demo_opens_the_app_with_organizer_db_set(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def launch(cfg: Any, location: str) -> int:
        seen.update(location=location, env=os.environ.get("ORGANIZER_DB"))
        return 0

    monkeypatch.setattr(app_commands, "_launch", launch)
    r = cli("demo")
    target = str(paths.data_dir() / "demo.db")
    assert r.code == 0
    assert seen == {"location": target, "env": target}
    assert target in r.out and f"export ORGANIZER_DB={target}" in r.err
    # A shell started from the app sees it; so does `organizer info` there.
    assert json.loads(run_ok(cli, "info", "--json"))["database"] == target


def test_demo_keep_and_resume(cli: Runner, tmp_path: Path) -> None:
    target = tmp_path / "with space" / "demo.db"
    r = cli("demo", "--keep", str(target), "--no-app")
    assert r.out.startswith(f"demo database {target}: ") and r.out.endswith(" cards\n")
    assert r.err == f"to use it from another shell: export ORGANIZER_DB='{target}'\n"
    assert "already exists" in run_bad(cli, "demo", "--keep", str(target), "--no-app")
    assert "reopened" in run_ok(cli, "demo", "--keep", str(target), "--resume", "--no-app")


# --- info says which database and why ---------------------------------------------------------------------


def test_info_says_where_the_database_choice_came_from(cli: Runner, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    info = run_json(cli, "info", "--json")
    assert (info["database"], info["database_from"]) == (os.environ["ORGANIZER_DB"], "ORGANIZER_DB")
    flag = str(tmp_path / "flag.db")
    assert run_json(cli, "info", "--json", "--db", flag)["database_from"] == "--db"
    assert run_json(cli, "--db", flag, "info", "--json")["database"] == flag
    monkeypatch.delenv("ORGANIZER_DB")
    info = run_json(cli, "info", "--json")
    assert (info["database"], info["database_from"]) == (str(paths.data_dir() / "organizer.db"), "default")
    assert any(line.split() == ["database_from", "default"] for line in run_ok(cli, "info").splitlines())


def test_list_aligns_columns_with_wide_characters() -> None:
    from organizer.cli.render import card_table

    base = {"popup": False, "parent": None, "role": None, "due": None, "estimate_minutes": 30, "priority": 3}
    cards = [base | {"id": "NWC-1", "column": "公開", "title": "wide"},
             base | {"id": "NWC-2", "column": "Planned", "title": "narrow"}]
    lines = card_table(cards, "Europe/Paris").splitlines()
    from wcwidth import wcswidth

    # Every title starts at the same terminal cell, whatever the width of the column names before it.
    starts = {wcswidth(line[: line.index(t)]) for line, t in zip(lines[1:], ("wide", "narrow"), strict=True)}
    assert len(starts) == 1
