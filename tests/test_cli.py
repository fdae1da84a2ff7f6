"""The `organizer` command as a user meets it: output, exit codes, one-line errors, and what is stored.

Every test runs the CLI in-process through the `cli` fixture (config in Europe/Paris, database in a
temporary folder); one test runs a real subprocess to prove undo works across processes. The tests run
on SQLite and on PostgreSQL (`pytest.mark.backends`, see conftest), except those about SQLite files and
the quick path (`sqlite_only`).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pytest

from organizer import __version__
from organizer.cli.main import main
from organizer.cli.messages import describe_failure
from organizer.services import cards as card_service
from organizer.storage import quick

pytestmark = pytest.mark.backends
PARIS = ZoneInfo("Europe/Paris")
CARD_KEYS = [
    "id", "board", "number", "title", "column", "role", "channels", "tags", "estimate_minutes", "spent_minutes",
    "due", "publish", "campaign", "pillar", "priority", "popup", "parent", "step", "notes", "created", "updated",
    "completed", "post", "variants", "approvals",  # issues 12 and 13 added the last three (it grows at its end)
]


class Outcome(Protocol):
    """What the `cli` fixture gives back."""

    code: int
    out: str
    err: str


class Runner(Protocol):
    """The `cli` fixture: `cli("add", "Title")` runs `organizer add Title` in-process."""

    def __call__(self, *args: str) -> Outcome: ...


# --- helpers ------------------------------------------------------------------------------------

def run_ok(cli: Runner, *args: str) -> str:
    """Run a command that must succeed; return its stdout."""
    r = cli(*args)
    assert "Traceback" not in r.err
    assert r.code == 0, f"organizer {' '.join(args)}: exit {r.code}, stderr {r.err!r}"
    return r.out


def run_json(cli: Runner, *args: str) -> Any:
    """Run a `--json` command that must succeed; return the parsed JSON."""
    return json.loads(run_ok(cli, *args))


def run_bad(cli: Runner, *args: str, code: int = 2) -> str:
    """Run a command that must fail with `code`, nothing on stdout and one line on stderr; return that line."""
    r = cli(*args)
    assert "Traceback" not in r.err
    assert r.code == code, f"organizer {' '.join(args)}: exit {r.code}, stdout {r.out!r}, stderr {r.err!r}"
    assert r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {r.err!r}"
    return lines[0]


def all_cards(cli: Runner, *flags: str) -> list[dict[str, Any]]:
    """`organizer list --all --json`, as Python."""
    found: list[dict[str, Any]] = run_json(cli, "list", "--all", "--json", *flags)
    return found


def ids(found: list[dict[str, Any]]) -> list[str]:
    """The IDs of a list of porcelain cards."""
    return [c["id"] for c in found]


def show(cli: Runner, ref: str) -> dict[str, Any]:
    """`organizer show REF --json`, as Python."""
    card: dict[str, Any] = run_json(cli, "show", ref, "--json")
    return card


def db_dump(path: Path | str) -> list[str]:
    """Every row of the database as SQL text, to prove a failed command wrote nothing."""
    if isinstance(path, str) and "://" in path:
        from sqlalchemy import create_engine, inspect

        engine = create_engine(path)
        try:
            with engine.connect() as conn:
                return [f"{t}: {tuple(r)}" for t in sorted(inspect(conn).get_table_names())
                        for r in conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY 1")]
        finally:
            engine.dispose()
    path = Path(path)
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def write_config(home: Path, text: str) -> None:
    """Replace the test's config file."""
    (home / "config.toml").write_text(text, encoding="utf-8")


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once: board MAIN with MAIN-1 (added through the full path) and MAIN-2 (the quick path)."""
    home = tmp_path_factory.mktemp("seeded")
    db, config = home / "organizer.db", home / "config.toml"
    config.write_text('timezone = "Europe/Paris"\n', encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ORGANIZER_DB", str(db))
        mp.setenv("ORGANIZER_CONFIG", str(config))
        with contextlib.redirect_stdout(io.StringIO()) as out:
            assert main(["add", "Seed card", "-c", "x", "-t", "seed"]) == 0
            assert main(["add", "Second card"]) == 0
    assert out.getvalue() == "MAIN-1\nMAIN-2\n"
    return db


@pytest.fixture
def seeded(cli: Runner, db_path: Path, backend: str, request: pytest.FixtureRequest) -> Runner:
    """The test's database starts as a copy of `seeded_template` (MAIN-1 and MAIN-2); on PostgreSQL, made alike."""
    if backend != "sqlite":
        assert run_ok(cli, "add", "Seed card", "-c", "x", "-t", "seed") == "MAIN-1\n"
        assert run_ok(cli, "add", "Second card") == "MAIN-2\n"
        return cli
    seeded_template: Path = request.getfixturevalue("seeded_template")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(seeded_template), sqlite3.connect(db_path)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return cli


@pytest.fixture
def two_boards(seeded: Runner) -> Runner:
    """MAIN-1, MAIN-2 and ACME-1: the bare number 1 is ambiguous."""
    run_ok(seeded, "boards", "add", "ACME", "Acme Coffee")
    assert run_ok(seeded, "add", "Acme card", "--board", "ACME") == "ACME-1\n"
    return seeded


# --- add ----------------------------------------------------------------------------------------

def test_first_add_prints_main_1_and_creates_board_main(cli: Runner) -> None:
    assert run_ok(cli, "add", "Draft launch post") == "MAIN-1\n"
    boards = run_json(cli, "boards", "--json")
    assert [b["key"] for b in boards] == ["MAIN"]
    assert boards[0]["default"] is True


