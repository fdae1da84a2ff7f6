"""Metrics snapshots in the database, in plain SQL (SQLite and PostgreSQL, through organizer.storage.plain.Db).

Writers hand `record` a batch of readings inside the caller's transaction: all of them land or none (the
caller's rollback). A source's reading of a variant at the same moment replaces its earlier one, so importing
the same export twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from organizer.instants import readable
from organizer.metrics.model import METRICS, Reading, Snapshot
from organizer.storage.plain import Db
from organizer.validate import InputError, parse_ref

__all__ = ["Variant", "by_variant", "card_variants", "find_variant", "published_variants", "record", "snapshots",
           "snapshots_at_age", "variant_by_url", "variants_of"]


@dataclass(frozen=True)
class Variant:
    """A post as it went out on one network: where to find it and what it was (for matching and analysis)."""

    card_id: int
    ref: str
    board: str
    channel: str
    url: str | None
    published_at: datetime | None  # the variant's own time, else the card's publish time
    status: str
    text: str
    pillar: str | None
    title: str

    @property
    def published(self) -> bool:
        """Whether it went out: its status says so, or its post's address is known."""
        return self.status == "published" or bool(self.url)


_VARIANTS = (
    "SELECT v.card_id, b.key, c.number, v.channel, v.url, v.publish_at, c.publish_at, v.status, v.text, c.pillar, "
    "c.title FROM post_variant v JOIN card c ON c.id = v.card_id JOIN board b ON b.id = c.board_id")


def _variant(row: Sequence[Any]) -> Variant:
    cid, key, number, channel, url, own, card_time, status, text, pillar, title = row
    return Variant(int(cid), f"{key}-{number}", str(key), str(channel), url or None,
                   readable(own) or readable(card_time), str(status), str(text or ""), pillar or None, str(title))


def card_variants(db: Db, ref: str) -> list[Variant]:
    """A card's variants by its ID (none: the post is not written yet); the ID must name one card."""
    key, number = parse_ref(ref)
    params: dict[str, object] = {"number": number}
    sql = _VARIANTS + " WHERE c.number = :number"
    if key:
        sql, params["key"] = sql + " AND b.key = :key", key
    found = [_variant(r) for r in db.rows(sql + " ORDER BY b.key, v.position", params)]
    if len({v.card_id for v in found}) > 1:
        raise InputError(f"card {ref!r} is ambiguous: give the board key, e.g. {found[0].ref}")
    return found


def find_variant(db: Db, ref: str, channel: str | None = None) -> Variant:
    """A card's variant by ID and channel (the channel may be left out when the card has one variant)."""
    found = card_variants(db, ref)
    if not found:
        raise InputError(f"card {ref!r} has no post variants: write its post first (organizer variant {ref} …)")
    if channel is None:
        if len(found) == 1:
            return found[0]
        raise InputError(f"{found[0].ref} goes out on {', '.join(v.channel for v in found)}: say which with --channel")
    for v in found:
        if v.channel == channel:
            return v
    raise InputError(f"{found[0].ref} has no {channel} variant: its channels are {', '.join(v.channel for v in found)}")


def _url_key(url: str) -> str:
    """A post address as matched: no scheme, no `www.`, no query or fragment, no trailing slash, lower-case host."""
    text = url.strip().split("#", 1)[0].split("?", 1)[0]
    text = text.split("://", 1)[-1]
    host, _, path = text.partition("/")
    host = host.lower().removeprefix("www.")
    return f"{host}/{path.rstrip('/')}"


def variant_by_url(db: Db, urls: Iterable[str]) -> dict[str, Variant]:
    """The variants whose stored post address matches each URL (scheme, `www.`, query and trailing `/` aside)."""
    wanted = {_url_key(u): u for u in urls if u and u.strip()}
    out: dict[str, Variant] = {}
    for row in db.rows(_VARIANTS + " WHERE v.url IS NOT NULL AND v.url <> ''"):
        v = _variant(row)
        original = wanted.get(_url_key(v.url or ""))
        if original is not None:
            out[original] = v
    return out


def published_variants(db: Db, *, channels: Sequence[str] | None = None, board: str | None = None) -> list[Variant]:
    """Variants that went out (status published, or a post address known), oldest first."""
    sql = _VARIANTS + " WHERE (v.status = 'published' OR (v.url IS NOT NULL AND v.url <> ''))"
    params: dict[str, object] = {}
    if board:
        sql, params["board"] = sql + " AND b.key = :board", board.upper()
    found = [_variant(r) for r in db.rows(sql, params, bulk=True)]
    if channels:
        found = [v for v in found if v.channel in channels]
    return sorted(found, key=lambda v: (v.published_at is None, v.published_at or datetime.min, v.ref, v.channel))


def variants_of(db: Db, card_ids: Iterable[int]) -> list[Variant]:
    """Every variant of the given cards, published or not."""
    ids = sorted({int(i) for i in card_ids})
    if not ids:
        return []
    return [_variant(r) for r in db.rows(_VARIANTS + f" WHERE v.card_id IN ({', '.join(str(i) for i in ids)})")]


