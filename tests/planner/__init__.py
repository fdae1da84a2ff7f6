"""Tests for organizer.planner, and the small builders they share."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from organizer.planner import Block, DayPlan, Settings, WorkItem

PARIS = "Europe/Paris"
TZ = ZoneInfo(PARIS)
WEEKDAY_HOURS = ((time(9, 0), time(12, 30)), (time(13, 30), time(17, 30)))  # 450 minutes
HOURS = {day: WEEKDAY_HOURS for day in ("mon", "tue", "wed", "thu", "fri")}
MON = date(2026, 11, 23)  # a Monday well away from any DST change


def settings(**kw: Any) -> Settings:
    """Paris, weekdays 09:00–12:30 and 13:30–17:30, reserve 0.2, min block 25 (overridable)."""
    base: dict[str, Any] = {"tz": PARIS, "hours": HOURS}
    base.update(kw)
    return Settings(**base)


def at(day: date, hh: int, mm: int = 0, ss: int = 0, tz: str = PARIS) -> datetime:
    """A local wall-clock time on `day` (fold 0)."""
    return datetime.combine(day, time(hh, mm, ss)).replace(tzinfo=ZoneInfo(tz))


def item(card_id: int, minutes: int, priority: int = 3, **kw: Any) -> WorkItem:
    """A work item NWC-<card_id> created long ago, with no dates, no parent, not a pop-up."""
    base: dict[str, Any] = {
        "card_id": card_id, "ref": f"NWC-{card_id}", "title": f"card {card_id}", "role": "writer",
        "minutes": minutes, "priority": priority, "due_at": None, "publish_at": None, "parent_id": None,
        "step": None, "popup": False, "created_at": at(MON - timedelta(days=30), 9),
    }
    base.update(kw)
    return WorkItem(**base)


def hm(dt: datetime) -> str:
    """HH:MM in Paris."""
    return f"{dt.astimezone(TZ):%H:%M}"


def shape(plan: DayPlan, *, busy: bool = True) -> list[tuple[str, str, str, int | None]]:
    """The plan's blocks as (start, end, kind, card) in Paris wall-clock time, easy to compare."""
    return [(hm(b.start), hm(b.end), b.kind, b.card_id) for b in plan.blocks if busy or b.kind != "busy"]


def minutes(b: Block) -> int:
    """A block's real length in minutes."""
    return int((b.end.astimezone(UTC) - b.start.astimezone(UTC)).total_seconds()) // 60
