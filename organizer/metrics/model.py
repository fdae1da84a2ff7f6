"""A published variant's numbers at one moment, and the arithmetic every report and experiment shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from organizer.metrics.names import METRICS

__all__ = ["INTERACTIONS", "METRICS", "SOURCES", "Reading", "Snapshot", "at_age", "engagement_rate", "interactions"]

SOURCES = ("manual", "csv", "mastodon", "bluesky")
# What counts as an interaction: every reaction a person takes on the post (not impressions or follows).
INTERACTIONS = ("likes", "reposts", "replies", "quotes", "bookmarks", "link_clicks", "saves")


@dataclass(frozen=True)
class Reading:
    """Numbers for one variant (card id and channel) at `taken_at` from `source`; None where not known."""

    card_id: int
    channel: str
    taken_at: datetime
    source: str
    counts: dict[str, int | None] = field(default_factory=dict)  # keys from METRICS

    def __post_init__(self) -> None:
        if self.taken_at.tzinfo is None:
            raise ValueError("a metrics reading needs an aware time")
        unknown = set(self.counts) - set(METRICS)
        if unknown:
            raise ValueError(f"unknown metric(s) {', '.join(sorted(unknown))}: use {', '.join(METRICS)}")
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}: use {', '.join(SOURCES)}")
        for name, value in self.counts.items():
            if value is not None and (type(value) is not int or value < 0):  # a bool is no count
                raise ValueError(f"{name} {value!r} is not a count (a whole number ≥ 0)")


@dataclass(frozen=True)
class Snapshot:
    """A stored reading, with the variant's ref (NWC-12) and its publish time for ages."""

    id: int
    card_id: int
    ref: str
    channel: str
    taken_at: datetime
    source: str
    counts: dict[str, int | None]
    published_at: datetime | None = None

    def get(self, name: str) -> int | None:
        """One count (None: not known)."""
        return self.counts.get(name)

    @property
    def age(self) -> timedelta | None:
        """How long after publishing it was taken (None: publish time unknown)."""
        return None if self.published_at is None else self.taken_at - self.published_at


def interactions(counts: dict[str, int | None]) -> int | None:
    """The sum of the known interaction counts; None when none is known."""
    known = [v for k, v in counts.items() if k in INTERACTIONS and v is not None]
    return sum(known) if known else None


def engagement_rate(counts: dict[str, int | None]) -> float | None:
    """Interactions per impression where impressions are known and positive; else None (see `interactions`)."""
    total, seen = interactions(counts), counts.get("impressions")
    if total is None or not seen:
        return None
    return total / seen


def at_age(snapshots: Sequence[Snapshot], hours: float) -> Snapshot | None:
    """The snapshot closest to `hours` after publishing (ties: the later one); None without a dated one."""
    target = timedelta(hours=hours)
    dated = [s for s in snapshots if s.age is not None]
    if not dated:
        return None
    return min(dated, key=lambda s: (abs(s.age - target), -s.taken_at.timestamp()))  # type: ignore[operator]


def latest(snapshots: Sequence[Snapshot]) -> Snapshot | None:
    """The current snapshot: the most recent one."""
    return max(snapshots, key=lambda s: (s.taken_at, s.id), default=None)
