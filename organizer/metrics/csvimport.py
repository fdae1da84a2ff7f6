"""A network's analytics export (CSV) read into rows of counts: encoding, delimiter, header, numbers, times.

Pure: no database. Column names live in data/metrics_csv.toml (a renamed export column is a one-line fix);
organizer.metrics.csvmatch matches the rows to posts. Every problem with the file is an InputError naming the
line, column and value, raised before anything is matched, so a bad file writes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from organizer import refdata
from organizer.validate import InputError, clean_text

__all__ = ["Export", "Mapping", "Row", "decode", "mappings", "parse_count", "parse_export", "parse_time",
           "read_export", "taken_at"]

MAX_BYTES = 20 * 1024 * 1024  # a year of daily exports is a few MB: anything bigger is not one
MAX_ROWS = 100_000
HEADER_SEARCH = 30  # title and description lines LinkedIn and others put above the header
DELIMITERS = (",", ";", "\t")
_NONE = {"", "-", "–", "—", "n/a", "na", "null", "none", "--"}
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f'’]")  # thousands separators that are not digits or punctuation
_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}(?::\d{2})?)(?:\.\d+)?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?")
_NUMERIC = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*"
                      r"([AaPp]\.?[Mm]\.?)?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?")
_DAY_FORMATS = ("%a, %b %d, %Y", "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y")  # X's 2024 export: a day


@dataclass(frozen=True)
class Mapping:
    """One export format's columns, from data/metrics_csv.toml (names normalised: see `_norm`)."""

    key: str
    name: str
    channels: tuple[str, ...]
    hosts: tuple[str, ...]
    link: tuple[str, ...]
    time: tuple[str, ...]
    metrics: dict[str, tuple[str, ...]]
    post_id: tuple[re.Pattern[str], ...] = ()
    channel_columns: tuple[str, ...] = ()
    channel_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    channel_hosts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    channel_markers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # normalised name -> as the file spells it

    def expects(self) -> str:
        """The headers this format needs, for an error message (two names of each: it stays readable)."""
        def spelled(names: tuple[str, ...]) -> str:
            return " or ".join(f'"{self.labels[n]}"' for n in names[:2])

        return (f"{self.key} ({self.name}): a post link ({spelled(self.link)}) or a publish time "
                f"({spelled(self.time)}), and at least one of {', '.join(map(spelled, self.metrics.values()))}")


@dataclass(frozen=True)
class Row:
    """One post's line of the export: where to find it, when it went out, its counts."""

    line: int  # the file's line number where the row starts (1-based)
    link: str | None
    published: datetime | None  # aware UTC, when the export gives a time of day
    day: date | None  # when it gives only a date
    channel: str | None  # None: any of the format's channels (a Meta row that does not say)
    counts: dict[str, int | None]


@dataclass(frozen=True)
class Export:
    """A parsed export: its format, the columns used, its post rows and what was left out."""

    format: Mapping
    columns: dict[str, str]  # metric -> the header it was read from
    rows: list[Row]
    tz: str
    skipped_rows: int = 0  # rows with neither a link nor a time (totals, descriptions)
    skipped_columns: tuple[str, ...] = ()  # mapped columns holding percentages, not counts


def _norm(name: str) -> str:
    """A header as compared: no BOM, no surrounding or repeated spaces, case folded."""
    return " ".join(name.replace("\ufeff", "").split()).casefold()


def _names(values: list[str], labels: dict[str, str]) -> tuple[str, ...]:
    for v in values:
        labels.setdefault(_norm(v), v)
    return tuple(_norm(v) for v in values)


@cache
def mappings() -> dict[str, Mapping]:
    """The export formats shipped in data/metrics_csv.toml, by key."""
    out: dict[str, Mapping] = {}
    for key, spec in refdata.load("metrics_csv")["format"].items():
        labels: dict[str, str] = {}
        out[key] = Mapping(
            key, spec["name"], tuple(spec["channels"]), tuple(spec.get("hosts", ())),
            _names(spec["link"], labels), _names(spec["time"], labels),
            {m: _names(v, labels) for m, v in spec["metrics"].items()},
            tuple(re.compile(p) for p in spec.get("post_id", ())), _names(spec.get("channel_columns", []), labels),
            {c: tuple(v.casefold() for v in vs) for c, vs in spec.get("channel_values", {}).items()},
            {c: tuple(vs) for c, vs in spec.get("channel_hosts", {}).items()},
            {c: _names(vs, labels) for c, vs in spec.get("channel_markers", {}).items()}, labels)
    return out


