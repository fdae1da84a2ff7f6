"""One test per planner rule, with exact blocks: Europe/Paris, weekdays 09:00–12:30 + 13:30–17:30 (450 min),
reserve 0.2 (90 min: 11:45–12:30 and 16:45–17:30), min block 25.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import pytest

from organizer.config import build_config
from organizer.planner import (
    Busy,
    Capacity,
    Fixed,
    Moved,
    RoleLoad,
    Unplanned,
    capacity,
    plan_day,
    plan_range,
    settings_from_config,
)
from tests.planner import MON, at, item, settings, shape

TUE = MON + timedelta(days=1)
SAT = MON + timedelta(days=5)
EARLY = at(MON, 8)
RESERVE = [("11:45", "12:30", "reserve", None), ("16:45", "17:30", "reserve", None)]


def day(items=(), busy=(), fixed=(), now=EARLY, on=MON, **kw):
    return plan_day(list(items), list(busy), list(fixed), settings(**kw), day=on, now=now)


# --- time, hours and available minutes ---------------------------------------------------------------


def test_empty_day_has_the_reserve_at_both_anchors() -> None:
    plan = day()
    assert shape(plan) == RESERVE
    assert (plan.available_minutes, plan.reserve_minutes, plan.planned_minutes) == (450, 90, 0)
    assert (plan.reserve_used_minutes, plan.working_minutes, plan.free_minutes) == (0, 450, 360)
    assert plan.unplanned == plan.moved == plan.late == ()


def test_new_blocks_are_in_utc() -> None:
    block = day().blocks[0]
    assert block.start == at(MON, 11, 45)
    assert block.start.tzinfo is UTC
    assert not block.pinned and block.title == "reserve" and block.role is None


def test_a_day_without_hours_has_nothing() -> None:
    plan = day([item(1, 60)], busy=[Busy(at(SAT, 10), at(SAT, 11), "brunch")], on=SAT)
    assert plan.blocks == ()
    assert (plan.available_minutes, plan.reserve_minutes, plan.working_minutes) == (0, 0, 0)
    assert plan.unplanned == (Unplanned(1, "NWC-1", "no free time in this day"),)


def test_busy_time_counts_only_inside_hours_and_overlapping_events_merge() -> None:
    busy = [
        Busy(at(MON, 8), at(MON, 9, 30), "early call"),  # half before the day starts
        Busy(at(MON, 10), at(MON, 11), "review", "uid-a"),
        Busy(at(MON, 10, 30), at(MON, 11, 30), "shoot", "uid-b"),  # overlaps the review
        Busy(at(MON, 19), at(MON, 20), "launch party"),  # after hours: not shown, not counted
    ]
    plan = day(busy=busy)
    assert plan.available_minutes == 450 - 30 - 90
    assert plan.reserve_minutes == 66  # 20 % of 330
    assert shape(plan) == [
        ("09:00", "09:30", "busy", None),
        ("10:00", "11:30", "busy", None),
        ("11:57", "12:30", "reserve", None),
        ("16:57", "17:30", "reserve", None),
    ]
    assert [b.title for b in plan.blocks if b.kind == "busy"] == ["early call", "review + shoot"]


def test_back_to_back_events_stay_apart() -> None:
    plan = day(busy=[Busy(at(MON, 10), at(MON, 11), "a"), Busy(at(MON, 11), at(MON, 12), "b")])
    assert [(b.title, b.minutes) for b in plan.blocks if b.kind == "busy"] == [("a", 60), ("b", 60)]


def test_busy_over_lunch_is_shown_over_the_break_but_counts_only_working_time() -> None:
    plan = day(busy=[Busy(at(MON, 12), at(MON, 14), "offsite lunch")])
    assert plan.available_minutes == 450 - 30 - 30
    assert shape(plan)[0][:3] == ("11:21", "12:00", "reserve")  # 39 of 78
    assert ("12:00", "14:00", "busy", None) in shape(plan)


# --- the reserve ----------------------------------------------------------------------------------------


def test_reserve_moves_earlier_when_its_anchor_is_busy() -> None:
    plan = day(busy=[Busy(at(MON, 12), at(MON, 12, 30), "lunch meeting")])
    assert plan.reserve_minutes == 84  # the brief's example: 20 % of 420, 42 + 42
    assert shape(plan, busy=False) == [("11:18", "12:00", "reserve", None), ("16:48", "17:30", "reserve", None)]


def test_reserve_skips_a_gap_that_would_leave_a_short_piece() -> None:
    busy = [Busy(at(MON, 11), at(MON, 11, 30), "a"), Busy(at(MON, 12), at(MON, 12, 30), "b")]
    plan = day(busy=busy)
    # 78 min → 39 + 39; the free 11:30–12:00 could take 30 but would leave 9 (< 25), so the share moves on.
    assert shape(plan, busy=False) == [("10:21", "11:00", "reserve", None), ("16:51", "17:30", "reserve", None)]


def test_odd_reserve_minute_goes_to_the_first_anchor() -> None:
    plan = day(busy=[Busy(at(MON, 9), at(MON, 9, 25), "standup")])
    assert plan.reserve_minutes == 85
    assert shape(plan, busy=False) == [("11:47", "12:30", "reserve", None), ("16:48", "17:30", "reserve", None)]


def test_reserve_goes_after_an_anchor_with_no_time_before_it() -> None:
    plan = day(hours={"mon": ((time(14), time(18)),)})
    assert plan.reserve_minutes == 48
    assert shape(plan) == [("14:00", "14:24", "reserve", None), ("17:06", "17:30", "reserve", None)]


def test_reserve_ratio_rounds_half_up() -> None:
    plan = day(reserve_ratio=0.15, hours={"mon": ((time(9), time(10, 10)),)})  # 15 % of 70 = 10.5
    assert plan.reserve_minutes == 11


def test_pinned_reserve_counts_towards_the_nearest_anchor() -> None:
    pinned = Fixed(at(MON, 11), at(MON, 11, 45), "reserve", None, "kept reserve")
    plan = day([item(1, 60)], fixed=[pinned])
    assert shape(plan) == [
        ("09:00", "10:00", "work", 1),
        ("11:00", "11:45", "reserve", None),
        ("16:45", "17:30", "reserve", None),
    ]
    assert plan.blocks[1].pinned and plan.blocks[1].title == "kept reserve"


def test_pinned_popup_uses_reserve() -> None:
    pinned = Fixed(at(MON, 11, 45), at(MON, 12, 15), "popup", 7, "crisis reply")
    plan = day(fixed=[pinned])
    assert shape(plan) == [("11:45", "12:15", "popup", 7), ("12:15", "12:30", "reserve", None), RESERVE[1]]
    assert (plan.reserve_minutes, plan.reserve_used_minutes) == (90, 30)


def test_without_anchors_the_reserve_ends_the_day() -> None:
    assert shape(day(reserve_anchors=())) == [("16:00", "17:30", "reserve", None)]


def test_no_reserve_when_ratio_is_zero() -> None:
    assert shape(day(reserve_ratio=0.0)) == []


# --- work placement -------------------------------------------------------------------------------------


def test_work_goes_greedily_in_priority_deadline_created_id_order() -> None:
    old = at(MON - timedelta(days=60), 9)
    items = [
        item(1, 60),
        item(2, 30, priority=1),
        item(3, 45, due_at=at(TUE, 10)),
        item(4, 45, created_at=old),
        item(5, 30),
    ]
    plan = day(items)
    assert shape(plan) == [
        ("09:00", "09:30", "work", 2),
        ("09:30", "10:15", "work", 3),
        ("10:15", "11:00", "work", 4),
        ("11:00", "11:35", "work", 1),  # 45 free before the reserve: 35 here leaves 25, not 15
        ("11:45", "12:30", "reserve", None),
        ("13:30", "13:55", "work", 1),
        ("13:55", "14:25", "work", 5),  # the 10 free minutes at 11:35 are too short to start in
        ("16:45", "17:30", "reserve", None),
    ]
    assert plan.planned_minutes == 210
    assert plan.free_minutes == 450 - 90 - 210
    work = [b for b in plan.blocks if b.kind == "work"]
    assert {(b.title, b.role, b.pinned) for b in work} >= {("card 2", "writer", False)}


@pytest.mark.parametrize(
    ("need", "expected"),
    [
        (165, [("09:00", "11:45")]),
        (180, [("09:00", "11:35"), ("13:30", "13:55")]),
        (200, [("09:00", "11:45"), ("13:30", "14:05")]),
        (360, [("09:00", "11:45"), ("13:30", "16:45")]),
    ],
)
def test_long_items_split_without_short_blocks(need: int, expected: list[tuple[str, str]]) -> None:
    plan = day([item(1, need)])
    assert [(a, b) for a, b, kind, _ in shape(plan) if kind == "work"] == expected


def test_short_item_fits_a_short_gap_that_a_longer_one_skips() -> None:
    plan = day([item(1, 30, priority=1), item(2, 15, priority=2)], busy=[Busy(at(MON, 9, 20), at(MON, 11, 45), "x")])
    assert [row for row in shape(plan) if row[2] == "work"] == [
        ("09:00", "09:15", "work", 2),
        ("13:30", "14:00", "work", 1),
    ]


def test_item_without_estimate_is_unplanned() -> None:
    plan = day([item(1, 0)])
    assert plan.unplanned == (Unplanned(1, "NWC-1", "no estimate"),)
    assert shape(plan) == RESERVE


def test_work_starts_at_now_rounded_up_to_the_minute() -> None:
    plan = day([item(1, 30)], now=at(MON, 10, 0, 30))
    assert shape(plan)[0] == ("10:01", "10:31", "work", 1)


def test_work_never_goes_into_the_reserve() -> None:
    plan = day([item(1, 400)])
    assert plan.unplanned == (Unplanned(1, "NWC-1", "needs 400 min, 360 min free in this day"),)


def test_range_that_is_full_says_so_on_the_first_day() -> None:
    items = [item(1, 360 * 2, priority=1), item(2, 30)]
    plans = plan_range(items, [], [], settings(), start=MON, days=2, now=EARLY)
    assert plans[0].unplanned == (Unplanned(2, "NWC-2", "no free time in the next 2 days"),)
    assert plans[1].unplanned == ()
    assert [p.planned_minutes for p in plans] == [360, 360]


def test_fragmented_free_time_is_named_in_the_reason() -> None:
    busy = [Busy(at(MON, 9, 20), at(MON, 12, 30), "x"), Busy(at(MON, 13, 50), at(MON, 17, 10), "y")]
    plan = day([item(1, 30)], busy=busy, reserve_ratio=0.0)
    assert plan.unplanned == (Unplanned(1, "NWC-1", "needs 30 min, 60 min free in this day (in gaps shorter "
                                                    "than 25 min)"),)


def test_work_spills_into_the_next_working_day() -> None:
    fri = MON + timedelta(days=4)
    plans = plan_range([item(1, 420)], [], [], settings(), start=fri, days=4, now=at(fri, 8))
    assert [p.planned_minutes for p in plans] == [360, 0, 0, 60]
    assert shape(plans[3])[0] == ("09:00", "10:00", "work", 1)


# --- publish and due times ------------------------------------------------------------------------------


def test_work_for_a_post_ends_before_it_is_published() -> None:
    items = [item(1, 45, publish_at=at(MON, 9, 20)), item(2, 45, publish_at=at(MON, 10))]
    plan = day(items, now=at(MON, 9))
    assert plan.unplanned == (Unplanned(1, "NWC-1", "needs 45 min, 20 min free before its publish time mon 09:20"),)
    assert shape(plan)[0] == ("09:00", "09:45", "work", 2)


def test_a_step_ends_before_its_parents_publish_time() -> None:
    items = [item(10, 0, publish_at=at(MON, 9, 20)), item(11, 30, parent_id=10, step=1)]
    plan = day(items, now=at(MON, 9))
    assert plan.unplanned == (
        Unplanned(11, "NWC-11", "needs 30 min, 20 min free before NWC-10's publish time mon 09:20"),
    )


def test_publish_time_next_week_is_dated() -> None:
    publish = at(MON + timedelta(days=9), 9)
    plan = day([item(1, 45, publish_at=publish)], busy=[Busy(at(MON, 9), at(MON, 17, 30), "offsite")])
    # The range ends before the publish time: the item just does not fit this range.
    assert plan.unplanned == (Unplanned(1, "NWC-1", "no free time in this day"),)
    plans = plan_range([item(1, 9999, publish_at=publish)], [], [], settings(), start=MON, days=10, now=EARLY)
    assert plans[0].unplanned[0].reason.endswith("before its publish time wed 2026-12-02 09:00")


def test_a_missed_due_time_is_flagged_not_dropped() -> None:
    items = [item(1, 120, priority=1), item(2, 60, priority=2, due_at=at(MON, 10))]
    plan = day(items, now=at(MON, 9))
    assert [row for row in shape(plan) if row[3] == 2] == [("11:00", "11:35", "work", 2), ("13:30", "13:55", "work", 2)]
    # The P1 card was placed first and took every minute before 10:00: nothing can be freed for NWC-2.
    assert plan.late == (Unplanned(2, "NWC-2", "ends mon 13:55, after its due time mon 10:00: needs 60 min "
                                               "before then, 0 min can be freed"),)
    assert plan.unplanned == ()


def test_late_is_listed_on_the_day_the_item_finishes() -> None:
    plans = plan_range([item(1, 420, due_at=at(MON, 17))], [], [], settings(), start=MON, days=2, now=EARLY)
    assert plans[0].late == ()
    assert plans[1].late == (Unplanned(1, "NWC-1", "ends tue 10:00, after its due time mon 17:00: needs 420 min "
                                                   "before then, 360 min can be freed"),)


def test_an_earlier_deadline_goes_first_within_a_priority() -> None:
    items = [item(1, 30, publish_at=at(TUE, 9)), item(2, 30, due_at=at(MON, 18))]
    assert [row[3] for row in shape(day(items)) if row[2] == "work"] == [2, 1]


# --- steps ----------------------------------------------------------------------------------------------


def test_steps_run_in_order_and_an_urgent_step_pulls_its_chain() -> None:
    items = [
        item(12, 30, priority=1, parent_id=10, step=2),
        item(13, 30, priority=4, parent_id=10, step=3),
        item(20, 30, priority=2),
        item(10, 30, priority=4),
        item(11, 30, priority=4, parent_id=10, step=1),
    ]
    plan = day(items)
    assert [row for row in shape(plan) if row[2] == "work"] == [
        ("09:00", "09:30", "work", 11),
        ("09:30", "10:00", "work", 12),
        ("10:00", "10:30", "work", 20),
        ("10:30", "11:00", "work", 13),
        ("11:00", "11:30", "work", 10),  # the parent's own work comes after its last step
    ]


def test_a_step_waits_for_the_previous_step_to_end() -> None:
    items = [item(11, 100, parent_id=10, step=1), item(12, 30, priority=1, parent_id=10, step=2), item(10, 0),
             item(20, 30, priority=2)]
    plan = day(items)
    assert [row for row in shape(plan) if row[2] == "work"] == [
        ("09:00", "10:40", "work", 11),
        ("10:40", "11:10", "work", 12),
        ("11:10", "11:40", "work", 20),
    ]
    assert plan.unplanned == ()  # the parent has no estimate of its own, and needs none


def test_steps_after_an_unplanned_step_wait() -> None:
    items = [item(10, 30), item(11, 1000, parent_id=10, step=1), item(12, 30, parent_id=10, step=2)]
    plan = day(items)
    assert plan.unplanned == (
        Unplanned(11, "NWC-11", "needs 1000 min, 360 min free in this day"),
        Unplanned(12, "NWC-12", "waits for NWC-11, which is not planned"),
        Unplanned(10, "NWC-10", "waits for NWC-12, which is not planned"),
    )


def test_a_step_with_no_estimate_does_not_hold_the_next_one() -> None:
    items = [item(11, 60, parent_id=10, step=1), item(12, 0, parent_id=10, step=2),
             item(13, 30, parent_id=10, step=3, priority=1), item(10, 0)]
    plan = day(items)
    assert [row for row in shape(plan) if row[2] == "work"] == [("09:00", "10:00", "work", 11),
                                                               ("10:00", "10:30", "work", 13)]
    assert plan.unplanned == (Unplanned(12, "NWC-12", "no estimate"),)


def test_siblings_without_their_parent_in_the_list_are_not_steps() -> None:
    items = [item(11, 60, parent_id=10, step=1), item(12, 30, parent_id=10, step=2, priority=1)]
    assert [row[3] for row in shape(day(items)) if row[2] == "work"] == [12, 11]


def test_a_parent_cycle_is_planned_without_step_links() -> None:
    items = [item(1, 30, parent_id=2), item(2, 30, parent_id=1)]
    assert [row[3] for row in shape(day(items)) if row[2] == "work"] == [1, 2]


# --- pinned and past blocks -----------------------------------------------------------------------------


def test_pinned_blocks_are_kept_and_reduce_their_cards_work() -> None:
    pinned = Fixed(at(MON, 10), at(MON, 11), "work", 1, "pinned draft")
    busy = Busy(at(MON, 10, 30), at(MON, 11, 30), "overlapping call")
    plan = day([item(1, 90), item(2, 30)], busy=[busy], fixed=[pinned])
    assert shape(plan) == [
        ("09:00", "09:30", "work", 1),
        ("09:30", "10:00", "work", 2),
        ("10:00", "11:00", "work", 1),
        ("11:00", "11:30", "busy", None),  # the pinned block wins; available time still counts the call
        ("11:51", "12:30", "reserve", None),
        ("16:51", "17:30", "reserve", None),
    ]
    kept = plan.blocks[2]
    assert (kept.start, kept.end, kept.kind, kept.card_id, kept.title, kept.pinned, kept.role) == (
        pinned.start, pinned.end, "work", 1, "pinned draft", True, "writer")
    assert (plan.available_minutes, plan.planned_minutes) == (390, 120)


def test_past_blocks_are_kept_and_new_work_starts_at_now() -> None:
    past = Fixed(at(MON, 9), at(MON, 10, 10), "work", 1, "morning draft")
    plan = day([item(1, 100), item(2, 30)], fixed=[past], now=at(MON, 14))
    assert shape(plan) == [
        ("09:00", "10:10", "work", 1),
        ("11:45", "12:30", "reserve", None),  # before now: history, still counted
        ("14:00", "14:30", "work", 1),
        ("14:30", "15:00", "work", 2),
        ("16:45", "17:30", "reserve", None),
    ]
    assert plan.reserve_minutes == 90


def test_a_pinned_block_with_seconds_keeps_its_exact_times() -> None:
    pinned = Fixed(at(MON, 9, 0, 30), at(MON, 9, 29, 10), "work", 3, "odd")
    plan = day([item(1, 30)], fixed=[pinned])
    assert plan.blocks[0].start == at(MON, 9, 0, 30) and plan.blocks[0].end == at(MON, 9, 29, 10)
    assert shape(plan)[1] == ("09:30", "10:00", "work", 1)  # the kept block's minutes are rounded outward


def test_pinned_step_delays_the_next_step() -> None:
    pinned = Fixed(at(MON, 13, 30), at(MON, 14), "work", 11, "step 1, pinned")
    items = [item(10, 0), item(11, 30, parent_id=10, step=1), item(12, 30, parent_id=10, step=2)]
    plan = day(items, fixed=[pinned])
    assert [row for row in shape(plan) if row[2] == "work"] == [("13:30", "14:00", "work", 11),
                                                               ("14:00", "14:30", "work", 12)]


# --- pop-ups --------------------------------------------------------------------------------------------


def test_popup_takes_the_earliest_reserve_from_now() -> None:
    plan = day([item(5, 30, popup=True), item(1, 60)], now=at(MON, 9))
    assert shape(plan) == [
        ("09:00", "10:00", "work", 1),
        ("11:45", "12:15", "popup", 5),
        ("12:15", "12:30", "reserve", None),
        ("16:45", "17:30", "reserve", None),
    ]
    assert (plan.reserve_minutes, plan.reserve_used_minutes, plan.planned_minutes) == (90, 30, 60)


def test_popup_never_goes_before_now() -> None:
    plan = day([item(5, 30, popup=True)], now=at(MON, 12))
    assert shape(plan) == [("11:45", "12:00", "reserve", None), ("12:00", "12:30", "popup", 5), RESERVE[1]]
    plan = day([item(5, 40, popup=True)], now=at(MON, 12))
    # 30 reserve minutes are left before lunch: 30 + 10 would leave a 10-minute block, so it waits.
    assert shape(plan) == [RESERVE[0], ("16:45", "17:25", "popup", 5), ("17:25", "17:30", "reserve", None)]


def test_popup_splits_over_the_days_reserve_before_taking_work_time() -> None:
    plan = day([item(5, 60, popup=True)], now=at(MON, 9))
    assert shape(plan) == [
        ("11:45", "12:20", "popup", 5),
        ("12:20", "12:30", "reserve", None),
        ("16:45", "17:10", "popup", 5),
        ("17:10", "17:30", "reserve", None),
    ]
    assert plan.reserve_used_minutes == 60 and plan.moved == ()


def test_urgent_popups_take_the_earliest_time_and_the_reserve_shrinks_by_what_they_use() -> None:
    items = [item(5, 30, priority=1, popup=True), item(6, 50, priority=2, popup=True), item(1, 60)]
    plan = day(items, now=at(MON, 9))
    # A P1/P2 pop-up never waits behind work; the reserve is a quantity: 90 − 80 used leaves 10.
    assert shape(plan) == [
        ("09:00", "09:30", "popup", 5),
        ("09:30", "10:20", "popup", 6),
        ("10:20", "11:20", "work", 1),
        ("17:20", "17:30", "reserve", None),
    ]
    assert (plan.reserve_minutes, plan.reserve_used_minutes, plan.reserve_left_minutes) == (90, 80, 10)


def test_a_popup_with_a_due_time_does_not_wait_for_the_reserve() -> None:
    # The case: 09:15, a 20-minute reply due 11:00; work is planned all morning.
    items = [item(1, 100, priority=3), item(2, 60, priority=4), item(9, 20, priority=3, popup=True,
                                                                      due_at=at(MON, 11))]
    plan = day(items, now=at(MON, 9, 15))
    assert shape(plan)[0] == ("09:15", "09:35", "popup", 9)
    assert plan.late == ()


def test_a_popup_bigger_than_the_reserve_spends_it_and_pushes_work() -> None:
    items = [item(n, 40) for n in (1, 2, 3, 4)] + [item(99, 120, priority=1, popup=True)]
    mon, tue = plan_range(items, [], [], settings(), start=MON, days=2, now=at(MON, 14))
    assert shape(mon) == [("14:00", "16:00", "popup", 99), ("16:00", "16:40", "work", 1),
                          ("16:40", "17:20", "work", 2)]
    assert (mon.reserve_minutes, mon.reserve_used_minutes, mon.reserve_over_minutes) == (90, 120, 30)
    assert [row for row in shape(tue) if row[2] == "work"] == [("09:00", "09:40", "work", 3),
                                                                ("09:40", "10:20", "work", 4)]


def test_a_popup_pushing_work_out_of_the_range_leaves_it_unplanned() -> None:
    items = [item(1, 130, priority=2), item(2, 30, priority=3), item(99, 60, priority=1, popup=True)]
    plan = day(items, now=at(MON, 14))
    assert plan.unplanned == (Unplanned(1, "NWC-1", "needs 130 min, 120 min free in this day"),)
    assert [row[3] for row in shape(plan) if row[2] == "work"] == [2]


def test_an_urgent_popup_interrupts_the_block_in_progress_only_when_it_must() -> None:
    in_progress = Fixed(at(MON, 9), at(MON, 10, 30), "work", 1, "long edit", interruptible=True)
    due_soon = item(9, 20, priority=1, popup=True, due_at=at(MON, 9, 45))
    plan = day([item(1, 90), item(2, 60), due_soon], fixed=[in_progress], now=at(MON, 9, 20))
    assert shape(plan)[:4] == [("09:00", "09:20", "work", 1), ("09:20", "09:40", "popup", 9),
                               ("09:40", "10:50", "work", 1), ("10:50", "11:50", "work", 2)]
    assert plan.moved == (Moved(1, "NWC-1", MON, MON, "interrupted at 09:20 for pop-up NWC-9"),)
    # Due later, the same pop-up waits for the block to end.
    relaxed = item(9, 20, priority=1, popup=True, due_at=at(MON, 12))
    plan = day([item(1, 90), item(2, 60), relaxed], fixed=[in_progress], now=at(MON, 9, 20))
    assert shape(plan)[:2] == [("09:00", "10:30", "work", 1), ("10:30", "10:50", "popup", 9)]
    assert plan.moved == ()


def test_popup_with_no_room_today_goes_to_the_next_day() -> None:
    busy = [Busy(at(MON, 9), at(MON, 17, 30), "offsite")]
    plans = plan_range([item(5, 30, popup=True)], busy, [], settings(), start=MON, days=2, now=EARLY)
    assert [row for row in shape(plans[1]) if row[2] == "popup"] == [("11:45", "12:15", "popup", 5)]


def test_popup_without_estimate_is_unplanned() -> None:
    assert day([item(5, 0, popup=True)]).unplanned == (Unplanned(5, "NWC-5", "no estimate"),)


# --- the whole range ------------------------------------------------------------------------------------


def test_plan_day_is_the_first_day_of_a_one_day_range() -> None:
    items = [item(1, 200), item(2, 30, popup=True)]
    assert day(items) == plan_range(items, [], [], settings(), start=MON, days=1, now=EARLY)[0]


def test_days_before_now_keep_only_their_history() -> None:
    plans = plan_range([item(1, 30)], [], [], settings(), start=MON, days=2, now=at(TUE, 9))
    assert shape(plans[0]) == RESERVE
    assert shape(plans[1])[0] == ("09:00", "09:30", "work", 1)


def test_inputs_in_any_order_give_the_same_plan() -> None:
    rng = random.Random(7)
    items = [item(n, rng.choice([0, 20, 45, 90, 130]), rng.randint(1, 4), due_at=at(MON, 10) if n % 3 else None,
                  popup=n % 7 == 0) for n in range(1, 30)]
    busy = [Busy(at(MON, 10), at(MON, 11), "a"), Busy(at(MON, 10, 30), at(MON, 12), "b"),
            Busy(at(TUE, 9), at(TUE, 10), "c")]
    fixed = [Fixed(at(MON, 14), at(MON, 15), "work", 3, "pinned")]
    first = plan_range(items, busy, fixed, settings(), start=MON, days=3, now=at(MON, 9, 10))
    for _ in range(3):
        rng.shuffle(items)
        rng.shuffle(busy)
        assert plan_range(items, busy, fixed, settings(), start=MON, days=3, now=at(MON, 9, 10)) == first


def test_now_in_another_zone_is_the_same_instant() -> None:
    utc_now = at(MON, 9).astimezone(UTC)
    assert day([item(1, 30)], now=utc_now) == day([item(1, 30)], now=at(MON, 9))


# --- capacity -------------------------------------------------------------------------------------------


def test_capacity_per_day_and_role() -> None:
    items = [item(1, 60), item(2, 30, role="designer"), item(3, 20, role=None), item(4, 30, role="designer",
                                                                                     popup=True)]
    plans = plan_range(items, [Busy(at(MON, 9), at(MON, 10), "standup")], [], settings(), start=MON, days=2,
                       now=EARLY)
    mon, tue = capacity(plans)
    assert mon == Capacity(
        day=MON, working_minutes=450, busy_minutes=60, available_minutes=390, planned_minutes=110,
        reserve_minutes=78, reserve_used_minutes=30, popup_minutes=30, free_minutes=390 - 110 - 78,
        roles=(RoleLoad("designer", 30, 30), RoleLoad("writer", 60, 0), RoleLoad(None, 20, 0)),
    )
    assert tue.roles == () and tue.free_minutes == 360


def test_settings_from_the_users_config() -> None:
    cfg = build_config({"timezone": "Europe/Paris", "reserve_ratio": 0.25, "min_block_minutes": 30})
    s = settings_from_config(cfg)
    assert (s.tz, s.reserve_ratio, s.min_block, s.reserve_anchors) == ("Europe/Paris", 0.25, 30,
                                                                       (time(12, 30), time(17, 30)))
    assert s.hours == cfg.hours


# --- bad input ------------------------------------------------------------------------------------------


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        day(now=datetime(2026, 11, 23, 9))
    with pytest.raises(ValueError, match="kind"):
        day(fixed=[Fixed(at(MON, 9), at(MON, 10), "meeting", None, "x")])
    with pytest.raises(ValueError, match="days"):
        plan_range([], [], [], settings(), start=MON, days=0, now=EARLY)
    with pytest.raises(ValueError, match="negative"):
        day([item(1, -5)])



def test_a_card_whose_estimate_is_used_up_says_so() -> None:
    from organizer.planner.engine import USED_UP

    spent = item(3, 0)._replace(used_up=True)
    plan = day([item(2, 0), spent])
    assert plan.unplanned == (Unplanned(2, "NWC-2", "no estimate"), Unplanned(3, "NWC-3", USED_UP))
