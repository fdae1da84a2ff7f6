"""Undo and redo across processes, each from the place a change was made.

Every action stores row snapshots before and after. An entry's `changes` is a JSON list of
`{"table", "id", "before", "after"}`; a snapshot is a row's columns (datetimes as stored text)
plus, for a card, its `channels`, `tags` and post `variants` (and, when the card is removed, the `time_entries`,
`pinned_blocks`, `metrics` snapshots and `experiment_posts` that go with it), and for a board, its `columns`.
Undo writes the befores back in reverse order, redo the afters in order, so a card deleted with its steps comes back
parent first. Older entries without the newer keys undo as they always did.

An entry also records its *place*: one terminal session (`cli:<session>`, see
`organizer.storage.quick.shell_place`) or one app session (`tui:<id>`). Undo takes the newest change of
its own place and redo the last one it undid; a new action clears only its own place's redo
stack. `anywhere=True` (`organizer undo --any`) takes the newest change from any place instead.
Neither ever overwrites a change made later elsewhere: before writing, every row must still be
as the entry left it (and a row about to be deleted must have gained nothing that hangs on it),
or `UndoConflict` names what changed and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlmodel import Session, col

from organizer.history_rows import Snapshot, restore, snapshot, table_of
from organizer.models import HistoryEntry, utcnow
from organizer.storage.quick import default_place, new_app_place, shell_place

__all__ = [
    "PRUNE_EVERY", "NothingToUndo", "Snapshot", "UndoConflict", "batch", "change", "describe_place", "new_app_place",
    "prune", "record", "redo", "set_place", "shell_place", "snapshot", "undo",
]

_PLACE_KEY = "place"  # in Session.info: the place of every change made in that session
_BATCH_KEY = "history_batch"  # in Session.info while `batch` collects changes
PRUNE_EVERY = 50  # a recorded entry whose id is a multiple of this prunes the history
# Rows that hang on a card and are deleted with it; a removal's snapshot carries them back.
_DEPENDENTS = ("time_entries", "pinned_blocks", "metrics", "experiment_posts")
# Columns other actions change without a history entry (a new card bumps its board's counter).
# updated_at: undo and redo stamp it anew (time only moves forward for calendar clients), so it is no conflict.
_UNTRACKED = {"board": ("next_number",), "card": ("updated_at",)}


class NothingToUndo(LookupError):
    """The history holds nothing to undo (or redo) from this place."""


class UndoConflict(NothingToUndo):
    """Undoing (or redoing) would overwrite a later change made elsewhere; nothing was written."""


def change(table: str, row_id: int, before: Snapshot | None, after: Snapshot | None) -> dict[str, Any]:
    """One entry of a history record."""
    return {"table": table, "id": row_id, "before": before, "after": after}


# --- places -------------------------------------------------------------------------------------

def set_place(session: Session, place: str) -> None:
    """Record every change made in this session as made at `place` (an app session sets its own)."""
    session.info[_PLACE_KEY] = place


def _place(session: Session, place: str | None, origin: str = "cli") -> str:
    return place or session.info.get(_PLACE_KEY) or default_place(origin)


def _is_app(place: str) -> bool:
    return place == "tui" or place.startswith("tui:")


def describe_place(place: str, mine: str | None = None) -> str:
    """Where a change was made, as seen from `mine`: "from this shell", "in the app, session 1a2b3c4d"…"""
    if place == mine:
        return "in this app session" if _is_app(place) else "from this shell"
    if place.startswith("cli:"):
        return "from another shell" if mine and mine.startswith("cli:") else "from a shell"
    if place == "cli":
        return "from a shell"
    if place.startswith("tui:"):
        return f"in the app, session {place[4:]}"
    if place == "tui":
        return "in the app"
    return f"by {place}"


# --- recording ----------------------------------------------------------------------------------

def record(session: Session, summary: str, changes: list[dict[str, Any]], origin: str = "cli", *,
           place: str | None = None) -> None:
    """Store an action in the history (in the caller's transaction) and clear its place's redo stack.

    The place is `place`, else the session's (`set_place`), else the shell's. Every so often the
    history is pruned to the `[history]` limits of the config.
    """
    collecting = session.info.get(_BATCH_KEY)
    if collecting is not None:  # inside `batch`: one entry for the whole action, written when it ends
        collecting.extend(changes)
        return
    where = _place(session, place, origin)
    session.execute(delete(HistoryEntry).where(col(HistoryEntry.place) == where,
                                               col(HistoryEntry.undone) == True))  # noqa: E712
    entry = HistoryEntry(at=utcnow(), origin=origin, place=where, summary=summary, changes=json.dumps(changes))
    session.add(entry)
    session.flush()
    if entry.id is not None and entry.id % PRUNE_EVERY == 0:
        _prune_as_configured(session)


@contextmanager
def batch(session: Session, summary: str, origin: str = "cli") -> Iterator[None]:
    """Record every change made inside the block as one history entry (one undo step), named `summary`."""
    if session.info.get(_BATCH_KEY) is not None:
        yield  # already in a batch: the outer one records
        return
    changes: list[dict[str, Any]] = []
    session.info[_BATCH_KEY] = changes
    try:
        yield
    finally:
        session.info.pop(_BATCH_KEY, None)
    if changes:
        record(session, summary, changes, origin)


def _prune_as_configured(session: Session) -> None:
    from organizer.config import ConfigError, load_config

    try:
        cfg = load_config()
    except (ConfigError, OSError):
        return  # the command has read (and reported) the config already; keep everything until it is fixed
    prune(session, keep_days=cfg.history_keep_days, max_entries=cfg.history_max_entries,
          undo_depth=cfg.history_undo_depth)


def prune(session: Session, *, keep_days: int, max_entries: int, undo_depth: int,
          now: datetime | None = None) -> int:
    """Delete entries older than `keep_days` or beyond the newest `max_entries`; returns how many.

    Never inside the undo depth: the newest `undo_depth` entries of every place used within
    `keep_days` stay, whatever their age and however many entries there are. A place idle for
    longer (a closed app session, a terminal long gone) keeps nothing past the limits.
    """
    h = table_of("history")
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    ranked = select(
        h.c.id,
        func.row_number().over(partition_by=h.c.place, order_by=h.c.id.desc()).label("rank"),
        func.max(h.c.at).over(partition_by=h.c.place).label("last_at"),
    ).subquery()
    depth = select(ranked.c.id).where(ranked.c.rank <= undo_depth, ranked.c.last_at >= cutoff)
    # The id of the newest entry past the size limit (NULL while the history is within it).
    surplus = select(h.c.id).order_by(h.c.id.desc()).limit(1).offset(max_entries).scalar_subquery()
    result = session.connection().execute(
        delete(h).where(or_(h.c.at < cutoff, h.c.id <= surplus), h.c.id.not_in(depth)))
    return int(result.rowcount or 0)


# --- undo and redo ------------------------------------------------------------------------------

def _expected_and_target(changes: list[dict[str, Any]], action: str) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Per row: the state it must be in now, and the state the action writes."""
    expected: dict[tuple[str, int], Snapshot | None] = {}
    target: dict[tuple[str, int], Snapshot | None] = {}
    for ch in changes:
        key = (ch["table"], ch["id"])
        if action == "undo":  # from the row's last state in the entry back to its first
            expected[key] = ch["after"]
            target.setdefault(key, ch["before"])
        else:
            expected.setdefault(key, ch["before"])
            target[key] = ch["after"]
    return expected, target


def _same(table: str, now: Snapshot | None, expected: Snapshot | None) -> bool:
    if now is None or expected is None:
        return now is None and expected is None
    ignore = set(_DEPENDENTS) | set(_UNTRACKED.get(table, ()))
    # Only the keys the entry knows: a column added by a later migration is not a change.
    return all(now.get(k) == v for k, v in expected.items() if k not in ignore)


def _gained(session: Session, key: tuple[str, int], deleting: set[tuple[str, int]],
            known: Snapshot | None) -> str | None:
    """What hangs on a row about to be deleted that the action did not bring (it would cascade away)."""
    conn = session.connection()
    table, row_id = key
    if table == "board":
        cards = table_of("card")
        # The metadata's Table columns are untyped (Any): the rows are typed here as the schema has them.
        board_cards: Iterable[tuple[int, int]] = conn.execute(
            select(cards.c.id, cards.c.number).where(cards.c.board_id == row_id))
        numbers = [n for cid, n in board_cards if ("card", cid) not in deleting]
        return f"has cards added since ({len(numbers)})" if numbers else None
    if table != "card":
        return None
    cards, te, pb = table_of("card"), table_of("time_entry"), table_of("plan_block")
    step_ids: Iterable[int] = conn.execute(select(cards.c.id).where(cards.c.parent_id == row_id)).scalars()
    steps = [cid for cid in step_ids if ("card", cid) not in deleting]
    if steps:
        return f"has steps added since ({', '.join(_name(session, ('card', s), None) for s in steps[:3])})"
    ours = {r["id"] for r in (known or {}).get("time_entries", [])}
    entry_ids: Iterable[int] = conn.execute(select(te.c.id).where(te.c.card_id == row_id)).scalars()
    if any(i not in ours for i in entry_ids):
        return "has time tracked since"
    ours = {r["id"] for r in (known or {}).get("pinned_blocks", [])}
    pinned: Iterable[int] = conn.execute(
        select(pb.c.id).where(pb.c.card_id == row_id, pb.c.pinned == True)).scalars()  # noqa: E712
    if any(i not in ours for i in pinned):
        return "has pinned plan time since"
    ms = table_of("metric_snapshot")
    ours = {r["id"] for r in (known or {}).get("metrics", [])}
    readings: Iterable[int] = conn.execute(select(ms.c.id).where(ms.c.card_id == row_id)).scalars()
    if any(i not in ours for i in readings):
        return "has metrics recorded since"
    return None


def _name(session: Session, key: tuple[str, int], snap: Snapshot | None) -> str:
    """A row as people know it: MAIN-3, board MAIN, busy 'Standup'."""
    table, row_id = key
    if snap is None:
        snap = snapshot(session, table, row_id)
    if table == "card" and snap:
        board = table_of("board")
        board_key = session.connection().execute(select(board.c.key).where(board.c.id == snap["board_id"])).scalar()
        return f"{board_key or '?'}-{snap['number']}"
    if table == "board" and snap:
        return f"board {snap['key']}"
    if table == "busy_event" and snap:
        return f"busy '{snap.get('title', '')}'"
    return f"{table} {row_id}"


def _later_change(session: Session, entry: HistoryEntry, key: tuple[str, int]) -> HistoryEntry | None:
    """The newest change after `entry` that touched a row (only read when refusing)."""
    needle = f'"id": {key[1]}'
    later = session.scalars(select(HistoryEntry)
                            .where(col(HistoryEntry.id) > entry.id, col(HistoryEntry.undone) == False)  # noqa: E712
                            .order_by(col(HistoryEntry.id).desc()))
    for other in later:
        if needle in other.changes and any((c["table"], c["id"]) == key for c in json.loads(other.changes)):
            return other
    return None


def _check(session: Session, entry: HistoryEntry, action: str, mine: str) -> list[dict[str, Any]]:
    """The entry's changes, if `action` can apply them without overwriting anything; else UndoConflict."""
    changes: list[dict[str, Any]] = json.loads(entry.changes)
    expected, target = _expected_and_target(changes, action)
    deleting = {key for key, state in target.items() if state is None}
    problems = []
    for key, state in expected.items():
        if not _same(key[0], snapshot(session, *key), state):
            named = _name(session, key, state or target[key])
            later = _later_change(session, entry, key)
            problems.append(f"{named} was changed later {describe_place(later.place, mine)} ('{later.summary}')"
                            if later else f"{named} has changed since")
        elif key in deleting and (why := _gained(session, key, deleting, state)):
            problems.append(f"{_name(session, key, state)} {why}")
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        hint = ("undo that first where it was made, or `organizer undo --any` takes back the newest change "
                "from anywhere" if action == "undo" else "it stays undone")
        raise UndoConflict(f"cannot {action} '{entry.summary}': {'; '.join(problems[:3])}{more}; nothing was "
                           f"changed: {hint}")
    return changes


def _nothing(session: Session, action: str, mine: str) -> NothingToUndo:
    if _is_app(mine):
        return NothingToUndo(f"nothing to {action} in this app session: changes made from a shell are "
                             f"{action}ne there, with `organizer {action}`")
    other = session.scalars(select(HistoryEntry).where(col(HistoryEntry.undone) == (action == "redo"))
                            .order_by(col(HistoryEntry.id).desc()).limit(1)).first()
    if other is None:
        return NothingToUndo(f"nothing to {action}")
    what = "the newest change" if action == "undo" else "the last change undone"
    return NothingToUndo(f"nothing to {action} from this shell: {what}, '{other.summary}', was made "
                         f"{describe_place(other.place, mine)}; `organizer {action} --any` {action}es it")


def undo(session: Session, place: str | None = None, *, anywhere: bool = False) -> str:
    """Revert the newest change of this place (all places with `anywhere`); return its summary.

    The place is `place`, else the session's, else this shell's. With `anywhere`, the summary says
    where the change was made. Raises NothingToUndo, or UndoConflict when a row changed since.
    """
    mine = _place(session, place)
    query = select(HistoryEntry).where(col(HistoryEntry.undone) == False)  # noqa: E712
    if not anywhere:
        query = query.where(col(HistoryEntry.place) == mine)
    entry = session.scalars(query.order_by(col(HistoryEntry.id).desc()).limit(1)).first()
    if entry is None:
        raise NothingToUndo("nothing to undo") if anywhere else _nothing(session, "undo", mine)
    changes = _check(session, entry, "undo", mine)
    for ch in reversed(changes):
        restore(session, ch["table"], ch["id"], ch["before"], entry.at or utcnow())
    entry.undone, entry.undone_at = True, utcnow()
    session.add(entry)
    return f"{entry.summary} (made {describe_place(entry.place, mine)})" if anywhere else entry.summary


def redo(session: Session, place: str | None = None, *, anywhere: bool = False) -> str:
    """Re-apply the change this place undid last (the last undone anywhere with `anywhere`); return its summary."""
    mine = _place(session, place)
    query = select(HistoryEntry).where(col(HistoryEntry.undone) == True)  # noqa: E712
    if anywhere:
        newest_undone = col(HistoryEntry.undone_at).desc().nulls_last()
        query = query.order_by(newest_undone, col(HistoryEntry.id))
    else:
        # A place undoes newest first, so its oldest undone entry is the one it undid last.
        query = query.where(col(HistoryEntry.place) == mine).order_by(col(HistoryEntry.id))
    entry = session.scalars(query.limit(1)).first()
    if entry is None:
        raise NothingToUndo("nothing to redo") if anywhere else _nothing(session, "redo", mine)
    changes = _check(session, entry, "redo", mine)
    for ch in changes:
        restore(session, ch["table"], ch["id"], ch["after"], entry.at or utcnow())
    entry.undone, entry.undone_at = False, None
    session.add(entry)
    return f"{entry.summary} (made {describe_place(entry.place, mine)})" if anywhere else entry.summary
