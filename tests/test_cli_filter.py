"""`organizer list --filter` and the board's `/` find exactly the same cards (the one filter language).

A hypothesis property test builds random cards on a real database and random filters from the
grammar, and compares `visible()` over the board as `load_board` reads it with what `organizer list
--all --board NWC --filter … --json` prints (run in-process), under a fixed clock.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from organizer.boardview import View, load_board, visible
from organizer.cli.main import main
from organizer.config import Config, build_config
from organizer.storage import quick
from organizer.storage.orm import open_store
from organizer.validate import CardFields

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)  # a Wednesday
WORDS = ["winter", "Launch", "reel", "roaster", "Blend", "post", "video", "Q&A", "café"]
TAGS = ["video", "Launch", "q4", "evergreen"]
ROLES = ["strategist", "writer", "producer", "planner", "community", "analyst"]
CHANNELS = ["x", "linkedin", "instagram", "tiktok", "youtube"]
COLUMNS = ["Ideas", "Planned", "In progress", "Published", "Measured"]  # the last two are done columns
CAMPAIGNS = [None, "Winter Blend launch", "Open Roastery"]
PILLARS = [None, "education", "Product", "community"]


@pytest.fixture
def board(isolated_paths: Path) -> Iterator[tuple[Path, Config]]:
    """An empty NWC board on the test's database, with a config file in Paris."""
    config = isolated_paths / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('timezone = "Europe/Paris"\n')
    db = isolated_paths / "organizer.db"
    open_store(str(db), create=True).close()
    assert main(["boards", "add", "NWC", "Northwind"]) == 0
    yield db, build_config({"timezone": "Europe/Paris"})


