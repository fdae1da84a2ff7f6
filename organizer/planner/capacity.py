"""Capacity per day and per role, read off finished plans."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from organizer.planner.model import Capacity, DayPlan, RoleLoad

__all__ = ["capacity"]


def capacity(plans: Sequence[DayPlan]) -> list[Capacity]:
    """One Capacity per plan, in the plans' order: working, busy, available, planned, reserve and free minutes,
    with planned and pop-up minutes per role (roles sorted by name, cards without a role last).
    """
    out: list[Capacity] = []
    for plan in plans:
        work: dict[str | None, int] = defaultdict(int)
        popup: dict[str | None, int] = defaultdict(int)
        for block in plan.blocks:
            if block.kind == "work":
                work[block.role] += block.minutes
            elif block.kind == "popup":
                popup[block.role] += block.minutes
        names = sorted(set(work) | set(popup), key=lambda r: (r is None, r or ""))
        out.append(Capacity(
            day=plan.day,
            working_minutes=plan.working_minutes,
            busy_minutes=plan.working_minutes - plan.available_minutes,
            available_minutes=plan.available_minutes,
            planned_minutes=plan.planned_minutes,
            reserve_minutes=plan.reserve_minutes,
            reserve_used_minutes=plan.reserve_used_minutes,
            popup_minutes=sum(popup.values()),
            free_minutes=plan.free_minutes,
            roles=tuple(RoleLoad(r, work.get(r, 0), popup.get(r, 0)) for r in names),
        ))
    return out
