"""PostgreSQL end to end: one CLI session gives the same output on PostgreSQL as on SQLite.

The session runs in-process through `organizer.cli.main.main` at a frozen instant, once on a SQLite
file and once on a PostgreSQL database (see `pg_db` in conftest), and every command's stdout and exit
code must match, once what is random per database or event (the calendar's workspace id, a busy
event's UUID) is replaced. Then what only PostgreSQL needs: concurrent adds keep numbers unique, and
an import takes its ids from the sequence.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from organizer.cli.main import main

NOW = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)  # a Tuesday, 09:30 in Paris


def _run(db: str, *args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*args, "--db", db])
    assert "Traceback" not in err.getvalue(), err.getvalue()
    assert code == 0, f"{args}: {err.getvalue()}"
    return code, out.getvalue()


def _session(db: str, folder: Path) -> list[tuple[str, int, str]]:
    """The commands of a working session and what each printed."""
    export, ics = folder / f"export-{abs(hash(db))}.json", folder / f"cal-{abs(hash(db))}.ics"
    steps: list[tuple[str, ...]] = [
        ("add", "Write launch post", "--role", "writer", "--due", "thu 12:00", "--estimate", "90m",
         "--column", "planned", "-c", "linkedin", "-t", "launch"),
        ("add", "Film teaser", "--role", "producer", "--estimate", "2h", "--column", "planned", "--priority", "1"),
        ("add", "Idea for later"),
        ("add", "Shot list", "--parent", "MAIN-2", "--estimate", "30m", "--column", "planned"),
        ("boards", "add", "ACME", "Acme Coffee"),
        ("add", "Acme newsletter", "--board", "ACME", "--estimate", "45m", "--column", "planned"),
        ("list",),
        ("list", "--all", "--json"),
        ("move", "MAIN-1", "review"),
        ("show", "MAIN-1", "--json"),
        ("undo",),
        ("show", "MAIN-1", "--json"),
        ("redo",),
        ("edit", "MAIN-3", "--title", "Idea, sharpened", "--notes", "two\nlines"),
        ("done", "ACME-1"),
        ("busy", "add", "wed 10:00", "1h", "Team meeting"),
        ("busy", "--json"),
        ("plan", "--json"),
        ("plan", "wed", "--json"),
        ("capacity", "--json"),
        ("start", "MAIN-2"),
        ("stop",),
        ("pin", "MAIN-2"),
        ("plan", "--json"),
        ("export", "json", "--output", str(export)),
        ("import", "json", "--renumber", str(export)),
        ("list", "--all", "--json"),
        ("export", "csv"),
        ("rm", "MAIN-3"),
        ("undo",),
        ("boards", "--json"),
        ("export", "ics", "--output", str(ics)),
        ("capacity", "--json"),
    ]
    out = []
    for args in steps:
        code, text = _run(db, *args)
        if args[:2] == ("export", "ics"):
            text += ics.read_text()
        out.append((" ".join(args).replace(str(export), "EXPORT").replace(str(ics), "ICS"), code, text))
    return out


def _normal(text: str) -> str:
    """Output with what is random per database or event (the workspace id, a busy event's UUID) replaced."""
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", text)
    return re.sub(r"-[0-9a-f]{8,}@organizer", "-WS@organizer", text)


def test_a_cli_session_prints_the_same_on_postgresql_as_on_sqlite(pg_db: str, isolated_paths: Path,
                                                                    tmp_path: Path) -> None:
    (isolated_paths / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    (isolated_paths / "config.toml").write_text('timezone = "Europe/Paris"\n')
    with time_machine.travel(NOW, tick=False):
        on_sqlite = _session(str(tmp_path / "organizer.db"), tmp_path)
        on_postgresql = _session(pg_db, tmp_path)
    for (cmd, code_s, out_s), (_, code_p, out_p) in zip(on_sqlite, on_postgresql, strict=True):
        assert code_s == 0, cmd
        assert (code_p, _normal(out_p)) == (code_s, _normal(out_s)), cmd
    listed = json.loads(dict((c, o) for c, _, o in on_postgresql)["list --all --json"])
    assert len(listed) == 10  # five cards, and five again from the import (renumbered)
    assert "BEGIN:VEVENT" in on_postgresql[-2][2]


def test_export_and_import_round_trip_into_a_new_postgresql_database(pg_db: str, pg_fresh_url: str,
                                                                      isolated_paths: Path, tmp_path: Path) -> None:
    """Cards (steps included) exported from one PostgreSQL database import into an empty one unchanged;
    the next card there gets the next id from the sequence."""
    (isolated_paths / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    (isolated_paths / "config.toml").write_text('timezone = "Europe/Paris"\n')
    with time_machine.travel(NOW, tick=False):
        for args in (("add", "Piece", "--estimate", "1h"), ("add", "Step one", "--parent", "MAIN-1"),
                     ("add", "Other", "-t", "x")):
            assert _run(pg_db, *args)[0] == 0
        code, exported = _run(pg_db, "export", "json")
        assert code == 0
        (tmp_path / "x.json").write_text(exported)
        assert _run(pg_fresh_url, "import", "json", str(tmp_path / "x.json"))[0] == 0
        assert _run(pg_fresh_url, "export", "json")[1].split('"cards"')[1] == exported.split('"cards"')[1]
        assert _run(pg_fresh_url, "add", "After the import")[1] == "MAIN-4\n"
        assert _run(pg_fresh_url, "undo")[0] == 0 and _run(pg_fresh_url, "undo")[0] == 0  # the add, the import
        assert json.loads(_run(pg_fresh_url, "list", "--all", "--json")[1]) == []


_ADDER = """
import sys
from organizer.cli.main import main
for i in range(int(sys.argv[2])):
    if main(["add", f"worker {sys.argv[1]} card {i}", "--db", sys.argv[3]]):
        sys.exit(1)
"""


@pytest.mark.slow
def test_concurrent_adds_on_postgresql_store_every_card_with_unique_numbers(pg_fresh_url: str,
                                                                           isolated_paths: Path) -> None:
    """Processes adding at once to a new database: every card stored, numbers 1..N once each, no error.
    (`bench/pg_adds.py` does 10 x 100.)"""
    procs = [subprocess.Popen([sys.executable, "-c", _ADDER, str(w), "15", pg_fresh_url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for w in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    code, listed = _run(pg_fresh_url, "list", "--all", "--json")
    assert code == 0
    assert sorted(c["number"] for c in json.loads(listed)) == list(range(1, 61))


def test_demo_keep_accepts_a_postgresql_url(pg_fresh_url: str, isolated_paths: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """`demo --keep URL` fills an empty database; a second time it refuses (the database holds boards), and
    `--resume` reopens it as it is. Nothing is taken for a file path."""
    monkeypatch.chdir(tmp_path)

    def demo(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["demo", "--keep", pg_fresh_url, "--no-app", *args])
        return code, out.getvalue(), err.getvalue()

    code, out, err = demo()
    assert code == 0, err
    assert out.startswith(f"demo database {pg_fresh_url}: ") and out.rstrip().endswith(" cards")
    assert f"export ORGANIZER_DB={pg_fresh_url}" in err
    assert not list(tmp_path.iterdir()), "the URL was taken for a file path"
    cards = len(json.loads(_run(pg_fresh_url, "list", "--all", "--json")[1]))
    assert cards > 10
    code, _, err = demo()
    assert code == 2 and "already holds boards" in err
    code, out, _ = demo("--resume")
    assert code == 0 and "reopened" in out
    assert len(json.loads(_run(pg_fresh_url, "list", "--all", "--json")[1])) == cards


def test_info_on_a_postgresql_url_says_whether_it_exists_and_its_revision(pg_fresh_url: str,
                                                                          isolated_paths: Path) -> None:
    from organizer.schema import SCHEMA_REVISION

    def info(url: str) -> dict[str, object]:
        return dict(json.loads(_run(url, "info", "--json")[1]))

    assert (info(pg_fresh_url)["database_exists"], info(pg_fresh_url)["database_revision"]) == (True, None)
    assert info(pg_fresh_url)["database_revision"] is None, "info must not set the database up"
    _run(pg_fresh_url, "boards")
    assert (info(pg_fresh_url)["database_exists"], info(pg_fresh_url)["database_revision"]) == (True, SCHEMA_REVISION)
    missing = pg_fresh_url.rpartition("/")[0] + "/org_test_no_such_database"
    assert (info(missing)["database_exists"], info(missing)["database_revision"]) == (False, None)
