"""Content mix: the strategist's targets by pillar (and channel) against what is planned and what went out.

Targets are the config's `[mix]` (every board) and `[mix.BOARD]` (one board), percentages, or, where the
config sets none, the board's own kept in the database (`organizer mix --pillars education=40,…`; the demo
ships some):

    [mix.NWC.pillars]
    educate = 40
    entertain = 25
    community = 20
    promote = 15
    [mix.NWC.channels]                  # optional
    instagram = 50
    linkedin = 30
    x = 20

Planned = the board's cards with a publish time in the range; published = those of them in a done column.
Each pillar (and channel) gets its share of each, the drift of the planned share from the target in points,
and a one-line verdict. Pillars and channels that have no target are listed too, never dropped. Plain SQL
only: the whole computation over 10,000 cards takes well under the 300 ms a command may.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from organizer.storage.plain import Db
from organizer.validate import InputError

NONE = "(no pillar)"
CLOSE = 5  # points of drift still called on target


@dataclass(frozen=True)
class Share:
    """One pillar's (or channel's) target, planned and published shares."""

    name: str
    target_pct: float | None
    planned: int
    published: int
    planned_pct: float
    published_pct: float

    @property
    def drift_points(self) -> float | None:
        """Planned share minus target, in percentage points (None without a target)."""
        return None if self.target_pct is None else round(self.planned_pct - self.target_pct, 1)

    def verdict(self) -> str:
        """`promote 32 % planned vs 15 % target: 17 points over`."""
        head = f"{self.name} {self.planned_pct:.0f} % planned"
        if self.target_pct is None:
            return f"{head}: no target"
        drift = self.drift_points or 0.0
        where = "on target" if abs(drift) < CLOSE else f"{abs(drift):.0f} points {'over' if drift > 0 else 'under'}"
        return f"{head} vs {self.target_pct:.0f} % target: {where}"

    def as_json(self, key: str) -> dict[str, Any]:
        """The porcelain of one row (`pillar` or `channel` as `key`)."""
        return {key: self.name, "target_pct": self.target_pct, "planned_pct": round(self.planned_pct, 1),
                "published_pct": round(self.published_pct, 1), "drift_points": self.drift_points,
                "planned": self.planned, "published": self.published, "verdict": self.verdict()}


@dataclass(frozen=True)
class Mix:
    """A board's mix over a range."""

    board: str
    start: datetime
    end: datetime
    planned: int
    published: int
    pillars: tuple[Share, ...]
    channels: tuple[Share, ...]


def targets(config: Mapping[str, Any], board: str) -> tuple[dict[str, float], dict[str, float]]:
    """The board's (pillar, channel) targets: `[mix.BOARD]` over `[mix]`."""
    def table(raw: Any, kind: str) -> dict[str, float]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping) or not all(isinstance(v, int | float) and 0 <= v <= 100 for v in raw.values()):
            raise InputError(f"[mix] {kind}: a table of name = percentage (0–100), e.g. educate = 40")
        return {str(k).casefold(): float(v) for k, v in raw.items()}

    found = config.get(board)
    own: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    pillars = table(own.get("pillars", config.get("pillars")), "pillars")
    channels = table(own.get("channels", config.get("channels")), "channels")
    return pillars, channels


def _setting_key(board: str) -> str:
    return f"mix.{board.upper()}"


def stored_targets(db: Db, board: str) -> tuple[dict[str, float], dict[str, float]]:
    """The board's targets kept in the database (`organizer mix --pillars …`, the demo's)."""
    import json

    rows = db.rows("SELECT value FROM setting WHERE key = :key", {"key": _setting_key(board)})
    if not rows:
        return {}, {}
    try:
        raw = json.loads(rows[0][0])
        return targets({board: raw}, board)
    except (ValueError, InputError):
        return {}, {}  # hand-edited and unreadable: no targets rather than no mix


def save_targets(db: Db, board: str, pillars: Mapping[str, float], channels: Mapping[str, float]) -> None:
    """Keep a board's targets in the database (the config's `[mix]` still wins where it sets them)."""
    import json

    value = json.dumps({"pillars": dict(pillars), "channels": dict(channels)})
    db.rows("INSERT INTO setting (key, value) VALUES (:key, :value) ON CONFLICT (key) DO UPDATE SET value = "
            "excluded.value", {"key": _setting_key(board), "value": value}, fetch=False)


def parse_targets(text: str, kind: str) -> dict[str, float]:
    """`education=40, community=25`: names and percentages (0–100, together at most 100)."""
    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        try:
            pct = float(value)
        except ValueError:
            pct = -1.0
        if not sep or not name.strip() or not 0 <= pct <= 100:
            raise InputError(f"--{kind} {part!r}: give name=percentage pairs, e.g. education=40,community=25")
        out[name.strip().casefold()] = pct
    if sum(out.values()) > 100:
        raise InputError(f"--{kind}: the targets add up to {sum(out.values()):g} %, more than 100")
    return out


def compute(db: Db, config: Mapping[str, Any], board: str, start: datetime, end: datetime) -> Mix:
    """The mix of one board's cards with a publish time in [start, end)."""
    found = db.rows("SELECT b.id FROM board b WHERE b.key = :key", {"key": board})
    if not found:
        from organizer.validate import unknown_board

        raise unknown_board(board, [r[0] for r in db.rows("SELECT key FROM board ORDER BY id")])
    rows = db.rows("SELECT c.id, c.pillar, bc.is_done FROM card c JOIN board_column bc ON bc.id = c.column_id "
                   "WHERE c.board_id = :board AND c.publish_at IS NOT NULL AND c.publish_at >= :start "
                   "AND c.publish_at < :end", {"board": found[0][0], "start": start, "end": end}, bulk=True)
    ids = {r[0] for r in rows}
    done = {r[0] for r in rows if r[2]}
    by_channel: dict[int, list[str]] = {}
    if ids:
        for cid, channel in db.rows("SELECT cc.card_id, cc.channel FROM card_channel cc JOIN card c ON "
                                    "c.id = cc.card_id WHERE c.board_id = :board", {"board": found[0][0]},
                                    bulk=True):
            if cid in ids:
                by_channel.setdefault(cid, []).append(channel)
    pillar_targets, channel_targets = targets(config, board)
    if not pillar_targets or not channel_targets:  # the config wins; the database fills what it leaves out
        kept_pillars, kept_channels = stored_targets(db, board)
        pillar_targets = pillar_targets or kept_pillars
        channel_targets = channel_targets or kept_channels
    pillar_of = {r[0]: (r[1] or "").strip().casefold() or NONE for r in rows}
    pillars = _shares(pillar_of.items(), done, pillar_targets)
    channels = _shares(((cid, ch) for cid, chs in by_channel.items() for ch in chs), done, channel_targets)
    return Mix(board, start, end, len(ids), len(done), pillars, channels)


def _shares(pairs: Any, done: set[int], wanted: Mapping[str, float]) -> tuple[Share, ...]:
    planned: Counter[str] = Counter()
    published: Counter[str] = Counter()
    for cid, name in pairs:
        planned[name] += 1
        if cid in done:
            published[name] += 1
    all_planned, all_published = sum(planned.values()), sum(published.values())
    names: Sequence[str] = list(wanted) + sorted(n for n in planned if n not in wanted)
    return tuple(Share(n, wanted.get(n), planned[n], published[n],
                       100 * planned[n] / all_planned if all_planned else 0.0,
                       100 * published[n] / all_published if all_published else 0.0) for n in names)
