"""Tests for organizer.exchange: JSON/CSV export, all-or-nothing import, renumbering, undo, bad files."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from organizer import exchange, history
from organizer.config import Config
from organizer.models import Board, Card, HistoryEntry
from organizer.services import boards, cards
from organizer.storage.orm import Store, open_store
from organizer.validate import CardFilter, InputError, validate

# The store and CLI tests here run on SQLite and on PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.backends

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TRICKY_TITLES = ["[/bold] oops", "Launch [draft]", 'Commas, "quotes", and; semicolons', "Café ☕ — naïve façade 日本"]


def add(store: Store, cfg: Config, **raw: Any) -> str:
    with store.write() as s:
        return cards.card_ref(s, cards.add_card(s, cfg, validate(raw, cfg, now=NOW, require_title=True)))


@pytest.fixture
def filled(store: Store, cfg: Config) -> Store:
    """Two boards, tricky text, a piece with steps, a done card and a card moved within its column."""
    with store.write() as s:
        boards.create_board(s, "NWC", "Northwind Coffee", "Roaster,\n\"two\" cafés")
        boards.create_board(s, "CEO", "Maya — CEO voice", "",
                            specs=[boards.refdata.ColumnSpec("Todo"), boards.refdata.ColumnSpec("Doing", wip=2),
                                   boards.refdata.ColumnSpec("Done", done=True)])
    for i, title in enumerate(TRICKY_TITLES):
        add(store, cfg, title=title, board="NWC", role="writer", channels=["linkedin", "x"], tags=["launch", f"t{i}"],
            notes=f"line one, \"quoted\"\nline two; {title}\n\ttabbed", due_at="2026-12-01 10:00",
            publish_at="2026-12-02T08:30Z", estimate_minutes="1h30", spent_minutes="20", priority="2",
            popup=i % 2 == 0, campaign="Winter, Blend", pillar="education")
    piece = add(store, cfg, title="30s video", board="NWC", column="In progress", role="producer")
    for step in ("Script", "Shoot", "Edit"):
        add(store, cfg, title=step, board="NWC", parent=piece, column="Planned")
    add(store, cfg, title="Shipped post", board="NWC", column="Published", channels=["instagram"])
    add(store, cfg, title="Ghost post", board="CEO", role="writer")
    add(store, cfg, title="Interview prep", board="CEO", column="Doing")
    with store.write() as s:  # reorder: NWC-1 goes to the bottom of Ideas
        cards.move_card(s, "NWC-1", "Planned")
        cards.move_card(s, "NWC-1", "Ideas")
    return store


def listing(store: Store, cfg: Config, board: str | None = None) -> list[dict[str, Any]]:
    with store.read() as s:
        return cards.list_cards(s, cfg, CardFilter(include_done=True, board=board))


def dump(store: Store, cfg: Config, fmt: str, board: str | None = None) -> str:
    out = io.StringIO(newline="")
    exchange.export(store, cfg, fmt, out, board=board)
    return out.getvalue()


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Store]:
    s = open_store(str(tmp_path / "target.db"))
    yield s
    s.close()


def counts(store: Store) -> tuple[int, int, int]:
    with store.read() as s:
        return (len(s.exec(select(Board)).all()), len(s.exec(select(Card)).all()),
                len(s.exec(select(HistoryEntry)).all()))


# --- Export and round trips --------------------------------------------------------------------------

def test_json_export_document(filled: Store, cfg: Config) -> None:
    doc = json.loads(dump(filled, cfg, "json"))
    assert doc["format"] == "organizer" and doc["version"] == 1
    assert datetime.fromisoformat(doc["exported"]).utcoffset() is not None
    assert [b["key"] for b in doc["boards"]] == ["NWC", "CEO"]
    assert doc["boards"][1]["columns"] == [{"name": "Todo", "wip": None, "done": False},
                                           {"name": "Doing", "wip": 2, "done": False},
                                           {"name": "Done", "wip": None, "done": True}]
    assert doc["cards"] == listing(filled, cfg)
    assert any(c["column"] == "Published" and c["completed"] for c in doc["cards"])


def test_json_round_trip(filled: Store, target: Store, cfg: Config) -> None:
    text = dump(filled, cfg, "json")
    assert exchange.import_text(target, cfg, "json", text, source="cards.json") == 11
    assert listing(target, cfg) == listing(filled, cfg)
    again = json.loads(dump(target, cfg, "json"))
    first = json.loads(text)
    assert again["boards"] == first["boards"] and again["cards"] == first["cards"]
    with target.read() as s:  # next numbers continue after the imported ones
        assert {b.key: b.next_number for b in s.exec(select(Board))} == {"NWC": 10, "CEO": 3}
    with filled.read() as s:
        positions = [c.position for c in s.exec(select(Card).where(Card.column_id == 1).order_by(Card.position))]
    assert len(positions) > 1


def test_csv_round_trip(filled: Store, target: Store, cfg: Config) -> None:
    text = dump(filled, cfg, "csv")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == exchange.CARD_KEYS
    by_title = {r[3]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_title["Launch [draft]"]["channels"] == "linkedin;x"
    assert by_title["Launch [draft]"]["popup"] == "false" and by_title["[/bold] oops"]["popup"] == "true"
    assert by_title["Ghost post"]["due"] == "" and by_title["Script"]["parent"] == "NWC-5"
    # CSV carries no board definitions: the CEO board comes back with the default workflow, and its
    # cards' columns must exist there, so give it one first.
    with target.write() as s:
        boards.create_board(s, "CEO", "Maya", specs=[boards.refdata.ColumnSpec(n) for n in ("Todo", "Doing", "Done")])
    assert exchange.import_text(target, cfg, "csv", text, source="cards.csv") == 11
    for key in ("NWC", "CEO"):  # the boards' ids differ, hence their order in a full listing
        assert listing(target, cfg, key) == listing(filled, cfg, key)


def test_csv_round_trip_into_empty_database(store: Store, target: Store, cfg: Config) -> None:
    for title in TRICKY_TITLES:
        add(store, cfg, title=title, notes="a,b\n\"c\"", channels=["x"], tags=["k"], column="Review")
    exchange.import_text(target, cfg, "csv", dump(store, cfg, "csv"), source="cards.csv")
    assert listing(target, cfg) == listing(store, cfg)


def test_one_board_export(filled: Store, cfg: Config) -> None:
    doc = json.loads(dump(filled, cfg, "json", board="ceo"))
    assert [b["key"] for b in doc["boards"]] == ["CEO"]
    assert {c["board"] for c in doc["cards"]} == {"CEO"} and len(doc["cards"]) == 2
    rows = list(csv.DictReader(io.StringIO(dump(filled, cfg, "csv", board="CEO"), newline="")))
    assert [r["id"] for r in rows] == ["CEO-1", "CEO-2"]
    with pytest.raises(InputError, match=r"board 'ACME' does not exist: known boards are NWC, CEO"):
        dump(filled, cfg, "json", board="ACME")


# --- All or nothing ------------------------------------------------------------------------------------

def csv_text(*rows: str, header: str = "id,board,title,column,role") -> str:
    return "\n".join([header, *rows]) + "\n"


def test_one_bad_row_imports_nothing(store: Store, cfg: Config) -> None:
    text = csv_text("NWC-1,NWC,One,Ideas,writer", "NWC-2,NWC,Two,Ideas,", "NWC-7,NWC,Bad,Ideas,poet",
                    "NWC-3,NWC,Three,Review,analyst")
    before = counts(store)
    with pytest.raises(InputError) as err:
        exchange.import_text(store, cfg, "csv", text, source="cards.csv")
    assert str(err.value).startswith("cards.csv: row 4 (NWC-7): role 'poet' is not known: use one of strategist")
    assert counts(store) == before == (0, 0, 0)


def test_json_bad_card_is_named_and_nothing_written(filled: Store, target: Store, cfg: Config) -> None:
    doc = json.loads(dump(filled, cfg, "json"))
    doc["cards"][2]["role"] = "poet"
    doc["cards"][5]["due"] = "someday"
    with pytest.raises(InputError) as err:
        exchange.import_text(target, cfg, "json", json.dumps(doc), source="cards.json")
    message = str(err.value)
    assert message.startswith(f"cards.json: card 3 ({doc['cards'][2]['id']}): role 'poet' is not known")
    assert f"card 6 ({doc['cards'][5]['id']}): due: " in message and "someday" in message
    assert "\n" not in message
    assert counts(target) == (0, 0, 0)


def test_many_problems_are_capped(store: Store, cfg: Config) -> None:
    text = csv_text(*(f"NWC-{i},NWC,Card {i},Nowhere,writer" for i in range(1, 10)))
    with pytest.raises(InputError) as err:
        exchange.import_text(store, cfg, "csv", text, source="f.csv")
    message = str(err.value)
    assert message.count("column 'Nowhere' is not a column of board NWC") == 5
    assert message.endswith("; and 4 more")


def test_column_must_exist_on_its_board(filled: Store, cfg: Config) -> None:
    with pytest.raises(InputError, match=r"row 2 \(CEO-9\): column 'Review' is not a column of board CEO"):
        exchange.import_text(filled, cfg, "csv", csv_text("CEO-9,CEO,X,Review,"), source="f.csv")


@pytest.mark.parametrize(("row", "expected"), [
    ("NWC-1,NWC,One,maybe,,", "row 2 (NWC-1): popup 'maybe' is not valid: use true or false"),
    ("NWC-1,NWC,One,,3 days,", "row 2 (NWC-1): estimate_minutes: can't read duration '3 days'"),
    ("NWC-1,ACME,One,,,", "row 2 (NWC-1): id 'NWC-1' does not match board ACME"),
    ("NWC-1,NWC,One,,,2", "row 2 (NWC-1): step 2 is given without a parent"),
    ("NWC-1,NWC,,,,", "row 2 (NWC-1): title is empty"),
    ("NWC-1,N W C,One,,,", "row 2 (NWC-1): board key 'N W C' is not valid"),
])
def test_bad_values_are_named(store: Store, cfg: Config, row: str, expected: str) -> None:
    with pytest.raises(InputError) as err:
        exchange.import_text(store, cfg, "csv", f"id,board,title,popup,estimate_minutes,step\n{row}\n", source="f.csv")
    assert str(err.value).startswith(f"f.csv: {expected}")


def test_values_are_read_like_the_cli_reads_them(store: Store, cfg: Config) -> None:
    text = ("board,title,estimate_minutes,spent_minutes,priority,popup,channels,tags,due\n"
            "NWC,A,1h30,45m,urgent,yes,LinkedIn,#launch;video,2026-12-01 09:30\n")
    exchange.import_text(store, cfg, "csv", text, source="f.csv")
    card = listing(store, cfg)[0]
    assert (card["estimate_minutes"], card["spent_minutes"], card["priority"], card["popup"]) == (90, 45, 1, True)
    assert (card["channels"], card["tags"], card["due"]) == (["linkedin"], ["launch", "video"],
                                                            "2026-12-01T09:30:00+01:00")


def test_duplicates_in_the_file_are_refused(store: Store, cfg: Config) -> None:
    with pytest.raises(InputError, match=r"row 3 \(NWC-1\): NWC-1 is also row 2 \(NWC-1\)"):
        exchange.import_text(store, cfg, "csv", csv_text("NWC-1,NWC,A,,", "NWC-1,NWC,B,,"), source="f.csv")
    doc = {"format": "organizer", "version": 1, "boards": [{"key": "ACME"}, {"key": "acme"}], "cards": []}
    with pytest.raises(InputError, match="board 2: board ACME appears twice in the file"):
        exchange.import_text(store, cfg, "json", json.dumps(doc), source="f.json")
    assert counts(store) == (0, 0, 0)


def test_json_boards_are_created_with_their_columns(store: Store, cfg: Config) -> None:
    doc = {"format": "organizer", "version": 1, "boards": [
        {"key": "ACME", "name": "Acme \x1b[2JCoffee", "description": "d", "columns": [
            {"name": "Backlog", "wip": None, "done": False}, {"name": "Live", "wip": 3, "done": True}]}],
        "cards": [{"board": "ACME", "title": "Done thing", "column": "live"}]}
    assert exchange.import_text(store, cfg, "json", json.dumps(doc), source="f.json") == 1
    out = json.loads(dump(store, cfg, "json"))
    assert out["boards"] == [{"key": "ACME", "name": "Acme Coffee", "description": "d", "columns": [
        {"name": "Backlog", "wip": None, "done": False}, {"name": "Live", "wip": 3, "done": True}]}]
    assert out["cards"][0]["id"] == "ACME-1" and out["cards"][0]["completed"] is not None


# --- Numbers, parents, renumbering ---------------------------------------------------------------------

def test_clash_is_refused_then_renumbered(filled: Store, cfg: Config) -> None:
    text = dump(filled, cfg, "json", board="NWC")
    before = listing(filled, cfg)
    with pytest.raises(InputError) as err:
        exchange.import_text(filled, cfg, "json", text, source="nwc.json")
    assert "card numbers already used: NWC-1, NWC-2, NWC-3, NWC-4, NWC-5 and 4 more" in str(err.value)
    assert "--renumber" in str(err.value)
    assert listing(filled, cfg) == before
    assert exchange.import_text(filled, cfg, "json", text, renumber=True, source="nwc.json") == 9
    after = listing(filled, cfg, "NWC")
    new = [c for c in after if c["number"] >= 10]
    assert sorted(c["number"] for c in new) == list(range(10, 19))
    piece = next(c for c in new if c["title"] == "30s video")
    steps = sorted((c for c in new if c["parent"] == piece["id"]), key=lambda c: c["step"])
    assert [(c["title"], c["step"]) for c in steps] == [("Script", 1), ("Shoot", 2), ("Edit", 3)]
    assert add(filled, cfg, title="Next", board="NWC") == "NWC-19"


def test_number_kept_and_next_number_bumped(filled: Store, cfg: Config) -> None:
    exchange.import_text(filled, cfg, "csv", "board,number,title\nNWC,500,Far away\n", source="f.csv")
    assert add(filled, cfg, title="After", board="NWC") == "NWC-501"


def test_parent_may_be_an_existing_card_and_steps_continue(filled: Store, cfg: Config) -> None:
    text = "board,title,parent,column\nNWC,Subtitles,NWC-5,Planned\nNWC,Upload,5,Planned\n"
    exchange.import_text(filled, cfg, "csv", text, source="f.csv")
    with filled.read() as s:
        view = cards.card_view(s, cfg, "NWC-5")
    assert view["steps"] == ["NWC-6", "NWC-7", "NWC-8", "NWC-10", "NWC-11"]
    assert [c["step"] for c in listing(filled, cfg, "NWC") if c["number"] in (10, 11)] == [4, 5]


@pytest.mark.parametrize(("row", "expected"), [
    ("NWC,A,NWC-99", "parent NWC-99 is neither in the file nor on board NWC"),
    ("NWC,A,NWC-6", "parent NWC-6 is a step itself"),
    ("NWC,A,CEO-1", "parent CEO-1 is on another board"),
])
def test_bad_parents(filled: Store, cfg: Config, row: str, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        exchange.import_text(filled, cfg, "csv", f"board,title,parent\n{row}\n", source="f.csv")


def test_minimal_csv_uses_default_board_and_cleans_text(store: Store, cfg: Config) -> None:
    text = "Title\n\"Evil \x1b[31mred\x1b[0m\x07 title\"\nPlain\n"
    assert exchange.import_text(store, cfg, "csv", text, source="f.csv") == 2
    got = listing(store, cfg)
    assert [(c["id"], c["title"], c["column"]) for c in got] == [("MAIN-1", "Evil red title", "Ideas"),
                                                                ("MAIN-2", "Plain", "Ideas")]
    assert got[0]["created"] is not None


def test_byte_order_mark_is_ignored(store: Store, cfg: Config) -> None:
    assert exchange.import_text(store, cfg, "csv", "\ufefftitle,board\nA,NWC\n", source="-") == 1


def test_timestamps_preserved_or_now(store: Store, cfg: Config) -> None:
    text = ("board,title,column,created,updated,completed,due\n"
            "NWC,Old,Published,2025-01-02T03:04:05+01:00,2025-02-03T04:05:06Z,,2026-12-01\n")
    exchange.import_text(store, cfg, "csv", text, source="f.csv")
    card = listing(store, cfg)[0]
    assert card["created"] == "2025-01-02T03:04:05+01:00" and card["updated"] == "2025-02-03T05:05:06+01:00"
    assert card["completed"] is not None  # a done column without a completion time: now
    assert card["due"] == "2026-12-01T17:30:00+01:00"  # a date alone: end of the working day


# --- History -------------------------------------------------------------------------------------------

def test_undo_removes_the_whole_import_and_redo_brings_it_back(filled: Store, target: Store, cfg: Config) -> None:
    with target.write() as s:
        boards.create_board(s, "NWC", "Mine")
    add(target, cfg, title="Mine", board="NWC")
    exchange.import_text(target, cfg, "json", dump(filled, cfg, "json", board="CEO"), source="ceo.json")
    before = listing(target, cfg)
    with target.write() as s:
        entry = s.exec(select(HistoryEntry).order_by(HistoryEntry.id.desc())).first()  # type: ignore[union-attr]
        assert entry is not None and entry.summary == "import 2 cards from ceo.json" and entry.origin == "cli"
        changes = json.loads(entry.changes)
        assert [c["table"] for c in changes] == ["board", "card", "card"]
        for ch in changes:  # the snapshots are exactly what history.snapshot sees
            assert ch["before"] is None and ch["after"] == history.snapshot(s, ch["table"], ch["id"])
        assert history.undo(s) == "import 2 cards from ceo.json"
    assert [c["title"] for c in listing(target, cfg)] == ["Mine"]
    assert counts(target)[0] == 1
    with target.write() as s:
        history.redo(s)
    # Redo stamps `updated` anew (for calendar clients an undo or redo is a newer change); the rest is exact.
    assert [{**c, "updated": None} for c in listing(target, cfg)] == [{**c, "updated": None} for c in before]


def test_undo_after_steps_import(filled: Store, target: Store, cfg: Config) -> None:
    exchange.import_text(target, cfg, "json", dump(filled, cfg, "json"), source="all.json")
    with target.write() as s:
        history.undo(s)
    assert counts(target)[:2] == (0, 0)


# --- The command line ----------------------------------------------------------------------------------

def test_cli_export_import_and_undo(filled: Store, cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "all.json"
    r = cli("export", "json", "-o", str(out))
    assert r.code == 0 and "exported 11 cards" in r.err
    other = str(tmp_path / "other.db")
    r = cli("--db", other, "import", "json", str(out))
    assert (r.code, r.out) == (0, "imported 11 cards\n")
    assert cli("--db", other, "undo").out == f"undid: import 11 cards from {out}\n"
    r = cli("export", "csv")
    assert r.code == 0 and r.out.startswith("id,board,number,title,")


@pytest.mark.parametrize(("name", "content", "fmt", "expected"), [
    ("notjson.json", "id,title\n1,x\n", "json", "notjson.json is not valid JSON: Expecting value: line 1 column 1"),
    ("wrong.json", '{"format": "trello", "cards": []}', "json", "wrong.json is not an Organizer export"),
    ("list.json", "[]", "json", "list.json is not an Organizer export"),
    ("v2.json", '{"format": "organizer", "version": 2}', "json", "v2.json is export version 2"),
    ("empty.json", "", "json", "empty.json is empty"),
    ("empty.csv", "\n\n", "csv", "empty.csv is empty"),
    ("notitle.csv", "name,board\nx,NWC\n", "csv", "notitle.csv has no 'title' column"),
    ("unknown.csv", "title,colour\nx,red\n", "csv", "unknown.csv: column 'colour' in the first row is unknown"),
    ("badcol.csv", "title,column\nx,Someday\n", "csv", "badcol.csv: row 2: column 'Someday' is not a column"),
    ("badquote.csv", 'title\n"unterminated\n', "csv", "badquote.csv is not valid CSV: line 2: unexpected end"),
    ("field.json", '{"format": "organizer", "version": 1, "cards": [{"title": "x", "colour": 1}]}', "json",
     "field.json: card 1: unknown field 'colour'"),
])
def test_bad_files_exit_2_with_one_line(cli: Any, tmp_path: Path, name: str, content: str, fmt: str,
                                        expected: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    r = cli("import", fmt, str(path))
    assert r.code == 2, r.err
    assert r.err.startswith(f"organizer: {tmp_path / expected}"), r.err
    assert r.err.count("\n") == 1 and r.err.endswith("\n")
    assert r.out == ""


def test_missing_file_and_unknown_board_exit_2(filled: Store, cli: Any, tmp_path: Path) -> None:
    r = cli("import", "json", str(tmp_path / "nope.json"))
    assert r.code == 2 and "does not exist" in r.err
    r = cli("export", "json", "--board", "ACME")
    assert r.code == 2
    assert r.err == "organizer: board 'ACME' does not exist: known boards are NWC, CEO\n"
    r = cli("export", "csv", "--board", "not-a-key!")
    assert r.code == 2 and "known boards are NWC, CEO" in r.err
