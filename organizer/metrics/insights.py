"""The analytics over published posts: per channel and pillar, the best hours, the best and worst posts, what
features go with more engagement. Pure computations over lists (no SQL, no clock): `organizer.metrics.report`
reads the data and calls these.

Every post is read once, at its snapshot nearest the evaluation age (`at_age`, 48 h by default; else its latest),
so an old post's month of likes is not set against a new post's first day. A post younger than that is read at
what it has (`Post.age_hours` says how old its numbers are). Means are over the posts that have
the number: a post without impressions has no engagement rate and is left out of rates, not counted as 0.
No p-values here: a difference in this report is a lead to test (`organizer experiment`), not a finding.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from organizer.metrics.features import FEATURES, PostFeatures, features
from organizer.metrics.model import Snapshot, at_age, engagement_rate, interactions, latest
from organizer.metrics.store import Variant

__all__ = ["DEFAULT_AGE_HOURS", "DEFAULT_MIN_POSTS", "METRIC_NAMES", "FeatureEffect", "GroupStats", "HeatCell",
           "Heatmap", "LevelEffect", "Metric", "Post", "RankedPost", "SeriesPoint", "choose_metric", "feature_effects",
           "group_stats", "heatmap", "mean_value", "overall_stats", "posts", "ranked"]

Metric = Literal["engagement_rate", "interactions"]
METRIC_NAMES: tuple[Metric, ...] = ("engagement_rate", "interactions")
DEFAULT_AGE_HOURS = 48.0
DEFAULT_MIN_POSTS = 3


@dataclass(frozen=True)
class Post:
    """One published variant, with the numbers of the snapshot it is judged by (None: not measured or not known)."""

    ref: str
    card_id: int
    channel: str
    board: str
    title: str
    pillar: str | None
    published_at: datetime
    features: PostFeatures | None  # None: not counted yet (a report built with_features=False)
    read_at: datetime | None  # when the snapshot used was taken
    age_hours: float | None  # how long after publishing (a young post's numbers are early ones)
    impressions: int | None
    interactions: int | None
    engagement_rate: float | None

    @property
    def measured(self) -> bool:
        """Whether any snapshot of the post was read."""
        return self.read_at is not None

    def value(self, metric: Metric) -> float | None:
        """The post's number for `metric` (None where it is not known)."""
        if metric == "engagement_rate":
            return self.engagement_rate
        return None if self.interactions is None else float(self.interactions)


def posts(variants: Iterable[Variant], snapshots: Mapping[tuple[int, str], Sequence[Snapshot]],
          tags: Mapping[int, Sequence[str]], *, age_hours: float = DEFAULT_AGE_HOURS,
          with_features: bool = True) -> list[Post]:
    """Each dated variant as a Post, read at `age_hours` (else its latest snapshot), oldest first.

    `snapshots` is `store.by_variant(...)`; `tags` maps a card id to its card's tags. Variants without a publish
    time are left out: no age, no hour, no place in a range.
    """
    out = []
    for v in variants:
        if v.published_at is None:
            continue
        found = snapshots.get((v.card_id, v.channel), ())
        snap = at_age(found, age_hours) or latest(found)
        counts = snap.counts if snap is not None else {}
        age = snap.age if snap is not None else None
        out.append(Post(
            ref=v.ref, card_id=v.card_id, channel=v.channel, board=v.board, title=v.title, pillar=v.pillar,
            published_at=v.published_at,
            features=features(v.text, v.channel, tags.get(v.card_id, ())) if with_features else None,
            read_at=snap.taken_at if snap is not None else None,
            age_hours=None if age is None else age.total_seconds() / 3600,
            impressions=counts.get("impressions"), interactions=interactions(counts),
            engagement_rate=engagement_rate(counts)))
    return sorted(out, key=lambda p: (p.published_at, p.ref, p.channel))


def choose_metric(found: Iterable[Post]) -> Metric:
    """engagement_rate when any post has impressions; else interactions (Mastodon and Bluesky give no impressions,
    and a report of nothing but blanks would hide the numbers there are)."""
    found = list(found)
    if any(p.engagement_rate is not None for p in found) or not any(p.interactions is not None for p in found):
        return "engagement_rate"
    return "interactions"


def _scored(found: Iterable[Post], metric: Metric) -> list[tuple[Post, float]]:
    """The posts with a number for `metric`, each with it."""
    return [(p, v) for p in found if (v := p.value(metric)) is not None]


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def mean_value(found: Iterable[Post], metric: Metric) -> float | None:
    """The mean of `metric` over the posts that have it (None: none has)."""
    return _mean([v for _, v in _scored(found, metric)])


# --- per channel, per pillar ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SeriesPoint:
    """One post on a chart: its local publish date and its number."""

    day: date
    value: float
    ref: str
    channel: str


@dataclass(frozen=True)
class GroupStats:
    """A channel's or pillar's posts: how many, how many were measured, rates and interactions, and the series."""

    key: str | None  # the channel or pillar (None: posts with no pillar)
    posts: int  # published in the range
    measured: int  # with at least one snapshot
    rated: int  # with an engagement rate (impressions known)
    mean_rate: float | None
    median_rate: float | None
    mean_interactions: float | None
    series: tuple[SeriesPoint, ...]  # the report's metric per post, oldest first


