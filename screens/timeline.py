"""The Day plan's timeline: one line-API scroll view, one screen line per `zoom` minutes, only visible lines drawn.

Time runs down the screen at a fixed scale (5, 10, 15 or 30 minutes a line) so gaps and lengths read at a
glance. Where several blocks start within one line's minutes, that line is drawn once per block, so every
block keeps a first line with its label and can take the cursor, even at the coarsest zoom.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from organizer.dates import format_duration

if TYPE_CHECKING:
    from organizer.refdata import Role
    from organizer.services.dayview import DayView, ViewBlock

ZOOMS = (5, 10, 15, 30)  # minutes per line, finest first
GUTTER = 6  # "09:00 "
# Texture per kind, so kinds stay apart without colour.
BARS = {"work": "█", "popup": "▓", "reserve": "░", "busy": "▒"}
PIN = "📌"
GAUGE = 5  # cells in the reserve gauge


@dataclass(frozen=True, slots=True)
class Line:
    """One screen line: the slot it belongs to and what it shows."""

    at: datetime  # UTC start of the line's minutes
    block: int | None  # index into the blocks; None for free time
    first: bool  # the block's first line, which carries its label
    label: str  # gutter text ("09:00") or ""
    off: bool  # outside working hours
    now: bool = False  # the "now" marker line


def day_span(day: date, blocks: Sequence[ViewBlock], hours: Mapping[str, Sequence[tuple[time, time]]], tz: str,
             zoom: int) -> tuple[datetime, datetime, list[tuple[datetime, datetime]]] | None:
    """(first line, end, working intervals in UTC) for a day: its hours and its blocks, on whole `zoom` lines.

    None when the day has neither working hours nor blocks.
    """
    zone = ZoneInfo(tz)
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
    working = [(datetime.combine(day, a, zone).astimezone(UTC),
                datetime.combine(day, b, zone).astimezone(UTC)) for a, b in hours.get(weekday, ())]
    starts = [w[0] for w in working] + [b.start for b in blocks]
    ends = [w[1] for w in working] + [b.end for b in blocks]
    if not starts:
        return None
    first = min(starts).astimezone(zone)
    # Lines start on local multiples of the zoom, so hour labels fall on line starts.
    first = first.replace(minute=first.minute - first.minute % zoom, second=0, microsecond=0)
    return first.astimezone(UTC), max(ends), working


def build_lines(blocks: Sequence[ViewBlock], origin: datetime, end: datetime, zoom: int, *, tz: str,
                working: Sequence[tuple[datetime, datetime]], now: datetime | None) -> list[Line]:
    """Every screen line from `origin` to `end`; `now` (when shown) adds a marker line where it falls."""
    zone = ZoneInfo(tz)
    step = timedelta(minutes=zoom)
    lines: list[Line] = []
    placed = 0
    at = origin
    now_done = now is None or not origin <= now < end
    while at < end:
        nxt = at + step
        local = at.astimezone(zone)
        label = f"{local:%H:%M}" if local.minute == 0 else ""
        off = not any(a <= at < b for a, b in working)
        if not now_done and now is not None and now < nxt:
            lines.append(Line(at, None, False, "", off, now=True))
            now_done = True
        starters = []
        while placed < len(blocks) and blocks[placed].start < nxt:
            starters.append(placed)
            placed += 1
        if starters:
            for n, index in enumerate(starters):
                lines.append(Line(at, index, True, label if n == 0 else "", off))
        else:
            # The latest block still running in these minutes continues here.
            running = [i for i in range(placed) if blocks[i].start < nxt and blocks[i].end > at]
            lines.append(Line(at, running[-1] if running else None, False, label, off))
        at = nxt
    return lines


class TimelineView(ScrollView, can_focus=False):
    """One day's blocks on a vertical time axis, drawn line by line."""

    DEFAULT_CSS = """
    TimelineView {
        height: 1fr;
        width: 1fr;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline--gutter", "timeline--hour", "timeline--free", "timeline--off", "timeline--work",
        "timeline--popup", "timeline--reserve", "timeline--busy", "timeline--cursor", "timeline--now",
        "timeline--empty",
    }

    class Clicked(Message):
        """A block was clicked (its index), or free time (None)."""

        def __init__(self, block: int | None, double: bool) -> None:
            super().__init__()
            self.block = block
            self.double = double

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.blocks: Sequence[ViewBlock] = ()
        self.lines: list[Line] = []
        self.cursor: int | None = None
        self.zoom = 10
        self.tz = "UTC"
        self.badges: dict[str, str] = {}
        self.colours: dict[str, Style] = {}
        self.empty_text = "no working time this day"
        self.now: datetime | None = None
        self._first: dict[int, int] = {}
        self._cache: dict[tuple[int, bool], Strip] = {}

    @property
    def rows_per_hour(self) -> int:
        """Screen lines per hour at the current zoom."""
        return 60 // self.zoom

    def show(self, blocks: Sequence[ViewBlock], *, span: tuple[datetime, datetime, list[tuple[datetime, datetime]]]
             | None, zoom: int, now: datetime | None, tz: str, badges: dict[str, str], colours: dict[str, str],
             cursor: int | None, scroll: bool = True) -> None:
        """Replace the day shown; `now` None hides the "now" line (another day); `scroll` brings the cursor
        into view (off for the clock's own redraws, which must not undo the user's scrolling)."""
        self.blocks, self.zoom, self.tz, self.badges, self.now = blocks, zoom, tz, badges, now
        self.colours = {key: Style(color=colour, bold=True) for key, colour in colours.items()}
        self.lines = build_lines(blocks, span[0], span[1], zoom, tz=tz, working=span[2], now=now) if span else []
        self._first = {}
        for n, line in enumerate(self.lines):
            if line.first and line.block is not None:
                self._first.setdefault(line.block, n)
        self._cache.clear()
        self.virtual_size = Size(self.size.width, max(len(self.lines), 1))
        if scroll:
            self.select(cursor)
        else:
            self.cursor = cursor
            self.refresh()

    def select(self, cursor: int | None) -> None:
        """Move the cursor to a block and keep it in view."""
        self.cursor = cursor  # no cache to drop: cached lines are keyed by whether they show the cursor
        if cursor is not None and cursor in self._first:
            top = self._first[cursor]
            bottom = top
            while bottom + 1 < len(self.lines) and self.lines[bottom + 1].block == cursor \
                    and not self.lines[bottom + 1].first:
                bottom += 1
            shown = self.scroll_offset.y, self.scroll_offset.y + self.scrollable_content_region.height
            if not (shown[0] <= top and bottom < shown[1]):  # out of view: bring it near the top, with context
                self.scroll_to_region(Region(0, max(0, top - 2), 1, 1), animate=False, immediate=True, top=True)
        self.refresh()

    def first_line(self, block: int) -> int | None:
        """The line carrying a block's label."""
        return self._first.get(block)

    # --- drawing ------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        """Theme or CSS changed: drawn lines carry the old colours."""
        super().notify_style_update()
        self._cache.clear()

    def on_resize(self) -> None:
        """Widths changed: lines must be cut again."""
        self._cache.clear()
        self.virtual_size = Size(self.size.width, max(len(self.lines), 1))

    def render_line(self, y: int) -> Strip:
        """One screen line of the day."""
        width = self.scrollable_content_region.width
        index = y + self.scroll_offset.y
        if not self.lines:
            if y == 1:
                text = f" ({self.empty_text})"
                return Strip([Segment(text, self.get_component_rich_style("timeline--empty"))]).adjust_cell_length(
                    width, self.rich_style)
            return Strip.blank(width, self.rich_style)
        if index >= len(self.lines):
            return Strip.blank(width, self.rich_style)
        line = self.lines[index]
        selected = line.block is not None and line.block == self.cursor
        key = (index, selected)
        strip = self._cache.get(key)
        if strip is None or strip.cell_length != width:
            strip = self._draw(line, width, selected)
            self._cache[key] = strip
        return strip

    def _draw(self, line: Line, width: int, selected: bool) -> Strip:
        style = self.get_component_rich_style
        base = self.rich_style
        if line.now:
            assert self.now is not None
            local = self.now.astimezone(ZoneInfo(self.tz))
            now_style = base + style("timeline--now")
            text = f"{local:%H:%M} ┿━━ now " + "━" * width
            return Strip([Segment(text, now_style)]).crop(0, width)
        gutter = style("timeline--hour") if line.label else style("timeline--gutter")
        axis = "┊" if line.off else "┼" if line.label else "│"
        segs = [Segment(f"{line.label:<{GUTTER - 1}} ", base + gutter), Segment(axis, base + style("timeline--gutter"))]
        if line.block is None:
            fill = base + style("timeline--off" if line.off else "timeline--free")
            segs.append(Segment(" " * max(0, width - GUTTER - 1), fill))
            return Strip(segs).adjust_cell_length(width, base)
        block = self.blocks[line.block]
        fill = base + style(f"timeline--{block.kind}")
        if selected:
            fill += style("timeline--cursor")
        role = self.colours.get(block.role or "", Style()) if block.kind == "work" else Style()
        segs.append(Segment("▶" if selected else " ", fill))
        segs.append(Segment(BARS.get(block.kind, "█"), fill + role))
        rest = width - GUTTER - 3
        if line.first and rest > 0:
            segs.extend(self._label(block, rest, fill, role))
        else:
            segs.append(Segment(" " * max(0, rest), fill))
        return Strip(segs).adjust_cell_length(width, fill)

    def _label(self, block: ViewBlock, room: int, fill: Style, role: Style) -> list[Segment]:
        """A block's first line: times, kind tag, card and title (literally, cut to fit), length and pin."""
        zone = ZoneInfo(self.tz)
        times = f" {block.start.astimezone(zone):%H:%M}–{block.end.astimezone(zone):%H:%M} "
        tag = {"work": self.badges.get(block.role or "", "WORK"), "popup": "POP-UP", "reserve": "reserve",
               "busy": "busy"}.get(block.kind, block.kind)
        if block.kind == "reserve":
            name = "kept free for pop-ups"
        else:
            # Literal text, but a stray newline or tab from an imported calendar must not break the line.
            name = "".join(c if c.isprintable() else " " for c in (f"{block.ref}  {block.title}" if block.ref
                                                                    else block.title))
        right = f" {format_duration(block.minutes)}" + (f" {PIN}" if block.pinned else "") + " "
        room_name = room - cell_len(times) - 8 - cell_len(right)
        if room_name < 24:  # narrow: the start is enough, the length follows the title
            times = f" {block.start.astimezone(zone):%H:%M} "
            room_name = room - cell_len(times) - 8 - cell_len(right)
        if room_name < 1:
            return [Segment(set_cell_size(times + name, room), fill)]
        if cell_len(name) > room_name:
            name = set_cell_size(name, room_name - 1) + "…"
        return [Segment(times, fill), Segment(f"{tag:<7} ", fill + role), Segment(set_cell_size(name, room_name), fill),
                Segment(right, fill)]

    def on_click(self, event: events.Click) -> None:
        """Tell the screen which block was clicked."""
        index = event.y + self.scroll_offset.y
        block = self.lines[index].block if 0 <= index < len(self.lines) else None
        self.post_message(self.Clicked(block, event.chain >= 2))


