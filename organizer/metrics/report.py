"""The analytics report of a date range (and a board): read through the metrics store, computed by
`organizer.metrics.insights`, returned as one `Report` that the CLI (`organizer report`) and the TUI's Analytics
screen both show. Presentation-free: numbers, keys and instants; each front end words and formats them.
"""

from __future__ import annotations

import dataclasses
import gc
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from organizer.metrics import insights, store
from organizer.metrics.features import features as count_features
from organizer.metrics.insights import (
    DEFAULT_AGE_HOURS,
    DEFAULT_MIN_POSTS,
    FeatureEffect,
    GroupStats,
    Heatmap,
    Metric,
    Post,
    RankedPost,
)
from organizer.metrics.model import Snapshot
from organizer.storage.plain import Db
from organizer.validate import unknown_board

__all__ = ["Report", "add_features", "build", "compute"]


@dataclass(frozen=True)
class Report:
    """Everything the report shows, for posts published in [start, end) (on one board, or on all)."""

    board: str | None  # None: every board
    start: datetime
    end: datetime
    timezone: str  # the zone of the heatmap's hours and the series' dates
    age_hours: float  # posts are read at this age (else at their latest snapshot)
    metric: Metric  # what "engagement" means in the heatmap, the rankings, the features and the series
    min_posts: int  # a heatmap cell or feature level with fewer posts is sparse
    posts: tuple[Post, ...]  # every published post in the range, oldest first (measured or not)
    overall: GroupStats  # all the posts together
    channels: tuple[GroupStats, ...]  # most posts first
    pillars: tuple[GroupStats, ...]  # most posts first; key None: no pillar
    heatmap: Heatmap
    top: tuple[RankedPost, ...]  # best first
    bottom: tuple[RankedPost, ...]  # worst first; never a post of `top`
    features: tuple[FeatureEffect, ...]
    mean: float | None  # the metric's mean over the scored posts: what feature effects are measured against
    undated: int  # published variants with no publish time at all: in no range, left out

    @property
    def scored(self) -> int:
        """Posts with a number for the metric (the ones every table but the counts is made of)."""
        return sum(p.value(self.metric) is not None for p in self.posts)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to analyse."""
        return self.scored == 0

    @property
    def empty_reason(self) -> str | None:
        """Why the report is empty, as a sentence (None when it is not)."""
        if not self.empty:
            return None
        if not self.posts:
            return "no published posts in this range"
        measured = sum(p.measured for p in self.posts)
        n = len(self.posts)
        if not measured:
            return (f"{n} published post{'s' * (n != 1)} in this range, none measured yet: "
                    "organizer metrics add, import or fetch")
        return f"{measured} measured post{'s' * (measured != 1)} in this range, none with interactions known"

    def as_json(self) -> dict[str, Any]:
        """The whole report as JSON data: instants in the report's zone (ISO 8601), dates as YYYY-MM-DD."""
        zone = ZoneInfo(self.timezone)
        out: dict[str, Any] = _plain(self, zone)
        out.update(scored=self.scored, empty=self.empty, empty_reason=self.empty_reason)
        return out