@pytest.mark.sqlite_only
def test_first_add_takes_full_path_and_second_the_lean_one(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_lean, real_full = quick.add, card_service.add_card

    def spy_lean(*a: Any, **kw: Any) -> Any:
        calls.append("quick")
        return real_lean(*a, **kw)

    def spy_full(*a: Any, **kw: Any) -> Any:
        calls.append("full")
        return real_full(*a, **kw)

    monkeypatch.setattr(quick, "add", spy_lean)
    monkeypatch.setattr(card_service, "add_card", spy_full)
    first = run_json(cli, "add", "one", "--json")
    assert calls[-1] == "full"
    calls.clear()
    second = run_json(cli, "add", "two", "--json")
    assert calls == ["quick"]
    assert (first["id"], first["number"]) == ("MAIN-1", 1)
    assert (second["id"], second["number"]) == ("MAIN-2", 2)
    for card in (first, second):
        assert list(card)[: len(CARD_KEYS)] == CARD_KEYS
    assert run_ok(cli, "add", "three") == "MAIN-3\n"


def test_add_json_has_the_same_keys_on_full_and_lean_paths(cli: Runner) -> None:
    first = run_json(cli, "add", "one", "--json")  # full path: no board yet
    second = run_json(cli, "add", "two", "--json")  # quick path
    assert list(first) == list(second)


@pytest.mark.parametrize("path", ["full", "quick"])
def test_add_every_flag_lands_in_the_json(cli: Runner, path: str) -> None:
    # On an empty database only the full path can add (it creates board MAIN); --board needs a board.
    board = ["--board", "main"] if path == "quick" else []
    if path == "quick":
        run_ok(cli, "add", "first")
    card = run_json(
        cli, "add", "  Winter Blend reel  ", *board, "--role", "Producer",
        "--channel", "instagram,tiktok", "-c", "x", "-c", "TikTok", "--due", "2027-01-15 10:00",
        "--publish", "2027-07-01 09:30", "--estimate", "1h30", "--spent", "20m", "--priority", "2", "--popup",
        "--campaign", "Winter Blend", "--pillar", "education", "--column", "rev", "--tag", "b", "-t", "#a",
        "--notes", "line one\nline two", "--json",
    )
    number = 2 if path == "quick" else 1
    assert list(card)[: len(CARD_KEYS)] == CARD_KEYS
    expected = {
        "id": f"MAIN-{number}", "board": "MAIN", "number": number, "title": "Winter Blend reel",
        "column": "Review", "role": "producer", "channels": ["instagram", "tiktok", "x"], "tags": ["a", "b"],
        "estimate_minutes": 90, "spent_minutes": 20, "due": "2027-01-15T10:00:00+01:00",
        "publish": "2027-07-01T09:30:00+02:00", "campaign": "Winter Blend", "pillar": "education", "priority": 2,
        "popup": True, "parent": None, "step": None, "notes": "line one\nline two", "completed": None,
    }
    assert {k: card[k] for k in expected} == expected
    created = datetime.fromisoformat(card["created"])
    assert created.utcoffset() == created.astimezone(PARIS).utcoffset()
    assert card["updated"] == card["created"]
    assert show(cli, card["id"])["title"] == "Winter Blend reel"


def test_add_defaults(seeded: Runner) -> None:
    card = run_json(seeded, "add", "Plain", "--json")
    assert {k: card[k] for k in ("column", "role", "channels", "tags", "estimate_minutes", "spent_minutes", "due",
                                 "publish", "priority", "popup", "parent", "step", "notes", "completed")} == {
        "column": "Ideas", "role": None, "channels": [], "tags": [], "estimate_minutes": None, "spent_minutes": 0,
        "due": None, "publish": None, "priority": 3, "popup": False, "parent": None, "step": None, "notes": "",
        "completed": None,
    }


def test_add_date_only_due_means_end_of_working_day(seeded: Runner) -> None:
    assert run_json(seeded, "add", "t", "--due", "2027-01-15", "--json")["due"] == "2027-01-15T17:30:00+01:00"


@pytest.mark.parametrize("given, stored", [("1", 1), ("urgent", 1), ("high", 2), ("4", 4), ("LOW", 4)])
def test_add_priority_by_number_or_name(seeded: Runner, given: str, stored: int) -> None:
    assert run_json(seeded, "add", "t", "-P", given, "--json")["priority"] == stored


def test_add_into_done_column_stamps_completed(seeded: Runner) -> None:
    card = run_json(seeded, "add", "Already out", "--column", "published", "--json")
    assert card["column"] == "Published"
    assert card["completed"] is not None


def test_add_to_named_board(two_boards: Runner) -> None:
    assert run_ok(two_boards, "add", "Another", "-b", "acme") == "ACME-2\n"
    assert run_ok(two_boards, "add", "Default board") == "MAIN-3\n"


def test_add_steps_with_parent(seeded: Runner) -> None:
    step1 = run_json(seeded, "add", "Script", "--parent", "MAIN-1", "--json")
    step2 = run_json(seeded, "add", "Shoot", "--parent", "1", "--json")
    assert (step1["id"], step1["parent"], step1["step"]) == ("MAIN-3", "MAIN-1", 1)
    assert (step2["id"], step2["parent"], step2["step"]) == ("MAIN-4", "MAIN-1", 2)
    assert show(seeded, "MAIN-1")["steps"] == ["MAIN-3", "MAIN-4"]


def test_add_step_of_a_step_is_refused(seeded: Runner) -> None:
    run_ok(seeded, "add", "Script", "--parent", "1")
    assert "MAIN-3" in run_bad(seeded, "add", "Sub-step", "--parent", "MAIN-3")


def test_add_default_priority_and_board_from_config(cli: Runner, isolated_paths: Path) -> None:
    run_ok(cli, "add", "first")
    run_ok(cli, "boards", "add", "ACME", "Acme")
    write_config(isolated_paths, 'timezone = "Europe/Paris"\ndefault_priority = 1\ndefault_board = "acme"\n')
    card = run_json(cli, "add", "configured", "--json")
    assert (card["id"], card["priority"]) == ("ACME-1", 1)


@pytest.mark.parametrize("path", ["full", "quick"])
def test_configured_default_board_that_does_not_exist(cli: Runner, isolated_paths: Path, path: str) -> None:
    if path == "quick":
        run_ok(cli, "add", "first")
    write_config(isolated_paths, 'timezone = "Europe/Paris"\ndefault_board = "nope"\n')
    assert "'nope'" in run_bad(cli, "add", "t").lower()
    if path == "quick":
        assert run_ok(cli, "add", "t", "-b", "MAIN") == "MAIN-2\n"
    else:
        assert run_json(cli, "boards", "--json") == []


def test_title_of_500_characters_is_accepted(seeded: Runner) -> None:
    title = "x" * 500
    assert run_json(seeded, "add", title, "--json")["title"] == title


@pytest.mark.parametrize("title", ["[/bold] oops", "Launch [draft]", "[@click=app.quit]x", "50% off *now* <b>"])
def test_titles_with_markup_are_stored_and_printed_literally(seeded: Runner, title: str) -> None:
    ref = run_ok(seeded, "add", title).strip()
    assert show(seeded, ref)["title"] == title
    assert run_ok(seeded, "show", ref).splitlines()[0] == f"{ref}  {title}"
    table = run_ok(seeded, "list")
    assert any(line.startswith(ref) and line.endswith(title) for line in table.splitlines())
    assert [c["title"] for c in all_cards(seeded) if c["id"] == ref] == [title]


@pytest.mark.parametrize("path", ["full", "quick"])
@pytest.mark.parametrize("raw, clean", [
    ("\x1b[31mRed\x1b[0m alert", "Red alert"),
    ("Bell\x07 and\x00 null", "Bell and null"),
    ("Tab\there\nnewline", "Tab here newline"),
    ("\x1b]0;pwned\x07Title", "Title"),
    ("C1\x9b31m chars", "C131m chars"),
])
def test_control_characters_and_escapes_are_stripped_from_titles(cli: Runner, path: str, raw: str,
                                                                  clean: str) -> None:
    if path == "quick":
        run_ok(cli, "add", "first")
    card = run_json(cli, "add", raw, "--json")
    assert card["title"] == clean
    out = run_ok(cli, "list") + run_ok(cli, "show", card["id"])
    assert "\x1b" not in out
    assert "\x07" not in out


def test_notes_keep_newlines_but_lose_escapes(seeded: Runner) -> None:
    card = run_json(seeded, "add", "t", "--notes", "line1\n\tline2\x1b[2J", "--json")
    assert card["notes"] == "line1\n\tline2"


# --- bad input ----------------------------------------------------------------------------------

BAD_INPUT = [
    # add: bad values
    (["add", "t", "--role", "photographer"], "photographer"),
    (["add", "t", "--channel", "x,myspace"], "myspace"),
    (["add", "t", "-c", "x", "-c", "myspace"], "myspace"),
    (["add", "t", "--due", "fryday"], "fryday"),
    (["add", "t", "--publish", "fryday"], "fryday"),
    (["add", "t", "--estimate", "1h75"], "1h75"),
    (["add", "t", "--estimate", "abc"], "abc"),
    (["add", "t", "--spent", "abc"], "abc"),
    (["add", "t", "--priority", "0"], "'0'"),
    (["add", "t", "--priority", "5"], "'5'"),
    (["add", "t", "--priority", "x"], "'x'"),
    (["add", "t", "--board", "NOPE"], "NOPE"),
    (["add", "t", "--board", "1AB"], "1AB"),
    (["add", "t", "--column", "Backlog"], "Backlog"),
    (["add", "t", "--column", "p"], "'p'"),  # Planned or Published
    (["add", "t", "--tag", "two words"], "two words"),
    (["add", "t", "--parent", "MAIN-99"], "MAIN-99"),
    (["add", "t", "--parent", "ACME-"], "ACME-"),
    (["add", ""], "title"),
    (["add", "   "], "title"),
    (["add", "\x1b[0m"], "title"),
    (["add", "x" * 501], "501"),
    # grammar
    (["frobnicate"], "frobnicate"),
    (["add"], "title"),
    (["show"], "ID"),
    (["move", "1"], "COLUMN"),
    (["boards", "add", "ACME"], "NAME"),
    (["boards", "frob"], "frob"),
    (["add", "t", "--frob"], "--frob"),
    (["list", "--frob"], "--frob"),
    (["add", "t", "--priority"], "--priority"),
    # card IDs
    (["show", "ACME-"], "'ACME-'"),
    (["move", "x", "review"], "'x'"),
    (["done", "1-2"], "'1-2'"),
    (["edit", "MAIN-1-2", "--title", "T"], "'MAIN-1-2'"),
    (["rm", "-"], "'-'"),
    (["show", "MAIN-99"], "MAIN-99"),
    (["move", "99", "review"], "'99'"),
    (["done", "ZZZ-1"], "ZZZ-1"),
    (["edit", "99", "--title", "T"], "'99'"),
    (["rm", "MAIN-99"], "MAIN-99"),
    # move / edit
    (["move", "1", "Backlog"], "Backlog"),
    (["move", "1", "p"], "'p'"),
    (["edit", "1"], "nothing to change"),
    (["edit", "1", "--title", ""], "title"),
    (["edit", "1", "--priority", "9"], "'9'"),
    (["edit", "1", "--due", "fryday"], "fryday"),
    (["edit", "1", "--role", "photographer"], "photographer"),
    (["edit", "1", "--channel", "myspace"], "myspace"),
    (["edit", "1", "--column", "Backlog"], "Backlog"),
    (["edit", "1", "--board", "MAIN"], "board"),
    (["edit", "1", "--parent", "1"], "'1'"),
    (["edit", "1", "--parent", "MAIN-99"], "MAIN-99"),
    # list
    (["list", "--role", "photographer"], "photographer"),
    (["list", "--channel", "myspace"], "myspace"),
    (["list", "--board", "NOPE"], "NOPE"),
    (["list", "--due-before", "fryday"], "fryday"),
    # boards
    (["boards", "add", "1AB", "Bad key"], "1AB"),
    (["boards", "add", "main", "Duplicate"], "MAIN"),
    (["boards", "add", "ACME", "  "], "name"),
    (["boards", "rename", "NOPE", "x"], "NOPE"),
    (["boards", "rename", "MAIN"], "nothing to rename"),
    (["boards", "rename", "MAIN", "--key", "1AB"], "1AB"),
]


@pytest.mark.parametrize("args, needle", BAD_INPUT, ids=lambda v: " ".join(v)[:40] if isinstance(v, list) else "")
def test_bad_input_exits_2_with_one_line_and_writes_nothing(seeded: Runner, db_location: str, args: list[str],
                                                            needle: str) -> None:
    before_cards, before_rows = all_cards(seeded), db_dump(db_location)
    line = run_bad(seeded, *args)
    assert needle in line
    assert line.startswith("organizer")
    assert db_dump(db_location) == before_rows  # every table, history included
    assert all_cards(seeded) == before_cards
    # No card number was used up either.
    assert run_ok(seeded, "add", "After") == "MAIN-3\n"


@pytest.mark.parametrize("args, needle", [
    (["add", "t", "--column", "Backlog"], "Backlog"),
    (["add", "t", "--board", "NOPE"], "NOPE"),
    (["add", "t", "--parent", "1"], "'1'"),
    (["add", "t", "--due", "fryday"], "fryday"),
])
def test_bad_first_add_leaves_no_board_behind(cli: Runner, args: list[str], needle: str) -> None:
    assert needle in run_bad(cli, *args)
    assert run_json(cli, "boards", "--json") == []
    assert all_cards(cli) == []
    assert run_ok(cli, "add", "Good") == "MAIN-1\n"


@pytest.mark.parametrize("cmd", [["show"], ["move", "review"], ["done"], ["edit", "--title", "T"], ["rm"]])
def test_ambiguous_bare_number_lists_both_cards(two_boards: Runner, db_location: str, cmd: list[str]) -> None:
    before = db_dump(db_location)
    line = run_bad(two_boards, cmd[0], "1", *cmd[1:])
    assert "ambiguous" in line
    assert "MAIN-1" in line
    assert "ACME-1" in line
    assert db_dump(db_location) == before


def test_board_key_is_case_insensitive_in_ids(two_boards: Runner) -> None:
    assert show(two_boards, "acme-1")["title"] == "Acme card"
    assert show(two_boards, " MAIN-2 ")["title"] == "Second card"
    assert show(two_boards, "2")["id"] == "MAIN-2"  # only MAIN has a card 2


@pytest.mark.parametrize("text, key, value", [
    ('timezone = "Mars/Olympus"\n', "timezone", "Mars/Olympus"),
    ('timezone = "Europe/Paris"\nreserve_ratio = 2\n', "reserve_ratio", "2"),
    ('timezone = "Europe/Paris"\nfavourite = 1\n', "favourite", "1"),
    ('timezone = "Europe/Paris"\n[hours]\nmon = ["9-5"]\n', "hours.mon", "9-5"),
    ('timezone = "Europe/Paris\n', "(file)", "config.toml"),
])
@pytest.mark.sqlite_only
def test_bad_config_file_exits_2_naming_the_key(cli: Runner, isolated_paths: Path, db_path: Path, text: str,
                                                key: str, value: str) -> None:
    write_config(isolated_paths, text)
    for command in (["list"], ["add", "t"], ["move", "1", "rev"], ["info"], ["undo"], ["boards"]):
        line = run_bad(cli, *command)
        assert f"'{key}'" in line
        assert value in line
    assert not db_path.exists()


def test_config_file_that_is_not_utf8_exits_2_naming_the_file(cli: Runner, isolated_paths: Path) -> None:
    (isolated_paths / "config.toml").write_bytes(b'timezone = "Europe/Paris"\ntheme = "caf\xe9"\n')
    assert "config.toml" in run_bad(cli, "list")


@pytest.mark.sqlite_only
def test_database_that_is_not_sqlite_fails_with_one_line(cli: Runner, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello, not a database\n" * 50)
    line = run_bad(cli, "--db", str(bogus), "list", code=1)
    assert str(bogus) in line
    line = run_bad(cli, "--db", str(bogus), "add", "t", code=1)
    assert str(bogus) in line
    assert bogus.read_text() == "hello, not a database\n" * 50


@pytest.mark.sqlite_only
def test_database_path_that_is_a_folder_fails_with_one_line(cli: Runner, tmp_path: Path) -> None:
    line = run_bad(cli, "--db", str(tmp_path), "list", code=1)
    assert "folder" in line


def test_runtime_failure_message_is_one_line() -> None:
    from sqlalchemy.exc import IntegrityError

    exc = IntegrityError("INSERT INTO card (board_id, number) VALUES (?, ?)", (1, 1),
                         sqlite3.IntegrityError("UNIQUE constraint failed: card.board_id, card.number"))
    message = describe_failure(exc)
    assert "UNIQUE constraint failed" in message
    assert "\n" not in message


# --- list ---------------------------------------------------------------------------------------

@pytest.fixture
def listing(cli: Runner) -> Runner:
    """MAIN-1 writer/x due Jan; MAIN-2 producer pop-up in Review due March; MAIN-3 done; ACME-1 writer."""
    run_ok(cli, "add", "Write thread", "-r", "writer", "-c", "x", "--due", "2027-01-10 10:00")
    run_ok(cli, "add", "Film [reel]", "-r", "producer", "-c", "instagram,tiktok", "--popup", "--due",
           "2027-03-01", "--column", "review")
    run_ok(cli, "add", "Monthly report", "-r", "analyst")
    run_ok(cli, "done", "MAIN-3")
    run_ok(cli, "boards", "add", "ACME", "Acme")
    run_ok(cli, "add", "Acme post", "-b", "ACME", "-r", "writer", "-c", "linkedin")
    return cli


LIST_FILTERS: list[tuple[list[str], list[str]]] = [
    ([], ["MAIN-1", "MAIN-2", "ACME-1"]),
    (["--all"], ["MAIN-1", "MAIN-2", "MAIN-3", "ACME-1"]),
    (["-a"], ["MAIN-1", "MAIN-2", "MAIN-3", "ACME-1"]),
    (["--board", "acme"], ["ACME-1"]),
    (["-b", "MAIN", "--all"], ["MAIN-1", "MAIN-2", "MAIN-3"]),
    (["--role", "writer"], ["MAIN-1", "ACME-1"]),
    (["-r", "Writer", "-b", "MAIN"], ["MAIN-1"]),
    (["--role", "analyst"], []),
    (["--role", "analyst", "--all"], ["MAIN-3"]),
    (["--channel", "tiktok"], ["MAIN-2"]),
    (["-c", "X"], ["MAIN-1"]),
    (["--column", "Review"], ["MAIN-2"]),
    (["--column", "ideas"], ["MAIN-1", "ACME-1"]),
    (["--column", "in progress"], []),
    (["--column", "published", "--all"], ["MAIN-3"]),
    (["--due-before", "2027-02-01"], ["MAIN-1"]),
    (["--due-before", "2027-12-31"], ["MAIN-1", "MAIN-2"]),
    (["--popup"], ["MAIN-2"]),
    (["--popup", "--role", "writer"], []),
]


@pytest.mark.parametrize("path", ["quick", "full"])
def test_list_filters(listing: Runner, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    if path == "full":
        def refuse(location: str) -> Any:
            raise quick.NotQuick("forced full path")

        monkeypatch.setattr(quick, "connect", refuse)
    for flags, expected in LIST_FILTERS:
        found = run_json(listing, "list", "--json", *flags)
        assert ids(found) == expected, f"list {' '.join(flags)}"
        for card in found:
            assert list(card) == CARD_KEYS


def test_list_lean_and_full_paths_give_identical_json(listing: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    run_ok(listing, "add", "Step", "--parent", "MAIN-1", "-t", "b", "-t", "a", "-e", "45m")
    lean_out = run_ok(listing, "list", "--all", "--json")

    def refuse(location: str) -> Any:
        raise quick.NotQuick("forced full path")

    monkeypatch.setattr(quick, "connect", refuse)
    assert run_ok(listing, "list", "--all", "--json") == lean_out


def test_ls_alias(listing: Runner) -> None:
    assert run_ok(listing, "ls") == run_ok(listing, "list")


def test_list_text_table(listing: Runner) -> None:
    lines = run_ok(listing, "list").splitlines()
    assert lines[0].split() == ["ID", "COLUMN", "ROLE", "DUE", "EST", "P", "TITLE"]
    assert [line.split()[0] for line in lines[1:]] == ["MAIN-1", "MAIN-2", "ACME-1"]
    assert lines[2].endswith("Film [reel] !popup")
    assert "Monthly report" not in "\n".join(lines)
    assert "Monthly report" in run_ok(listing, "list", "--all")


def test_list_shows_steps_parent(seeded: Runner) -> None:
    run_ok(seeded, "add", "Script", "--parent", "1")
    assert any(line.endswith("Script ↳MAIN-1") for line in run_ok(seeded, "list").splitlines())


def test_list_empty(cli: Runner) -> None:
    assert run_ok(cli, "list") == "no cards match\n"
    assert run_json(cli, "list", "--json") == []
    run_ok(cli, "add", "only")
    assert run_ok(cli, "list", "--role", "writer") == "no cards match\n"


def test_list_column_accepts_a_prefix_and_rejects_unknown_columns(listing: Runner) -> None:
    assert ids(run_json(listing, "list", "--json", "--column", "rev")) == ["MAIN-2"]
    assert "Backlog" in run_bad(listing, "list", "--column", "Backlog")


# --- show ---------------------------------------------------------------------------------------

def test_show_text_and_json(seeded: Runner) -> None:
    run_ok(seeded, "edit", "1", "-r", "writer", "--due", "2027-01-15 10:00", "-e", "1h30", "--spent", "15",
           "-P", "1", "--popup", "--campaign", "Winter", "--pillar", "education", "-n", "First line\nSecond")
    run_ok(seeded, "add", "Script", "--parent", "1")
    run_ok(seeded, "add", "Shoot", "--parent", "1")
    text = run_ok(seeded, "show", "MAIN-1")
    lines = text.splitlines()
    assert lines[0] == "MAIN-1  Seed card"
    assert "  column    Ideas" in lines
    assert "  role      writer" in lines
    assert "  channels  x" in lines
    assert any(line.startswith("  due       2027-01-15T10:00:00+01:00") for line in lines)
    assert "  estimate  1h30m   spent 15m" in lines
    assert "  priority  1   pop-up" in lines
    assert "  campaign  Winter   pillar education" in lines
    assert "  tags      seed" in lines
    assert "  steps     MAIN-3, MAIN-4" in lines
    assert lines[-2:] == ["  First line", "  Second"]
    card = show(seeded, "MAIN-1")
    assert list(card) == [*CARD_KEYS, "steps", "experiments"]
    assert card["steps"] == ["MAIN-3", "MAIN-4"]
    step_text = run_ok(seeded, "show", "MAIN-4")
    assert "  step 2 of MAIN-1" in step_text.splitlines()
    assert show(seeded, "4")["steps"] == []


# --- move / done --------------------------------------------------------------------------------

def test_move_by_prefix_and_completion_stamp(seeded: Runner) -> None:
    assert run_ok(seeded, "move", "1", "rev") == "MAIN-1 → Review\n"
    assert show(seeded, "1")["column"] == "Review"
    assert run_ok(seeded, "mv", "MAIN-1", "prog") == "MAIN-1 → In progress\n"
    card = run_json(seeded, "move", "1", "PUBLISHED", "--json")
    assert card["column"] == "Published"
    assert card["completed"] is not None
    stamp = card["completed"]
    assert run_json(seeded, "move", "1", "measured", "--json")["completed"] == stamp
    back = run_json(seeded, "move", "1", "ideas", "--json")
    assert (back["column"], back["completed"]) == ("Ideas", None)
    assert "MAIN-1" in ids(run_json(seeded, "list", "--json"))


def test_done_moves_to_published_and_twice_is_refused(seeded: Runner, db_location: str) -> None:
    assert run_ok(seeded, "done", "1") == "MAIN-1 done → Published\n"
    card = show(seeded, "MAIN-1")
    assert card["column"] == "Published"
    assert card["completed"] is not None
    assert "MAIN-1" not in ids(run_json(seeded, "list", "--json"))
    before = db_dump(db_location)
    line = run_bad(seeded, "done", "1")
    assert "already done" in line
    assert db_dump(db_location) == before
    run_ok(seeded, "move", "1", "measured")
    assert "Measured" in run_bad(seeded, "done", "MAIN-1")
    done = run_json(seeded, "done", "2", "--json")
    assert (done["id"], done["column"]) == ("MAIN-2", "Published")


# --- edit ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("flags, field, value", [
    (["--title", "  New title "], "title", "New title"),
    (["--role", "ANALYST"], "role", "analyst"),
    (["-r", "community"], "role", "community"),
    (["--channel", "linkedin,youtube"], "channels", ["linkedin", "youtube"]),
    (["-c", "threads", "-c", "bluesky"], "channels", ["threads", "bluesky"]),
    (["--due", "2027-01-15 10:00"], "due", "2027-01-15T10:00:00+01:00"),
    (["-d", "2027-08-01 08:00"], "due", "2027-08-01T08:00:00+02:00"),
    (["--publish", "2027-02-01T09:00Z"], "publish", "2027-02-01T10:00:00+01:00"),
    (["--estimate", "2h"], "estimate_minutes", 120),
    (["-e", "45"], "estimate_minutes", 45),
    (["--spent", "1.5h"], "spent_minutes", 90),
    (["--priority", "1"], "priority", 1),
    (["-P", "low"], "priority", 4),
    (["--popup"], "popup", True),
    (["--campaign", "Open Roastery"], "campaign", "Open Roastery"),
    (["--pillar", "behind-the-scenes"], "pillar", "behind-the-scenes"),
    (["--column", "sched"], "column", "Scheduled"),
    (["--tag", "launch", "-t", "#q1"], "tags", ["launch", "q1"]),
    (["--notes", "new notes"], "notes", "new notes"),
    (["--parent", "MAIN-2"], "parent", "MAIN-2"),
])
def test_edit_each_flag(seeded: Runner, flags: list[str], field: str, value: object) -> None:
    before = show(seeded, "1")
    assert run_ok(seeded, "edit", "1", *flags) == "MAIN-1 updated\n"
    after = show(seeded, "1")
    assert after[field] == value
    unchanged = {k for k in CARD_KEYS if k not in (field, "updated", "step")}
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}


@pytest.fixture
def full_card(seeded: Runner) -> Runner:
    """MAIN-3: every clearable field set, a step of MAIN-1, a pop-up."""
    run_ok(seeded, "add", "Full", "--parent", "1", "-r", "writer", "-c", "x,linkedin", "--due", "2027-01-15 10:00",
           "--publish", "2027-01-16 10:00", "-e", "1h", "--spent", "30", "--popup", "--campaign", "C",
           "--pillar", "P", "-t", "tag", "-n", "notes")
    return seeded


@pytest.mark.parametrize("flags, field, value", [
    (["--due", "none"], "due", None),
    (["--due", "NONE"], "due", None),
    (["--publish", "none"], "publish", None),
    (["--role", "none"], "role", None),
    (["--estimate", "none"], "estimate_minutes", None),
    (["--spent", "none"], "spent_minutes", 0),
    (["--campaign", "none"], "campaign", None),
    (["--pillar", "none"], "pillar", None),
    (["--channel", ""], "channels", []),
    (["--no-popup"], "popup", False),
    (["--parent", "none"], "parent", None),
])
def test_edit_clears_a_field(full_card: Runner, flags: list[str], field: str, value: object) -> None:
    card = run_json(full_card, "edit", "MAIN-3", *flags, "--json")
    assert card[field] == value
    assert card["title"] == "Full"
    if field == "parent":
        assert card["step"] is None
        assert show(full_card, "1")["steps"] == []


def test_edit_json_and_undo_restores_everything(full_card: Runner) -> None:
    before = show(full_card, "3")
    edited = run_json(full_card, "edit", "3", "--title", "Other", "-c", "tiktok", "-t", "x", "--due", "none",
                      "--column", "review", "--json")
    assert (edited["title"], edited["channels"], edited["tags"], edited["due"], edited["column"]) == (
        "Other", ["tiktok"], ["x"], None, "Review")
    assert run_ok(full_card, "undo") == "undid: edit MAIN-3\n"
    after = show(full_card, "3")
    # Everything comes back except `updated`: an undo is a change too, so it moves forward, never back.
    assert after["updated"] >= before["updated"]
    assert {**after, "updated": None} == {**before, "updated": None}


def test_edit_into_done_column_stamps_completed(seeded: Runner) -> None:
    assert run_json(seeded, "edit", "2", "--column", "published", "--json")["completed"] is not None
    assert run_json(seeded, "edit", "2", "--column", "ideas", "--json")["completed"] is None


def test_edit_refuses_to_make_a_card_with_steps_a_step(seeded: Runner) -> None:
    run_ok(seeded, "add", "Step of 2", "--parent", "2")
    assert "MAIN-2" in run_bad(seeded, "edit", "2", "--parent", "1")


# --- rm -----------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:DELETE statement on table:Warning")  # see test_rm_with_steps_prints_no_warning
def test_rm_removes_steps_and_undo_brings_them_back(seeded: Runner) -> None:
    run_ok(seeded, "add", "Script", "--parent", "1", "-c", "linkedin", "-t", "s")
    run_ok(seeded, "add", "Shoot", "--parent", "1", "--column", "review")
    before = all_cards(seeded)
    before_parent = show(seeded, "1")
    assert run_ok(seeded, "rm", "1") == "removed MAIN-1, MAIN-3, MAIN-4 (organizer undo brings them back)\n"
    assert ids(all_cards(seeded)) == ["MAIN-2"]
    for ref in ("MAIN-1", "MAIN-3", "MAIN-4"):
        assert ref in run_bad(seeded, "show", ref)
    assert run_ok(seeded, "undo") == "undid: remove MAIN-1, MAIN-3, MAIN-4\n"

    def unstamped(card: dict[str, Any]) -> dict[str, Any]:  # undo stamps `updated` anew: time moves forward
        return {**card, "updated": None}

    assert [unstamped(c) for c in all_cards(seeded)] == [unstamped(c) for c in before]
    assert unstamped(show(seeded, "1")) == unstamped(before_parent)
    assert run_ok(seeded, "redo") == "redid: remove MAIN-1, MAIN-3, MAIN-4\n"
    assert ids(all_cards(seeded)) == ["MAIN-2"]


def test_rm_single_card(seeded: Runner) -> None:
    assert run_ok(seeded, "rm", "MAIN-2") == "removed MAIN-2 (organizer undo brings it back)\n"
    assert ids(all_cards(seeded)) == ["MAIN-1"]
    # Numbers are never reused.
    assert run_ok(seeded, "add", "New") == "MAIN-3\n"


def test_rm_with_steps_prints_no_warning(seeded: Runner) -> None:
    run_ok(seeded, "add", "Script", "--parent", "1")
    run_ok(seeded, "add", "Shoot", "--parent", "1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_ok(seeded, "rm", "1")
    assert [str(w.message) for w in caught] == []


# --- undo / redo --------------------------------------------------------------------------------

def test_undo_with_empty_history_exits_1(cli: Runner) -> None:
    assert run_bad(cli, "undo", code=1) == "organizer: nothing to undo"
    assert run_bad(cli, "redo", code=1) == "organizer: nothing to redo"


def test_undo_redo_across_several_actions(seeded: Runner) -> None:
    run_ok(seeded, "move", "1", "rev")
    run_ok(seeded, "edit", "2", "--title", "Renamed")
    run_ok(seeded, "done", "1")
    assert show(seeded, "1")["completed"] is not None

    assert run_ok(seeded, "undo") == "undid: move MAIN-1 to Published\n"
    assert (show(seeded, "1")["column"], show(seeded, "1")["completed"]) == ("Review", None)
    assert run_ok(seeded, "undo") == "undid: edit MAIN-2\n"
    assert show(seeded, "2")["title"] == "Second card"
    assert run_ok(seeded, "undo") == "undid: move MAIN-1 to Review\n"
    assert show(seeded, "1")["column"] == "Ideas"
    assert run_ok(seeded, "undo") == "undid: add MAIN-2\n"
    assert ids(all_cards(seeded)) == ["MAIN-1"]

    assert run_ok(seeded, "redo") == "redid: add MAIN-2\n"
    assert show(seeded, "2")["title"] == "Second card"
    assert run_ok(seeded, "redo") == "redid: move MAIN-1 to Review\n"
    assert show(seeded, "1")["column"] == "Review"
    assert run_ok(seeded, "redo") == "redid: edit MAIN-2\n"
    assert show(seeded, "2")["title"] == "Renamed"

    # A new action clears what was left to redo.
    run_ok(seeded, "move", "2", "plan")
    assert run_bad(seeded, "redo", code=1) == "organizer: nothing to redo"
    assert run_ok(seeded, "undo") == "undid: move MAIN-2 to Planned\n"
    assert run_ok(seeded, "undo") == "undid: edit MAIN-2\n"


def test_a_lean_add_also_clears_redo(seeded: Runner) -> None:
    run_ok(seeded, "move", "1", "rev")
    run_ok(seeded, "undo")
    assert run_ok(seeded, "add", "third") == "MAIN-3\n"
    assert run_bad(seeded, "redo", code=1) == "organizer: nothing to redo"
    assert run_ok(seeded, "undo") == "undid: add MAIN-3\n"


def test_undo_first_add_also_removes_the_auto_board(cli: Runner) -> None:
    run_ok(cli, "add", "first")
    assert run_ok(cli, "undo") == "undid: add MAIN-1\n"
    assert run_ok(cli, "undo") == "undid: add board MAIN\n"
    assert run_json(cli, "boards", "--json") == []
    assert run_bad(cli, "undo", code=1) == "organizer: nothing to undo"


def test_add_works_after_undo_and_redo_of_the_first_add(cli: Runner) -> None:
    run_ok(cli, "add", "first")
    for action in ("undo", "undo", "redo", "redo"):
        run_ok(cli, action)
    assert ids(all_cards(cli)) == ["MAIN-1"]
    assert run_ok(cli, "add", "second") == "MAIN-2\n"
    assert run_ok(cli, "add", "step", "--parent", "1") == "MAIN-3\n"


def test_add_works_after_undo_and_redo_of_a_rename(seeded: Runner) -> None:
    run_ok(seeded, "boards", "rename", "MAIN", "Main board")
    run_ok(seeded, "add", "third")
    for action in ("undo", "undo", "redo", "redo"):
        run_ok(seeded, action)
    assert run_ok(seeded, "add", "fourth") == "MAIN-4\n"


@pytest.mark.sqlite_only
@pytest.mark.slow
def test_undo_reverts_a_move_made_by_another_process_of_this_shell(seeded: Runner, isolated_paths: Path,
                                                                   db_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ORGANIZER_DEBUG"}
    env["ORGANIZER_DB"] = str(db_path)
    env["ORGANIZER_CONFIG"] = str(isolated_paths / "config.toml")
    proc = subprocess.run([sys.executable, "-m", "organizer", "move", "MAIN-1", "review"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "MAIN-1 → Review\n", "")
    assert show(seeded, "1")["column"] == "Review"
    assert run_ok(seeded, "undo") == "undid: move MAIN-1 to Review\n"
    assert show(seeded, "1")["column"] == "Ideas"


@pytest.mark.sqlite_only
@pytest.mark.slow
def test_undo_leaves_another_terminals_change_to_undo_any(seeded: Runner, isolated_paths: Path,
                                                          db_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("ORGANIZER_DEBUG", "ORGANIZER_PLACE")}
    env["ORGANIZER_DB"] = str(db_path)
    env["ORGANIZER_CONFIG"] = str(isolated_paths / "config.toml")
    for args in (["move", "MAIN-1", "review"], ["undo"]):
        run_ok(seeded, *args)  # this shell has nothing left to undo but its adds
    proc = subprocess.run([sys.executable, "-m", "organizer", "move", "MAIN-2", "review"], env=env,
                          capture_output=True, text=True, timeout=60, check=False, start_new_session=True)
    assert proc.returncode == 0, proc.stderr
    # The newest change here is this shell's add of MAIN-2, not the other terminal's move.
    assert run_bad(seeded, "undo", code=1).startswith("organizer: cannot undo 'add MAIN-2': MAIN-2 was changed "
                                                      "later from another shell ('move MAIN-2 to Review')")
    assert show(seeded, "2")["column"] == "Review"
    assert run_ok(seeded, "undo", "--any") == "undid: move MAIN-2 to Review (made from another shell)\n"
    assert show(seeded, "2")["column"] == "Ideas"
    assert run_ok(seeded, "redo", "--any") == "redid: move MAIN-2 to Review (made from another shell)\n"
    assert run_ok(seeded, "redo") == "redid: move MAIN-1 to Review\n"


@pytest.mark.sqlite_only
def test_undo_names_the_newest_change_made_elsewhere(cli: Runner, db_path: Path) -> None:
    from organizer import history
    from organizer.config import load_config
    from organizer.storage.orm import open_store
    from organizer.validate import validate

    cfg = load_config()
    store = open_store(str(db_path))
    with store.write() as s:
        history.set_place(s, "tui:5e55104a")
        card_service.add_card(s, cfg, validate({"title": "from the app"}, cfg, now=datetime.now(ZoneInfo("UTC")),
                                               require_title=True))
    store.close()
    assert run_bad(cli, "undo", code=1) == (
        "organizer: nothing to undo from this shell: the newest change, 'add MAIN-1', was made in the app, "
        "session 5e55104a; `organizer undo --any` undoes it")
    assert run_bad(cli, "redo", code=1) == "organizer: nothing to redo"
    assert run_ok(cli, "undo", "--any") == "undid: add MAIN-1 (made in the app, session 5e55104a)\n"
    assert run_bad(cli, "redo", code=1) == (
        "organizer: nothing to redo from this shell: the last change undone, 'add MAIN-1', was made in the app, "
        "session 5e55104a; `organizer redo --any` redoes it")


# --- boards -------------------------------------------------------------------------------------

def test_boards_list_add_rename(seeded: Runner) -> None:
    lines = run_ok(seeded, "boards").splitlines()
    assert len(lines) == 1
    assert lines[0].split() == ["*", "MAIN", "2", "open", "2", "total", "My", "board"]
    assert run_ok(seeded, "boards", "add", "acme", "Acme Coffee", "--description", "Roaster") == (
        "board ACME added (Acme Coffee)\n")
    run_ok(seeded, "done", "2")
    expected = [
        {"key": "MAIN", "name": "My board", "description": "", "cards": 2, "open_cards": 1, "default": True},
        {"key": "ACME", "name": "Acme Coffee", "description": "Roaster", "cards": 0, "open_cards": 0,
         "default": False},
    ]
    assert run_json(seeded, "boards", "--json") == expected
    assert run_json(seeded, "boards", "list", "--json") == expected
    assert run_ok(seeded, "boards", "list") == run_ok(seeded, "boards")
    assert run_ok(seeded, "boards", "rename", "acme", "Acme Roasters") == "board ACME: Acme Roasters\n"
    assert run_json(seeded, "boards", "--json")[1]["name"] == "Acme Roasters"


def test_boards_on_empty_database(cli: Runner) -> None:
    assert "no boards yet" in run_ok(cli, "boards")
    assert run_json(cli, "boards", "--json") == []


def test_boards_rename_key_and_card_ids_follow(seeded: Runner) -> None:
    run_ok(seeded, "add", "Step", "--parent", "1")
    assert run_ok(seeded, "boards", "rename", "MAIN", "--key", "nwc") == "board NWC: My board\n"
    assert ids(all_cards(seeded)) == ["NWC-1", "NWC-2", "NWC-3"]
    assert show(seeded, "NWC-3")["parent"] == "NWC-1"
    assert show(seeded, "NWC-1")["steps"] == ["NWC-3"]
    assert "MAIN-1" in run_bad(seeded, "show", "MAIN-1")
    assert run_ok(seeded, "add", "Next") == "NWC-4\n"
    assert run_ok(seeded, "boards", "rename", "NWC", "Northwind", "--key", "NW") == "board NW: Northwind\n"
    assert run_ok(seeded, "undo") == "undid: rename board NWC\n"
    assert [b["key"] for b in run_json(seeded, "boards", "--json")] == ["NWC"]


def test_boards_rename_to_a_used_key_is_refused(two_boards: Runner, db_location: str) -> None:
    before = db_dump(db_location)
    assert "ACME" in run_bad(two_boards, "boards", "rename", "MAIN", "--key", "ACME")
    assert db_dump(db_location) == before


def test_boards_add_is_undoable(seeded: Runner) -> None:
    run_ok(seeded, "boards", "add", "ACME", "Acme")
    assert run_ok(seeded, "undo") == "undid: add board ACME\n"
    assert [b["key"] for b in run_json(seeded, "boards", "--json")] == ["MAIN"]


# --- info, demo, --db, --version ----------------------------------------------------------------

@pytest.mark.sqlite_only
def test_info_points_at_the_temporary_paths(cli: Runner, isolated_paths: Path, db_path: Path) -> None:
    info = run_json(cli, "info", "--json")
    assert info["config"] == str(isolated_paths / "config.toml")
    assert info["config_exists"] is True
    assert info["database"] == str(db_path)
    assert info["database_exists"] is False
    assert info["timezone"] == "Europe/Paris"
    assert info["version"] == __version__
    assert set(info) >= {"schema_revision", "reference_data"}
    run_ok(cli, "add", "t")
    assert run_json(cli, "info", "--json")["database_exists"] is True
    text = run_ok(cli, "info")
    assert str(db_path) in text
    assert str(isolated_paths / "config.toml") in text
    assert text.splitlines()[0].split() == ["version", __version__]


@pytest.mark.sqlite_only
def test_info_follows_db_flag(cli: Runner, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    assert run_json(cli, "--db", str(other), "info", "--json")["database"] == str(other)


@pytest.mark.sqlite_only
def test_demo_keep_creates_two_boards(cli: Runner, tmp_path: Path, db_path: Path) -> None:
    target = tmp_path / "demo.db"
    out = run_ok(cli, "demo", "--keep", str(target), "--no-app")
    made = re.fullmatch(rf"demo database {re.escape(str(target))}: (\d+) cards\n", out)
    assert made is not None and int(made[1]) > 41 + 50  # the board's 41 and a quarter of published posts
    total = int(made[1])
    boards = run_json(cli, "--db", str(target), "boards", "--json")
    assert [b["key"] for b in boards] == ["NWC", "CEO"]
    assert sum(b["cards"] for b in boards) == total
    demo_cards = run_json(cli, "--db", str(target), "list", "--all", "--json")
    assert len(demo_cards) == total
    assert any(c["parent"] for c in demo_cards)
    # The demo is a starting point, not a history to undo.
    assert run_bad(cli, "--db", str(target), "undo", code=1) == "organizer: nothing to undo"
    # The user's own database was not touched.
    assert not db_path.exists()


@pytest.mark.sqlite_only
def test_demo_keep_refuses_an_existing_file(cli: Runner, tmp_path: Path) -> None:
    target = tmp_path / "precious.db"
    target.write_bytes(b"keep me")
    assert str(target) in run_bad(cli, "demo", "--keep", str(target), "--no-app")
    assert target.read_bytes() == b"keep me"


@pytest.mark.sqlite_only
def test_db_flag_beats_organizer_db(cli: Runner, tmp_path: Path, db_path: Path) -> None:
    other = tmp_path / "elsewhere" / "other.db"
    assert run_ok(cli, "--db", str(other), "add", "Elsewhere") == "MAIN-1\n"
    assert run_ok(cli, "--db", str(other), "add", "Elsewhere too") == "MAIN-2\n"
    assert other.exists()
    assert not db_path.exists()
    assert run_json(cli, "list", "--json") == []
    assert ids(run_json(cli, "--db", str(other), "list", "--json")) == ["MAIN-1", "MAIN-2"]
    assert run_ok(cli, "--db", f"sqlite:///{other}", "show", "2").startswith("MAIN-2  Elsewhere too")


def test_version(cli: Runner) -> None:
    result = cli("--version")
    assert result.code == 0
    assert result.out == f"organizer {__version__}\n"


def test_help_lists_every_command(cli: Runner) -> None:
    result = cli("--help")
    assert result.code == 0
    out = result.out
    for command in ("add", "list", "show", "move", "done", "edit", "rm", "undo", "redo", "boards", "info", "demo",
                    "export", "import"):
        assert command in out


def test_export_json_smoke(seeded: Runner) -> None:
    pytest.importorskip("organizer.exchange")
    out = run_ok(seeded, "export", "json")
    assert "Seed card" in out