# --- the texts around the timeline (pure: the screen decides when to draw them) -----------------------
def hm(moment: datetime, tz: str) -> str:
    """`14:05` in zone `tz`."""
    return f"{moment.astimezone(ZoneInfo(tz)):%H:%M}"


def signature(view: DayView) -> tuple[Any, ...]:
    """What the screen draws from a plan, to tell whether a reload would change anything.

    `late`, `moved` and the wording of reasons are left out: the planner reports late and moved cards only
    while placing work, and counts free minutes differently once blocks are kept, so a plan that keeps its
    blocks differs there from the one that placed them; comparing them would rewrite the plan for nothing.
    """
    p = view.plan
    return (p.day, p.available_minutes, p.planned_minutes, p.reserve_minutes, p.reserve_used_minutes,
            tuple((b.start, b.end, b.kind, b.card_id, b.title, b.role, b.pinned) for b in view.blocks),
            tuple(u.ref for u in p.unplanned), view.timer)


def changes(before: DayView | None, after: DayView, tz: str) -> list[str]:
    """Cards whose first block starts elsewhere (or nowhere) after a replan: `NWC-17 11:00 → 10:35`."""
    def starts(view: DayView | None) -> dict[str, datetime]:
        out: dict[str, datetime] = {}
        for b in view.blocks if view else ():
            if b.ref and b.kind in ("work", "popup"):
                out[b.ref] = min(out.get(b.ref, b.start), b.start)
        return out

    old, new = starts(before), starts(after)
    # What arrived and what fell out first: those matter more than blocks sliding along the day.
    return ([f"{ref} → {hm(new[ref], tz)} (new)" for ref in new if ref not in old]
            + [f"{ref} {hm(old[ref], tz)} → not planned" for ref in old if ref not in new]
            + [f"{ref} {hm(old[ref], tz)} → {hm(new[ref], tz)}" for ref in old if ref in new and new[ref] != old[ref]])


