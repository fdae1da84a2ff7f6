"""Mode "analytics" (F5): what worked, from the published posts' metrics, and what the experiments say.

One `organizer.metrics.report.Report` (the numbers `organizer report` prints) drawn as: engagement per post
over time per channel (a textual-plotext chart), the day × hour heatmap with the number of posts behind each
cell (cells with too few posts dimmed and marked, so nothing depends on colour), per channel and per pillar
tables, top and bottom posts, the effect of emoji, length, links, video and hashtags, and each experiment's
honest status. Everything is computed in a worker; `[`/`]` change the range (30, 90, 365 days).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static
from textual_plotext import PlotextPlot

from .footer import KeyFooter
from .livemode import LiveMode

if TYPE_CHECKING:
    from organizer.metrics.insights import FeatureEffect, GroupStats, Heatmap, RankedPost
    from organizer.metrics.report import Report

    from .dataservice import Change


RANGES = (30, 90, 365)
HOURS = range(6, 23)  # the heatmap's columns: a working day and its evenings
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SHADES = ("$text-muted", "$primary-darken-2", "$primary", "$accent", "$success")


def fmt(value: float | None, metric: str) -> str:
    """A value of the report's metric as people read it."""
    if value is None:
        return "–"
    return f"{value:.1%}" if metric == "engagement_rate" else f"{value:.0f}"


def heatmap_lines(heat: Heatmap, metric: str) -> Content:
    """Weekdays × hours: each cell the number of posts behind it, shaded by its mean; sparse cells dimmed `·n`."""
    means = sorted(c.mean for c in heat.cells if not c.sparse and c.mean is not None)
    cells = {(c.weekday, c.hour): c for c in heat.cells}

    def shade(mean: float) -> str:
        rank = sum(m <= mean for m in means) / len(means) if means else 0
        return SHADES[min(len(SHADES) - 1, 1 + int(rank * (len(SHADES) - 1)))]

    used = [c.hour for c in heat.cells if c.posts]
    hours = range(min([HOURS.start, *used]), max([HOURS.stop - 1, *used]) + 1)  # night posts widen it
    lines = [Content.assemble("     ", *(f"{h:>3} " for h in hours))]
    for day, name in enumerate(DAYS):
        parts: list[Content | str | tuple[str, str]] = [f"{name}  "]
        for hour in hours:
            cell = cells.get((day, hour))
            if cell is None or not cell.posts:
                parts.append(("   ·", "$text-muted"))
            elif cell.sparse or cell.mean is None:
                parts.append((f"{'·' + str(cell.posts):>4}", "$text-muted"))
            else:
                parts.append((f"{cell.posts:>4}", f"bold {shade(cell.mean)}"))
        lines.append(Content.assemble(*parts))
    if heat.best:
        best = ", ".join(f"{DAYS[c.weekday]} {c.hour:02d}:00 ({fmt(c.mean, metric)}, {c.posts} posts)"
                         for c in heat.best)
        lines.append(Content.assemble(("best: ", "bold"), best))
    lines.append(Content.styled(f"the number is how many posts; ·n: fewer than {heat.min_posts}, too few to read "
                                "into; brighter is better", "$text-muted"))
    return Content("\n").join(lines)


def group_lines(title: str, groups: tuple[GroupStats, ...], metric: str) -> Content:
    """A heading and one line per channel or pillar: posts, measured, mean and median rate, mean interactions."""
    if not groups:
        return Content("")
    width = max(len(title), *(len(g.key or "(no pillar)") for g in groups))
    lines = [Content.styled(f"{title:<{width}}  posts  measured  mean rate  median  interactions", "bold")]
    for g in groups:
        lines.append(Content(f"{g.key or '(no pillar)':<{width}}  {g.posts:>5}  {g.measured:>8}  "
                             f"{fmt(g.mean_rate, 'engagement_rate'):>9}  {fmt(g.median_rate, 'engagement_rate'):>6}  "
                             f"{fmt(g.mean_interactions, 'interactions'):>12}"))
    return Content("\n").join(lines)


def ranked_lines(title: str, posts: tuple[RankedPost, ...], metric: str, zone: ZoneInfo) -> Content:
    """Top or bottom posts: value, ID, channel, day, title (user text: plain Content, never markup)."""
    if not posts:
        return Content("")
    lines = [Content.styled(title, "bold")]
    for p in posts:
        lines.append(Content(f"{fmt(p.value, metric):>7}  {p.ref:<8} {p.channel:<10} "
                             f"{p.published_at.astimezone(zone):%d %b}  {p.title}"))
    return Content("\n").join(lines)


