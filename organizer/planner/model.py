"""The planner's inputs and outputs: small frozen dataclasses (a named tuple for the work items, which a
re-plan builds by the thousand), no behaviour beyond validation helpers.

Every datetime is aware. Inputs may be in any zone; the planner computes in UTC instants and returns
new block times in UTC (pinned blocks come back exactly as given). UTC on purpose: Python compares and
subtracts datetimes that share a tzinfo by wall-clock fields, so two Europe/Paris datetimes in a
fall-back hour compare wrongly; callers convert to `Settings.tz` for display.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import NamedTuple, Protocol

__all__ = [
    "BLOCK_KINDS",
    "FIXED_KINDS",
    "NO_ESTIMATE",
    "USED_UP",
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
    "settings_from_config",
]

FIXED_KINDS = ("work", "reserve", "popup")
# Why a card with no work to place is not planned.
NO_ESTIMATE = "no estimate"
USED_UP = "estimate used up (raise it to plan more)"
# Also the order blocks that start and end together are listed in (it never happens without bad input).
BLOCK_KINDS = ("busy", "work", "reserve", "popup")


class WorkItem(NamedTuple):
    """A card as the planner sees it: remaining work in minutes (estimate − spent, ≥ 0) and its times.

    A named tuple rather than a frozen dataclass: as immutable, and built about 4x faster (a re-plan
    reads every open card; at 3,000 that was 7 ms of a 50 ms budget). Change one with `_replace`.
    """

    card_id: int
    ref: str
    title: str
    role: str | None
    minutes: int
    priority: int  # 1 urgent … 4 low
    due_at: datetime | None
    publish_at: datetime | None
    parent_id: int | None
    step: int | None
    popup: bool
    created_at: datetime
    # False when the card has an estimate and its time spent has used it all up (minutes is then 0).
    used_up: bool = False


@dataclass(frozen=True)
class Busy:
    """A calendar event that takes working time (a meeting, a shoot, leave)."""

    start: datetime
    end: datetime
    title: str
    uid: str = ""


@dataclass(frozen=True)
class Fixed:
    """A block that is never moved: pinned by the user, or already in the past.

    `kind` is "work", "reserve" or "popup"; `card_id` names the card for work and pop-up blocks.
    """

    start: datetime
    end: datetime
    kind: str
    card_id: int | None
    title: str
    # A block in progress at `now` that a P1/P2 pop-up may cut at `now` to meet its due time.
    interruptible: bool = False


@dataclass(frozen=True)
class Settings:
    """Working hours per weekday ("mon".."sun", local wall-clock intervals), the reserve and the block size."""

    tz: str
    hours: Mapping[str, tuple[tuple[time, time], ...]]
    reserve_ratio: float = 0.2
    min_block: int = 25
    # The reserve ends at these local times where it can: one share before lunch, one late in the day.
    reserve_anchors: tuple[time, ...] = (time(12, 30), time(17, 30))


class _ConfigLike(Protocol):
    """The part of `organizer.config.Config` the planner reads (not imported: the planner stays standalone)."""

    @property
    def timezone(self) -> str: ...
    @property
    def hours(self) -> Mapping[str, tuple[tuple[time, time], ...]]: ...
    @property
    def reserve_ratio(self) -> float: ...
    @property
    def min_block_minutes(self) -> int: ...


def settings_from_config(config: _ConfigLike) -> Settings:
    """Planner settings from the user's config: zone, hours, reserve ratio, minimum block and, when the
    config has them (`reserve_at`), the reserve anchors.
    """
    settings = Settings(
        tz=config.timezone,
        hours=dict(config.hours),
        reserve_ratio=config.reserve_ratio,
        min_block=config.min_block_minutes,
    )
    # Older configs have no anchors setting: keep the default late-morning / late-afternoon pair.
    anchors = getattr(config, "reserve_at", None)
    return replace(settings, reserve_anchors=tuple(anchors)) if anchors else settings


@dataclass(frozen=True)
class Block:
    """One stretch of a day's plan: "work", "reserve", "popup" or "busy"; `pinned` marks a kept Fixed block."""

    start: datetime
    end: datetime
    kind: str
    card_id: int | None
    title: str
    role: str | None
    pinned: bool
    ref: str | None = None  # the card's ID (NWC-12) for work and pop-up blocks of cards the planner was given

    @property
    def minutes(self) -> int:
        """The block's length in whole minutes (real elapsed time)."""
        return int((self.end.astimezone(UTC) - self.start.astimezone(UTC)).total_seconds() // 60)


@dataclass(frozen=True)
class Unplanned:
    """A card the plan could not place (or, in `DayPlan.late`, placed after its due time), and why."""

    card_id: int
    ref: str
    reason: str


@dataclass(frozen=True)
class Moved:
    """Planned work pushed off `from_day` to make room for a pop-up; `to_day` None means it no longer fits."""

    card_id: int
    ref: str
    from_day: date
    to_day: date | None
    reason: str


@dataclass(frozen=True)
class DayPlan:
    """One local day of the plan.

    `available_minutes` is working time minus busy time; `reserve_minutes` is the configured share of it;
    `reserve_used_minutes` is pop-up time that took reserve time. `late` lists cards planned that day
    that finish after their due time. `working_minutes` (the hours, in real minutes) and `free_minutes`
    (available time that nothing uses) are extras for capacity views.
    """

    day: date
    available_minutes: int
    planned_minutes: int
    reserve_minutes: int
    reserve_used_minutes: int
    blocks: tuple[Block, ...]
    unplanned: tuple[Unplanned, ...]
    moved: tuple[Moved, ...] = ()
    late: tuple[Unplanned, ...] = ()
    working_minutes: int = 0
    free_minutes: int = 0

    @property
    def reserve_left_minutes(self) -> int:
        """Reserve minutes pop-ups have not used yet (0 once the reserve is spent)."""
        return max(0, self.reserve_minutes - self.reserve_used_minutes)

    @property
    def reserve_over_minutes(self) -> int:
        """Pop-up minutes beyond the day's reserve: time they took from planned work."""
        return max(0, self.reserve_used_minutes - self.reserve_minutes)


@dataclass(frozen=True)
class RoleLoad:
    """Minutes of one role's blocks on one day; role None is work on cards without a role."""

    role: str | None
    planned_minutes: int
    popup_minutes: int


@dataclass(frozen=True)
class Capacity:
    """A day's capacity at a glance: where the working minutes go, overall and per role.

    working = busy + available; available = planned + reserve left + pop-ups + free, when nothing
    (a pinned block outside hours, say) falls outside the working time.
    """

    day: date
    working_minutes: int
    busy_minutes: int
    available_minutes: int
    planned_minutes: int
    reserve_minutes: int
    reserve_used_minutes: int
    popup_minutes: int
    free_minutes: int
    roles: tuple[RoleLoad, ...]