def header_text(view: DayView | None, day: date, today: date, now: datetime, width: int | None = None) -> Text:
    """`Thu 26 Nov · today   planned … of … available   reserve 1h ▰▰▱▱▱ 30m used · 30m left   ⏱ NWC-3 12m`.

    Within `width` cells when given: shorter wordings first, then the reserve's figures go, the day, the
    planned figures, the reserve left (or over) and a running timer always stay.
    """
    fd = format_duration
    head = Text(f"{day:%a} {day.day} {day:%b}", style="bold")
    head.append({0: " · today", 1: " · tomorrow", -1: " · yesterday"}.get((day - today).days, ""))
    if view is None:
        return head
    p = view.plan
    used, left, over = p.reserve_used_minutes, view.reserve_left_minutes, p.reserve_over_minutes
    filled = min(GAUGE, round(GAUGE * used / p.reserve_minutes)) if p.reserve_minutes else 0
    gauge = f"{'▰' * filled}{'▱' * (GAUGE - filled)}"
    rest = f"{fd(over)} over!" if over else f"{fd(left)} left"
    planned = (f"planned {fd(p.planned_minutes)} of {fd(p.available_minutes)} available",
               f"{fd(p.planned_minutes)} of {fd(p.available_minutes)} planned",
               f"{fd(p.planned_minutes)}/{fd(p.available_minutes)} planned")
    reserve = (f"reserve {fd(p.reserve_minutes)} {gauge} {fd(used)} used · {rest}",
               f"reserve {gauge} {rest}", f"reserve {rest}")
    timer = Text()
    if view.timer is not None:
        ref, started = view.timer
        timer = Text(f"⏱ {ref} {fd(max(0, int((now - started).total_seconds() // 60)))}", style="bold")
    tries = [(0, 0, "   "), (0, 0, "  "), (1, 0, "  "), (1, 1, "  "), (2, 1, "  "), (2, 2, "  ")]
    for n, (a, b, sep) in enumerate(tries):
        text = head.copy()
        for part in (Text(planned[a]), Text(reserve[b]), timer):
            if part:
                text.append(sep)
                text.append_text(part)
        if width is None or text.cell_len <= width or n == len(tries) - 1:
            return text
    raise AssertionError("unreachable")


