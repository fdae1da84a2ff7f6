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
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from organizer.config import WEEKDAYS, Config
from organizer.dates import day_bounds
from organizer.instants import readable
from organizer.planner.model import Block, Busy, DayPlan, Fixed, Moved, Unplanned, WorkItem, settings_from_config
from organizer.storage.plain import Db

if TYPE_CHECKING:
    from sqlmodel import Session

PLAN_KINDS = ("work", "reserve", "popup")
# The flag the triggers set; the stored plan; and its small header, read on every `plan` to decide.
STALE_KEY, STATE_KEY, HEAD_KEY = "plan.stale", "plan.state", "plan.head"
# Bumped when the planner's rules or wording change: a plan stored by another version is made again.
STATE_VERSION = 3
MAX_HORIZON_DAYS = 60  # calendar days, whatever the hours say
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def horizon(cfg: Config, now: datetime) -> tuple[date, int]:
    """(today, calendar days) covering today and the next `plan_horizon_days` working days."""
    today = now.astimezone(ZoneInfo(cfg.timezone)).date()
    wanted = max(1, cfg.plan_horizon_days)
    working, days = 0, 0
    while days < MAX_HORIZON_DAYS:
        if cfg.hours.get(WEEKDAYS[(today + timedelta(days=days)).weekday()]):
            working += 1
        days += 1
        if working > wanted:  # today plus `wanted` working days after it
            break
    return today, days


# --- reading the inputs -------------------------------------------------------------------------------


def work_items(db: Db) -> list[WorkItem]:
    """Open cards the planner should place: every card outside done columns and outside the backlog
    (a board's first column, Ideas), plus backlog cards that have a due or publish time or are pop-ups.
    A card without an estimate comes with 0 minutes, which the planner reports as "no estimate".
    """
    items = []
    # The backlog test is in SQL: a workspace holds many more done and backlog cards than plannable ones.
    for (cid, key, number, title, role, estimate, spent, priority, due, publish, parent, step, popup,
         created) in db.rows(
            "SELECT c.id, b.key, c.number, c.title, c.role, c.estimate_minutes, c.spent_minutes, c.priority, "
            "c.due_at, c.publish_at, c.parent_id, c.step, c.popup, c.created_at "
            # Each board's first column once (a CTE), not a correlated subquery per card: 30 % faster.
            "FROM (SELECT board_id, MIN(position) AS first FROM board_column GROUP BY board_id) f "
            "JOIN board_column bc ON bc.board_id = f.board_id JOIN card c ON c.column_id = bc.id "
            "JOIN board b ON b.id = c.board_id "
            "WHERE bc.is_done = :done AND (bc.position > f.first OR c.due_at IS NOT NULL "
            "OR c.publish_at IS NOT NULL OR c.popup = :yes) "
            "ORDER BY c.id", {"done": False, "yes": True}):
        remaining = max(0, (estimate or 0) - (spent or 0)) if estimate else 0
        items.append(WorkItem(card_id=cid, ref=f"{key}-{number}", title=title, role=role, minutes=remaining,
                              priority=priority, due_at=readable(due), publish_at=readable(publish), parent_id=parent,
                              step=step, popup=bool(popup),
                              # An unreadable created_at (see organizer.integrity) sorts first rather than crash.
                              created_at=readable(created) or _EPOCH, used_up=bool(estimate) and not remaining))
    return items


def busy_between(db: Db, start: datetime, end: datetime) -> list[Busy]:
    """Busy events overlapping [start, end)."""
    out = []
    for s, e, title, uid in db.rows("SELECT start_at, end_at, title, uid FROM busy_event WHERE start_at < :end "
                                    "AND end_at > :start ORDER BY start_at, id", {"start": start, "end": end}):
        a, b = readable(s), readable(e)
        if a is not None and b is not None:
            out.append(Busy(a, b, title, uid))
    return out


@dataclass(frozen=True)
class _Stored:
    id: int
    start: datetime
    end: datetime
    kind: str
    card_id: int | None
    pinned: bool


