"""Capacity: the next two weeks as a heatmap of load per role and day, the reserve against pop-ups, and how
long work took against its estimates.

The plans are the one stored schedule (`organizer.services.schedule`, the same as the Day plan, the CLI and
the calendar export) and `capacity()`; this screen only arranges the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from organizer.dates import format_duration as fd

from .footer import KeyFooter

if TYPE_CHECKING:
    from organizer.planner import Capacity, DayPlan
    from organizer.refdata import Role
    from organizer.services.timer import Accuracy

    from .dataservice import DataChange
    from .host import OrganizerHost

DAYS = 14
LABEL = 17  # width of the row labels
SHORT_LABEL = 10  # the row labels when not every day fits: badges only ("STRAT", "available")
CELL = 7  # width of a day column, its gap included
SHADES = (" ", "░", "▒", "▓", "█", "█")  # by level: the shade reads without colour
GRID_MARGIN = 3  # the body's padding and its scrollbar
OVER = "!"  # beside the shade of a cell over the day's time: the meaning never rests on colour alone


@dataclass(frozen=True)
class CapacityData:
    """What the screen draws: one plan and one Capacity per day, and estimate accuracy per role."""

    plans: list[DayPlan]
    loads: list[Capacity]
    accuracy: list[Accuracy]


@dataclass(frozen=True)
class HeatRow:
    """One heatmap row: minutes and a 0…1+ intensity per day."""

    label: str
    style: Style
    minutes: list[int]
    intensity: list[float]
    shaded: bool = True


def committed(load: Capacity) -> int:
    """Minutes the day promises out of its available time: work, pop-ups and the reserve still kept free."""
    return load.planned_minutes + load.popup_minutes + max(0, load.reserve_minutes - load.reserve_used_minutes)


def overcommitted(plan: DayPlan, load: Capacity) -> list[str]:
    """Why a day is overcommitted (empty when it is not): the core's one definition."""
    from organizer.planner import overcommit_reasons

    return overcommit_reasons(plan)


def heat_rows(loads: list[Capacity], roles: list[Role]) -> list[HeatRow]:
    """Rows per role (planned work and pop-ups), then busy, reserve, total load and available time."""
    def share(part: int, whole: int) -> float:
        return part / whole if whole else (2.0 if part else 0.0)

    rows: list[HeatRow] = []
    known = {r.key for r in roles}
    extra = sorted({rl.role for c in loads for rl in c.roles if rl.role not in known}, key=lambda r: (r is None, r))
    for key, label, style in [*((r.key, f"{r.badge:<5} {r.key}", Style(color=r.colour, bold=True)) for r in roles),
                              *((k, k or "no role", Style(italic=True)) for k in extra)]:
        minutes = [sum(rl.planned_minutes + rl.popup_minutes for rl in c.roles if rl.role == key) for c in loads]
        rows.append(HeatRow(label, style, minutes, [share(m, c.available_minutes) for m, c in zip(minutes, loads,
                                                                                                 strict=True)]))
    rows.append(HeatRow("busy", Style(), [c.busy_minutes for c in loads],
                        [share(c.busy_minutes, c.working_minutes) for c in loads]))
    rows.append(HeatRow("reserve", Style(), [c.reserve_minutes for c in loads],
                        [share(c.reserve_minutes, c.available_minutes) for c in loads]))
    # Busy time is not part of the available time, so the total is weighed against the working day.
    totals = [committed(c) + c.busy_minutes for c in loads]
    rows.append(HeatRow("total", Style(bold=True), totals,
                        [share(t, c.working_minutes) for t, c in zip(totals, loads, strict=True)]))
    rows.append(HeatRow("available", Style(), [c.available_minutes for c in loads], [0.0] * len(loads), False))
    return rows


def level(intensity: float) -> int:
    """Shade level 0…5 (5: over the day's time)."""
    if intensity <= 0:
        return 0
    if intensity > 1:
        return 5
    return min(4, 1 + int(intensity * 4 - 1e-9))


def weekly(loads: list[Capacity], ratio: float) -> tuple[list[str], str]:
    """Pop-up minutes against available time per ISO week, and a hint on the reserve ratio."""
    weeks: dict[tuple[int, int], list[Capacity]] = {}
    for c in loads:
        weeks.setdefault(c.day.isocalendar()[:2], []).append(c)
    lines: list[str] = []
    popups = available = counted = 0
    for (_, week), days in weeks.items():
        avail, pop = sum(c.available_minutes for c in days), sum(c.popup_minutes for c in days)
        if not avail:
            continue
        counted += 1
        popups, available = popups + pop, available + avail
        pct = 100 * pop / avail
        flag = "  ▲ over the reserve" if pct > 100 * ratio else ""
        first, last = days[0].day, days[-1].day
        lines.append(f"W{week:02}  {first:%a} {first.day}–{last:%a} {last.day} {last:%b}  pop-ups {fd(pop)} of "
                     f"{fd(avail)} available = {pct:.0f} % (reserve {100 * ratio:.0f} %: "
                     f"{fd(sum(c.reserve_minutes for c in days))}){flag}")
    if not available:
        return lines, "No working time in these weeks."
    share = 100 * popups / available
    span = f"the {counted} week{'s' if counted != 1 else ''} shown"
    if share > 100 * ratio:
        return lines, f"pop-ups took {share:.0f} % over {span}: raise the reserve? (reserve_ratio is " \
                      f"{100 * ratio:.0f} %)"
    return lines, f"pop-ups took {share:.0f} % over {span}, within the {100 * ratio:.0f} % reserve."