def feature_lines(features: tuple[FeatureEffect, ...], metric: str) -> Content:
    """Each feature's levels: posts, mean, difference from the overall mean; sparse levels dimmed."""
    if not features:
        return Content("")
    lines = [Content.styled("What the posts had (difference from the average post; pts: percentage points)", "bold")]
    for f in features:
        parts: list[Content | str | tuple[str, str]] = [f"{f.feature:<10}"]
        for level in f.levels:
            sign = "" if level.diff is None else ("+" if level.diff >= 0 else "−")
            amount = "" if level.diff is None else (f"{abs(level.diff) * 100:.1f} pts" if metric == "engagement_rate"
                                                     else f"{abs(level.diff):.0f}")
            diff = "" if level.diff is None else f" {sign}{amount}"
            text = f"  {level.level}: {level.posts} posts{diff}"
            parts.append((text + (" (few)" if level.sparse else ""), "$text-muted" if level.sparse else ""))
        lines.append(Content.assemble(*parts))
    return Content("\n").join(lines)


def experiment_lines(statuses: list[Any], metric_fmt: Any = fmt) -> Content:
    """Each experiment: key, state, arms (n, mean), the verdict and its warnings."""
    if not statuses:
        return Content.assemble(("Experiments", "bold"), "\nnone yet: organizer experiment new KEY --variable …")
    lines = [Content.styled("Experiments", "bold")]
    for s in statuses:
        arms = "  ".join(f"{a.label}: n {a.n}, mean {metric_fmt(a.mean, s.metric)}" for a in s.arms)
        lines.append(Content.assemble((f"{s.key}", "bold"), f" ({s.state}) · {s.variable} · {arms}"))
        lines.append(Content(f"  {s.conclusion or s.verdict}"))
        lines.extend(Content.styled(f"  ⚠ {w}", "$warning") for w in s.warnings)
    return Content("\n").join(lines)


