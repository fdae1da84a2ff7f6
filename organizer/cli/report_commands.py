"""CLI handler for `organizer report`: the analytics of a date range as text, Markdown, CSV or JSON.

The numbers come from `organizer.metrics.report` (the same Report the TUI's Analytics screen shows); this module
only words and lays them out. Titles and pillars are user text: control characters are stripped everywhere and
Markdown's own characters escaped in `md`, so a title cannot break a table or drive a terminal.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from organizer.cli.common import emit
from organizer.config import Config
from organizer.dates import day_bounds, parse_when
from organizer.metrics.features import DEFAULT_BANDS, LENGTH_BANDS
from organizer.validate import InputError, clean_text

if TYPE_CHECKING:
    from organizer.metrics.insights import GroupStats, HeatCell, Metric, RankedPost
    from organizer.metrics.report import Report

DEFAULT_DAYS = 90
TITLE_CELLS = 60  # a title longer than this is cut in the text format (Markdown and CSV keep it whole)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CSV_COLUMNS = ("ref", "channel", "pillar", "published", "impressions", "interactions", "engagement_rate", "emoji",
               "length", "has_link", "has_video", "hashtags")
# A date without a time in --to means "through that day": parsed at this last instant, then moved to midnight.
_LAST_INSTANT = time(23, 59, 59, 999999)
# A CSV cell starting with one of these runs as a formula in a spreadsheet (as organizer.exchange guards, which
# this command does not import: it loads SQLAlchemy). Prefixing a quote makes the spreadsheet show it as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_MARKDOWN = re.compile(r"([\\|<>`*_\[\]])")


def cmd_report(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Per channel and pillar, the best hours, the best and worst posts and the features, for a date range."""
    from organizer.metrics import report
    from organizer.storage.adapters import open_storage

    start, end = _range(args, cfg, datetime.now(UTC))
    storage = open_storage(location, create=False)
    try:
        with storage.reading() as db:
            result = report.build(db, start=start, end=end, timezone=cfg.timezone, board=args.board)
    finally:
        storage.close()
    if args.json:
        emit(result.as_json())
    elif args.format == "csv":
        _csv(result)
    else:
        sections = _sections(result)
        print(_markdown(result, sections) if args.format == "md" else _text(result, sections))
    return 0


