"""`organizer metrics import`: the networks' CSV exports (LinkedIn, Meta's Facebook and Instagram, X) in the
encodings Excel leaves them in, matched to published posts by address or publish time, all or nothing.

The parsing tests need no database; the import tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from organizer.metrics import csvimport
from organizer.metrics.csvimport import decode, parse_count, parse_export, parse_time, read_export
from organizer.validate import InputError

pytestmark = pytest.mark.backends

FIXTURES = Path(__file__).parent / "fixtures"
PARIS = "Europe/Paris"


def fixture(name: str) -> str:
    return str(FIXTURES / name)


# --- numbers, times, encodings ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "count"), [
    ("1234", 1234), ("1,234", 1234), ("1 234", 1234), ("1\u202f234", 1234), ("1\u00a0234", 1234), ("1.234", 1234),
    ("12.345.678", 12345678), ("1,234,567", 1234567), ("424.0", 424), ("7,0", 7), ("0", 0), (" 56 ", 56),
    ("", None), ("-", None), ("N/A", None), ("n/a", None), ("—", None)])
def test_counts_as_the_exports_write_them(text: str, count: int | None) -> None:
    assert parse_count(text) == count


@pytest.mark.parametrize("text", ["12%", "4,5 %", "12a", "1.5", "-3", "1,23", "abc", "1e3"])
def test_what_is_not_a_count_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_count(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("2015-09-30 18:42 +0000", datetime(2015, 9, 30, 18, 42, tzinfo=UTC)),  # X's tweet activity
    ("2026-03-02T09:00:00Z", datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
    ("2026-03-02 09:00", datetime(2026, 3, 2, 8, 0, tzinfo=UTC)),  # no offset: the user's zone (CET)
    ("2026-07-02 9:05:30", datetime(2026, 7, 2, 7, 5, 30, tzinfo=UTC)),  # CEST
    ("03/27/2026 06:08", datetime(2026, 3, 27, 5, 8, tzinfo=UTC)),  # Meta, month first
    ("3/2/2026 9:05 PM", datetime(2026, 3, 2, 20, 5, tzinfo=UTC)),
    ("27.03.2026 10:00", datetime(2026, 3, 27, 9, 0, tzinfo=UTC)),  # dotted: day first
    ("03/02/2026", date(2026, 3, 2)),  # LinkedIn's created date
    ("Tue, Jul 14, 2026", date(2026, 7, 14)),  # X's 2024 content export
    ("2026-03-02", date(2026, 3, 2)),
    ("", None), ("-", None)])
def test_publish_times_as_the_exports_write_them(text: str, expected: object) -> None:
    assert parse_time(text, PARIS) == expected


def test_slashed_dates_are_day_first_when_the_file_says_so() -> None:
    assert parse_time("03/04/2026 10:00", PARIS, dayfirst=True) == datetime(2026, 4, 3, 8, 0, tzinfo=UTC)
    text = ("Permalink,Publish time,Likes\nhttps://facebook.com/p/1,03/04/2026 10:00,1\n"
            "https://facebook.com/p/2,25/04/2026 10:00,2\n")  # 25: the file's dates are day first
    rows = parse_export(text, tz=PARIS).rows
    assert [r.published for r in rows] == [datetime(2026, 4, 3, 8, 0, tzinfo=UTC),
                                           datetime(2026, 4, 25, 8, 0, tzinfo=UTC)]


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbfCaf\xc3\xa9", "Café".encode("utf-16"), b"\xfe\xff" + "Café".encode("utf-16-be"),
    "Café".encode("utf-16-le"), "Café".encode("cp1252"), "Café".encode()])
def test_encodings_excel_leaves_files_in(data: bytes) -> None:
    assert decode(data) == "Café"


# --- the fixtures, parsed -----------------------------------------------------------------------------------


def test_linkedin_utf8_bom_with_a_description_line_above_the_header() -> None:
    export = read_export(FIXTURES / "linkedin_bom.csv", tz=PARIS)
    assert export.format.key == "linkedin"
    assert export.columns == {"impressions": "Impressions", "likes": "Likes", "replies": "Comments",
                              "reposts": "Reposts", "link_clicks": "Clicks", "follows": "Follows"}
    first, second, _ = export.rows
    assert (first.line, first.day, first.published, first.channel) == (3, date(2026, 3, 2), None, "linkedin")
    assert first.counts == {"impressions": 1234, "likes": 78, "replies": 9, "reposts": 3, "link_clicks": 56,
                            "follows": 2}
    assert second.line == 4 and second.counts["follows"] is None  # a title over two lines; "-" is unknown


def test_facebook_semicolons_european_numbers_cp1252() -> None:
    export = read_export(FIXTURES / "facebook_semicolon_cp1252.csv", tz=PARIS)
    assert export.format.key == "meta"
    assert export.columns["impressions"] == "Views"  # Views before Reach; rates never mapped
    row = export.rows[0]
    assert row.channel == "facebook" and row.published == datetime(2026, 3, 6, 17, 4, tzinfo=UTC)
    assert row.counts == {"impressions": 2345, "likes": 80, "replies": 10, "reposts": 5, "link_clicks": 42}


def test_instagram_utf16_tab_separated_from_excel() -> None:
    export = read_export(FIXTURES / "instagram_utf16.csv", tz=PARIS)
    assert export.format.key == "meta" and [r.channel for r in export.rows] == ["instagram", "instagram"]
    assert export.rows[0].counts == {"impressions": 12400, "likes": 610, "replies": 57, "reposts": 88,
                                     "saves": 230, "follows": 41}


def test_x_tweet_activity() -> None:
    export = read_export(FIXTURES / "x_tweet_activity.csv", tz=PARIS)
    assert export.format.key == "x"
    assert export.columns == {"impressions": "impressions", "likes": "likes", "reposts": "retweets",
                              "replies": "replies", "link_clicks": "url clicks", "follows": "follows"}
    assert export.rows[0].counts["impressions"] == 4210 and export.rows[0].channel == "x"


def test_x_2024_content_export_is_not_taken_for_linkedin() -> None:
    text = ("Post id,Date,Post text,Post Link,Impressions,Likes,Engagements,Bookmarks,Shares,New follows,Replies,"
            "Reposts,Profile visits,Detail Expands,URL Clicks\n"
            '20740001,"Tue, Jul 14, 2026",Hello,https://x.com/nw/status/20740001,122978,12,300,4,0,1,2,3,129,200,66\n')
    export = parse_export(text, tz=PARIS)
    assert export.format.key == "x" and export.rows[0].day == date(2026, 7, 14)
    assert export.rows[0].counts == {"impressions": 122978, "likes": 12, "reposts": 3, "replies": 2,
                                     "bookmarks": 4, "link_clicks": 66, "follows": 1}


def test_meta_rows_say_their_network_by_platform_or_post_type_or_channel_flag() -> None:
    text = ("Permalink,Publish time,Platform,Likes\n,03/01/2026 10:00,Instagram,1\n,03/01/2026 11:00,Facebook,2\n"
            ",03/01/2026 12:00,,3\n")
    assert [r.channel for r in parse_export(text, tz=PARIS).rows] == ["instagram", "facebook", None]
    assert {r.channel for r in parse_export(text, tz=PARIS, channel="facebook").rows} == {"facebook"}
    with pytest.raises(InputError, match="meta export's posts are on facebook or instagram"):
        parse_export(text, tz=PARIS, channel="x")


def test_a_percentage_column_is_left_out_and_a_mixed_one_refused() -> None:
    text = "Permalink,Publish time,Likes,Link clicks\nhttps://facebook.com/1,03/01/2026 10:00,4,12%\n"
    export = parse_export(text, tz=PARIS)
    assert export.columns == {"likes": "Likes"} and export.skipped_columns == ("Link clicks",)
    assert export.rows[0].counts == {"likes": 4}
    mixed = text + "https://facebook.com/2,03/01/2026 11:00,5,7\n"
    with pytest.raises(InputError, match=r"line 2, column 'Link clicks': '12%' is a percentage among counts"):
        parse_export(mixed, tz=PARIS)


def test_unknown_header_lists_what_each_format_expects() -> None:
    with pytest.raises(InputError) as err:
        read_export(FIXTURES / "unknown_header.csv", tz=PARIS)
    message = str(err.value)
    assert "Day, Visitors, Bounce rate" in message
    for expected in ('linkedin (LinkedIn page posts): a post link ("Post link"', 'meta (Meta Business Suite, Facebook '
                     'and Instagram): a post link ("Permalink"', 'x (X analytics): a post link ("Tweet permalink"',
                     '"Publish time"', '"Created date"', '"Impressions"', '"url clicks"'):
        assert expected in message


def test_format_given_is_the_only_one_tried() -> None:
    with pytest.raises(InputError, match=r"x \(X analytics\): a post link") as err:
        read_export(FIXTURES / "unknown_header.csv", fmt="x", tz=PARIS)
    assert "linkedin (" not in str(err.value)
    assert read_export(FIXTURES / "linkedin_bom.csv", fmt="linkedin", tz=PARIS).format.key == "linkedin"
    # LinkedIn's header has X's "Post link", "Impressions", "Likes"…: its links' host says it is not X.
    with pytest.raises(InputError, match=r"fits a x export but its post links are on linkedin\.com"):
        read_export(FIXTURES / "linkedin_bom.csv", fmt="x", tz=PARIS)


def test_a_malformed_number_names_line_column_and_value() -> None:
    with pytest.raises(InputError, match=r"line 3, column 'likes': '12a' is not a whole number: nothing was imported"):
        read_export(FIXTURES / "x_malformed.csv", tz=PARIS)
    with pytest.raises(InputError, match=r"line 2, column 'Publish time': 'soon' is not a date or time"):
        parse_export("Permalink,Publish time,Likes\nhttps://facebook.com/1,soon,4\n", tz=PARIS)


def test_limits_size_rows_and_spreadsheets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.csv"
    shutil.copy(FIXTURES / "x_tweet_activity.csv", big)
    monkeypatch.setattr(csvimport, "MAX_BYTES", 100)
    with pytest.raises(InputError, match="an analytics export is at most"):
        read_export(big)
    monkeypatch.setattr(csvimport, "MAX_BYTES", 20 * 1024 * 1024)
    monkeypatch.setattr(csvimport, "MAX_ROWS", 1)
    with pytest.raises(InputError, match="has 2 rows, more than 1"):
        read_export(big)
    book = tmp_path / "posts.xlsx"
    book.write_bytes(b"PK\x03\x04" + b"\0" * 50)
    with pytest.raises(InputError, match="Excel workbook"):
        read_export(book)
    with pytest.raises(InputError, match="does not exist"):
        read_export(tmp_path / "missing.csv")


def test_rows_without_link_or_time_are_skipped_not_refused() -> None:
    # Facebook's older exports put a line of column descriptions under the header.
    text = ("Permalink,Publish time,Likes\n,,Lifetime: the number of likes\n"
            "https://facebook.com/1,03/01/2026 10:00,4\n\n")
    export = parse_export(text, tz=PARIS)
    assert export.skipped_rows == 1 and [r.line for r in export.rows] == [3]


# --- importing into the database ----------------------------------------------------------------------------


def _post(cli: Any, title: str, channel: str, when: str, url: str | None = None, *, published: bool = True) -> str:
    ref = str(json.loads(cli("add", title, "-c", channel, "--publish", when, "--json").out)["id"])
    args = ["variant", ref, channel] + (["--status", "published"] if published else [])
    assert cli(*args, *(["--url", url] if url else [])).code == 0
    return ref


@pytest.fixture
def posts(cli: Any) -> Any:
    """Published posts the fixtures' rows are about (times in Europe/Paris, CET in March)."""
    _post(cli, "Winter Blend", "linkedin", "2026-03-02 09:00",
          "https://linkedin.com/feed/update/urn:li:activity:7301000000000000001/")  # MAIN-1
    _post(cli, "Hiring", "linkedin", "2026-03-04 12:00",
          "https://www.linkedin.com/posts/northwind_hiring-activity-7301000000000000002-AbCd")  # MAIN-2
    _post(cli, "Cafe night", "facebook", "2026-03-06 18:00")  # MAIN-3: no address, found by time
    _post(cli, "Ten o'clock A", "facebook", "2026-03-07 10:00")  # MAIN-4 and MAIN-5: 5 minutes apart
    _post(cli, "Ten o'clock B", "facebook", "2026-03-07 10:05")
    _post(cli, "Teaser", "instagram", "2026-03-09 09:30", "https://instagram.com/p/DAbc123xyz")  # MAIN-6
    _post(cli, "Brew guide", "instagram", "2026-03-10 19:00")  # MAIN-7
    _post(cli, "Thread", "x", "2026-03-11 09:15", "https://x.com/northwind/status/1897000000000000001")  # MAIN-8
    _post(cli, "Draft", "facebook", "2026-03-08 08:00", published=False)  # MAIN-9: not out, never matched
    return cli


