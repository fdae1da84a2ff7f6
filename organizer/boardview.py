"""What the board screen shows: a board's columns and cards, read through plain SQL.

The app paints its first board before SQLAlchemy is even imported (that import alone costs more
than the whole paint budget), so the read side of the board lives here as plain SQL over
`organizer.storage.plain.Db`: on a SQLite file straight through `sqlite3` (the quick path), on PostgreSQL
through a SQLAlchemy connection, one code path for both. It gives plain data: no ORM objects, no
Textual. Filtering, swimlanes and "next up" are pure functions over that data, so the screen only draws.
The `/` text is read with the filter language of `organizer.filterlang`, the one `organizer list --filter`
uses, so both find the same cards.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from organizer import filterlang
from organizer.config import Config
from organizer.instants import readable
from organizer.storage.plain import Db
from organizer.validate import check_board_key, unknown_board


@dataclass(slots=True)
class CardRow:
    """One card as the board draws it."""

    id: int
    ref: str
    title: str
    role: str | None
    channels: tuple[str, ...]
    tags: tuple[str, ...]
    due_at: datetime | None
    publish_at: datetime | None
    estimate_minutes: int | None
    spent_minutes: int
    priority: int
    popup: bool
    parent_ref: str | None
    step: int | None
    campaign: str | None
    pillar: str | None
    position: float
    done: bool
    # Lower-cased text free words of the `/` filter search: ID, title, notes, tags, campaign, pillar
    # (built once, by `filterlang.haystack`, so each keystroke only does substring tests).
    haystack: str = ""
    # The post's variants: (channel, whether it fits that network's rules), in the post's order.
    variants: tuple[tuple[str, bool], ...] = ()
    # On a board with an approval gate: "approved", "rejected" or "needed" (in Review and not yet approved).
    approval: str = ""


@dataclass(slots=True)
class ColumnData:
    """One workflow column with its cards in order."""

    id: int
    name: str
    wip_limit: int | None
    is_done: bool
    cards: list[CardRow] = field(default_factory=list)

    @property
    def over_limit(self) -> bool:
        """True when the column holds more cards than its WIP limit."""
        return self.wip_limit is not None and len(self.cards) > self.wip_limit


@dataclass(slots=True)
class BoardData:
    """A board's columns, plus the list of boards to switch to."""

    id: int
    key: str
    name: str
    columns: list[ColumnData]
    boards: list[tuple[str, str]]

    def find(self, card_id: int) -> tuple[int, int] | None:
        """(column index, card index) of a card, or None."""
        for ci, column in enumerate(self.columns):
            for ri, card in enumerate(column.cards):
                if card.id == card_id:
                    return ci, ri
        return None


def _dt(text: str | None) -> datetime | None:
    # A stored value nothing can read shows as empty; organizer.integrity names it for the user.
    return readable(text)


def load_board(db: Db | sqlite3.Connection, cfg: Config, key: str | None = None) -> BoardData | None:
    """Read one board (by key; else the configured default, else the oldest); None when there are no boards.

    `db` is a `Db` (any database) or a plain `sqlite3` connection; run it in one read transaction, so the
    columns and the cards come from the same moment.
    """
    db = db if isinstance(db, Db) else Db(db)
    boards = [(r[0], r[1], r[2]) for r in db.rows("SELECT id, key, name FROM board ORDER BY id")]
    if not boards:
        return None
    wanted = check_board_key(key) if key else (cfg.default_board.upper() if cfg.default_board else None)
    chosen = next((b for b in boards if b[1] == wanted), None) if wanted else boards[0]
    if chosen is None:
        raise unknown_board(wanted or "", (b[1] for b in boards))
    board_id, board_key, board_name = chosen
    on_board = {"board": board_id}
    columns = [ColumnData(r[0], r[1], r[2], bool(r[3])) for r in db.rows(
        "SELECT id, name, wip_limit, is_done FROM board_column WHERE board_id = :board ORDER BY position", on_board)]
    by_id = {c.id: c for c in columns}
    channels: dict[int, list[str]] = defaultdict(list)
    for cid, ch in db.rows("SELECT cc.card_id, cc.channel FROM card_channel cc JOIN card c ON c.id = cc.card_id "
                           "WHERE c.board_id = :board ORDER BY cc.card_id, cc.position", on_board, bulk=True):
        channels[cid].append(ch)
    tags: dict[int, list[str]] = defaultdict(list)
    for cid, tag in db.rows("SELECT ct.card_id, ct.tag FROM card_tag ct JOIN card c ON c.id = ct.card_id "
                            "WHERE c.board_id = :board ORDER BY ct.card_id, ct.tag", on_board, bulk=True):
        tags[cid].append(tag)
    variants = _variant_fits(db, cfg, on_board)
    from organizer import approval

    gated_board = approval.rule(cfg, board_key, db).required > 0
    approvals = _approval_states(db, cfg, board_key, on_board) if gated_board else {}
    rows = db.rows(
        "SELECT id, number, column_id, position, title, role, estimate_minutes, spent_minutes, due_at, publish_at, "
        "campaign, pillar, priority, popup, parent_id, step, notes FROM card WHERE board_id = :board "
        "ORDER BY column_id, position", on_board, bulk=True)
    numbers = {r[0]: r[1] for r in rows}
    for (cid, number, column_id, position, title, role, est, spent, due, publish, campaign, pillar, priority,
         popup, parent_id, step, notes) in rows:
        column = by_id.get(column_id)
        if column is None:  # read outside one transaction, a column added meanwhile: the next reload shows it
            continue
        card_tags = tuple(tags.get(cid, ()))
        ref = f"{board_key}-{number}"
        parent_ref = None
        if parent_id is not None:
            parent_ref = f"{board_key}-{numbers[parent_id]}" if parent_id in numbers else None
        haystack = filterlang.haystack(ref, title, notes, card_tags, campaign, pillar)
        column.cards.append(CardRow(
            cid, ref, title, role, tuple(channels.get(cid, ())), card_tags, _dt(due), _dt(publish), est, spent,
            priority, bool(popup), parent_ref, step, campaign, pillar, position, column.is_done, haystack,
            variants.get(cid, ()), approvals.get(cid, ("needed" if column.name.strip().lower() == "review"
                                                       and gated_board else ""))))
    return BoardData(board_id, board_key, board_name, columns, [(b[1], b[2]) for b in boards])


