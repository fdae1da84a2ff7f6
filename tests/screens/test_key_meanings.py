"""No key means two different things on screens a user moves between (board, Day plan, Capacity, the app)."""

from __future__ import annotations

from collections import defaultdict

from textual.binding import Binding

from screens.app import OrganizerApp
from screens.board import BoardScreen
from screens.capacity import CapacityScreen
from screens.dayplan import DayPlanScreen
from screens.keys import IDEAS, KEY_IDEAS

SCREENS = (OrganizerApp, BoardScreen, DayPlanScreen, CapacityScreen)


def _bindings() -> list[tuple[str, Binding]]:
    out = []
    for cls in SCREENS:
        for binding in cls.BINDINGS:
            assert isinstance(binding, Binding), (cls.__name__, binding)
            out.append((cls.__name__, binding))
    return out


def test_every_binding_says_which_idea_it_is() -> None:
    missing = [(where, b.id) for where, b in _bindings() if b.id not in IDEAS]
    assert not missing, f"add these binding ids to screens.keys.IDEAS: {missing}"


def test_no_key_means_two_ideas() -> None:
    meanings: dict[str, set[str]] = defaultdict(set)
    where: dict[str, list[str]] = defaultdict(list)
    for screen, binding in _bindings():
        for key in binding.key.split(","):
            meanings[key.strip()].add(KEY_IDEAS.get(key.strip(), IDEAS[binding.id or ""]))
            where[key.strip()].append(f"{screen}:{binding.id}")
    clashes = {key: (sorted(ideas), where[key]) for key, ideas in meanings.items() if len(ideas) > 1}
    assert not clashes, clashes


def test_the_day_plan_keys_from_the_board_do_not_pin() -> None:
    plan_keys = {k for b in DayPlanScreen.BINDINGS if isinstance(b, Binding) for k in b.key.split(",")}
    pin = next(b for b in DayPlanScreen.BINDINGS if isinstance(b, Binding) and b.id == "plan.pin")
    assert "p" in plan_keys and "p" not in pin.key.split(",")