def _snapshots(cli: Any) -> list[dict[str, Any]]:
    result = cli("metrics", "list", "--json")
    assert result.code == 0, result.err
    return list(json.loads(result.out))


def test_linkedin_matches_by_address_and_by_post_id(posts: Any) -> None:
    r = posts("metrics", "import", fixture("linkedin_bom.csv"))
    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == (f"imported 2 snapshots from {fixture('linkedin_bom.csv')} (linkedin): "
                                     "2 rows matched, 1 unmatched")
    # line 6: the row above it has a title over two lines (4 and 5)
    assert "unmatched line 6: https://www.linkedin.com/feed/update/urn:li:activity:7301000000000000999" in r.out
    got = {s["id"]: s for s in _snapshots(posts)}
    assert set(got) == {"MAIN-1", "MAIN-2"}
    assert (got["MAIN-1"]["impressions"], got["MAIN-1"]["likes"], got["MAIN-1"]["source"]) == (1234, 78, "csv")
    assert got["MAIN-2"]["follows"] is None and got["MAIN-2"]["quotes"] is None


def test_facebook_by_time_ambiguous_and_unmatched(posts: Any) -> None:
    r = posts("metrics", "import", fixture("facebook_semicolon_cp1252.csv"), "--json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["format"] == "meta" and out["written"] == 1 and out["dry_run"] is False
    [hit] = out["matched"]
    assert (hit["id"], hit["channel"], hit["how"], hit["impressions"], hit["line"]) == ("MAIN-3", "facebook", "time",
                                                                                       2345, 2)
    [ambiguous] = out["ambiguous"]
    assert ambiguous["line"] == 3 and [c["id"] for c in ambiguous["candidates"]] == ["MAIN-4", "MAIN-5"]
    [missed] = out["unmatched"]  # the draft at that minute has not gone out
    assert missed["line"] == 4 and missed["published"].startswith("2026-03-08T08:00:00+01:00")
    assert [s["id"] for s in _snapshots(posts)] == ["MAIN-3"]


def test_instagram_utf16_by_address_and_by_time(posts: Any) -> None:
    r = posts("metrics", "import", fixture("instagram_utf16.csv"), "--json")
    assert r.code == 0, r.err
    matched = json.loads(r.out)["matched"]
    assert [(m["id"], m["channel"], m["how"]) for m in matched] == [("MAIN-6", "instagram", "url"),
                                                                      ("MAIN-7", "instagram", "time")]
    assert {s["id"]: s["saves"] for s in _snapshots(posts)} == {"MAIN-6": 230, "MAIN-7": 77}


def test_importing_the_same_file_twice_changes_nothing(posts: Any, tmp_path: Path) -> None:
    export = tmp_path / "tweets.csv"
    shutil.copy(FIXTURES / "x_tweet_activity.csv", export)
    os.utime(export, (1773300000, 1773300000))  # 2026-03-12 07:20 UTC: the export's download time
    for _ in range(2):
        r = posts("metrics", "import", str(export), "--json")
        assert r.code == 0, r.err
        assert json.loads(r.out)["written"] == 1
    [snap] = _snapshots(posts)
    assert (snap["id"], snap["channel"], snap["likes"], snap["reposts"]) == ("MAIN-8", "x", 88, 12)
    assert snap["taken_at"] == "2026-03-12T08:20:00+01:00"  # the file's time, in the user's zone
    os.utime(export, (1773400000, 1773400000))  # a newer download of the same export: a second snapshot
    assert posts("metrics", "import", str(export)).code == 0
    assert len(_snapshots(posts)) == 2


def test_dry_run_shows_the_matches_and_writes_nothing(posts: Any) -> None:
    r = posts("metrics", "import", fixture("facebook_semicolon_cp1252.csv"), "--dry-run")
    assert r.code == 0, r.err
    assert "1 row would be imported, 1 unmatched, 1 ambiguous; nothing written" in r.out
    assert "MAIN-3" in r.out and "time" in r.out and "2345 impressions" in r.out
    assert "ambiguous line 3" in r.out and "MAIN-4 facebook, MAIN-5 facebook" in r.out
    out = json.loads(posts("metrics", "import", fixture("instagram_utf16.csv"), "--dry-run", "--json").out)
    assert out["dry_run"] is True and out["written"] == 0 and len(out["matched"]) == 2
    assert _snapshots(posts) == []


def test_unknown_header_exits_2_and_writes_nothing(posts: Any) -> None:
    r = posts("metrics", "import", fixture("unknown_header.csv"))
    assert r.code == 2 and r.err.startswith("organizer: no header row this importer knows")
    assert '"Tweet permalink"' in r.err and '"Permalink"' in r.err and '"Post link"' in r.err
    assert _snapshots(posts) == []


def test_a_malformed_row_writes_nothing_even_the_good_ones(posts: Any) -> None:
    r = posts("metrics", "import", fixture("x_malformed.csv"))
    assert r.code == 2
    assert "line 3, column 'likes': '12a' is not a whole number" in r.err
    assert _snapshots(posts) == []


def test_when_no_row_matches_it_exits_2(cli: Any) -> None:
    r = cli("metrics", "import", fixture("x_tweet_activity.csv"))
    assert r.code == 2 and "none of the 2 rows" in r.err and "Nothing was imported" in r.err
    assert "line 2: https://twitter.com/northwind/status/1897000000000000001" in r.err
    dry = cli("metrics", "import", fixture("x_tweet_activity.csv"), "--dry-run")
    assert dry.code == 2 and "unmatched line 2" in dry.out and "none of the 2 rows" in dry.err


def test_the_format_flag_and_a_wrong_channel(posts: Any) -> None:
    r = posts("metrics", "import", fixture("unknown_header.csv"), "--format", "meta")
    assert r.code == 2 and "meta (Meta Business Suite" in r.err and "linkedin (" not in r.err
    r = posts("metrics", "import", fixture("linkedin_bom.csv"), "--format", "x")
    assert r.code == 2 and "its post links are on linkedin.com" in r.err
    r = posts("metrics", "import", fixture("instagram_utf16.csv"), "--channel", "linkedin")
    assert r.code == 2 and "on facebook or instagram" in r.err
    assert posts("metrics", "import", fixture("instagram_utf16.csv"), "--channel", "nope").code == 2
    r = posts("metrics", "import", fixture("instagram_utf16.csv"), "--channel", "IG", "--dry-run", "--json")
    assert r.code == 0 and {m["channel"] for m in json.loads(r.out)["matched"]} == {"instagram"}
    assert _snapshots(posts) == []


def test_text_from_the_file_is_printed_without_control_characters(posts: Any, tmp_path: Path) -> None:
    export = tmp_path / "evil\x1b[2J.csv"
    export.write_text("Permalink,Publish time,Likes\n"
                      "https://www.facebook.com/nw/posts/1\x1b]0;pwned\x07\u202e,03/06/2026 18:01,3\n"
                      "https://www.facebook.com/nw/posts/2\x1b[31m,03/20/2026 18:00,4\n", encoding="utf-8")
    r = posts("metrics", "import", str(export))
    assert r.code == 0, r.err
    assert "\x1b" not in r.out and "\u202e" not in r.out and "\x07" not in r.out
    assert "unmatched line 3: https://www.facebook.com/nw/posts/2" in r.out