def _stats(key: str | None, found: Sequence[Post], metric: Metric, zone: ZoneInfo) -> GroupStats:
    rates = [p.engagement_rate for p in found if p.engagement_rate is not None]
    counts = [float(p.interactions) for p in found if p.interactions is not None]
    series = tuple(SeriesPoint(p.published_at.astimezone(zone).date(), v, p.ref, p.channel)
                   for p, v in _scored(found, metric))
    return GroupStats(key, len(found), sum(p.measured for p in found), len(rates), _mean(rates),
                      statistics.median(rates) if rates else None, _mean(counts), series)


def group_stats(found: Iterable[Post], key: Callable[[Post], str | None], *, metric: Metric,
                zone: ZoneInfo) -> list[GroupStats]:
    """Stats per group (`key`: the channel, the pillar…), the groups with most posts first (None last on ties)."""
    groups: dict[str | None, list[Post]] = defaultdict(list)
    for p in sorted(found, key=lambda p: (p.published_at, p.ref, p.channel)):
        groups[key(p)].append(p)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0] is None, kv[0] or ""))
    return [_stats(k, members, metric, zone) for k, members in ordered]


def overall_stats(found: Iterable[Post], *, metric: Metric, zone: ZoneInfo) -> GroupStats:
    """The stats of every post together (key "all")."""
    return _stats("all", sorted(found, key=lambda p: (p.published_at, p.ref, p.channel)), metric, zone)


# --- day × hour ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HeatCell:
    """One weekday × hour of the user's clock: the posts published then and their mean."""

    weekday: int  # 0 Monday … 6 Sunday
    hour: int  # 0–23, local time
    posts: int  # posts with a number for the metric
    mean: float | None
    sparse: bool  # fewer than min_posts: too few to read anything into (the TUI greys it out)


@dataclass(frozen=True)
class Heatmap:
    """The 168 cells of a week, Monday 00:00 first, and the best three that are not sparse."""

    cells: tuple[HeatCell, ...]
    best: tuple[HeatCell, ...]
    min_posts: int

    def cell(self, weekday: int, hour: int) -> HeatCell:
        """The cell of a weekday (0 Monday) and local hour."""
        return self.cells[weekday * 24 + hour]


def heatmap(found: Iterable[Post], *, metric: Metric, zone: ZoneInfo, min_posts: int = DEFAULT_MIN_POSTS,
            best: int = 3) -> Heatmap:
    """Mean `metric` per local weekday × hour, with the post count behind each cell."""
    values: dict[tuple[int, int], list[float]] = defaultdict(list)
    for p, v in _scored(found, metric):
        # The user's wall clock, through the zone's rules on that date: a post at 02:30 on the autumn change
        # day is in the 2 o'clock cell whichever of the two 02:30s it was.
        local = p.published_at.astimezone(zone)
        values[(local.weekday(), local.hour)].append(v)
    cells = tuple(HeatCell(d, h, len(values[(d, h)]), _mean(values[(d, h)]), len(values[(d, h)]) < min_posts)
                  for d in range(7) for h in range(24))
    dense = [c for c in cells if not c.sparse and c.mean is not None]
    # Ties: more posts behind it first, then the earlier slot in the week (a stable order).
    top = sorted(dense, key=lambda c: (-(c.mean or 0.0), -c.posts, c.weekday, c.hour))[:best]
    return Heatmap(cells, tuple(top), min_posts)


# --- best and worst posts -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RankedPost:
    """A post in the top or bottom list."""

    ref: str
    channel: str
    title: str
    value: float
    published_at: datetime


def ranked(found: Iterable[Post], *, metric: Metric, n: int = 5) -> tuple[tuple[RankedPost, ...],
                                                                       tuple[RankedPost, ...]]:
    """The `n` best posts (best first) and the `n` worst (worst first), never the same post in both: with
    fewer than 2n posts the bottom list has only those not already at the top."""
    order = sorted(_scored(found, metric), key=lambda pv: (-pv[1], pv[0].published_at, pv[0].ref, pv[0].channel))
    out = [RankedPost(p.ref, p.channel, p.title, v, p.published_at) for p, v in order]
    return tuple(out[:n]), tuple(reversed(out[max(n, len(out) - n):]))


# --- features --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LevelEffect:
    """One level of a feature (e.g. emoji "2–3"): its posts, their mean, and how far that is from the mean of all."""

    level: str
    posts: int
    mean: float | None
    diff: float | None  # mean − the overall mean, in the metric's unit (None without posts)
    sparse: bool  # fewer than min_posts


@dataclass(frozen=True)
class FeatureEffect:
    """A feature (emoji, length, link, video, hashtags) and its levels in order."""

    feature: str
    levels: tuple[LevelEffect, ...]


def feature_effects(found: Iterable[Post], *, metric: Metric,
                    min_posts: int = DEFAULT_MIN_POSTS) -> tuple[FeatureEffect, ...]:
    """For each feature in FEATURES, each level's posts and mean against the overall mean (levels without posts
    too, so a table keeps its shape)."""
    scored = [(p.features, p.channel, v) for p, v in _scored(found, metric) if p.features is not None]
    overall = _mean([v for _, _, v in scored])
    out = []
    for feature in FEATURES:
        by_level: dict[str, list[float]] = defaultdict(list)
        for counted, channel, v in scored:
            by_level[feature.level(counted, channel)].append(v)
        levels = []
        for level in feature.levels:
            mean = _mean(by_level[level])
            diff = None if mean is None or overall is None else mean - overall
            levels.append(LevelEffect(level, len(by_level[level]), mean, diff, len(by_level[level]) < min_posts))
        out.append(FeatureEffect(feature.key, tuple(levels)))
    return tuple(out)