def decode(data: bytes) -> str:
    """Text from an export's bytes: UTF-8 (with or without BOM), UTF-16 (as Excel saves it), else cp1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if len(data) >= 4 and data[1] == data[3] == 0 and data[0] and data[2]:  # UTF-16 LE without its BOM
        return data.decode("utf-16-le", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Excel's "CSV" on Western-European Windows


def parse_count(text: str) -> int | None:
    """A count as exports write it: 1234, "1,234", "1 234", "1.234" (European), "424.0"; None when empty or "-".
    Raises ValueError for anything else (a percentage included: rates are not counts)."""
    value = text.strip()
    if value.casefold() in _NONE:
        return None
    if value.endswith("%"):
        raise ValueError("a percentage, not a count")
    value = _SPACES.sub("", value)
    if re.fullmatch(r"\d+", value):
        return int(value)
    # Grouped thousands, either way round; a zero fraction (X writes "424.0") is still a whole number.
    if m := re.fullmatch(r"(\d{1,3}(?:,\d{3})+)(?:\.0+)?", value):
        return int(m.group(1).replace(",", ""))
    if m := re.fullmatch(r"(\d{1,3}(?:\.\d{3})+)(?:,0+)?", value):
        return int(m.group(1).replace(".", ""))
    if m := re.fullmatch(r"(\d+)[.,]0+", value):
        return int(m.group(1))
    raise ValueError("not a whole number")


def _offset(text: str | None) -> timezone | None:
    if not text:
        return None
    if text in ("Z", "UTC", "GMT"):
        return UTC
    digits = text[1:].replace(":", "")
    return timezone((-1 if text[0] == "-" else 1) * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse_time(text: str, tz: str, *, dayfirst: bool = False) -> datetime | date | None:
    """A publish time as exports write it: an aware UTC datetime, a date when there is no time of day, None
    when empty. Times without an offset are in `tz`; `dayfirst` reads 03/04/2026 as 3 April. ValueError if
    it is not a date."""
    value = " ".join(text.split())
    if value.casefold() in _NONE:
        return None
    if m := _ISO.fullmatch(value):
        day = date.fromisoformat(m.group(1))
        if not m.group(2):
            return day
        hour, _, rest = m.group(2).partition(":")
        naive = datetime.fromisoformat(f"{m.group(1)}T{hour.zfill(2)}:{rest}")
        zone = _offset(m.group(3))
    elif m := _NUMERIC.fullmatch(value):
        a, sep, b, year, hour, minute, second, ampm, off = m.groups()
        first_is_day = dayfirst or sep == "."  # dotted dates are European: 27.03.2026
        d, mo = (int(a), int(b)) if first_is_day else (int(b), int(a))
        y = int(year) + (2000 if len(year) == 2 else 0)
        day = date(y, mo, d)
        if hour is None:
            return day
        h = int(hour) % 12 + (12 if ampm[0] in "Pp" else 0) if ampm else int(hour)  # 12:30 AM is 00:30
        naive = datetime(y, mo, d, h, int(minute), int(second or 0))
        zone = _offset(off)
    else:
        for fmt in _DAY_FORMATS:
            with suppress(ValueError):
                return datetime.strptime(value, fmt).date()
        raise ValueError("not a date")
    aware = naive.replace(tzinfo=zone) if zone else naive.replace(tzinfo=ZoneInfo(tz))
    return aware.astimezone(UTC)


def _dayfirst(values: list[str]) -> bool:
    """Whether the file's slashed dates are day-first: one with a first part over 12 says so for all."""
    for v in values:
        if (m := _NUMERIC.match(v.strip())) and m.group(2) != ".":
            if int(m.group(1)) > 12:
                return True
            if int(m.group(3)) > 12:
                return False
    return False  # month first: the exports' English (US) default


@dataclass(frozen=True)
class _Columns:
    """Where a format's columns sit in one header row."""

    link: int | None
    time: int | None
    metrics: dict[str, int]
    channel: int | None
    marker_channel: str | None  # the Meta file's network, told by a header only its file has