def _range(args: argparse.Namespace, cfg: Config, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) from --from/--to (either may be left out), else the last 90 days including today."""
    zone = ZoneInfo(cfg.timezone)

    def when(flag: str, text: str, day_time: time) -> datetime:
        try:
            # A bare date means the start of that day for --from, and the whole day for --to.
            return parse_when(text, now=now, tz=cfg.timezone, day_end=day_time)
        except ValueError as exc:
            raise InputError(f"{flag}: {exc}") from None

    end = day_bounds(now.astimezone(zone).date(), zone)[1]  # through today
    if args.to:
        end = when("--to", args.to, _LAST_INSTANT)
        if end.astimezone(zone).time() == _LAST_INSTANT:
            end += timedelta(microseconds=1)
    if args.from_:
        start = when("--from", args.from_, time(0))
    else:
        last_day = (end - timedelta(microseconds=1)).astimezone(zone).date()
        start = day_bounds(last_day - timedelta(days=DEFAULT_DAYS - 1), zone)[0]
    if end <= start:
        raise InputError("--to must come after --from")
    return start, end


# --- wording ---------------------------------------------------------------------------------------------

def _value(value: float | None, metric: Metric) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if metric == "engagement_rate" else f"{value:.1f}"


def _diff(value: float | None, metric: Metric) -> str:
    if value is None:
        return "-"
    # A difference of two rates is in percentage points, not percent of the mean.
    return f"{value * 100:+.1f} pts" if metric == "engagement_rate" else f"{value:+.1f}"


def _when(at: datetime, zone: ZoneInfo) -> str:
    return f"{at.astimezone(zone):%a %d %b %Y %H:%M}"


def _slot(weekday: int, hour: int) -> str:
    return f"{WEEKDAYS[weekday]} {hour:02d}:00–{(hour + 1) % 24:02d}:00"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _metric_line(r: Report) -> str:
    what = ("engagement = interactions ÷ impressions" if r.metric == "engagement_rate"
            else "engagement = interactions (no post in this range has impressions)")
    return f"{what}; each post read at its numbers nearest {r.age_hours:g} h after publishing"


@dataclass
class Section:
    """One table of the report, laid out as text or Markdown."""

    title: str
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    right: frozenset[int] = frozenset()  # columns aligned right (numbers)
    notes: list[str] = field(default_factory=list)  # lines shown before the table
    wrap_last: bool = False  # the last column is free text (a title): cut in the text format


def _group_section(title: str, groups: Sequence[GroupStats], first: str) -> Section:
    rows = [(clean_text(g.key) if g.key is not None else "(no pillar)", str(g.posts), str(g.measured),
             str(g.rated), _value(g.mean_rate, "engagement_rate"), _value(g.median_rate, "engagement_rate"),
             _value(g.mean_interactions, "interactions")) for g in groups]
    return Section(title, (first, "POSTS", "MEASURED", "W/ IMPRESSIONS", "MEAN RATE", "MEDIAN RATE",
                           "MEAN INTERACTIONS"), rows, frozenset(range(1, 7)))


def _ranked_section(title: str, found: Sequence[RankedPost], r: Report, zone: ZoneInfo) -> Section:
    rows = [(str(i), p.ref, clean_text(p.channel), _value(p.value, r.metric), _when(p.published_at, zone),
             clean_text(p.title))
            for i, p in enumerate(found, 1)]
    return Section(title, ("#", "ID", "CHANNEL", "ENGAGEMENT", "PUBLISHED", "TITLE"), rows, frozenset({0, 3}),
                   wrap_last=True)


def _hours_sections(r: Report) -> list[Section]:
    """The best slots, and a grid of the hours that have a slot with enough posts (not all 168 cells)."""
    notes = [f"{r.timezone} time; a slot needs {_plural(r.min_posts, 'post')} to count"]
    if not r.heatmap.best:
        notes.append(f"no slot has {_plural(r.min_posts, 'post')} yet")
        return [Section("Best times", (), [], notes=notes)]
    best = Section("Best times", ("#", "WHEN", "ENGAGEMENT", "POSTS"),
                   [(str(i), _slot(c.weekday, c.hour), _value(c.mean, r.metric), str(c.posts))
                    for i, c in enumerate(r.heatmap.best, 1)], frozenset({0, 2, 3}), notes)
    hours = sorted({c.hour for c in r.heatmap.cells if not c.sparse})
    days = [d for d in range(7) if any(r.heatmap.cell(d, h).posts for h in hours)]
    rows = [(WEEKDAYS[d], *(_grid_cell(r.heatmap.cell(d, h), r.metric) for h in hours)) for d in days]
    grid = Section("By day and hour", ("", *(f"{h:02d}h" for h in hours)), rows, frozenset(range(1, len(hours) + 1)),
                   [f"only the hours with a slot of {_plural(r.min_posts, 'post')} or more; · = fewer posts"])
    return [best, grid]


def _grid_cell(cell: HeatCell, metric: Metric) -> str:
    """A slot's mean; `·` where it has posts but too few to count; blank where it has none."""
    if cell.sparse:
        return "·" if cell.posts else ""
    return _value(cell.mean, metric)


def _feature_section(r: Report) -> Section:
    rows = []
    for effect in r.features:
        for i, level in enumerate(effect.levels):
            rows.append((effect.feature if i == 0 else "", level.level, str(level.posts), _value(level.mean, r.metric),
                         _diff(level.diff, r.metric), "few posts" if level.sparse and level.posts else ""))
    short, long = DEFAULT_BANDS
    others = "; ".join(f"{', '.join(sorted(k for k, b in LENGTH_BANDS.items() if b == bands))}: short < {bands[0]}, "
                       f"long ≥ {bands[1]}" for bands in sorted(set(LENGTH_BANDS.values())))
    notes = [f"each level against the mean of all posts ({_value(r.mean, r.metric)})",
             f"length in characters: short < {short}, long ≥ {long}" + (f" ({others})" if others else ""),
             "video: tagged video or reel, or on YouTube or TikTok",
             "a difference here is a lead, not a proof: test it with organizer experiment"]
    return Section("Features", ("FEATURE", "LEVEL", "POSTS", "ENGAGEMENT", "VS MEAN", ""), rows,
                   frozenset({2, 3, 4}), notes)


def _sections(r: Report) -> list[Section]:
    if r.empty:
        return []
    zone = ZoneInfo(r.timezone)
    return [_group_section("By channel", r.channels, "CHANNEL"), _group_section("By pillar", r.pillars, "PILLAR"),
            *_hours_sections(r), _ranked_section(f"Top {len(r.top)}", r.top, r, zone),
            *([_ranked_section(f"Bottom {len(r.bottom)}", r.bottom, r, zone)] if r.bottom else []),
            _feature_section(r)]


