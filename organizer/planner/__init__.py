"""The day planner: a pure, deterministic minute-level plan from hours, busy time, cards and pinned blocks.

See `organizer.planner.engine` for the rules. Nothing here reads files, the database or the clock.

The names below load their module on first use (PEP 562): reading a stored plan needs only the data
classes in `model`, and `organizer plan` on a current plan should not pay for importing the engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOME = {
    "capacity": "capacity", "overcommit_reasons": "capacity", "overcommitted": "capacity",
    "plan_day": "engine", "plan_range": "engine",
    **{name: "model" for name in ("Block", "Busy", "Capacity", "DayPlan", "Fixed", "Moved", "RoleLoad", "Settings",
                                  "Unplanned", "WorkItem", "settings_from_config")},
}

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


def __getattr__(name: str) -> Any:
    """Load a public name's module when the name is first used."""
    if name not in _HOME:
        raise AttributeError(f"module 'organizer.planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"organizer.planner.{_HOME[name]}"), name)
    globals()[name] = value
    return value
