"""The day planner: a pure, deterministic minute-level plan from hours, busy time, cards and pinned blocks.

See `organizer.planner.engine` for the rules. Nothing here reads files, the database or the clock.
"""

from organizer.planner.capacity import capacity, overcommit_reasons, overcommitted
from organizer.planner.engine import plan_day, plan_range
from organizer.planner.model import (
    Block,
    Busy,
    Capacity,
    DayPlan,
    Fixed,
    Moved,
    RoleLoad,
    Settings,
    Unplanned,
    WorkItem,
    settings_from_config,
)

__all__ = [
    "Block",
    "Busy",
    "Capacity",
    "DayPlan",
    "Fixed",
    "Moved",
    "RoleLoad",
    "Settings",
    "Unplanned",
    "WorkItem",
    "capacity",
    "overcommit_reasons",
    "overcommitted",
    "plan_day",
    "plan_range",
    "settings_from_config",
]