def stored_blocks(db: Db, start: datetime) -> list[_Stored]:
    out = []
    for bid, s, e, kind, card_id, pinned in db.rows(
            "SELECT id, start_at, end_at, kind, card_id, pinned FROM plan_block WHERE end_at > :start "
            "AND kind IN ('work', 'reserve', 'popup') ORDER BY start_at, id", {"start": start}):
        a, b = readable(s), readable(e)
        if a is not None and b is not None:
            out.append(_Stored(bid, a, b, kind, card_id, bool(pinned)))
    return out


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
    from organizer.planner.engine import plan_range  # here, not at the top: reading a current plan never needs it

    start, days = horizon(cfg, now)
    lo, hi = day_bounds(start, ZoneInfo(cfg.timezone), days)
    items = work_items(db)
    by_id = {it.card_id: it for it in items}
    stored = stored_blocks(db, lo)
    # Beyond the horizon only pinned blocks stay (kept as they are); anything else there would book a
    # card twice, since its whole remaining estimate is planned inside the horizon.
    doomed: list[int] = [b.id for b in stored if b.start >= hi and not b.pinned]
    stored = [b for b in stored if lo <= b.start < hi]
    fixed: list[Fixed] = []
    previous: dict[int, datetime] = {}
    pinned: set[tuple[datetime, datetime, int | None]] = set()
    for b in stored:
        title = by_id[b.card_id].title if b.card_id in by_id else ("Reserve" if b.kind == "reserve" else "")
        open_card = b.card_id is not None and b.card_id in by_id
        if b.pinned and (b.card_id is None or open_card):
            fixed.append(Fixed(b.start, b.end, b.kind, b.card_id, title))
            pinned.add((b.start, b.end, b.card_id))
        elif b.end <= now and b.start >= lo:
            fixed.append(Fixed(b.start, b.end, b.kind, b.card_id, title))  # history
        elif b.start < now < b.end and b.start >= lo and (open_card or b.kind == "reserve"):
            # In progress: kept, unless an urgent pop-up has to cut it (the planner decides).
            fixed.append(Fixed(b.start, b.end, b.kind, b.card_id, title, interruptible=b.kind == "work"))
        elif b.card_id is not None and b.kind in ("work", "popup") and b.start >= now:
            previous[b.card_id] = min(previous.get(b.card_id, b.start), b.start)
    plans = plan_range(items, busy_between(db, lo, hi), fixed, settings_from_config(cfg), start=start, days=days,
                       now=now)
    # The planner marks every block it kept as pinned; users mean only the ones they pinned.
    plans = [_user_pins(p, pinned) for p in plans]
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
    moved = _moved(previous, plans, by_id, cfg.timezone) + [m for p in plans for m in p.moved]
    schedule = Schedule(start, plans, now, moved, replanned=True)
    _put(db, STATE_KEY, _encode(schedule))
    _put(db, HEAD_KEY, json.dumps(_head(cfg, start, days)))
    _put(db, STALE_KEY, "0")  # last: the block writes above fired the triggers
    return schedule


def _user_pins(plan: DayPlan, pinned: set[tuple[datetime, datetime, int | None]]) -> DayPlan:
    from dataclasses import replace

    return replace(plan, blocks=tuple(replace(b, pinned=(b.start, b.end, b.card_id) in pinned) for b in plan.blocks))


def _moved(previous: dict[int, datetime], plans: list[DayPlan], by_id: dict[int, WorkItem], tz: str) -> list[Moved]:
    """Cards whose next block starts elsewhere than before the re-plan (done and deleted cards excepted)."""
    from organizer.planner.calendar import label

    zone = ZoneInfo(tz)
    first: dict[int, datetime] = {}
    for p in plans:
        for b in p.blocks:
            if b.card_id is not None and b.kind in ("work", "popup") and not b.pinned:
                first[b.card_id] = min(first.get(b.card_id, b.start), b.start)
    out = []
    for card_id, was in sorted(previous.items(), key=lambda kv: kv[1]):
        item = by_id.get(card_id)
        if item is None:
            continue
        now_at = first.get(card_id)
        if now_at is not None and now_at == was:
            continue
        before = was.astimezone(zone)
        today = plans[0].day
        if now_at is None:
            reason = f"was {label(was, zone, today)}, no longer fits the horizon"
        else:
            reason = f"{label(was, zone, today)} → {label(now_at, zone, today)}"
        out.append(Moved(card_id, item.ref, before.date(), now_at.astimezone(zone).date() if now_at else None, reason))
    return out


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
