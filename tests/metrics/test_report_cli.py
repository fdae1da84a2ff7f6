"""`organizer report` on SQLite and PostgreSQL, in all four formats: posts made through the CLI, numbers typed in
with `metrics add`, one title and one pillar hostile (set in the database: the CLI would clean them on input)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from organizer.cli.report_commands import CSV_COLUMNS
from organizer.storage.adapters import open_storage
from organizer.storage.plain import Db

pytestmark = pytest.mark.backends

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=PARIS)
HOSTILE_TITLE = "Pipe | split \x1b[31mred\x1b[0m\x07 title"

# (title, channel, publish, text, pillar, tags, read at, impressions, likes)
POSTS = [
    ("Brewing tips", "linkedin", "2026-11-23 09:10", "Brewing tips ☕ https://example.com/guide", "education", (),
     "2026-11-25 09:10", 1000, 40),
    ("Long read", "linkedin", "2026-11-23 09:40", "x" * 150, "education", (), "2026-11-25 09:40", 2000, 60),
    ("New roast", "linkedin", "2026-11-16 09:05", "New roast 🎉🔥 #coffee #roast #winter", "product", (),
     "2026-11-18 09:05", 500, 10),
    ("Thread", "x", "2026-11-24 12:00", "b" * 250, "product", (), "2026-11-26 12:00", 1000, 80),
    ("Reel", "instagram", "2026-11-24 12:30", "Reel time 😀😀😀😀 #reel", None, ("video",), "2026-11-26 12:30",
     400, 24),
    ("Old post", "linkedin", "2026-08-01 10:00", "long ago", "education", (), "2026-08-03 10:00", 100, 50),
]


@pytest.fixture
def posted(cli: Any, db_location: str) -> Any:
    with time_machine.travel(NOW, tick=False):
        for n, (title, channel, publish, text, pillar, tags, read_at, impressions, likes) in enumerate(POSTS, 1):
            extra = [*(("--pillar", pillar) if pillar else ()), *(a for t in tags for a in ("--tag", t))]
            r = cli("add", title, "--channel", channel, "--publish", publish, *extra)
            assert r.code == 0, r.err
            r = cli("variant", f"MAIN-{n}", channel, "--text", text, "--status", "published")
            assert r.code == 0, r.err
            r = cli("metrics", "add", f"MAIN-{n}", "-c", channel, "--at", read_at, "--impressions", str(impressions),
                    "--likes", str(likes))
            assert r.code == 0, r.err
    storage = open_storage(db_location)
    try:
        with storage.write() as session:
            db = Db(session)
            db.rows("UPDATE card SET title = :t WHERE number = 4", {"t": HOSTILE_TITLE}, fetch=False)
            db.rows("UPDATE card SET pillar = :p WHERE number = 3", {"p": "=HYPERLINK(\"x\")"}, fetch=False)
    finally:
        storage.close()
    return cli


def report(cli: Any, *args: str) -> Any:
    with time_machine.travel(NOW, tick=False):
        r = cli("report", *args)
    assert r.code == 0, r.err
    return r


def test_json_is_the_whole_report(posted: Any) -> None:
    data = json.loads(report(posted, "--json").out)
    assert data["metric"] == "engagement_rate" and data["timezone"] == "Europe/Paris"
    assert data["start"] == "2026-09-02T00:00:00+02:00" and data["end"] == "2026-12-01T00:00:00+01:00"  # 90 days
    assert [p["ref"] for p in data["posts"]] == ["MAIN-3", "MAIN-1", "MAIN-2", "MAIN-4", "MAIN-5"]  # not MAIN-6
    assert data["overall"]["mean_rate"] == pytest.approx(0.046)  # (0.04 + 0.03 + 0.02 + 0.08 + 0.06) / 5
    assert data["overall"]["median_rate"] == pytest.approx(0.04)
    assert data["heatmap"]["best"] == [{"weekday": 0, "hour": 9, "posts": 3, "mean": pytest.approx(0.03),
                                        "sparse": False}]
    assert [p["ref"] for p in data["top"]] == ["MAIN-4", "MAIN-5", "MAIN-1", "MAIN-2", "MAIN-3"]
    video = next(f for f in data["features"] if f["feature"] == "video")
    assert [(lv["level"], lv["posts"]) for lv in video["levels"]] == [("no", 4), ("yes", 1)]


def test_text_has_aligned_sections_a_compact_grid_and_clean_titles(posted: Any) -> None:
    out = report(posted).out
    for heading in ("By channel", "By pillar", "Best times", "By day and hour", "Top 5", "Features"):
        assert f"\n{heading}\n" in out
    assert "Report · all boards · Wed 02 Sep 2026 – Mon 30 Nov 2026" in out
    assert "5 published posts · 5 measured · 5 with impressions" in out
    assert "  1  Mon 09:00–10:00        3.0%      3" in out
    grid = out.split("\nBy day and hour\n")[1].split("\n\n")[0].splitlines()
    assert grid[1:] == ["        09h", "  Mon  3.0%"]  # only the hour with a slot of 3 posts, not 168 cells
    assert "\x1b" not in out and "\x07" not in out
    assert "Pipe | split red title" in out
    channel_rows = out.split("\nBy channel\n")[1].split("\n\n")[0].splitlines()
    assert channel_rows[0].split() == ["CHANNEL", "POSTS", "MEASURED", "W/", "IMPRESSIONS", "MEAN", "RATE", "MEDIAN",
                                       "RATE", "MEAN", "INTERACTIONS"]
    assert channel_rows[1].split() == ["linkedin", "3", "3", "3", "3.0%", "3.0%", "36.7"]
    assert len({len(row) for row in channel_rows}) == 1  # aligned: every row as wide
    emoji = out.split("\nFeatures\n")[1].splitlines()
    assert "  emoji     0           2        5.5%  +0.9 pts  few posts" in emoji


def test_markdown_tables_escape_user_text(posted: Any) -> None:
    out = report(posted, "--format", "md").out
    assert out.startswith("# Report · all boards")
    assert "| CHANNEL | POSTS | MEASURED | W/ IMPRESSIONS | MEAN RATE | MEDIAN RATE | MEAN INTERACTIONS |" in out
    assert "|---|---:|---:|---:|---:|---:|---:|" in out
    assert "| 1 | MAIN-4 | x | 8.0% | Tue 24 Nov 2026 12:00 | Pipe \\| split red title |" in out
    assert "\x1b" not in out
    ranked = [line for line in out.splitlines() if line.startswith("| 1 | MAIN-4")]
    assert ranked and all(line.replace("\\|", "").count("|") == 7 for line in ranked)  # still six cells


def test_csv_is_one_row_per_post(posted: Any) -> None:
    rows = list(csv.reader(io.StringIO(report(posted, "--format", "csv").out)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[0] for r in rows[1:]] == ["MAIN-3", "MAIN-1", "MAIN-2", "MAIN-4", "MAIN-5"]
    first = dict(zip(CSV_COLUMNS, rows[2], strict=True))
    assert first == {"ref": "MAIN-1", "channel": "linkedin", "pillar": "education",
                     "published": "2026-11-23T09:10:00+01:00", "impressions": "1000", "interactions": "40",
                     "engagement_rate": "0.040000", "emoji": "1", "length": "40", "has_link": "true",
                     "has_video": "false", "hashtags": "0"}
    assert rows[1][2] == "'=HYPERLINK(\"x\")"  # a formula shown as text in a spreadsheet
    assert rows[5][1:3] == ["instagram", ""] and rows[5][10] == "true"


def test_range_and_board(posted: Any) -> None:
    data = json.loads(report(posted, "--from", "2026-11-20", "--to", "2026-11-23", "--json").out)
    assert [p["ref"] for p in data["posts"]] == ["MAIN-1", "MAIN-2"]  # a bare --to date runs through that day
    assert data["end"] == "2026-11-24T00:00:00+01:00"
    old = json.loads(report(posted, "--from", "2026-07-01", "--to", "2026-08-31", "--board", "main", "--json").out)
    assert [p["ref"] for p in old["posts"]] == ["MAIN-6"] and old["board"] == "MAIN"
    assert old["overall"]["mean_rate"] == pytest.approx(0.5)


@pytest.mark.parametrize(("args", "message"), [
    (("--board", "ZZ"), "board 'ZZ' does not exist"),
    (("--from", "someday"), "--from:"),
    (("--from", "2026-11-20", "--to", "2026-11-10"), "--to must come after --from"),
])
def test_bad_input_is_named(posted: Any, args: tuple[str, ...], message: str) -> None:
    with time_machine.travel(NOW, tick=False):
        r = posted("report", *args)
    assert r.code == 2 and message in r.err


@pytest.mark.parametrize("fmt", ["text", "md", "csv", "json"])
def test_no_posts_is_an_empty_report_in_every_format(cli: Any, fmt: str) -> None:
    with time_machine.travel(NOW, tick=False):
        assert cli("add", "A draft", "--channel", "x").code == 0
    r = report(cli, *(("--json",) if fmt == "json" else ("--format", fmt)))
    if fmt == "json":
        data = json.loads(r.out)
        assert data["empty"] is True and data["empty_reason"] == "no published posts in this range"
    elif fmt == "csv":
        assert r.out.splitlines() == [",".join(CSV_COLUMNS)]
    else:
        assert "no published posts in this range" in r.out and "Traceback" not in r.err
