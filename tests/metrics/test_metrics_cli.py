"""`organizer metrics add` and `list` on SQLite and PostgreSQL: a snapshot typed in, read back with its age and
engagement rate; bad input named, nothing written."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

pytestmark = pytest.mark.backends

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=PARIS)


@pytest.fixture
def posted(cli: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        assert cli("add", "Launch post", "--channel", "linkedin,bluesky", "--publish", "2026-11-28 09:00").code == 0
        assert cli("add", "Not out yet", "--channel", "x").code == 0
        assert cli("variant", "MAIN-2", "x", "--text", "Soon").code == 0
        for channel in ("linkedin", "bluesky"):
            assert cli("variant", "MAIN-1", channel, "--text", "Winter Blend is here", "--status", "published",
                       "--url", f"https://example.org/{channel}/1").code == 0
        yield cli


def test_a_snapshot_typed_in_reads_back_with_its_age_and_rate(posted: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        r = posted("metrics", "add", "MAIN-1", "-c", "linkedin", "--at", "2026-11-30 09:00", "--impressions", "1200",
                   "--likes", "30", "--replies", "6", "--json")
        assert r.code == 0, r.err
        rows = json.loads(posted("metrics", "list", "MAIN-1", "--json").out)
    assert len(rows) == 1
    row = rows[0]
    assert (row["id"], row["channel"], row["source"], row["age_hours"]) == ("MAIN-1", "linkedin", "manual", 48.0)
    assert row["impressions"] == 1200 and row["reposts"] is None  # not given: unknown, not zero
    assert row["interactions"] == 36 and row["engagement_rate"] == pytest.approx(0.03)


def test_the_same_reading_twice_replaces_the_first(posted: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        for likes in ("10", "12"):
            assert posted("metrics", "add", "MAIN-1", "-c", "bluesky", "--at", "2026-11-30 09:00",
                          "--likes", likes).code == 0
        rows = json.loads(posted("metrics", "list", "--json").out)
    assert [(r["channel"], r["likes"], r["engagement_rate"]) for r in rows] == [("bluesky", 12, None)]


@pytest.mark.parametrize(("args", "message"), [
    (("MAIN-1", "--likes", "3"), "goes out on linkedin, bluesky: say which with --channel"),
    (("MAIN-1", "-c", "tiktok", "--likes", "3"), "has no tiktok variant"),
    (("MAIN-1", "-c", "linkedin"), "needs at least one count"),
    (("MAIN-1", "-c", "linkedin", "--likes", "-3"), "--likes -3 is not valid"),
    (("MAIN-1", "-c", "linkedin", "--likes", "3", "--at", "tomorrow 10:00"), "is in the future"),
    (("MAIN-9", "-c", "linkedin", "--likes", "3"), "has no post variants"),
    (("MAIN-2", "-c", "x", "--likes", "3"), "MAIN-2 x is not published (status draft)"),
])
def test_bad_input_is_named_and_nothing_is_written(posted: Any, args: tuple[str, ...], message: str) -> None:
    with time_machine.travel(NOW, tick=False):
        r = posted("metrics", "add", *args)
        assert r.code == 2 and message in r.err, r.err
        assert json.loads(posted("metrics", "list", "--json").out) == []


def test_listing_an_unknown_board_names_the_boards(posted: Any) -> None:
    r = posted("metrics", "list", "--board", "NOPE")
    assert r.code == 2 and "NOPE" in r.err and "MAIN" in r.err


def test_json_is_taken_before_or_after_the_action(posted: Any) -> None:
    assert posted("metrics", "--json", "list").out.strip() == "[]"
    assert posted("metrics", "list", "--json").out.strip() == "[]"
    assert posted("experiment", "--json", "list").out.strip() == "[]"
    assert posted("boards", "--json", "list").out.startswith("[{")  # the same for boards
