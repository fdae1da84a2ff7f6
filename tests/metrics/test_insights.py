"""The analytics computations (organizer.metrics.insights, features, report.compute) on a small hand-made fixture:
every mean below is worked out by hand from the counts, not recomputed by the code under test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from organizer.metrics import insights
from organizer.metrics.features import emoji_count, features, length_band
from organizer.metrics.model import Snapshot
from organizer.metrics.report import Report, compute
from organizer.metrics.store import Variant

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 11, 1, tzinfo=PARIS)
END = datetime(2026, 12, 1, tzinfo=PARIS)
_ids = count(1)


def variant(n: int, channel: str, local: datetime | None, text: str = "", pillar: str | None = None,
            title: str | None = None) -> Variant:
    return Variant(card_id=n, ref=f"A-{n}", board="A", channel=channel, url=None,
                   published_at=local.astimezone(UTC) if local else None, status="published", text=text,
                   pillar=pillar, title=title or f"Post {n}")


def snap(v: Variant, hours: float, **counts: int) -> Snapshot:
    assert v.published_at is not None
    return Snapshot(next(_ids), v.card_id, v.ref, v.channel, v.published_at + timedelta(hours=hours), "manual",
                    dict(counts), v.published_at)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=PARIS)


# Mondays 23 and 16 November, Tuesday 24 November 2026 (CET, UTC+1).
V1 = variant(1, "linkedin", at(23, 9, 10), "Brewing tips ☕ https://example.com/guide", "education")
V2 = variant(2, "linkedin", at(23, 9, 40), "x" * 150, "education")
V3 = variant(3, "linkedin", at(16, 9, 5), "New roast 🎉🔥 #coffee #roast #winter", "product")
V4 = variant(4, "x", at(24, 12, 0), "b" * 250, "product")
V5 = variant(5, "instagram", at(24, 12, 30), "Reel time 😀😀😀😀 #reel")
V6 = variant(6, "bluesky", at(24, 18, 0), "no impressions here")
V7 = variant(7, "linkedin", at(25, 8, 0), "not measured yet", "education")
VARIANTS = [V1, V2, V3, V4, V5, V6, V7]
SNAPSHOTS = [
    snap(V1, 2, impressions=100, likes=1),  # too early: the 48 h reading is the one used
    snap(V1, 48, impressions=1000, likes=40),  # 40 / 1000 = 0.04
    snap(V1, 200, impressions=5000, likes=400),  # too late
    snap(V2, 47, impressions=2000, likes=50, replies=10),  # 60 / 2000 = 0.03
    snap(V3, 48, impressions=500, likes=10),  # 0.02
    snap(V4, 48, impressions=1000, likes=80),  # 0.08
    snap(V5, 50, impressions=400, likes=20, saves=4, follows=9),  # 24 / 400 = 0.06 (follows are no interaction)
    snap(V6, 48, likes=7),  # no impressions: no rate, 7 interactions
]
TAGS = {5: ["Reel"]}


@pytest.fixture(scope="module")
def report() -> Report:
    return compute(VARIANTS, SNAPSHOTS, TAGS, start=START, end=END, timezone="Europe/Paris")


def test_each_post_is_read_at_48_hours_else_its_latest_numbers(report: Report) -> None:
    by_ref = {p.ref: p for p in report.posts}
    assert [p.ref for p in report.posts] == ["A-3", "A-1", "A-2", "A-4", "A-5", "A-6", "A-7"]  # oldest first
    assert (by_ref["A-1"].impressions, by_ref["A-1"].interactions, by_ref["A-1"].age_hours) == (1000, 40, 48)
    assert by_ref["A-5"].interactions == 24 and by_ref["A-5"].engagement_rate == pytest.approx(0.06)
    assert by_ref["A-6"].engagement_rate is None and by_ref["A-6"].interactions == 7
    assert not by_ref["A-7"].measured and by_ref["A-7"].interactions is None
    young = variant(9, "x", at(24, 9))
    [post] = insights.posts([young], {(9, "x"): [snap(young, 5, impressions=10, likes=1)]}, {})
    assert post.age_hours == 5 and post.engagement_rate == pytest.approx(0.1)


def test_overall_channel_and_pillar_stats(report: Report) -> None:
    assert report.metric == "engagement_rate"
    o = report.overall
    assert (o.posts, o.measured, o.rated) == (7, 6, 5)
    assert o.mean_rate == pytest.approx(0.046)  # (0.04 + 0.03 + 0.02 + 0.08 + 0.06) / 5
    assert o.median_rate == pytest.approx(0.04)
    assert o.mean_interactions == pytest.approx(221 / 6)  # 40 + 60 + 10 + 80 + 24 + 7
    assert report.mean == pytest.approx(0.046)
    channels = {g.key: g for g in report.channels}
    assert [g.key for g in report.channels] == ["linkedin", "bluesky", "instagram", "x"]  # most posts, then by name
    li = channels["linkedin"]
    assert (li.posts, li.measured, li.rated) == (4, 3, 3)
    assert li.mean_rate == pytest.approx(0.03) and li.median_rate == pytest.approx(0.03)
    assert li.mean_interactions == pytest.approx(110 / 3)
    assert channels["bluesky"].mean_rate is None and channels["bluesky"].mean_interactions == pytest.approx(7)
    assert channels["x"].mean_rate == pytest.approx(0.08)
    pillars = {g.key: g for g in report.pillars}
    assert [g.key for g in report.pillars] == ["education", "product", None]  # ties: no pillar last
    assert (pillars["education"].posts, pillars["education"].rated) == (3, 2)
    assert pillars["education"].mean_rate == pytest.approx(0.035)
    assert pillars["education"].mean_interactions == pytest.approx(50)
    assert pillars["product"].mean_rate == pytest.approx(0.05) and pillars["product"].mean_interactions == 45
    assert (pillars[None].posts, pillars[None].rated, pillars[None].mean_interactions) == (2, 1, 15.5)


def test_series_are_per_post_local_dates_oldest_first(report: Report) -> None:
    li = next(g for g in report.channels if g.key == "linkedin")
    assert [(p.day.isoformat(), p.ref, round(p.value, 4)) for p in li.series] == [
        ("2026-11-16", "A-3", 0.02), ("2026-11-23", "A-1", 0.04), ("2026-11-23", "A-2", 0.03)]


def test_heatmap_cells_counts_and_sparse_flags(report: Report) -> None:
    h = report.heatmap
    assert len(h.cells) == 168 and h.min_posts == 3
    monday_9 = h.cell(0, 9)
    assert (monday_9.posts, monday_9.sparse) == (3, False) and monday_9.mean == pytest.approx(0.03)
    tuesday_12 = h.cell(1, 12)
    assert (tuesday_12.posts, tuesday_12.sparse) == (2, True) and tuesday_12.mean == pytest.approx(0.07)
    assert (h.cell(1, 18).posts, h.cell(1, 18).mean, h.cell(1, 18).sparse) == (0, None, True)  # bluesky: no rate
    assert sum(c.posts for c in h.cells) == 5
    assert [(c.weekday, c.hour) for c in h.best] == [(0, 9)]  # the only slot with 3 posts
    found = [p for p in report.posts]
    two = insights.heatmap(found, metric="engagement_rate", zone=PARIS, min_posts=2)
    assert [(c.weekday, c.hour) for c in two.best] == [(1, 12), (0, 9)]


def test_heatmap_hours_follow_the_zone_through_the_autumn_change() -> None:
    # Sunday 25 October 2026, Paris: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
    first = variant(1, "x", datetime(2026, 10, 25, 0, 30, tzinfo=UTC))  # 02:30 CEST
    second = variant(2, "x", datetime(2026, 10, 25, 1, 30, tzinfo=UTC))  # 02:30 CET
    after = variant(3, "x", datetime(2026, 10, 25, 2, 30, tzinfo=UTC))  # 03:30 CET
    spring = variant(4, "x", datetime(2026, 3, 29, 1, 30, tzinfo=UTC))  # 03:30 CEST (02:xx never happens)
    vs = [first, second, after, spring]
    found = insights.posts(vs, {(v.card_id, "x"): [snap(v, 48, impressions=100, likes=v.card_id)] for v in vs}, {})
    h = insights.heatmap(found, metric="engagement_rate", zone=PARIS, min_posts=1)
    assert h.cell(6, 2).posts == 2 and h.cell(6, 2).mean == pytest.approx(0.015)
    assert h.cell(6, 3).posts == 2  # 03:30 CET in October and 03:30 CEST in March, both Sundays
    assert h.cell(6, 1).posts == 0 and h.cell(6, 0).posts == 0


def test_top_and_bottom_never_repeat_a_post(report: Report) -> None:
    assert [(p.ref, round(p.value, 4)) for p in report.top] == [
        ("A-4", 0.08), ("A-5", 0.06), ("A-1", 0.04), ("A-2", 0.03), ("A-3", 0.02)]
    assert report.bottom == ()  # five scored posts: all at the top
    top, bottom = insights.ranked(report.posts, metric="engagement_rate", n=2)
    assert [p.ref for p in top] == ["A-4", "A-5"] and [p.ref for p in bottom] == ["A-3", "A-2"]  # worst first
    assert top[0].title == "Post 4" and top[0].channel == "x" and top[0].published_at == V4.published_at


def _levels(report: Report, feature: str) -> list[tuple[str, int, float | None, float | None, bool]]:
    effect = next(f for f in report.features if f.feature == feature)
    return [(lv.level, lv.posts, None if lv.mean is None else round(lv.mean, 6),
             None if lv.diff is None else round(lv.diff, 6), lv.sparse) for lv in effect.levels]


def test_feature_levels_means_differences_and_sparse_flags(report: Report) -> None:
    assert [f.feature for f in report.features] == ["emoji", "length", "link", "video", "hashtags"]
    assert _levels(report, "emoji") == [("0", 2, 0.055, 0.009, True), ("1", 1, 0.04, -0.006, True),
                                        ("2–3", 1, 0.02, -0.026, True), ("4+", 1, 0.06, 0.014, True)]
    # A-4 has 250 characters: long on X (≥ 200), where it would be medium on LinkedIn.
    assert _levels(report, "length") == [("short", 3, 0.04, -0.006, False), ("medium", 1, 0.03, -0.016, True),
                                         ("long", 1, 0.08, 0.034, True)]
    assert _levels(report, "link") == [("no", 4, 0.0475, 0.0015, False), ("yes", 1, 0.04, -0.006, True)]
    # A-5 is tagged "Reel" (any case): a video.
    assert _levels(report, "video") == [("no", 4, 0.0425, -0.0035, False), ("yes", 1, 0.06, 0.014, True)]
    assert _levels(report, "hashtags") == [("0", 3, 0.05, 0.004, False), ("1–2", 1, 0.06, 0.014, True),
                                           ("3+", 1, 0.02, -0.026, True)]


def test_features_count_like_the_app() -> None:
    assert emoji_count("👩‍👩‍👧 🇫🇷 1️⃣ ok") == 3  # a family, a flag and a keycap are one emoji each
    assert features("Read example.com/x", "x").has_link  # X links a bare domain
    assert not features("Read example.com/x", "mastodon").has_link  # Mastodon does not
    assert features("Watch", "youtube").has_video and features("Watch", "linkedin", ["video"]).has_video
    assert not features("Watch", "linkedin", ["carousel"]).has_video
    assert features("#a #A #b", "x").hashtags == 2  # once each, case aside
    assert features("é" * 120, "linkedin").length == 120
    assert [length_band(n, "linkedin") for n in (99, 100, 299, 300)] == ["short", "medium", "medium", "long"]
    assert [length_band(n, "bluesky") for n in (99, 100, 199, 200)] == ["short", "medium", "medium", "long"]


def test_the_range_keeps_posts_published_inside_it_and_counts_undated_ones() -> None:
    undated = variant(8, "x", None)
    r = compute([*VARIANTS, undated], SNAPSHOTS, TAGS, start=at(20, 0), end=at(24, 12, 0), timezone="Europe/Paris")
    assert [p.ref for p in r.posts] == ["A-1", "A-2"]  # A-4 at exactly `end` is out: [start, end)
    assert r.undated == 1 and r.overall.mean_rate == pytest.approx(0.035)


def test_interactions_stand_in_when_no_post_has_impressions() -> None:
    r = compute([V6], [s for s in SNAPSHOTS if s.card_id == 6], {}, start=START, end=END, timezone="Europe/Paris")
    assert r.metric == "interactions" and r.mean == 7 and [p.value for p in r.top] == [7.0]
    assert not r.empty


@pytest.mark.parametrize(("variants", "snapshots", "reason"), [
    ([], [], "no published posts in this range"),
    ([V7], [], "1 published post in this range, none measured yet"),
    ([V1], [Snapshot(99, 1, "A-1", "linkedin", at(25, 9), "manual", {"impressions": 10}, V1.published_at)],
     "1 measured post in this range, none with interactions known"),
])
def test_empty_data_gives_an_empty_report_that_says_so(variants: list[Variant], snapshots: list[Snapshot],
                                                         reason: str) -> None:
    r = compute(variants, snapshots, {}, start=START, end=END, timezone="Europe/Paris")
    assert r.empty and r.empty_reason is not None and r.empty_reason.startswith(reason)
    assert r.mean is None and r.top == () and r.bottom == () and r.heatmap.best == ()
    assert all(c.posts == 0 and c.mean is None and c.sparse for c in r.heatmap.cells)
    assert all(lv.posts == 0 and lv.mean is None and lv.diff is None for f in r.features for lv in f.levels)
    assert r.overall.mean_rate is None and r.overall.median_rate is None
    data = r.as_json()
    assert data["empty"] is True and len(data["posts"]) == len(variants)


def test_the_report_as_json_data(report: Report) -> None:
    data = report.as_json()
    assert data["metric"] == "engagement_rate" and data["scored"] == 5 and data["empty"] is False
    assert data["start"] == "2026-11-01T00:00:00+01:00"
    assert data["posts"][1]["published_at"] == "2026-11-23T09:10:00+01:00"
    assert data["posts"][1]["features"] == {"emoji": 1, "length": 40, "has_link": True, "has_video": False,
                                            "hashtags": 0}
    assert data["channels"][0]["series"][0] == {"day": "2026-11-16", "value": pytest.approx(0.02), "ref": "A-3",
                                                "channel": "linkedin"}
    assert data["heatmap"]["best"] == [{"weekday": 0, "hour": 9, "posts": 3, "mean": pytest.approx(0.03),
                                        "sparse": False}]