def record(db: Db, readings: Sequence[Reading]) -> int:
    """Write readings (one source's reading at the same moment replaces its earlier one); how many were written."""
    if not readings:
        return 0
    known = {(int(c), str(ch)) for c, ch in db.rows("SELECT card_id, channel FROM post_variant")}
    for r in readings:
        if (r.card_id, r.channel) not in known:
            raise InputError(f"no {r.channel} variant for card id {r.card_id}: nothing was written")
    names = ", ".join(METRICS)
    values = ", ".join(f":{m}" for m in METRICS)
    updates = ", ".join(f"{m} = excluded.{m}" for m in METRICS)
    db.many(f"INSERT INTO metric_snapshot (card_id, channel, taken_at, source, {names}) "
            f"VALUES (:card, :channel, :at, :source, {values}) "
            f"ON CONFLICT (card_id, channel, taken_at, source) DO UPDATE SET {updates}",
            [{"card": r.card_id, "channel": r.channel, "at": r.taken_at, "source": r.source}
             | {m: r.counts.get(m) for m in METRICS} for r in readings])
    return len(readings)


def snapshots(db: Db, *, card_ids: Iterable[int] | None = None, board: str | None = None,
              ids_of_snapshots: Sequence[int] | None = None) -> list[Snapshot]:
    """Stored snapshots (of the given cards, or a board's, or by id), oldest first, with each variant's publish
    time."""
    sql = ("SELECT s.id, s.card_id, b.key, c.number, s.channel, s.taken_at, s.source, "
           + ", ".join(f"s.{m}" for m in METRICS) + ", v.publish_at, c.publish_at FROM metric_snapshot s "
           "JOIN post_variant v ON v.card_id = s.card_id AND v.channel = s.channel JOIN card c ON c.id = s.card_id "
           "JOIN board b ON b.id = c.board_id")
    where, params = [], {}
    ids = sorted({int(i) for i in card_ids}) if card_ids is not None else None
    if ids is not None:
        if not ids:
            return []
        where.append(f"s.card_id IN ({', '.join(str(i) for i in ids)})")  # ints only: safe to inline
    if board:
        where.append("b.key = :board")
        params["board"] = board.upper()
    if ids_of_snapshots is not None:
        if not ids_of_snapshots:
            return []
        where.append(f"s.id IN ({', '.join(str(int(i)) for i in ids_of_snapshots)})")
    if where:
        sql += " WHERE " + " AND ".join(where)
    out = []
    for row in db.rows(sql + " ORDER BY s.taken_at, s.id", params, bulk=True):
        sid, cid, key, number, channel, at, source, *counts = row
        own, card_time = counts[-2], counts[-1]
        taken = readable(at)
        if taken is None:
            continue  # an unreadable row (hand-edited database): left out, not fatal
        out.append(Snapshot(int(sid), int(cid), f"{key}-{number}", str(channel), taken, str(source),
                            dict(zip(METRICS, counts[:-2], strict=True)), readable(own) or readable(card_time)))
    return out


def _naive_utc(value: Any) -> datetime | None:
    """A stored instant as naive UTC, quickly: SQLite's text parsed directly, PostgreSQL's aware value converted."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is None else parsed.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, datetime):
        return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    return None


def snapshots_at_age(db: Db, variants: Iterable[Variant], hours: float) -> list[Snapshot]:
    """Each variant's one snapshot that reports read: the one nearest `hours` after publishing (ties: the later),
    else its latest. Two passes, so a report over 5,000 posts with 50,000 snapshots builds 5,000 objects, not
    50,000: the ids and times of all (compared as naive UTC: no zone arithmetic per row), then the counts of the
    chosen. (A window function ranking them in the database measured slower on SQLite: 145 ms against 120.)"""
    wanted = {(v.card_id, v.channel): (None if v.published_at is None else
                                       v.published_at.astimezone(UTC).replace(tzinfo=None)) for v in variants}
    ids = sorted({c for c, _ in wanted})
    if not ids:
        return []
    target, zero = timedelta(hours=hours), timedelta(0)
    best: dict[tuple[int, str], tuple[int, timedelta, datetime, int]] = {}  # (undated?, distance, taken, id)
    for sid, cid, channel, at in db.rows("SELECT id, card_id, channel, taken_at FROM metric_snapshot WHERE card_id "
                                         f"IN ({', '.join(str(i) for i in ids)})",  # ints only: safe to inline
                                         bulk=True):
        key = (cid, channel)
        if key not in wanted:
            continue
        taken = _naive_utc(at)
        if taken is None:
            continue  # an unreadable row (a hand-edited database): left out, as `snapshots` does
        published = wanted[key]
        undated, distance = (1, zero) if published is None else (0, abs(taken - published - target))
        current = best.get(key)
        # As model.at_age (nearest the age, then the later), dated ones first; else model.latest.
        if current is None or (undated, distance) < current[:2] or (
                (undated, distance) == current[:2] and taken > current[2]):
            best[key] = (undated, distance, taken, sid)
    chosen = sorted(int(entry[3]) for entry in best.values())
    out: list[Snapshot] = []
    for chunk in range(0, len(chosen), 1000):
        out.extend(snapshots(db, ids_of_snapshots=chosen[chunk:chunk + 1000]))
    return out


def by_variant(found: Iterable[Snapshot]) -> dict[tuple[int, str], list[Snapshot]]:
    """Snapshots grouped per variant (card id, channel), each list oldest first."""
    out: dict[tuple[int, str], list[Snapshot]] = defaultdict(list)
    for s in found:
        out[(s.card_id, s.channel)].append(s)
    return dict(out)
