"""The day planner: a pure, deterministic minute-level plan from hours, busy time, cards and pinned blocks.

See `organizer.planner.engine` for the rules. Nothing here reads files, the database or the clock.

The engine loads on first use (PEP 562): reading a stored plan needs only the data classes in `model`,
and `organizer plan` on a current plan should not pay for importing the engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Eager: light (data classes and sums). `capacity` is also a submodule's name: importing the function here
# binds the name to the function, whatever imports the submodule later.
from organizer.planner.capacity import capacity, overcommit_reasons, overcommitted
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

if TYPE_CHECKING:
    from organizer.planner.engine import plan_day, plan_range

# Lazy: the engine (and the calendar, reserve and pass modules it pulls in) loads on first use.
_LAZY = {"plan_day": "engine", "plan_range": "engine"}

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
    """Load the engine when `plan_range` or `plan_day` is first used."""
    if name not in _LAZY:
        raise AttributeError(f"module 'organizer.planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"organizer.planner.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
