"""One schedule over a horizon: computed and stored by one code path for the CLI, the app, the export and the feed.

The horizon is today and the following days up to `plan_horizon_days` working days. Every card's
remaining estimate is planned once across it (`planner.plan_range` over the whole horizon), never
day by day, so viewing a day never changes any day.

Always current: database triggers (migration 0006 on SQLite, 0007 on PostgreSQL) mark the plan stale in
the same transaction as any change to cards, columns, busy time, timers or plan blocks, from any process
or write path. Every
read (`current`) re-plans first when the plan is stale or was made for an earlier horizon; otherwise
it reads what is stored. Re-planning keeps history (blocks that ended before now), pinned blocks and
the block in progress (which an urgent pop-up may cut), and places the rest afresh with the
planner's rules; it reports every card whose next block moved.

Plain SQL through `organizer.storage.plain.Db`, so `organizer plan` on a current SQLite database never
imports SQLAlchemy; the same SQL runs on PostgreSQL through a SQLAlchemy session or connection.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from organizer.config import Config
from organizer.dates import day_bounds
from organizer.planner.model import Block, DayPlan, Fixed, Moved, Unplanned, settings_from_config
from organizer.services.plan_inputs import (  # what a re-plan reads and plans
    busy_between,
    horizon,
    moved_between,
    plan_inputs,
    plan_with,
    stored_blocks,
)
from organizer.storage.plain import Db

if TYPE_CHECKING:
    from sqlmodel import Session

PLAN_KINDS = ("work", "reserve", "popup")
# The flag the triggers set; the stored plan; and its small header, read on every `plan` to decide.
STALE_KEY, STATE_KEY, HEAD_KEY = "plan.stale", "plan.state", "plan.head"
# Bumped when the planner's rules or wording change: a plan stored by another version is made again.
STATE_VERSION = 3


@dataclass
class Schedule:
    """The stored plan: one DayPlan per horizon day, when it was made, and what the last re-plan moved."""

    start: date
    plans: list[DayPlan]
    made_at: datetime
    moved: list[Moved] = field(default_factory=list)
    replanned: bool = False

    def day(self, day: date) -> DayPlan | None:
        """The plan of one day of the horizon, or None outside it."""
        index = (day - self.start).days
        return self.plans[index] if 0 <= index < len(self.plans) else None


# --- state --------------------------------------------------------------------------------------------


def _setting(db: Db, key: str) -> str | None:
    rows = db.rows("SELECT value FROM setting WHERE key = :key", {"key": key})
    return rows[0][0] if rows else None


def _put(db: Db, key: str, value: str) -> None:
    db.rows("INSERT INTO setting (key, value) VALUES (:key, :value) ON CONFLICT (key) DO UPDATE SET value = "
            "excluded.value", {"key": key, "value": value}, fetch=False)


def is_stale(db: Db, cfg: Config, now: datetime) -> bool:
    """Whether the stored plan must be made again before it is read."""
    rows = dict(db.rows("SELECT key, value FROM setting WHERE key IN ('plan.stale', 'plan.head')"))
    if rows.get(STALE_KEY) != "0" or HEAD_KEY not in rows:
        return True
    start, days = horizon(cfg, now)
    return bool(json.loads(rows[HEAD_KEY]) != _head(cfg, start, days))  # json.loads is Any, so == is too


def _head(cfg: Config, start: date, days: int) -> dict[str, Any]:
    """What a stored plan was made for: a plan made for another day, zone, horizon or rules is made again."""
    return {"v": STATE_VERSION, "start": start.isoformat(), "days": days, "tz": cfg.timezone}


def _encode(schedule: Schedule) -> str:
    """The stored plan as compact JSON (lists, not dicts: a horizon of 3,000 cards is ~2,000 entries)."""
    def blk(b: Block) -> list[Any]:
        return [b.start.isoformat(), b.end.isoformat(), b.kind, b.card_id, b.title, b.role, b.pinned, b.ref]

    def mv(m: Moved) -> list[Any]:
        return [m.card_id, m.ref, m.from_day.isoformat(), m.to_day.isoformat() if m.to_day else None, m.reason]

    def un(u: Unplanned) -> list[Any]:
        return [u.card_id, u.ref, u.reason]

    plans = [[p.day.isoformat(), p.available_minutes, p.planned_minutes, p.reserve_minutes, p.reserve_used_minutes,
              [blk(b) for b in p.blocks], [un(u) for u in p.unplanned], [mv(m) for m in p.moved],
              [un(u) for u in p.late], p.working_minutes, p.free_minutes] for p in schedule.plans]
    return json.dumps({"start": schedule.start.isoformat(), "made_at": schedule.made_at.isoformat(),
                       "plans": plans, "moved": [mv(m) for m in schedule.moved]}, separators=(",", ":"))


def _decode(text: str) -> Schedule:
    doc = json.loads(text)

    def mv(m: list[Any]) -> Moved:
        return Moved(m[0], m[1], date.fromisoformat(m[2]), date.fromisoformat(m[3]) if m[3] else None, m[4])

    plans = []
    for day, available, planned, reserve, used, blocks, unplanned, moved, late, working, free in doc["plans"]:
        plans.append(DayPlan(
            day=date.fromisoformat(day), available_minutes=available, planned_minutes=planned,
            reserve_minutes=reserve, reserve_used_minutes=used,
            blocks=tuple(Block(datetime.fromisoformat(b[0]), datetime.fromisoformat(b[1]), *b[2:]) for b in blocks),
            unplanned=tuple(Unplanned(*u) for u in unplanned), moved=tuple(mv(m) for m in moved),
            late=tuple(Unplanned(*u) for u in late), working_minutes=working, free_minutes=free))
    return Schedule(date.fromisoformat(doc["start"]), plans, datetime.fromisoformat(doc["made_at"]),
                    [mv(m) for m in doc["moved"]])


# --- planning -----------------------------------------------------------------------------------------


def current(db: Db, cfg: Config, now: datetime, *, force: bool = False) -> Schedule:
    """The plan as stored, re-planned first when stale or `force`d (the caller holds a write transaction then).

    On PostgreSQL two processes can find the plan stale at once: the second waits for the first's re-plan
    (an advisory lock; SQLite's write transaction already is one) and then reads what it stored.
    """
    if force or is_stale(db, cfg, now):
        if db.sqlite:
            return replan(db, cfg, now)
        db.serialize("plan")
        if force or is_stale(db, cfg, now):
            return replan(db, cfg, now)
    state = _setting(db, STATE_KEY)
    assert state is not None
    return _decode(state)


def replan(db: Db, cfg: Config, now: datetime) -> Schedule:
    """Plan the whole horizon from `now` and store it; history, pinned blocks and the block in progress stay."""
    # Thousands of short-lived objects: a collection in the middle would cost more than the plan (~10-30 ms).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _replan(db, cfg, now)
    finally:
        if enabled:
            gc.enable()


def _replan(db: Db, cfg: Config, now: datetime) -> Schedule:
    inputs = plan_inputs(db, cfg, now)
    start, stored, doomed, pinned = inputs.start, inputs.stored, inputs.doomed, inputs.pinned
    plans = plan_with(cfg, now, inputs)
    # Write only what changed: a block the new plan has exactly where a stored one was keeps its row and
    # its `changed_at`, so the calendar export bumps SEQUENCE only for events that really moved. A block the
    # planner kept but changed (an in-progress block cut by a pop-up) is a new row.
    returned = {(blk.start, blk.end, blk.kind, blk.card_id) for p in plans for blk in p.blocks
                if blk.kind in PLAN_KINDS}
    keep: set[tuple[datetime, datetime, str, int | None]] = set()
    for b in stored:
        key = (b.start, b.end, b.kind, b.card_id)
        if key in returned and key not in keep:
            keep.add(key)
        else:
            doomed.append(b.id)
    for chunk in range(0, len(doomed), 500):
        ids = doomed[chunk:chunk + 500]
        db.rows(f"DELETE FROM plan_block WHERE id IN ({', '.join(str(int(i)) for i in ids)})", fetch=False)
    rows = [{"day": p.day, "start": blk.start, "end": blk.end, "kind": blk.kind, "card": blk.card_id,
             "pinned": (blk.start, blk.end, blk.card_id) in pinned, "changed": now}
            for p in plans for blk in p.blocks
            if blk.kind in PLAN_KINDS and (blk.start, blk.end, blk.kind, blk.card_id) not in keep]
    db.many("INSERT INTO plan_block (day, start_at, end_at, kind, card_id, pinned, changed_at) "
            "VALUES (:day, :start, :end, :kind, :card, :pinned, :changed)", rows)
    schedule = Schedule(start, plans, now, moved_between(inputs, plans, cfg), replanned=True)
    _put(db, STATE_KEY, _encode(schedule))
    _put(db, HEAD_KEY, json.dumps(_head(cfg, start, inputs.days)))
    _put(db, STALE_KEY, "0")  # last: the block writes above fired the triggers
    return schedule


# --- transactions -------------------------------------------------------------------------------------


@contextmanager
def _sqlite_tx(conn: sqlite3.Connection, mode: str) -> Iterator[Db]:
    conn.execute(f"BEGIN {mode}")
    try:
        yield Db(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def read(location: str, cfg: Config, now: datetime, *, force: bool = False) -> Schedule:
    """The current schedule for a database location: a read when it is current, else one re-plan."""
    from organizer.storage import quick

    try:
        conn = quick.connect_sqlite(location)
    except quick.NotQuick:
        conn = None
    if conn is not None:
        conn.row_factory = None
        try:
            with _sqlite_tx(conn, "DEFERRED") as db:
                renew = calendars_due(db, now)
                if not force and not renew and not is_stale(db, cfg, now):
                    return current(db, cfg, now)
            if not renew:
                with _sqlite_tx(conn, "IMMEDIATE") as db:  # someone may have re-planned meanwhile: current() checks
                    return current(db, cfg, now, force=force)
        finally:
            conn.close()
    from organizer.storage.orm import open_store

    store = open_store(location, create=False)
    try:
        with store.write() as session:
            return in_session(session, cfg, now, force=force)
    finally:
        store.close()


def calendars_due(db: Db, now: datetime) -> bool:
    """Whether an imported calendar's busy time must be expanded again before planning (plain SQL, cheap).

    The rule is `organizer.services.calendars.ensure_expanded`'s: a kept copy whose expansion reaches less
    than 300 days ahead, and no failed attempt in the last day. Checked here without SQLAlchemy, so a
    current plan is read in a few milliseconds.
    """
    for (value,) in db.rows("SELECT value FROM setting WHERE key LIKE 'calendar.%.expansion'"):
        try:
            raw = json.loads(value)
            end = datetime.fromisoformat(raw["end"])
            failed = datetime.fromisoformat(raw["failed_at"]) if raw.get("failed_at") else None
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        if raw.get("source") and now >= end - timedelta(days=300) and not (
                failed is not None and now - timedelta(days=1) < failed <= now):
            return True
    return False


def in_session(session: Session, cfg: Config, now: datetime, *, force: bool = False) -> Schedule:
    """The current schedule inside a SQLAlchemy write transaction (after a change made in it); imported
    calendars whose expansion has fallen behind are expanded again first, so meetings keep covering the horizon.
    """
    session.flush()
    db = Db(session)
    if calendars_due(db, now):
        from organizer.services.calendars import ensure_expanded

        ensure_expanded(session, cfg, now)
        session.flush()
    return current(db, cfg, now, force=force)


def view(db: Db, cfg: Config, schedule: Schedule, day: date, now: datetime) -> DayPlan:
    """One day as the plan has it; a day outside the horizon shows its history (or, ahead, its busy time)."""
    from organizer.planner.engine import plan_range

    found = schedule.day(day)
    if found is not None:
        return found
    lo, hi = day_bounds(day, ZoneInfo(cfg.timezone))
    fixed = []
    for b in stored_blocks(db, lo):
        if b.start < hi:
            fixed.append(Fixed(b.start, b.end, b.kind, b.card_id, ""))
    refs = {cid: f"{key}-{number}" for cid, key, number in db.rows(
        "SELECT c.id, b.key, c.number FROM card c JOIN board b ON b.id = c.board_id WHERE c.id IN "
        "(SELECT card_id FROM plan_block WHERE start_at >= :lo AND start_at < :hi)", {"lo": lo, "hi": hi})}
    titles = {cid: title for cid, title in db.rows(
        "SELECT id, title FROM card WHERE id IN (SELECT card_id FROM plan_block WHERE start_at >= :lo "
        "AND start_at < :hi)", {"lo": lo, "hi": hi})}
    fixed = [Fixed(f.start, f.end, f.kind, f.card_id, titles.get(f.card_id, "Reserve") if f.card_id else "Reserve")
             for f in fixed]
    plan = plan_range([], busy_between(db, lo, hi), fixed, settings_from_config(cfg), start=day, days=1,
                      now=max(now, hi) if day < schedule.start else now)[0]
    from dataclasses import replace

    return replace(plan, blocks=tuple(replace(b, pinned=False, ref=refs.get(b.card_id) if b.card_id else None)
                                      for b in plan.blocks))
