"""An export's rows (organizer.metrics.csvimport) matched to published variants, and the readings they make.

A row matches by its post address first (the stored `--url`, scheme, `www.` and query aside, or the post's id
in the address, so twitter.com and x.com links of one post agree), else by its publish time: a variant on the
same channel published within ±10 minutes (a date-only export matches the one variant of that day). Reads
only; the caller writes the readings in one transaction.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from organizer.metrics import store
from organizer.metrics.csvimport import Export, Mapping, Row
from organizer.metrics.model import Reading
from organizer.metrics.store import Variant
from organizer.storage.plain import Db

__all__ = ["WINDOW", "Matched", "Missed", "Plan", "match", "readings"]

WINDOW = timedelta(minutes=10)  # a scheduler posts on the minute; a hand-posted one goes out a few minutes late


@dataclass(frozen=True)
class Matched:
    """A row and the variant it is about; `how`: url, time or day."""

    row: Row
    variant: Variant
    how: str


@dataclass(frozen=True)
class Missed:
    """A row not imported: why, and the variants it could be (ambiguous rows)."""

    row: Row
    reason: str
    candidates: tuple[Variant, ...] = ()


@dataclass(frozen=True)
class Plan:
    """What an import would do: the rows that match one variant, those that match none, those that match two."""

    export: Export
    matched: list[Matched] = field(default_factory=list)
    unmatched: list[Missed] = field(default_factory=list)
    ambiguous: list[Missed] = field(default_factory=list)


def _post_id(link: str, m: Mapping) -> str | None:
    """The post's id in an address (the format's patterns), or None."""
    for pattern in m.post_id:
        if found := pattern.search(link):
            return found.group(1)
    return None


def _candidates(row: Row, timed: Sequence[tuple[datetime, Variant]], channels: tuple[str, ...], m: Mapping,
                tz: str) -> tuple[str, list[Variant]]:
    """(how, variants) a row's publish time points at, from `timed` (publish time, variant) sorted by time.

    A variant whose address names another post id is another post (two posts in the same minute, one on each
    account); an address of another form may still be this one (a shortened link), so it stays a candidate.
    """
    if row.published is not None:
        how, start, end = "time", row.published - WINDOW, row.published + WINDOW
    elif row.day is not None:
        zone = ZoneInfo(tz)
        start = datetime.combine(row.day, time(), zone).astimezone(UTC)
        how, end = "day", datetime.combine(row.day + timedelta(days=1), time(), zone).astimezone(UTC)
        end -= timedelta(microseconds=1)  # the day's last instant: midnight after is the next day's
    else:
        return "time", []
    mine = _post_id(row.link, m) if row.link else None
    # Bisect, not scan: a 100,000-row export against years of posts.
    window = timed[bisect_left(timed, start, key=lambda p: p[0]):bisect_right(timed, end, key=lambda p: p[0])]
    return how, [v for _, v in window if v.channel in channels
                 and not (mine and v.url and (theirs := _post_id(v.url, m)) and theirs != mine)]


def _where(row: Row, tz: str) -> str:
    """How a row was looked for, for the reason it was not found."""
    if row.published is not None:
        return f"published within 10 minutes of {row.published.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M}"
    if row.day is not None:
        return f"published on {row.day:%Y-%m-%d}"
    return "with a publish time"


def match(db: Db, export: Export) -> Plan:
    """Match every row of `export` to a published variant (reads only)."""
    m = export.format
    by_url = store.variant_by_url(db, [r.link for r in export.rows if r.link])
    variants = store.published_variants(db, channels=list(m.channels))
    timed = sorted(((v.published_at, v) for v in variants if v.published_at is not None), key=lambda p: p[0])
    by_id: dict[str, list[Variant]] = defaultdict(list)
    for v in variants:
        if v.url and (pid := _post_id(v.url, m)):
            by_id[pid].append(v)
    plan = Plan(export)
    first_line: dict[tuple[int, str], int] = {}  # a variant -> the line that matched it first
    for row in export.rows:
        channels = (row.channel,) if row.channel else m.channels
        found: list[Variant] = []
        how = "url"
        if row.link:
            hit = by_url.get(row.link)
            if hit is not None and hit.channel in channels:
                found = [hit]
            elif pid := _post_id(row.link, m):
                found = [v for v in by_id.get(pid, []) if v.channel in channels]
        if not found:
            how, found = _candidates(row, timed, channels, m, export.tz)
        if not found:
            what = "no post with this address, nor " if row.link else "no post "
            plan.unmatched.append(Missed(row, f"{what}{_where(row, export.tz)} on {' or '.join(channels)}"))
            continue
        if len(found) > 1:
            refs = ", ".join(f"{v.ref} {v.channel}" for v in found)
            plan.ambiguous.append(Missed(row, f"matches {len(found)} posts by {how}: {refs}", tuple(found)))
            continue
        variant = found[0]
        key = (variant.card_id, variant.channel)
        if key in first_line:
            plan.ambiguous.append(Missed(row, f"the same post ({variant.ref} {variant.channel}) as line "
                                              f"{first_line[key]}", (variant,)))
            continue
        first_line[key] = row.line
        plan.matched.append(Matched(row, variant, how))
    return plan


def readings(plan: Plan, taken_at: datetime) -> list[Reading]:
    """One CSV reading per matched row, all taken at `taken_at` (the export file's time)."""
    return [Reading(hit.variant.card_id, hit.variant.channel, taken_at, "csv", dict(hit.row.counts))
            for hit in plan.matched]