def legend_text(roles: Sequence[Role], zoom: int, width: int | None = None) -> Text:
    """The textures of the kinds, the zoom, and the role badges in their colours (left out when they do not fit
    in `width`: every block names its role in words)."""
    legend = Text(f"{BARS['work']} work {BARS['popup']} pop-up {BARS['reserve']} reserve {BARS['busy']} busy "
                  f"{PIN} pinned │ {zoom} min a line")
    badges = Text(" │")
    for role in roles:
        badges.append(" ")
        badges.append(role.badge, style=Style(color=role.colour, bold=True))
    if width is None or legend.cell_len + badges.cell_len <= width:
        legend.append_text(badges)
    return legend


def focus_text(block: ViewBlock | None, tz: str) -> Text:
    """The focused block in full (its title is cut on the timeline)."""
    text = Text("Focused\n", style="bold")
    if block is None:
        return text + Text("no blocks this day")
    what = {"reserve": "reserve, kept free for pop-ups", "busy": "busy"}.get(block.kind, "")
    text.append(f"{hm(block.start, tz)}–{hm(block.end, tz)} · {format_duration(block.minutes)} · "
                f"{'pinned' if block.pinned else 'not pinned'}\n")
    text.append(f"{block.ref}  {block.title}" if block.ref else block.title or what)
    return text


def issues_text(view: DayView | None, replanned: list[str]) -> Text:
    """What the last replan moved, what pop-ups pushed out, what is late and what did not fit."""
    text = Text()
    sections: list[tuple[str, list[str]]] = [("Moved by the last replan", replanned)]
    if view is not None:
        plan = view.plan
        sections += [
            ("Moved to make room for pop-ups", [
                f"{m.ref} {m.from_day:%a %d} → {f'{m.to_day:%a %d}' if m.to_day else 'not planned'}: {m.reason}"
                for m in plan.moved]),
            ("Planned after their due time", [f"{u.ref} {u.reason}" for u in plan.late]),
            ("Not planned", [f"{u.ref} {u.reason}" for u in plan.unplanned]),
        ]
    for title, lines in sections:
        if lines:
            text.append(f"\n{title} ({len(lines)})\n", style="bold")
            text.append("".join(f"• {line}\n" for line in lines))
    if view is not None and not any(lines for _, lines in sections):
        text.append("\nEverything open is planned.\n")
    return text