def _heading(r: Report) -> tuple[str, str]:
    zone = ZoneInfo(r.timezone)
    last = (r.end - timedelta(microseconds=1)).astimezone(zone)
    where = r.board or "all boards"
    head = f"Report · {where} · {r.start.astimezone(zone):%a %d %b %Y} – {last:%a %d %b %Y}"
    o = r.overall
    counts = (f"{_plural(o.posts, 'published post')} · {o.measured} measured · {o.rated} with impressions"
              + (f" · {r.undated} published without a date (left out)" if r.undated else ""))
    return head, counts


# --- text ------------------------------------------------------------------------------------------------

def _cells(text: str) -> int:
    """Terminal cells a value takes: wcwidth for non-ASCII (imported only then, as organizer.cli.render does)."""
    if text.isascii():
        return len(text)
    from wcwidth import wcswidth

    width: int = wcswidth(text)
    return width if width >= 0 else len(text)


def _cut(text: str, cells: int) -> str:
    if _cells(text) <= cells:
        return text
    while text and _cells(text) > cells - 1:
        text = text[:-1]
    return text + "…"


def _text_table(s: Section) -> list[str]:
    rows = [s.header, *s.rows] if s.header else list(s.rows)
    if s.wrap_last:
        rows = [(*row[:-1], _cut(row[-1], TITLE_CELLS)) for row in rows]
    if not rows:
        return []
    widths = [max(_cells(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = []
        for i, (value, width) in enumerate(zip(row, widths, strict=True)):
            pad = " " * (width - _cells(value))
            last = i == len(row) - 1
            cells.append(pad + value if i in s.right else value + ("" if last else pad))
        out.append(("  " + "  ".join(cells)).rstrip())
    return out


def _text(r: Report, sections: Sequence[Section]) -> str:
    head, counts = _heading(r)
    lines = [head, counts]
    if r.empty:
        return "\n".join([*lines, r.empty_reason or ""])
    lines.append(_metric_line(r))
    for s in sections:
        lines += ["", s.title, *(f"  {n}" for n in s.notes), *_text_table(s)]
    return "\n".join(lines)


# --- Markdown --------------------------------------------------------------------------------------------

def _md(text: str) -> str:
    """A cell as Markdown shows it literally: its own characters escaped (a `|` would end the cell)."""
    return _MARKDOWN.sub(r"\\\1", text)


def _markdown(r: Report, sections: Sequence[Section]) -> str:
    # Only table cells carry user text (titles, pillars): they are escaped; the report's own wording is not.
    head, counts = _heading(r)
    lines = [f"# {head}", "", counts + "  "]
    if r.empty:
        return "\n".join([*lines, r.empty_reason or ""])
    lines.append(_metric_line(r))
    for s in sections:
        lines += ["", f"## {s.title}", ""]
        if s.notes:
            lines += [*(n + "  " for n in s.notes), ""]  # two trailing spaces: a line break in Markdown
        if s.header:
            lines.append("| " + " | ".join(s.header) + " |")
            lines.append("|" + "|".join("---:" if i in s.right else "---" for i in range(len(s.header))) + "|")
            lines += ["| " + " | ".join(_md(v) for v in row) + " |" for row in s.rows]
    return "\n".join(lines).rstrip()


# --- CSV -------------------------------------------------------------------------------------------------

def _csv_text(text: str | None) -> str:
    cleaned = clean_text(text or "")
    return "'" + cleaned if cleaned.lstrip("'").startswith(_FORMULA_START) else cleaned


def _csv(r: Report) -> None:
    """One row per published post in the range, measured or not (blank where a number is not known)."""
    zone = ZoneInfo(r.timezone)
    writer = csv.writer(sys.stdout)
    writer.writerow(CSV_COLUMNS)
    for p in r.posts:
        f = p.features
        writer.writerow([p.ref, _csv_text(p.channel), _csv_text(p.pillar), p.published_at.astimezone(zone).isoformat(),
                         "" if p.impressions is None else p.impressions,
                         "" if p.interactions is None else p.interactions,
                         "" if p.engagement_rate is None else f"{p.engagement_rate:.6f}",
                         *(("", "", "", "", "") if f is None else (f.emoji, f.length, str(f.has_link).lower(),
                                                                   str(f.has_video).lower(), f.hashtags))])
