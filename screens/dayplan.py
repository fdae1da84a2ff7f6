"""The Day plan: one day's blocks on a timeline, what did not fit, and the hands-on edits.

The screen holds view state only (day, zoom, focused block). Planning, edits and timers run through the
core services in `app.db_call`, each edit and the day's fresh plan in one transaction, so what is drawn
is always what is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from organizer.dates import format_duration
from organizer.validate import InputError

from .footer import KeyFooter
from .timeline import (
    ZOOMS,
    TimelineView,
    changes,
    day_span,
    focus_text,
    header_text,
    hm,
    issues_text,
    legend_text,
    signature,
)

if TYPE_CHECKING:
    from organizer.services.dayview import DayView, ViewBlock

    from .dataservice import DataChange
    from .host import OrganizerHost

Edit = Callable[[Any, Any], Any]
TICK_SECONDS = 30  # the "now" line and the timer's minutes move on their own


def _span(block: Any) -> tuple[datetime, datetime]:
    """A stored block's times, read inside its session (the row is not usable after it)."""
    return block.start_at, block.end_at


class DayPlanScreen(Screen[None]):
    """Mode "plan": one day, minute by minute."""

    AUTO_FOCUS = ""
    CSS_PATH = "plan.tcss"
    # The side panel narrows on small terminals and widens on large ones (classes used in plan.tcss).
    # (Not a ClassVar: Screen declares it as an instance variable.)
    HORIZONTAL_BREAKPOINTS: list[tuple[int, str]] | None = [(0, "-narrow"), (100, "-normal"),  # noqa: RUF012
                                                            (160, "-wide")]
    # Keys mean what they mean on the board (`p` the Day plan, `C` Capacity, `n` something new, `b`/escape
    # back to the board): pin and split are `P` and `x`, so `p` pressed twice from the board pins nothing.
    # Ids stay the same across renames, so `[keys]` remaps in config.toml keep working.
    BINDINGS: ClassVar[list[BindingType]] = [
        # In the order the footer keeps them when the terminal is narrow.
        Binding("n", "popup", "Pop-up", id="plan.popup"),
        Binding("space", "timer", "Timer", id="plan.timer"),
        Binding("P", "pin", "Pin", id="plan.pin"),
        Binding("enter,e", "jump", "On board", key_display="enter", id="plan.jump"),
        Binding("plus,equals_sign", "nudge(5)", "Later", key_display="+", id="plan.later"),
        Binding("minus", "nudge(-5)", "Earlier", key_display="-", id="plan.earlier"),
        Binding("right_square_bracket", "resize(5)", "Longer", key_display="]", id="plan.longer"),
        Binding("left_square_bracket", "resize(-5)", "Shorter", key_display="[", id="plan.shorter"),
        Binding("x", "split", "Split", id="plan.split"),
        Binding("r", "replan", "Replan", id="plan.replan"),
        Binding("up,k", "move_cursor(-1)", "Previous block", show=False, id="plan.up"),
        Binding("down,j", "move_cursor(1)", "Next block", show=False, id="plan.down"),
        Binding("shift+up,K", "nudge(-15)", "Earlier 15", show=False, id="plan.earlier15"),
        Binding("shift+down,J", "nudge(15)", "Later 15", show=False, id="plan.later15"),
        Binding("left,h", "change_day(-1)", "Previous day", show=False, id="plan.prev_day"),
        Binding("right,l", "change_day(1)", "Next day", show=False, id="plan.next_day"),
        Binding("t", "today", "Today", show=False, id="plan.today"),
        Binding("z", "zoom(-1)", "Zoom in", show=False, id="plan.zoom_in"),
        Binding("Z", "zoom(1)", "Zoom out", show=False, id="plan.zoom_out"),
        Binding("p", "app.switch_mode('plan')", "Day plan", show=False, id="plan.plan"),
        Binding("C", "app.switch_mode('capacity')", "Capacity", show=False, id="plan.capacity"),
        Binding("escape,b", "app.switch_mode('board')", "Board", show=False, id="plan.board"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.day: date | None = None
        self.zoom = 10
        self.view: DayView | None = None
        self.blocks: list[ViewBlock] = []
        self.cursor: int | None = None
        self.replanned: list[str] = []  # what the last replan moved, shown until the day changes
        self._seen_plan: datetime | None = None  # the newest re-plan this screen has reported
        self._stale = False

    @property
    def org(self) -> OrganizerHost:
        """The app, as the screens see it (screens.host: not screens.app, which imports this module)."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        """Header, legend, the timeline beside the lists of what did not fit, footer."""
        yield Static("", id="plan-header")
        yield Static("", id="plan-legend")
        with Horizontal(id="plan-body"):
            yield TimelineView(id="timeline")
            side = VerticalScroll(id="plan-side")
            side.can_focus = False
            with side:
                yield Static("", id="plan-focus")
                yield Static("", id="plan-issues")
        yield KeyFooter()

    def on_mount(self) -> None:
        """Show today, and hear about changes made elsewhere."""
        self.org.data.changed.subscribe(self, self.data_changed)
        self.day = self.today()
        self.reload()
        self.set_interval(TICK_SECONDS, self._tick)

    def today(self) -> date:
        """Today in the user's zone, by the app's clock."""
        return self.org.now().astimezone(ZoneInfo(self.org.cfg.timezone)).date()

    # --- loading ------------------------------------------------------------------------------
    def reload(self, *, replan: bool = False, edit: Edit | None = None, keep: ViewBlock | None = None,
               then: Callable[[DayView | None, DayView, Any], None] | None = None) -> None:
        """Apply `edit` (if any), read the day from the current schedule, and redraw; `then(before, after, edit
        result)` after.
        """
        cfg, day, now = self.org.cfg, self.day or self.today(), self.org.now()
        before = self.view

        def work(session: Any, svc: Any) -> tuple[DayView, Any, str | None]:
            result, error = None, None
            if edit is not None:
                try:
                    result = edit(session, svc)
                except InputError as exc:  # still reload: a refused edit is often a stale view
                    error = str(exc)
            view = svc.dayview.day_view(session, cfg, day, now=now, replan=replan)
            return view, result, error

        def done(out: tuple[DayView, Any, str | None]) -> None:
            view, result, error = out
            if error:
                self.notify(error, severity="error", markup=False)
            self._report_moved(view)
            if view.plan.day != self.day:
                return  # the user moved on to another day meanwhile
            self.show_view(view, keep)
            if then is not None and error is None:
                then(before, view, result)

        self.org.data.call(work, done)

    def data_changed(self, change: DataChange | None = None) -> None:
        """Another process (or mode) wrote: reload if that changes this day (now, or when next shown)."""
        if not self.is_current:
            self._stale = True
            return
        self._check()

    def on_screen_resume(self) -> None:
        """Back on this mode: catch up with changes made meanwhile."""
        if self._stale:
            self._stale = False
            self._check()

    def _check(self) -> None:
        # A change anywhere marks the stored plan stale; reading it re-plans once and stores the result
        # (that write is heard too, but then the plan is current and the day unchanged: no reload loop).
        cfg, day, now = self.org.cfg, self.day or self.today(), self.org.now()

        def done(view: DayView) -> None:
            self._report_moved(view)
            if self.view is None or signature(view) != signature(self.view):
                self.show_view(view)

        self.org.data.call(lambda s, svc: svc.dayview.day_view(s, cfg, day, now=now), done)

    def _report_moved(self, view: DayView) -> None:
        # Every change that moves planned work says what moved, here as in the CLI: once per re-plan,
        # whoever made it (this app, the shell, another process), but not the one found on opening.
        seen, self._seen_plan = self._seen_plan, view.planned_at
        if seen is not None and view.planned_at != seen and view.moved:
            lines = [f"{m.ref}: {m.reason}" for m in view.moved[:6]]
            more = f"\n… and {len(view.moved) - 6} more" if len(view.moved) > 6 else ""
            self.notify("\n".join(lines) + more, title="Plan moved", markup=False)

    def show_view(self, view: DayView, keep: ViewBlock | None = None) -> None:
        """Draw a day's plan, keeping the cursor on the same block (or the one standing in for it)."""
        keep = keep or self.current_block()
        self.view = view
        self.blocks = sorted(view.blocks, key=lambda b: b.start)
        self.cursor = self._find(keep)
        self._draw()

    def _find(self, keep: ViewBlock | None) -> int | None:
        if not self.blocks:
            return None
        indices = range(len(self.blocks))
        if keep is None:
            now = self.org.now()
            upcoming = [i for i in indices if self.blocks[i].end > now] if self.day == self.today() else []
            return upcoming[0] if upcoming else 0
        same = [i for i in indices if self.blocks[i].id == keep.id and self.blocks[i].card_id == keep.card_id
                and keep.id is not None]
        if same:
            return same[0]
        pool = [i for i in indices if keep.card_id is not None and self.blocks[i].card_id == keep.card_id] or indices
        return min(pool, key=lambda i: abs((self.blocks[i].start - keep.start).total_seconds()))

    def current_block(self) -> ViewBlock | None:
        """The focused block, if any."""
        return self.blocks[self.cursor] if self.cursor is not None and self.cursor < len(self.blocks) else None

    # --- drawing ------------------------------------------------------------------------------
    def _draw(self) -> None:
        self._draw_header()
        self._draw_timeline()
        self._draw_side()

    def _tick(self) -> None:
        if self.is_current and self.view is not None and self.day == self.today():
            self._draw_header()
            self._draw_timeline(scroll=False)

    def _draw_header(self) -> None:
        day, today = self.day or self.today(), self.today()
        width = (self.size.width or self.app.size.width) - 2  # the header's padding
        self.query_one("#plan-header", Static).update(header_text(self.view, day, today, self.org.now(), width))
        self.query_one("#plan-legend", Static).update(legend_text(self.org.cfg.roles, self.zoom, width))

    def on_resize(self) -> None:
        """Another width: the header and legend are worded to fit it."""
        self._draw_header()

    def _draw_timeline(self, *, scroll: bool = True) -> None:
        cfg, day = self.org.cfg, self.day or self.today()
        timeline = self.query_one(TimelineView)
        now = self.org.now() if day == self.today() else None
        timeline.show(self.blocks, span=day_span(day, self.blocks, cfg.hours, cfg.timezone, self.zoom),
                      zoom=self.zoom, now=now, tz=cfg.timezone, badges={r.key: r.badge for r in cfg.roles},
                      colours={r.key: r.colour for r in cfg.roles}, cursor=self.cursor, scroll=scroll)
        if scroll:  # again once laid out: the first drawing comes before the timeline knows its height
            self.call_after_refresh(lambda: timeline.select(self.cursor))

    def _draw_side(self) -> None:
        tz = self.org.cfg.timezone
        self.query_one("#plan-focus", Static).update(focus_text(self.current_block(), tz))
        self.query_one("#plan-issues", Static).update(issues_text(self.view, self.replanned))

    # --- navigation ---------------------------------------------------------------------------
    def action_move_cursor(self, step: int) -> None:
        """Focus the previous / next block."""
        if not self.blocks:
            return
        self._focus(max(0, min(len(self.blocks) - 1, (self.cursor or 0) + step)))

    def _focus(self, index: int) -> None:
        self.cursor = index
        self.query_one(TimelineView).select(index)
        self._draw_side()

    def select_block(self, ref: str) -> bool:
        """Focus the first block of a card (by ID); False when the day has none."""
        for i, block in enumerate(self.blocks):
            if block.ref == ref:
                self._focus(i)
                return True
        return False

    @on(TimelineView.Clicked)
    def _clicked(self, event: TimelineView.Clicked) -> None:
        if event.block is not None:
            self._focus(event.block)
            if event.double:
                self.run_worker(self.action_jump())

    def action_change_day(self, step: int) -> None:
        """Show the previous / next day."""
        self._go((self.day or self.today()) + timedelta(days=step))

    def action_today(self) -> None:
        """Back to today."""
        self._go(self.today())

    def _go(self, day: date) -> None:
        self.day, self.view, self.blocks, self.cursor, self.replanned = day, None, [], None, []
        self._draw()
        self.reload()

    def action_zoom(self, step: int) -> None:
        """Fewer (zoom in) or more (zoom out) minutes per line."""
        index = max(0, min(len(ZOOMS) - 1, ZOOMS.index(self.zoom) + step))
        self.zoom = ZOOMS[index]
        self._draw_header()
        self._draw_timeline()

    # --- edits --------------------------------------------------------------------------------
    def _edit(self, fn: Callable[[Any, Any, int], Any], message: Callable[[Any], str]) -> None:
        block = self.current_block()
        if block is None or block.id is None:  # busy time is not a stored block
            if block is not None:
                self.notify("Busy time comes from your calendar: change it there (or with organizer busy).",
                            severity="warning", markup=False)
            return
        bid = block.id
        self.reload(edit=lambda s, svc: fn(s, svc, bid), keep=block,
                    then=lambda _before, _after, result: self.notify(message(result), markup=False))

    def action_pin(self) -> None:
        """Pin or unpin the focused block (replanning leaves pinned blocks where they are)."""
        self._edit(lambda s, svc, bid: svc.dayview.toggle_pin(s, bid), lambda on: "Pinned" if on else "Unpinned")

    def action_nudge(self, minutes: int) -> None:
        """Move the focused block later (positive) or earlier; it becomes pinned."""
        tz = self.org.cfg.timezone
        asked = self.current_block()

        def moved(span: tuple[datetime, datetime]) -> str:
            where = f"{hm(span[0], tz)}–{hm(span[1], tz)}"
            if asked is not None and span[0] - asked.start != timedelta(minutes=minutes):
                return f"Moved to {where}, the nearest free time {'later' if minutes > 0 else 'earlier'}; pinned"
            return f"Moved to {where} and pinned"

        self._edit(lambda s, svc, bid: _span(svc.dayview.nudge_block(s, bid, minutes)), moved)

    def action_resize(self, minutes: int) -> None:
        """Make the focused block longer (positive) or shorter; it becomes pinned."""
        tz = self.org.cfg.timezone
        asked = self.current_block()

        def resized(span: tuple[datetime, datetime]) -> str:
            where = f"{hm(span[0], tz)}–{hm(span[1], tz)}"
            if asked is not None and span[1] - asked.end != timedelta(minutes=minutes):
                why = "up to the next block" if minutes > 0 else "the shortest a block may be"
                return f"Now {where} ({why}); pinned"
            return f"Now {where} and pinned"

        self._edit(lambda s, svc, bid: _span(svc.dayview.resize_block(s, bid, minutes)), resized)

    def action_split(self) -> None:
        """Cut the focused block in two halves, both pinned."""
        self._edit(lambda s, svc, bid: svc.dayview.split_block(s, bid), lambda _: "Split in two (both pinned)")

    def action_replan(self) -> None:
        """Re-plan now (the plan is re-made by itself after every change; this is for a day that drifted),
        then say what moved."""
        tz = self.org.cfg.timezone

        def replanned(before: DayView | None, after: DayView, _: Any) -> None:
            self.replanned = changes(before, after, tz)
            self._draw_side()
            moved = self.replanned + [f"{m.ref} not planned ({m.reason})" for m in after.plan.moved if not m.to_day]
            shown = ", ".join(moved[:6]) + (f" and {len(moved) - 6} more" if len(moved) > 6 else "")
            self.notify(f"Replanned: {shown}" if moved else "Replanned: nothing moved", markup=False)

        self.reload(replan=True, then=replanned)

    def action_timer(self) -> None:
        """Start the timer on the focused block's card, or stop it if it is already running there."""
        block = self.current_block()
        if block is None or not block.ref or self.view is None:
            self.notify("No card on this block to time.", severity="warning", markup=False)
            return
        ref, now = block.ref, self.org.now()
        if self.view.timer is not None and self.view.timer[0] == ref:
            self.reload(edit=lambda s, svc: svc.timer.stop_timer(s, now=now, origin="tui"),
                        then=lambda _b, _a, out: self.notify(f"Stopped {out[0]} (+{format_duration(out[1])})",
                                                             markup=False))
            return

        def started(_before: DayView | None, _after: DayView, out: tuple[str, str | None, int]) -> None:
            stopped = f"Stopped {out[1]} (+{format_duration(out[2])}); " if out[1] else ""
            self.notify(f"{stopped}Timer running on {out[0]}", markup=False)

        self.reload(edit=lambda s, svc: svc.timer.start_timer(s, ref, now=now, origin="tui"), then=started)

    async def action_jump(self) -> None:
        """Show the focused block's card on the board."""
        block = self.current_block()
        if block is None or not block.ref:
            self.notify("No card on this block.", severity="warning", markup=False)
            return
        ref = block.ref
        await self.app.switch_mode("board")
        board = self.org.board_screen()
        if board is None:
            return
        key = ref.rsplit("-", 1)[0]
        if board.board is None or board.board.key == key:
            board.focus_card_ref(ref)
        else:  # focus_card_ref stays on the current board: open the card's own board
            board.reload(key, focus=ref)

    def action_popup(self) -> None:
        """A new pop-up card: placed by the same rule as `organizer add --popup`, and what moved is shown."""
        from .forms import CardForm

        org = self.org

        def submit(raw: dict[str, Any]) -> str:
            return org.save_card(raw | {"popup": "true"}, ref=None, board_key=None)

        def saved(ref: str | None) -> None:
            if ref:
                self._popup_added(ref)

        heading = "New pop-up (P1/P2 or with a due time: placed from now; else the next reserve slot)"
        self.app.push_screen(CardForm(org.cfg, heading=heading, columns=[], initial=None, submit=submit,
                                      clock=org.clock), saved)

    def _popup_added(self, ref: str) -> None:
        tz = self.org.cfg.timezone
        if self.day != self.today():  # pop-ups are planned from now: show today
            self.day, self.view, self.blocks, self.cursor, self.replanned = self.today(), None, [], None, []

        def placed(before: DayView | None, after: DayView, _: Any) -> None:
            block = next((b for b in after.blocks if b.ref == ref), None)
            if block is None:
                reason = next((u.reason for u in after.plan.unplanned if u.ref == ref), "no room today")
                self.notify(f"Pop-up {ref} is not planned: {reason}", severity="warning", markup=False)
                return
            self.select_block(ref)
            where = f"Pop-up {ref} planned {hm(block.start, tz)}–{hm(block.end, tz)}"
            late = next((u.reason for u in after.plan.late if u.ref == ref), None)
            # The timer keeps running on what it was timing: the user decides whether to switch.
            timer = (f"; the timer still runs on {after.timer[0]}: space on the pop-up switches it"
                     if after.timer and after.timer[0] != ref else "")
            self.notify(where + (f", LATE: {late}" if late else "") + timer,
                        severity="warning" if late else "information", markup=False)

        self.reload(then=placed)