def _approval_states(db: Db, cfg: Config, board_key: str, on_board: dict[str, Any]) -> dict[int, str]:
    """Each judged card's state on a gated board: approved (enough since the last rejection) or rejected."""
    from organizer import approval

    rule = approval.rule(cfg, board_key, db)
    if not rule.required:
        return {}
    verdicts: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for cid, by, verdict in db.rows("SELECT a.card_id, a.by, a.verdict FROM approval a JOIN card c ON "
                                    "c.id = a.card_id WHERE c.board_id = :board ORDER BY a.card_id, a.id", on_board):
        verdicts[cid].append((by, verdict))
    out = {}
    for cid, said in verdicts.items():
        if approval.count(rule, said) >= rule.required:
            out[cid] = "approved"
        elif said[-1][1] == "reject":
            out[cid] = "rejected"
    return out


def _variant_fits(db: Db, cfg: Config, on_board: dict[str, Any]) -> dict[int, tuple[tuple[str, bool], ...]]:
    """Each card's variants with whether each fits its network (organizer.posts.count), by card id."""
    found = db.rows("SELECT pv.card_id, pv.channel, pv.text FROM post_variant pv JOIN card c ON c.id = pv.card_id "
                    "WHERE c.board_id = :board ORDER BY pv.card_id, pv.position", on_board, bulk=True)
    if not found:
        return {}
    from organizer.posts.count import check
    from organizer.posts.rules import rules

    known = rules()
    out: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for cid, channel, text in found:
        rule = known.get(channel)
        if rule is None:
            continue
        if channel in cfg.channel_limits:
            rule = rule.with_limit(cfg.channel_limits[channel])
        out[cid].append((channel, check(text, rule).ok))
    return {cid: tuple(v) for cid, v in out.items()}


@dataclass(frozen=True, slots=True)
class View:
    """What narrows the board: `/` text, role toggles, one channel."""

    text: str = ""
    roles: frozenset[str] = frozenset()
    channel: str | None = None

    @property
    def active(self) -> bool:
        """True when anything is filtered out."""
        return bool(self.text or self.roles or self.channel)

    def describe(self) -> str:
        """A short description of the active filters, for the screen's header."""
        parts = []
        if self.text:
            parts.append(f"/{self.text}")
        if self.roles:
            parts.append("roles " + ",".join(sorted(self.roles)))
        if self.channel:
            parts.append(f"channel {self.channel}")
        return " · ".join(parts)


def visible(cards: Iterable[CardRow], view: View, *, cfg: Config, now: datetime | None = None) -> list[CardRow]:
    """The cards a view lets through, in their order.

    `view.text` is a filter in the language of `organizer.filterlang` (`launch #video @writer !1 due:week`),
    read against `cfg` (roles, channels, time zone) at `now` (default: now).
    Terms that cannot be read yet (`due:tom` while typing) are left out; `filter_error` names them.
    """
    match = filterlang.parse(view.text, cfg, now=now, lenient=True).match if view.text.strip() else None
    roles, channel = view.roles, view.channel
    return [c for c in cards
            if (match is None or match(c))
            and (not roles or c.role in roles)
            and (not channel or channel in c.channels)]


def filter_error(text: str, cfg: Config, *, now: datetime | None = None) -> str | None:
    """Why a `/` filter cannot be read (`'!7': priority is 1 to 4 …`), or None when it can: for the screen to show."""
    return filterlang.filter_error(text, cfg, now=now)


def swimlanes(cards: Sequence[CardRow], role_order: Sequence[str]) -> list[tuple[str | None, list[CardRow]]]:
    """Cards grouped by role in the configured role order, cards without a role last."""
    groups: dict[str | None, list[CardRow]] = defaultdict(list)
    for card in cards:
        groups[card.role].append(card)
    order: list[str | None] = [r for r in role_order if r in groups]
    order += [r for r in groups if r not in role_order and r is not None]
    if None in groups:
        order.append(None)
    return [(role, groups[role]) for role in order]


_NEVER = datetime.max.replace(tzinfo=UTC)


def _urgency(card: CardRow) -> tuple[int, datetime, float]:
    deadline = min((d for d in (card.due_at, card.publish_at) if d is not None), default=_NEVER)
    return card.priority, deadline, card.position


def next_up(board: BoardData, role_order: Sequence[str]) -> list[tuple[str, CardRow | None]]:
    """For each role, its most pressing open card: highest priority, then earliest due or publish time."""
    best: dict[str, CardRow] = {}
    for column in board.columns:
        if column.is_done:
            continue
        for card in column.cards:
            if card.role and (card.role not in best or _urgency(card) < _urgency(best[card.role])):
                best[card.role] = card
    return [(role, best.get(role)) for role in role_order]