def _columns(header: list[str], m: Mapping) -> _Columns | None:
    """The format's columns in `header`, or None when it lacks a link or time, or every metric."""
    index: dict[str, int] = {}
    for at, cell in enumerate(header):
        index.setdefault(_norm(cell), at)

    def first(names: tuple[str, ...]) -> int | None:
        return next((index[n] for n in names if n in index), None)

    link, when = first(m.link), first(m.time)
    metrics = {metric: col for metric, names in m.metrics.items() if (col := first(names)) is not None}
    if (link is None and when is None) or not metrics:
        return None
    marked = [c for c, names in m.channel_markers.items() if any(n in index for n in names)]
    return _Columns(link, when, metrics, first(m.channel_columns), marked[0] if len(marked) == 1 else None)


def _records(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """The file's records, each with the line it starts on (a quoted field may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            out.append((start, record))
            start = reader.line_num + 1
            if len(out) > MAX_ROWS + HEADER_SEARCH:  # stop reading, not after holding a million rows
                raise InputError(f"the file has more than {MAX_ROWS:,} rows: split the export (by date range)")
    except csv.Error as exc:
        raise InputError(f"the file is not valid CSV at line {start} ({exc}): nothing was imported") from None
    return out


def _host(link: str) -> str:
    return link.split("://", 1)[-1].split("/", 1)[0].lower().removeprefix("www.").removeprefix("m.")


def _on(host: str, hosts: tuple[str, ...]) -> bool:
    return any(host == h or host.endswith("." + h) for h in hosts)


def _find_header(text: str, formats: list[Mapping]) -> tuple[str, int, Mapping, _Columns]:
    """(delimiter, index of the header record, format, columns): the best-scoring known header in the
    first rows, tried with each delimiter (sniffing by what parses into known headers)."""
    best: tuple[float, str, int, Mapping, _Columns] | None = None
    foreign: tuple[Mapping, str] | None = None
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            head = [r for _, r in zip(range(HEADER_SEARCH + 5), reader, strict=False)]
        except csv.Error:
            continue  # not this delimiter (an unclosed quote swallowed the file)
        for i, record in enumerate(head[:HEADER_SEARCH]):
            found = [(m, c) for m in formats if (c := _columns(record, m)) is not None]
            for m, c in found:
                # Alike headers (X's and LinkedIn's "Post link", "Impressions"): the links' hosts decide, and
                # links all on another network's host rule the format out.
                hosts = [h for r in head[i + 1:] if c.link is not None and c.link < len(r) and (h := _host(r[c.link]))]
                if hosts and not any(_on(h, m.hosts) for h in hosts):
                    foreign = foreign or (m, hosts[0])
                    continue
                score = (c.link is not None) + (c.time is not None) + len(c.metrics) + (0.5 if hosts else 0.0)
                if best is None or (score, -i) > (best[0], -best[2]):
                    best = (score, delimiter, i, m, c)
            if found:
                break
    if best is None:
        if foreign:
            m, host = foreign
            raise InputError(f"the header fits a {m.key} export but its post links are on {clean_text(host)}, "
                             f"not {' or '.join(m.hosts)}: give the right --format ({', '.join(mappings())})")
        raise _unknown_header(text, formats)
    return best[1], best[2], best[3], best[4]


def _unknown_header(text: str, formats: list[Mapping]) -> InputError:
    first = next((line for line in text.splitlines() if line.strip()), "")
    cells = max((next(csv.reader([first], delimiter=d), []) for d in DELIMITERS), key=len)
    found = ", ".join(clean_text(c.strip())[:40] for c in cells[:12] if c.strip()) or "nothing"
    expected = "; ".join(m.expects() for m in formats)
    return InputError(f"no header row this importer knows in the first {HEADER_SEARCH} rows (the first row has: "
                      f"{found}). Expected — {expected}")


def _row_channel(m: Mapping, cols: _Columns, cells: list[str], link: str | None, forced: str | None) -> str | None:
    """Which of the format's networks a row is on (None: it does not say)."""
    if forced or len(m.channels) == 1:
        return forced or m.channels[0]
    if cols.channel is not None and cols.channel < len(cells):
        value = " ".join(cells[cols.channel].split()).casefold() + " "
        for channel, prefixes in m.channel_values.items():
            if any(value.startswith(p) for p in prefixes):
                return channel
    if link:
        for channel, hosts in m.channel_hosts.items():
            if _on(_host(link), hosts):
                return channel
    return cols.marker_channel


def parse_export(text: str, *, fmt: str | None = None, channel: str | None = None, tz: str = "UTC") -> Export:
    """Parse an export's text: find the header (of `fmt`, else any known format), then every post row."""
    formats = [mappings()[fmt]] if fmt else list(mappings().values())
    delimiter, header_at, m, cols = _find_header(text, formats)
    if channel is not None and channel not in m.channels:
        raise InputError(f"--channel {channel}: a {m.key} export's posts are on {' or '.join(m.channels)}")
    records = _records(text, delimiter)
    header = records[header_at][1]
    body = [(line, cells) for line, cells in records[header_at + 1:] if any(c.strip() for c in cells)]
    if len(body) > MAX_ROWS:
        raise InputError(f"the file has {len(body):,} rows, more than {MAX_ROWS:,}: split the export (by date range)")

    def cell(cells: list[str], i: int | None) -> str:
        return cells[i].strip() if i is not None and i < len(cells) else ""

    # A mapped column of percentages is a rate (an export reusing a count's name for one): left out whole.
    # Percentages among counts are a broken file.
    metrics = dict(cols.metrics)
    for metric, i in cols.metrics.items():
        values = [(line, v) for line, c in body if (v := cell(c, i)).casefold() not in _NONE]
        percent = [(line, v) for line, v in values if v.endswith("%")]
        if percent and len(percent) == len(values):
            del metrics[metric]
        elif percent:
            raise _malformed(percent[0][0], header, i, percent[0][1], "a percentage among counts")
    used = {metric: header[i].strip() for metric, i in metrics.items()}
    dropped = tuple(header[i].strip() for metric, i in cols.metrics.items() if metric not in metrics)
    if not used:
        raise InputError(f"every count column of this {m.key} export holds percentages ({', '.join(dropped)}): "
                         "export the counts, not the rates")
    dayfirst = _dayfirst([cell(c, cols.time) for _, c in body])
    rows: list[Row] = []
    skipped = 0
    for line, cells in body:
        link, when_text = cell(cells, cols.link) or None, cell(cells, cols.time)
        if not link and not when_text:
            skipped += 1  # a totals line, or a second header of descriptions (Facebook's older exports)
            continue
        try:
            when = parse_time(when_text, tz, dayfirst=dayfirst)
        except ValueError:
            raise _malformed(line, header, cols.time, when_text, "not a date or time") from None
        counts: dict[str, int | None] = {}
        for metric, i in metrics.items():
            try:
                counts[metric] = parse_count(cell(cells, i))
            except ValueError as exc:
                raise _malformed(line, header, i, cell(cells, i), str(exc)) from None
        rows.append(Row(line, link, when if isinstance(when, datetime) else None,
                        when if isinstance(when, date) and not isinstance(when, datetime) else None,
                        _row_channel(m, cols, cells, link, channel), counts))
    return Export(m, used, rows, tz, skipped, dropped)


def _malformed(line: int, header: list[str], column: int | None, value: str, why: str) -> InputError:
    name = header[column].strip() if column is not None and column < len(header) else "?"
    # repr, not clean_text: the user sees the value as it is, with any control character escaped, not hidden.
    return InputError(f"line {line}, column {clean_text(name)!r}: {value[:60]!r} is {why}: nothing was imported")


def read_export(path: Path, *, fmt: str | None = None, channel: str | None = None, tz: str = "UTC") -> Export:
    """Read and parse an export file (refusing what is too big, a folder, or a spreadsheet)."""
    shown = clean_text(str(path))
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{shown} is {size / 1024 / 1024:.1f} MB: an analytics export is at most "
                             f"{MAX_BYTES // 1024 // 1024} MB (export a shorter date range)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"file {shown!r} does not exist") from None
    except OSError as exc:  # a folder too
        raise InputError(f"file {shown!r} cannot be read: {exc.strerror}") from None
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise InputError(f"{shown} is an Excel workbook, not CSV: open it and save the posts sheet as CSV "
                         "(UTF-8 or Unicode text)")
    return parse_export(decode(data), fmt=fmt, channel=channel, tz=tz)


def taken_at(path: Path) -> datetime:
    """When the numbers were read: the file's modification time (whole seconds, UTC), so importing the same
    file again replaces its snapshots instead of adding new ones."""
    return datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