class AnalyticsScreen(LiveMode):
    """Mode "analytics": the board's published posts and experiments."""

    AUTO_FOCUS = "#analytics-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket", "range(-1)", "Shorter", id="analytics.shorter", key_display="["),
        Binding("right_square_bracket", "range(1)", "Longer", id="analytics.longer", key_display="]"),
        Binding("r", "refresh", "Refresh", id="analytics.refresh"),
        Binding("e", "experiment", "Experiment", id="analytics.experiment"),
        Binding("escape,b", "app.switch_mode('board')", "Board", id="analytics.board", key_display="b"),
    ]
    DEFAULT_CSS = """
    AnalyticsScreen #analytics-title { height: 1; padding: 0 1; text-style: bold; }
    AnalyticsScreen #analytics-body { padding: 0 1; }
    AnalyticsScreen #analytics-chart { height: 14; }
    AnalyticsScreen .analytics-part { margin-top: 1; height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.days = 90
        self.report: Report | None = None
        self.statuses: list[Any] = []

    def compose(self) -> ComposeResult:
        """Title, the chart, the tables, the footer."""
        yield Static("", id="analytics-title", markup=False)
        with VerticalScroll(id="analytics-body"):
            yield Static("", id="analytics-empty", markup=False)
            yield PlotextPlot(id="analytics-chart")
            for part in ("heatmap", "channels", "pillars", "top", "bottom", "features", "experiments"):
                yield Static("", id=f"analytics-{part}", classes="analytics-part", markup=False)
        yield KeyFooter()

    def action_range(self, step: int) -> None:
        """30 ↔ 90 ↔ 365 days."""
        index = max(0, min(len(RANGES) - 1, RANGES.index(self.days) + step))
        if RANGES[index] != self.days:
            self.days = RANGES[index]
            self.reload()

    def action_refresh(self) -> None:
        """Read the numbers again."""
        self.reload()

    def action_experiment(self) -> None:
        """Pick an experiment and read its whole status (arms, test, verdict, warnings, posts not counted yet)."""
        if not self.statuses:
            self.notify("No experiments yet: organizer experiment new KEY --variable …", markup=False)
            return
        by_key = {s.key: s for s in self.statuses}

        def picked(key: str | None) -> None:
            if key in by_key:
                from organizer.experiments.wording import status_lines

                from .experimentview import ExperimentView

                self.app.push_screen(ExperimentView(status_lines(by_key[key], ZoneInfo(self.org.cfg.timezone))))

        if len(by_key) == 1:
            picked(next(iter(by_key)))
        else:
            self.org.pick("Experiment", [(s.key, f"{s.key} ({s.state}): {s.conclusion or s.verdict}")
                                         for s in self.statuses], picked)

    def wanted(self) -> Hashable:
        """The board shown and the range."""
        return (self.board_key(), self.days)

    def load(self) -> tuple[Change, Callable[[Any], None]] | None:
        """Build the report (and the experiments' statuses) for the board shown."""
        cfg, now = self.org.cfg, self.org.now()
        key = self.board_key()
        start, end = now - timedelta(days=self.days), now

        def work(session: Any, svc: Any) -> tuple[Report, list[Any]]:
            from organizer.experiments import service
            from organizer.metrics.report import build
            from organizer.storage.plain import Db

            db = Db(session)
            statuses = [service.status(db, row["key"], now, cfg.timezone) for row in service.listing(db)]
            # The features last (see `show`): counting thousands of long posts is most of a cold report's time.
            return build(db, start=start, end=end, timezone=cfg.timezone, board=key, with_features=False), statuses

        return work, self.show

    def show(self, result: tuple[Report, list[Any]]) -> None:
        """Draw a computed report."""
        report, statuses = result
        self.report, self.statuses = report, statuses
        zone = ZoneInfo(report.timezone)
        metric = report.metric
        what = "engagement rate" if metric == "engagement_rate" else "interactions"
        self.query_one("#analytics-title", Static).update(Content(
            f"Analytics · {report.board or 'all boards'} · last {self.days} days "
            f"({report.start.astimezone(zone):%d %b} – {report.end.astimezone(zone):%d %b}) · "
            f"{len(report.posts)} posts, {report.scored} with {what} at {report.age_hours:g} h"))
        self.query_one("#analytics-empty", Static).update(Content(
            f"{report.empty_reason} ([ / ]: range)" if report.empty else ""))
        self._chart(report)
        parts = {
            "heatmap": Content.assemble(("Best day × hour", "bold"), "\n", heatmap_lines(report.heatmap, metric)),
            "channels": group_lines("Channel", report.channels, metric),
            "pillars": group_lines("Pillar", report.pillars, metric),
            "top": ranked_lines("Top posts", report.top, metric, zone),
            "bottom": ranked_lines("Bottom posts", report.bottom, metric, zone),
            "features": feature_lines(report.features, metric),
            "experiments": experiment_lines(statuses),
        }
        if not report.features and not report.empty:
            parts["features"] = Content.styled("What the posts had: counting the posts' emoji, length, links and "
                                               "hashtags…", "$text-muted")
            self._count_features(report)
        for part, content in parts.items():
            widget = self.query_one(f"#analytics-{part}", Static)
            widget.update(content if not report.empty or part == "experiments" else Content(""))
        self.query_one("#analytics-chart", PlotextPlot).display = not report.empty

    def _count_features(self, shown: Report) -> None:
        """The feature effects of a report already on screen, in a worker; dropped if another report came since."""

        def work(session: Any, svc: Any) -> Report:
            from organizer.metrics.report import add_features
            from organizer.storage.plain import Db

            return add_features(Db(session), shown)

        def counted(full: Report) -> None:
            if self.report is shown:
                self.report = full
                self.query_one("#analytics-features", Static).update(feature_lines(full.features, full.metric))

        self.org.data.call(work, counted, write=False)

    def _chart(self, report: Report) -> None:
        """Engagement per post over time, a line per channel (the four with the most posts): each point the mean of
        the posts of one week, since a line through every post is mostly noise."""
        plot = self.query_one("#analytics-chart", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.date_form("Y-m-d", "d/m")  # read with the year (a 365-day range spans New Year), shown without
        scale = 100 if report.metric == "engagement_rate" else 1
        for group in report.channels[:4]:
            weeks: dict[date, list[float]] = {}
            for point in group.series:
                weeks.setdefault(point.day - timedelta(days=point.day.weekday()), []).append(point.value)
            if len(weeks) < 2:
                continue
            days = sorted(weeks)
            plt.plot([d.isoformat() for d in days], [sum(weeks[d]) / len(weeks[d]) * scale for d in days],
                     label=group.key or "?", marker="braille")
        plt.title("engagement rate per post, weekly mean, %" if report.metric == "engagement_rate"
                  else "interactions per post, weekly mean")
        plot.refresh()