def _cli_list(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    capsys.readouterr()
    code = main(["list", "--all", "--json", *args])
    out = capsys.readouterr()
    return code, json.loads(out.out) if code == 0 else None, out.err


def _board_refs(db: Path, cfg: Config, text: str) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        data = load_board(conn, cfg, "NWC")
    finally:
        conn.close()
    assert data is not None
    return {c.ref for col in data.columns for c in visible(col.cards, View(text=text), cfg=cfg)}


def _add(db: Path, cfg: Config, cards: list[CardFields]) -> None:
    conn = quick.connect(str(db))
    try:
        conn.rows("DELETE FROM card_channel", fetch=False)
        conn.rows("DELETE FROM card_tag", fetch=False)
        conn.rows("DELETE FROM card", fetch=False)
        for f in cards:
            quick.add(conn, cfg, f)
    finally:
        conn.close()


words = st.sampled_from(WORDS)
due_times = st.one_of(st.none(), st.integers(-3 * 24 * 60, 9 * 24 * 60).map(
    lambda m: (NOW + timedelta(minutes=m)).replace(second=0)))
cards_strategy = st.lists(st.builds(
    CardFields,
    title=st.lists(words, min_size=1, max_size=4).map(" ".join),
    notes=st.lists(words, max_size=3).map(" ".join),
    tags=st.lists(st.sampled_from(TAGS), max_size=2, unique=True),
    role=st.one_of(st.none(), st.sampled_from(ROLES)),
    priority=st.integers(1, 4),
    due_at=due_times,
    channels=st.lists(st.sampled_from(CHANNELS), max_size=2, unique=True),
    popup=st.booleans(),
    campaign=st.sampled_from(CAMPAIGNS),
    pillar=st.sampled_from(PILLARS),
    column=st.sampled_from(COLUMNS),
), min_size=1, max_size=12)


def _cased(word: str) -> st.SearchStrategy[str]:
    return st.sampled_from([word, word.lower(), word.upper()])


due_terms = st.sampled_from(["today", "tomorrow", "week", "overdue", "overdue", "fri", "eow", '"tomorrow 10:00"',
                             "+2d", "yesterday", "now", "2026-12-04"]).map(lambda d: f"due:{d}")
terms = st.one_of(
    words.flatmap(_cased),
    st.lists(words, min_size=2, max_size=2).map(lambda w: f'"{w[0]} {w[1]}"'),
    st.sampled_from(["NWC-1", "nwc-2", "NWC-1"]),
    st.sampled_from(TAGS).flatmap(_cased).map(lambda t: f"#{t}"),
    st.sampled_from(ROLES).map(lambda r: f"@{r}"),
    st.integers(1, 4).map(lambda p: f"!{p}"),
    due_terms,
    due_terms,
    st.sampled_from(["edu", "product", "Community"]).map(lambda p: f"pillar:{p}"),
    st.sampled_from(["winter", '"open roastery"', "blend"]).map(lambda c: f"campaign:{c}"),
    st.sampled_from(["instagram", "ig", "LinkedIn", "x", "tiktok"]).map(lambda c: f"channel:{c}"),
    st.just("is:popup"),
)
filters = st.lists(terms, min_size=1, max_size=3).map(" ".join)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(cards=cards_strategy, texts=st.lists(filters, min_size=1, max_size=6))
def test_list_filter_finds_what_the_board_shows(board: tuple[Path, Config], capsys: pytest.CaptureFixture[str],
                                                cards: list[CardFields], texts: list[str]) -> None:
    db, cfg = board
    with time_machine.travel(NOW, tick=False):
        _add(db, cfg, cards)
        for text in texts:
            code, listed, err = _cli_list(capsys, "--board", "NWC", "--filter", text)
            assert code == 0, err
            assert {c["id"] for c in listed} == _board_refs(db, cfg, text), text


def test_filter_combines_with_the_list_flags(board: tuple[Path, Config], capsys: pytest.CaptureFixture[str]) -> None:
    db, cfg = board
    with time_machine.travel(NOW, tick=False):
        _add(db, cfg, [CardFields(title="Winter reel", role="writer", priority=1),
                       CardFields(title="Winter post", role="producer", priority=1),
                       CardFields(title="Winter recap", role="writer", priority=1, column="Published")])
        _, listed, _ = _cli_list(capsys, "--filter", "winter !1", "--role", "writer")
        assert [c["title"] for c in listed] == ["Winter reel", "Winter recap"]
        capsys.readouterr()
        assert main(["list", "--json", "--filter", "winter !1"]) == 0
        assert [c["title"] for c in json.loads(capsys.readouterr().out)] == ["Winter reel", "Winter post"]


@pytest.mark.parametrize(("text", "message"), [
    ("!7", "organizer: --filter: '!7': priority is 1 to 4"),
    ("@nobody", "organizer: --filter: '@nobody': unknown role; roles: strategist, writer"),
    ("due:blah", "organizer: --filter: 'due:blah': can't read date 'blah'"),
    ("foo:bar", "organizer: --filter: 'foo:bar': unknown field 'foo'; fields: due, pillar, campaign, channel, is"),
])
def test_a_bad_filter_exits_2_with_one_line(board: tuple[Path, Config], capsys: pytest.CaptureFixture[str],
                                            text: str, message: str) -> None:
    capsys.readouterr()
    assert main(["list", "--filter", text]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert len(out.err.strip().splitlines()) == 1
    assert out.err.startswith(message)


def test_an_empty_filter_is_refused(board: tuple[Path, Config], capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["list", "--filter", " "]) == 2
    assert "--filter" in capsys.readouterr().err


def test_the_full_path_filters_too(board: tuple[Path, Config], capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """When the quick path cannot read the database, the services' list is filtered the same way."""
    db, cfg = board
    with time_machine.travel(NOW, tick=False):
        _add(db, cfg, [CardFields(title="Winter reel", due_at=NOW - timedelta(hours=1), tags=["video"]),
                       CardFields(title="Winter done", due_at=NOW - timedelta(hours=1), column="Published"),
                       CardFields(title="Summer", due_at=NOW + timedelta(days=1), notes="winter later")])
        lean_found = {text: _cli_list(capsys, "--filter", text)[1] for text in ("winter", "due:overdue", "#video")}

        def not_lean(location: str) -> None:
            raise quick.NotQuick("test")

        monkeypatch.setattr(quick, "connect", not_lean)
        for text, expected in lean_found.items():
            assert _cli_list(capsys, "--filter", text)[1] == expected, text
        assert [c["title"] for c in lean_found["due:overdue"]] == ["Winter reel"]