def layout(width: int, days: int) -> tuple[int, int]:
    """(label width, days shown) for a grid `width` cells wide: full labels when every day fits beside them, else
    badges only and as many days as fit (at least one), so the grid never wraps."""
    if LABEL + days * CELL <= width:
        return LABEL, days
    return SHORT_LABEL, max(1, min(days, (width - SHORT_LABEL) // CELL))


def legend() -> str:
    """What shades and marks mean, in words (the colours only repeat it)."""
    shades = "  ".join(f"{SHADES[n]} ≤{25 * n} %" for n in range(1, 5))
    return (f"cells: minutes per day, shaded by their share of the day's time\n{shades}  {SHADES[5]}{OVER} over it\n"
            "▲ over: the day is overcommitted (why below)")


class Heatmap(Static):
    """The load grid: rows are roles and totals, columns are days; shade and minutes per cell.

    At most `days` days from `first` are drawn, as many as the width allows (see `layout`).
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "heatmap--header", "heatmap--weekend", "heatmap--over",
        "heatmap--l1", "heatmap--l2", "heatmap--l3", "heatmap--l4", "heatmap--l5", "heatmap--legend",
    }

    _shown: tuple[CapacityData, list[Role], int, int] | None = None

    def notify_style_update(self) -> None:
        """Theme or CSS changed: draw the grid again in the new colours."""
        super().notify_style_update()
        if self._shown is not None:
            self.call_later(self.show, *self._shown)

    def show(self, data: CapacityData, roles: list[Role], width: int, first: int = 0) -> tuple[int, int]:
        """Draw the grid for these plans in `width` cells from day `first`; returns (first, count) drawn."""
        label, count = layout(width, len(data.loads))
        first = max(0, min(first, len(data.loads) - count))
        self._shown = (data, roles, width, first)
        shown = slice(first, first + count)
        plans, loads = data.plans[shown], data.loads[shown]
        style = self.get_component_rich_style
        header, weekend, over = style("heatmap--header"), style("heatmap--weekend"), style("heatmap--over")
        days: list[date] = [c.day for c in loads]
        ends = [d.weekday() >= 5 for d in days]
        text = Text(" " * label)
        for d, end in zip(days, ends, strict=True):
            text.append(f"{d:%a} {d.day:<2}".ljust(CELL), style=header + weekend if end else header)
        text.append("\n" + " " * label)
        for plan, load in zip(plans, loads, strict=True):
            text.append(("▲ over" if overcommitted(plan, load) else "").ljust(CELL), style=over)
        for row in heat_rows(loads, roles):
            text.append("\n")
            name = row.label if label == LABEL else row.label.split()[0]
            text.append(name[: label - 1].ljust(label), style=row.style)
            for minutes, intensity, end in zip(row.minutes, row.intensity, ends, strict=True):
                lvl = level(intensity) if row.shaded else 0
                mark = OVER if lvl == 5 else " "
                cell = f"{SHADES[lvl]}{mark}{minutes:>4}" if minutes else "     ·"
                cell_style = style(f"heatmap--l{lvl}") if lvl else Style()
                text.append(cell, style=cell_style + weekend if end and not lvl else cell_style)
                text.append(" " * (CELL - len(cell)))
        text.append("\n" + legend(), style=style("heatmap--legend"))
        self.update(text)
        return first, count


class CapacityScreen(Screen[None]):
    """Mode "capacity": two weeks of load at a glance."""

    AUTO_FOCUS = ""
    CSS_PATH = "plan.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", id="capacity.refresh"),
        # The same keys as on the board and the Day plan: `p` the Day plan, `C` Capacity (here: stays).
        Binding("p", "app.switch_mode('plan')", "Day plan", id="capacity.plan"),
        Binding("C", "app.switch_mode('capacity')", "Capacity", show=False, id="capacity.capacity"),
        Binding("escape,b", "app.switch_mode('board')", "Board", id="capacity.board", key_display="b"),
        # Narrow terminals show fewer days: these bring the others in (as previous / next day in the Day plan).
        Binding("left,h", "shift(-1)", "Earlier days", show=False, id="capacity.prev_day"),
        Binding("right,l", "shift(1)", "Later days", show=False, id="capacity.next_day"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: CapacityData | None = None
        self.first = 0  # the first day drawn, when not all fit
        self._stale = False

    @property
    def org(self) -> OrganizerHost:
        """The app, as the screens see it (screens.host: not screens.app, which imports this module)."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        """Title, then the heatmap, the overcommitted days, the reserve and the estimates, scrolling."""
        yield Static("", id="capacity-title")
        body = VerticalScroll(id="capacity-body")
        body.can_focus = False
        with body:
            yield Heatmap("", id="heatmap")
            yield Static("", id="capacity-over")
            yield Static("", id="capacity-reserve")
            yield Static("", id="capacity-accuracy")
        yield KeyFooter()

    def on_mount(self) -> None:
        """Load, and hear about changes made elsewhere."""
        self.org.data.changed.subscribe(self, self.data_changed)
        self.reload()

    def data_changed(self, change: DataChange | None = None) -> None:
        """The database changed: reload now if shown, else when next shown."""
        if self.is_current:
            self.reload()
        else:
            self._stale = True

    def on_screen_resume(self) -> None:
        """Back on this mode: catch up with changes made meanwhile."""
        if self._stale:
            self._stale = False
            self.reload()

    def on_resize(self) -> None:
        """Another width: as many days as now fit."""
        if self.data is not None:
            self.show_data(self.data)

    def action_shift(self, step: int) -> None:
        """Show earlier or later days, when not all of them fit."""
        if self.data is not None:
            self.first = max(0, self.first + step)
            self.show_data(self.data)

    def action_refresh(self) -> None:
        """Plan the two weeks again."""
        self.reload()

    def reload(self) -> None:
        """Read the next 14 days from the stored schedule and redraw."""
        cfg, now = self.org.cfg, self.org.now()

        def work(session: Any, svc: Any) -> CapacityData:
            from organizer.planner import capacity
            from organizer.services import schedule

            plans = schedule.in_session(session, cfg, now).plans[:DAYS]
            return CapacityData(plans, capacity(plans), svc.timer.accuracy(session, cfg.role_keys()))

        # The same stored schedule as the Day plan and the CLI (re-planned first if anything changed).
        self.org.data.call(work, self.show_data)

    def show_data(self, data: CapacityData) -> None:
        """Draw everything from freshly planned days."""
        self.data = data
        cfg = self.org.cfg
        roles = list(cfg.roles)
        width = self.size.width or self.app.size.width
        self.first, count = self.query_one(Heatmap).show(data, roles, width - GRID_MARGIN, self.first)
        first, last = data.loads[self.first].day, data.loads[self.first + count - 1].day
        title = f"Capacity · {first:%a} {first.day} {first:%b} – {last:%a} {last.day} {last:%b}"
        if count < len(data.loads):
            title += f" · {count} of {len(data.loads)} days: ←/→ for more"
        self.query_one("#capacity-title", Static).update(Text(title))
        flagged = [(p.day, overcommitted(p, c)) for p, c in zip(data.plans, data.loads, strict=True)]
        over = [f"▲ {day:%a} {day.day} {day:%b}: {', '.join(reasons)}" for day, reasons in flagged if reasons]
        self.query_one("#capacity-over", Static).update(
            _section("Overcommitted days", [Text(line) for line in over or ["none: every day fits"]]))
        lines, hint = weekly(data.loads, cfg.reserve_ratio)
        self.query_one("#capacity-reserve", Static).update(_section("Reserve for pop-ups, per week", [
            *(Text(line) for line in lines), Text(hint, style="bold" if "raise the reserve" in hint else "")]))
        self.query_one("#capacity-accuracy", Static).update(
            _section("Estimate vs actual (finished cards)", accuracy_lines(data.accuracy, roles)))


def _section(title: str, lines: list[Text]) -> Text:
    return Text("\n").join([Text(title, style="bold"), *lines])


def accuracy_lines(accuracy: list[Accuracy], roles: list[Role]) -> list[Text]:
    """`WRITE writer 150 % of estimate over 4 cards (…)`, one line per role."""
    by_key = {r.key: r for r in roles}
    lines = []
    for a in accuracy:
        role = by_key.get(a.role or "")
        line = Text()
        line.append(f"{role.badge if role else '':<5}", style=Style(color=role.colour if role else None, bold=True))
        line.append(f" {a.role or 'no role'} {round(100 * a.ratio)} % of estimate over {a.cards} "
                    f"card{'s' if a.cards != 1 else ''} ({fd(a.estimated_minutes)} estimated, "
                    f"{fd(a.spent_minutes)} spent)")
        lines.append(line)
    return lines or [Text("no finished cards with both an estimate and time spent yet")]