def _plain(value: Any, zone: ZoneInfo) -> Any:
    """Dataclasses, tuples and instants as JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), zone) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v, zone) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def compute(variants: Sequence[store.Variant], snapshots: Sequence[Snapshot],
            tags: dict[int, list[str]], *, start: datetime, end: datetime, timezone: str,
            board: str | None = None, age_hours: float = DEFAULT_AGE_HOURS, min_posts: int = DEFAULT_MIN_POSTS,
            metric: Metric | None = None, with_features: bool = True) -> Report:
    """The report from data already read (`build` reads it): posts published in [start, end).

    `metric` None: engagement rate when any post has impressions, else interactions (`insights.choose_metric`).
    """
    zone = ZoneInfo(timezone)
    in_range = [v for v in variants if v.published_at is not None and start <= v.published_at < end]
    found = insights.posts(in_range, store.by_variant(snapshots), tags, age_hours=age_hours,
                           with_features=with_features)
    chosen: Metric = metric or insights.choose_metric(found)
    top, bottom = insights.ranked(found, metric=chosen)
    return Report(
        board=board, start=start, end=end, timezone=timezone, age_hours=age_hours, metric=chosen,
        min_posts=min_posts, posts=tuple(found),
        overall=insights.overall_stats(found, metric=chosen, zone=zone),
        channels=tuple(insights.group_stats(found, lambda p: p.channel, metric=chosen, zone=zone)),
        pillars=tuple(insights.group_stats(found, lambda p: p.pillar, metric=chosen, zone=zone)),
        heatmap=insights.heatmap(found, metric=chosen, zone=zone, min_posts=min_posts),
        top=top, bottom=bottom,
        features=insights.feature_effects(found, metric=chosen, min_posts=min_posts) if with_features else (),
        mean=insights.mean_value(found, chosen),
        undated=sum(v.published_at is None for v in variants))


def build(db: Db, *, start: datetime, end: datetime, timezone: str, board: str | None = None,
          age_hours: float = DEFAULT_AGE_HOURS, min_posts: int = DEFAULT_MIN_POSTS,
          metric: Metric | None = None, with_features: bool = True) -> Report:
    """Read the published posts, their snapshots and their cards' tags (one board's, or all) and compute the report.

    An unknown board key is an InputError listing the boards there are. `with_features=False` leaves the posts'
    features uncounted (most of a cold report's time over thousands of long posts): the app shows the rest
    first and then `add_features`.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("a report range needs aware instants")
    key = board.upper() if board else None
    if key is not None:
        boards = [str(r[0]) for r in db.rows("SELECT key FROM board ORDER BY id")]
        if key not in boards:
            raise unknown_board(key, boards)
    # Thousands of short-lived objects: a collection in the middle would cost more than the report (as in
    # services.schedule.replan).
    enabled = gc.isenabled()
    gc.disable()
    try:
        variants = store.published_variants(db, board=key)
        in_range = [v for v in variants if v.published_at is not None and start <= v.published_at < end]
        ids = sorted({v.card_id for v in in_range})
        snaps = store.snapshots_at_age(db, in_range, age_hours)
        return compute(variants, snaps, _tags(db, ids), start=start, end=end, timezone=timezone, board=key,
                       age_hours=age_hours, min_posts=min_posts, metric=metric, with_features=with_features)
    finally:
        if enabled:
            gc.enable()


def add_features(db: Db, report: Report) -> Report:
    """The report with its posts' features counted and the feature effects computed (see `build`)."""
    if report.features or not report.posts:
        return report
    ids = sorted({p.card_id for p in report.posts})
    texts = {(int(cid), str(channel)): str(text or "") for cid, channel, text in db.rows(
        f"SELECT card_id, channel, text FROM post_variant WHERE card_id IN ({', '.join(str(i) for i in ids)})",
        bulk=True)}  # ints only: safe to inline
    tags = _tags(db, ids)
    posts = tuple(dataclasses.replace(p, features=count_features(texts.get((p.card_id, p.channel), ""), p.channel,
                                                                    tags.get(p.card_id, ())))
                  for p in report.posts)
    return dataclasses.replace(report, posts=posts, features=insights.feature_effects(
        posts, metric=report.metric, min_posts=report.min_posts))


def _tags(db: Db, card_ids: Sequence[int]) -> dict[int, list[str]]:
    """The cards' tags (what says a post is a video); the store's Variant does not carry them."""
    if not card_ids:
        return {}
    out: dict[int, list[str]] = defaultdict(list)
    inlined = ", ".join(str(int(i)) for i in card_ids)  # ints only: safe to inline, as store.snapshots does
    for cid, tag in db.rows(f"SELECT card_id, tag FROM card_tag WHERE card_id IN ({inlined}) ORDER BY card_id, tag"):
        out[int(cid)].append(str(tag))
    return dict(out)
