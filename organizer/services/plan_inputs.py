"""What a plan is made from: the horizon, the open cards, busy time and the stored blocks, and planning them.

`plan_inputs` reads everything a re-plan needs in plain SQL; `plan_with` plans it (with extra cards that do
not exist yet, for a trial such as a piece from a template) and stores nothing; `moved_between` says which
cards' next block moved. organizer.services.schedule stores the result and keeps it current.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from organizer.config import WEEKDAYS, Config
from organizer.dates import day_bounds
from organizer.instants import readable
from organizer.planner.model import Busy, DayPlan, Fixed, Moved, WorkItem, settings_from_config
from organizer.storage.plain import Db

MAX_HORIZON_DAYS = 60  # calendar days, whatever the hours say
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


# --- reading -------------------------------------------------------------------------------


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
class Stored:
    id: int
    start: datetime
    end: datetime
    kind: str
    card_id: int | None
    pinned: bool


def stored_blocks(db: Db, start: datetime) -> list[Stored]:
    out = []
    for bid, s, e, kind, card_id, pinned in db.rows(
            "SELECT id, start_at, end_at, kind, card_id, pinned FROM plan_block WHERE end_at > :start "
            "AND kind IN ('work', 'reserve', 'popup') ORDER BY start_at, id", {"start": start}):
        a, b = readable(s), readable(e)
        if a is not None and b is not None:
            out.append(Stored(bid, a, b, kind, card_id, bool(pinned)))
    return out


# --- planning -------------------------------------------------------------------------------------------


@dataclass
class PlanInputs:
    """What a re-plan reads: the horizon, the open cards, busy time, the blocks it keeps and the ones it moves."""

    start: date
    days: int
    items: list[WorkItem]
    busy: list[Busy]
    fixed: list[Fixed]
    stored: list[Stored]  # the horizon's stored blocks
    doomed: list[int]  # stored blocks past the horizon that go
    previous: dict[int, datetime]  # each card's next stored (movable) block, to say what moved
    pinned: set[tuple[datetime, datetime, int | None]]  # the user's pins (the planner marks all kept blocks)


def plan_inputs(db: Db, cfg: Config, now: datetime) -> PlanInputs:
    """Read what planning the horizon from `now` needs: history, pins and the block in progress are kept."""
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
    return PlanInputs(start, days, items, busy_between(db, lo, hi), fixed, stored, doomed, previous, pinned)


def plan_with(cfg: Config, now: datetime, inputs: PlanInputs, extra: Sequence[WorkItem] = ()) -> list[DayPlan]:
    """The horizon planned from `inputs` (plus `extra` cards, e.g. a piece not created yet); nothing stored."""
    from organizer.planner.engine import plan_range  # here, not at the top: reading a current plan never needs it

    plans = plan_range([*inputs.items, *extra], inputs.busy, inputs.fixed, settings_from_config(cfg),
                       start=inputs.start, days=inputs.days, now=now)
    # The planner marks every block it kept as pinned; users mean only the ones they pinned.
    return [_user_pins(p, inputs.pinned) for p in plans]


def moved_between(inputs: PlanInputs, plans: list[DayPlan], cfg: Config,
                  extra: Sequence[WorkItem] = ()) -> list[Moved]:
    """Cards whose next block starts elsewhere in `plans` than in the stored plan `inputs` was read from."""
    by_id = {it.card_id: it for it in (*inputs.items, *extra)}
    return _moved(inputs.previous, plans, by_id, cfg.timezone) + [m for p in plans for m in p.moved]


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
