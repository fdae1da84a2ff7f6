"""Capacity per day and per role, read off finished plans."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from organizer.planner.model import NO_ESTIMATE, USED_UP, Capacity, DayPlan, RoleLoad

__all__ = ["capacity", "overcommit_reasons", "overcommitted"]


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


def overcommit_reasons(plan: DayPlan) -> list[str]:
    """Why a working day is overcommitted (empty when it is not): late cards by name, pop-ups beyond the
    reserve, work with an estimate that found no room. The one definition behind `plan`, `capacity` and the
    app; the same numbers always give the same answer.
    """
    load = plan.planned_minutes + plan.reserve_used_minutes  # work and pop-ups, both net of meetings
    if plan.available_minutes <= 0:
        return [f"load {_hm(load)} > 0m available"] if load > 0 else []
    reasons = []
    if load > plan.available_minutes:
        reasons.append(f"load {_hm(load)} > {_hm(plan.available_minutes)} available")
    if plan.late:
        reasons.append("late: " + ", ".join(u.ref for u in plan.late))
    if plan.reserve_over_minutes:
        reasons.append(f"pop-ups {plan.reserve_over_minutes} min over the reserve")
    # Cards without an estimate (or with it used up) are a nudge to estimate, not a day that does not fit.
    if unplanned := [u.ref for u in plan.unplanned if u.reason not in (NO_ESTIMATE, USED_UP)]:
        reasons.append(f"{len(unplanned)} not planned")
    return reasons


def overcommitted(plan: DayPlan) -> bool:
    """Whether `overcommit_reasons` has any reason."""
    return bool(overcommit_reasons(plan))


def _hm(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}m".replace("h00m", "h") if hours else f"{rest}m"
