"""Small input holes from the data-safety review: each refused clearly (exit 2) or kept inert."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest


def test_import_of_a_folder_is_bad_input(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("import", "json", str(tmp_path))
    assert r.code == 2 and "is a folder" in r.err


@pytest.mark.parametrize("args", [["add", "x", "-P", "1", "-P", "4"], ["add", "x", "--due", "fri", "-d", "mon"],
                                  ["edit", "1", "--title", "a", "--title", "b"],
                                  ["list", "--role", "writer", "-r", "x"]])
def test_a_single_value_flag_given_twice_is_refused(cli, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    cli("add", "A card")
    r = cli(*args)
    assert r.code == 2 and "given twice" in r.err
    assert [c["title"] for c in json.loads(cli("list", "--json").out)] == ["A card"]


def test_repeatable_flags_still_repeat(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("add", "x", "-c", "x", "-c", "linkedin", "-t", "a", "-t", "b", "--json")
    assert r.code == 0 and json.loads(r.out)["channels"] == ["x", "linkedin"]


@pytest.mark.parametrize("args", [["add", "x", "--column", ""], ["add", "x", "--channel", " "],
                                  ["list", "--column", ""], ["list", "--channel", ""], ["list", "--board", ""],
                                  ["add", "x", "--board", ""], ["add", "x", "--role", ""]])
def test_empty_values_are_refused_instead_of_meaning_no_filter(cli, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    r = cli(*args)
    assert r.code == 2 and "is empty" in r.err, r.err


def test_edit_channel_empty_still_clears_the_list(cli) -> None:  # type: ignore[no-untyped-def]
    cli("add", "x", "-c", "x")
    assert cli("edit", "1", "--channel", "").code == 0
    assert json.loads(cli("show", "1", "--json").out)["channels"] == []


@pytest.mark.parametrize(("typed", "stored"), [("Plan\tQ1\r\nrecap", "Plan Q1 recap"), ("a\rb", "a b"),
                                               ("Launch \u202eevil\u202c post", "Launch evil post"),
                                               ("x\u2066y\u2069z", "xyz"), ("\x1b[31mred\x1b[0m", "red")])
def test_titles_turn_breaks_into_spaces_and_drop_bidi_and_escapes(cli, typed: str, stored: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("add", typed, "--json")
    assert r.code == 0 and json.loads(r.out)["title"] == stored


def test_notes_keep_lines_and_tabs_but_not_bidi_overrides(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("add", "x", "--notes", "line 1\r\n\tline 2\u202e", "--json")
    assert json.loads(r.out)["notes"] == "line 1\n\tline 2"


FORMULAS = ["=HYPERLINK(\"http://evil\",\"click\")", "@SUM(A1:A2)", "+1+1", "-2+3", "'=already quoted",
            "＝WIDE()", "plain title"]


def test_csv_export_escapes_formula_cells_and_import_restores_them(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for title in FORMULAS:
        assert cli("add", "--campaign", "=cmd|' /C calc'!A0", "--", title).code == 0
    out = tmp_path / "cards.csv"
    assert cli("export", "csv", "-o", str(out)).code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "＝")), cell
    assert rows[0]["title"] == "'=HYPERLINK(\"http://evil\",\"click\")"
    assert rows[4]["title"] == "''=already quoted"
    assert rows[6]["title"] == "plain title"
    # JSON stays exact.
    assert [c["title"] for c in json.loads(cli("list", "--json").out)] == FORMULAS
    # The round trip is exact too.
    fresh = tmp_path / "fresh.db"
    assert cli("--db", str(fresh), "import", "csv", str(out)).code == 0
    back = json.loads(cli("--db", str(fresh), "list", "--json").out)
    assert [c["title"] for c in back] == FORMULAS
    assert {c["campaign"] for c in back} == {"=cmd|' /C calc'!A0"}
