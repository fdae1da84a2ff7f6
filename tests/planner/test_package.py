"""The planner package's lazy engine import keeps every public name right, whatever is imported first."""

from __future__ import annotations

import subprocess
import sys

import pytest

ORDERS = [
    "from organizer.planner.capacity import overcommitted; from organizer.planner import capacity",
    "import organizer.planner.engine; from organizer.planner import capacity, plan_range",
    "from organizer.planner import plan_range, capacity, DayPlan",
]


@pytest.mark.parametrize("imports", ORDERS)
def test_public_names_are_the_functions_in_any_import_order(imports: str) -> None:
    code = (f"{imports}\nimport organizer.planner as p\nassert callable(p.capacity) and callable(p.plan_range)\n"
            "assert p.capacity.__module__ == 'organizer.planner.capacity'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_reading_a_plan_does_not_import_the_engine() -> None:
    code = ("import sys\nimport organizer.services.schedule\n"
            "assert 'organizer.planner.engine' not in sys.modules, sorted(sys.modules)\n")
    subprocess.run([sys.executable, "-c", code], check=True)
