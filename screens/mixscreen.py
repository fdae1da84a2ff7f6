"""Mode "mix": the content mix of the board shown, per pillar and per channel, against the strategist's targets.

Each row is a bar of the planned share (cards with a publish time in the range) with the target marked `|`,
the published share beside it, and the verdict in words (`promote 38 % planned vs 15 % target: 22 points
over`), so nothing depends on colour. Pillars and channels without a target are listed too. The figures are
`organizer.mix`, as `organizer mix` prints them; the range is this month, or this week (`M` switches).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from organizer.dates import day_bounds

from .footer import KeyFooter
from .livemode import LiveMode

if TYPE_CHECKING:
    from organizer.mix import Mix, Share

    from .dataservice import Change

BAR = 24


def bar(share: Share) -> Content:
    """The planned share as a bar of BAR cells, the target marked `|` (overshoot in the error colour)."""
    filled = round(share.planned_pct / 100 * BAR)
    mark = None if share.target_pct is None else min(BAR - 1, round(share.target_pct / 100 * BAR))
    parts: list[tuple[str, str]] = []
    for i in range(BAR):
        if i == mark:
            parts.append(("|", "bold"))
        elif i < filled:
            over = mark is not None and i > mark
            parts.append(("█", "$error" if over else "$accent"))
        else:
            parts.append(("·", "$text-muted"))
    return Content.assemble(*parts)


def rows(title: str, shares: tuple[Share, ...]) -> Content:
    """A heading and one line per share: name, bar, planned / target / published, the verdict."""
    if not shares:
        return Content("")
    width = max(len(s.name) for s in shares)
    lines = [Content.styled(title, "bold")]
    for s in shares:
        target = "  —" if s.target_pct is None else f"{s.target_pct:3.0f}"
        lines.append(Content.assemble(
            f"  {s.name:<{width}}  ", bar(s),
            f"  {s.planned_pct:3.0f} % planned · target {target} % · {s.published_pct:3.0f} % published   ",
            (s.verdict().split(": ", 1)[-1] if s.target_pct is not None else "no target",
             "$error" if (s.drift_points or 0) >= 5 else "$text-muted")))
    return Content("\n").join(lines)


class MixScreen(LiveMode):
    """Mode "mix": targets vs planned vs published for the board shown."""

    AUTO_FOCUS = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("M", "toggle_range", "Week / month", id="mix.range"),
        Binding("r", "refresh", "Refresh", id="mix.refresh"),
        Binding("escape,b", "app.switch_mode('board')", "Board", id="mix.board", key_display="b"),
    ]
    DEFAULT_CSS = """
    MixScreen #mix-title { height: 1; padding: 0 1; text-style: bold; }
    MixScreen #mix-body { padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.week = False
        self.mix: Mix | None = None

    def compose(self) -> ComposeResult:
        """Title, the pillars and channels, the footer."""
        yield Static("", id="mix-title", markup=False)
        with VerticalScroll(id="mix-body"):
            yield Static("", id="mix-pillars", markup=False)
            yield Static("", id="mix-channels", markup=False)
        yield KeyFooter()

    def action_toggle_range(self) -> None:
        """This month ↔ this week."""
        self.week = not self.week
        self.reload()

    def action_refresh(self) -> None:
        """Read the mix again."""
        self.reload()

    def wanted(self) -> Hashable:
        """The board shown and the range."""
        return (self.board_key(), self.week)

    def load(self) -> tuple[Change, Callable[[Any], None]] | None:
        """Compute the mix of the board shown over the range."""
        cfg, now = self.org.cfg, self.org.now()
        key = self.board_key()
        if key is None:
            self.query_one("#mix-title", Static).update(Content("Mix · no board yet"))
            return None
        zone = ZoneInfo(cfg.timezone)
        today = now.astimezone(zone).date()
        if self.week:
            start, end = day_bounds(today - timedelta(days=today.weekday()), zone, 7)
        else:
            first = today.replace(day=1)
            start, end = day_bounds(first, zone, ((first + timedelta(days=32)).replace(day=1) - first).days)

        def work(session: Any, svc: Any) -> Mix:
            from organizer.mix import compute
            from organizer.storage.plain import Db

            return compute(Db(session), cfg.mix, key, start, end)

        return work, self.show

    def show(self, mix: Mix) -> None:
        """Draw a computed mix."""
        self.mix = mix
        zone = ZoneInfo(self.org.cfg.timezone)
        last = (mix.end - timedelta(seconds=1)).astimezone(zone)
        span = "this week" if self.week else "this month"
        self.query_one("#mix-title", Static).update(Content(
            f"Mix · {mix.board} · {span} ({mix.start.astimezone(zone):%a %d %b} – {last:%a %d %b}) · "
            f"{mix.planned} planned, {mix.published} published"))
        empty = Content("Nothing with a publish time in this range (M: week / month).")
        self.query_one("#mix-pillars", Static).update(rows("Pillars", mix.pillars) if mix.planned else empty)
        self.query_one("#mix-channels", Static).update(rows("\nChannels", mix.channels) if mix.planned
                                                       else Content(""))
