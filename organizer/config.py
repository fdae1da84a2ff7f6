"""User configuration: a TOML file in the XDG config dir, defaults from `data/`.

A missing file means defaults. A bad value raises `ConfigError`, whose message names the key,
the value and what would be accepted. Only the stdlib is imported so that the quick-add path
stays fast.
"""

from __future__ import annotations

import itertools
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from organizer import paths, refdata

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_TOP_KEYS = {
    "timezone", "reserve_ratio", "min_block_minutes", "default_board", "default_priority",
    "theme", "hours", "roles", "keys", "reserve_at", "history", "plan_horizon_days", "channel_limits",
    "utm", "voice", "approval", "user", "mix",
}
# [history]: how long undo history is kept. The newest `undo_depth` changes of each place
# (a terminal, an app session) used within `keep_days` are never pruned.
_HISTORY_KEYS = {"keep_days": (1, 36_500), "max_entries": (100, 10_000_000), "undo_depth": (1, 100_000)}

Interval = tuple[time, time]


class ConfigError(ValueError):
    """A config value that cannot be used; the message says which, and what would do."""

    def __init__(self, key: str, value: object, accepted: str, source: Path | None = None) -> None:
        where = f"{source}: " if source else ""
        super().__init__(f"{where}config key '{key}' has bad value {value!r}: {accepted}")
        self.key = key


@dataclass(frozen=True)
class Config:
    """Everything configurable, resolved against the shipped defaults."""

    timezone: str
    hours: dict[str, tuple[Interval, ...]]
    reserve_ratio: float = 0.20
    min_block_minutes: int = 25
    # The one schedule covers today and this many working days after it.
    plan_horizon_days: int = 10
    default_board: str | None = None
    default_priority: int = 3
    theme: str = "textual-dark"
    roles: tuple[refdata.Role, ...] = ()
    channels: tuple[refdata.Channel, ...] = ()
    columns: tuple[refdata.ColumnSpec, ...] = ()
    keys: dict[str, str] = field(default_factory=dict)
    # Local times the pop-up reserve ends at where it can (late morning, late afternoon).
    reserve_at: tuple[time, ...] = (time(12, 30), time(17, 30))
    history_keep_days: int = 90
    history_max_entries: int = 5000
    history_undo_depth: int = 100
    # A network's own length limit where it differs from data/networks.toml: a Mastodon server's, a paid X
    # account's (`[channel_limits]`, e.g. mastodon = 1000).
    channel_limits: dict[str, int] = field(default_factory=dict)
    # UTM defaults for post links (organizer.posts.utm): source, medium, campaign, content; [utm.BOARD] tables.
    utm: dict[str, Any] = field(default_factory=dict)
    # Brand voice (organizer.posts.voice): [voice] for every board, [voice.BOARD] for one.
    voice: dict[str, Any] = field(default_factory=dict)
    # The approval gate per board (organizer.approval): [approval.KEY] required = 1|2, approver = "Name".
    approval: dict[str, dict[str, Any]] = field(default_factory=dict)
    user: str | None = None  # who approves from this config (default: the OS user)
    # Content-mix targets (organizer.mix): [mix.pillars], [mix.channels], and [mix.BOARD.…] per board.
    mix: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None

    def role_keys(self) -> list[str]:
        """Role keys in display order."""
        return [r.key for r in self.roles]

    def channel_keys(self) -> list[str]:
        """Channel keys in display order."""
        return [c.key for c in self.channels]

    @property
    def day_end(self) -> time:
        """When a working day ends (the latest end over weekdays); a date-only due means this time."""
        ends = [iv[-1][1] for iv in self.hours.values() if iv]
        return max(ends) if ends else time(17, 30)


def system_timezone() -> str:
    """The machine's IANA zone name ($TZ, then /etc/localtime), or UTC when it cannot be told.

    Written out rather than taken from tzlocal: importing tzlocal costs about 17 ms (it loads
    importlib.resources), paid by every command of a user with no `timezone` in the config, and these
    three lookups are what it does on Linux.
    """
    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        try:
            ZoneInfo(env)
            return env
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        link = Path("/etc/localtime").resolve()
        parts = link.parts
        if "zoneinfo" in parts:
            name = "/".join(parts[parts.index("zoneinfo") + 1 :])
            ZoneInfo(name)
            return name
    except (OSError, ZoneInfoNotFoundError, ValueError):
        pass
    tz = Path("/etc/timezone")
    if tz.is_file():
        name = tz.read_text().strip()
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return "UTC"


def parse_interval(key: str, text: object, source: Path | None) -> Interval:
    """`"09:00-12:30"` → (09:00, 12:30); rejects reversed or impossible times."""
    accepted = 'a list of "HH:MM-HH:MM" intervals, e.g. ["09:00-12:30", "13:30-17:30"]'
    m = _INTERVAL.match(text) if isinstance(text, str) else None
    if not m:
        raise ConfigError(key, text, accepted, source)
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise ConfigError(key, text, accepted, source)
    start, end = time(h1, m1), time(23, 59) if h2 == 24 else time(h2, m2)
    if end <= start:
        raise ConfigError(key, text, "an interval whose end comes after its start", source)
    return start, end


def _hours(raw: dict[str, Any], source: Path | None) -> dict[str, tuple[Interval, ...]]:
    out: dict[str, tuple[Interval, ...]] = {}
    for day, value in raw.items():
        if day not in WEEKDAYS:
            raise ConfigError(f"hours.{day}", value, f"one of {', '.join(WEEKDAYS)}", source)
        if not isinstance(value, list):
            raise ConfigError(f"hours.{day}", value, 'a list such as ["09:00-12:30"] or []', source)
        intervals = sorted(parse_interval(f"hours.{day}", v, source) for v in value)
        for (_, end), (start, _) in itertools.pairwise(intervals):
            if start < end:
                raise ConfigError(f"hours.{day}", value, "intervals that do not overlap", source)
        out[day] = tuple(intervals)
    return out


def _roles(raw: object, source: Path | None) -> tuple[refdata.Role, ...]:
    """Shipped roles, with the user's overrides applied and new roles appended."""
    roles = {r.key: r for r in refdata.roles()}
    if not isinstance(raw, dict):
        raise ConfigError("roles", raw, "a table of roles, e.g. [roles.writer] colour = \"#88c0d0\"", source)
    for key, spec in raw.items():
        if not isinstance(spec, dict) or not re.fullmatch(r"[a-z][a-z0-9_-]{0,23}", key):
            raise ConfigError(f"roles.{key}", spec, "a lowercase key with a table of name/badge/colour/description",
                              source)
        allowed = {"name", "badge", "colour", "description"}
        for k, v in spec.items():
            if k not in allowed:
                raise ConfigError(f"roles.{key}.{k}", v, f"one of {', '.join(sorted(allowed))}", source)
            if not isinstance(v, str) or (k == "colour" and not _HEX.match(v)):
                what = 'a hex colour such as "#88c0d0"' if k == "colour" else "a string"
                raise ConfigError(f"roles.{key}.{k}", v, what, source)
        base = roles.get(key) or refdata.Role(key, key.title(), key[:5].upper(), "#d8dee9", "")
        roles[key] = replace(base, **spec)
    return tuple(roles.values())


def _number(key: str, raw: dict[str, Any], kind: type, low: float, high: float, source: Path | None) -> Any:
    value = raw[key]
    ok = isinstance(value, kind | int) if kind is float else isinstance(value, int)
    if isinstance(value, bool) or not ok or not low <= value <= high:
        raise ConfigError(key, value, f"a number from {low:g} to {high:g}", source)
    return kind(value)


def _history(defaults: dict[str, Any], raw: object, source: Path | None) -> dict[str, int]:
    """The [history] limits: shipped defaults with the user's values over them."""
    if not isinstance(raw, dict):
        raise ConfigError("history", raw, "a table such as [history] keep_days = 90", source)
    out = {}
    for key, (low, high) in _HISTORY_KEYS.items():
        value = raw.get(key, defaults.get(key))
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"history.{key}", value, f"a whole number from {low:,} to {high:,}",
                              source if key in raw else None)
        out[key] = value
    for key in raw:
        if key not in _HISTORY_KEYS:
            raise ConfigError(f"history.{key}", raw[key], f"one of {', '.join(_HISTORY_KEYS)}", source)
    return out


def load_config(path: Path | None = None) -> Config:
    """Read the config file (default: `paths.config_file()`), falling back to shipped defaults."""
    path = path or paths.config_file()
    raw: dict[str, Any] = {}
    if path.is_file():
        try:
            with path.open("rb") as fh:
                raw = tomllib.load(fh)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError("(file)", str(path), f"valid TOML ({exc})", path) from None
    return build_config(raw, source=path if raw else None)


def build_config(raw: dict[str, Any], source: Path | None = None) -> Config:
    """Validate a parsed config table and merge it over the shipped defaults."""
    defaults = refdata.load("defaults")
    for key in raw:
        if key not in _TOP_KEYS:
            raise ConfigError(key, raw[key], f"a known key: {', '.join(sorted(_TOP_KEYS))}", source)
    tz = raw["timezone"] if "timezone" in raw else system_timezone()
    try:
        if not isinstance(tz, str):
            raise ValueError
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("timezone", tz, 'an IANA zone name such as "Europe/Paris" or "UTC"', source) from None
    hours = _hours(defaults["hours"], None)
    if "hours" in raw:
        if not isinstance(raw["hours"], dict):
            raise ConfigError("hours", raw["hours"], "a table of weekday = [intervals]", source)
        hours.update(_hours(raw["hours"], source))
    merged = {**defaults, **raw}
    keys = raw.get("keys", {})
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        raise ConfigError("keys", keys, 'a table of binding id = "key,key", e.g. "board.left" = "h,left"', source)
    board = raw.get("default_board")
    if board is not None and not isinstance(board, str):
        raise ConfigError("default_board", board, "a board key such as \"ACME\"", source)
    theme = merged["theme"]
    if not isinstance(theme, str):
        raise ConfigError("theme", theme, 'a Textual theme name such as "textual-dark"', source)
    reserve_at = raw.get("reserve_at", ["12:30", "17:30"])
    accepted = 'a list of local times such as ["12:30", "17:30"]'
    if not isinstance(reserve_at, list) or not reserve_at:
        raise ConfigError("reserve_at", reserve_at, accepted, source)
    anchors = []
    for value in reserve_at:
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value) if isinstance(value, str) else None
        if not m or int(m[1]) > 23 or int(m[2]) > 59:
            raise ConfigError("reserve_at", value, accepted, source)
        anchors.append(time(int(m[1]), int(m[2])))
    history = _history(defaults.get("history", {}), raw.get("history", {}), source)
    limits = raw.get("channel_limits", {})
    known = {c.key for c in refdata.channels()}
    if not isinstance(limits, dict) or not all(
            k in known and isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1_000_000
            for k, v in limits.items()):
        raise ConfigError("channel_limits", limits, "a table of channel = limit (1–1000000), channels: "
                          + ", ".join(sorted(known)), source)
    utm = raw.get("utm", {})
    utm_keys = ("source", "medium", "campaign", "content")
    accepted_utm = 'a table of source, medium, campaign, content = "text" (and [utm.BOARD] tables of the same)'
    if not isinstance(utm, dict):
        raise ConfigError("utm", utm, accepted_utm, source)
    for key, value in utm.items():
        table = value if isinstance(value, dict) else {key: value}
        for k, v in table.items():
            if k not in utm_keys or not isinstance(v, str):
                raise ConfigError(f"utm.{key}" if isinstance(value, dict) else "utm", v, accepted_utm, source)
    voice = raw.get("voice", {})
    if not isinstance(voice, dict):
        raise ConfigError("voice", voice, "a table (see the README's brand voice section)", source)
    approval = raw.get("approval", {})
    accepted_approval = 'tables [approval.BOARD] with required = 0, 1 or 2 and approver = "Name" (optional)'
    if not isinstance(approval, dict):
        raise ConfigError("approval", approval, accepted_approval, source)
    for board_key, table in approval.items():
        if (not isinstance(table, dict) or set(table) - {"required", "approver"}
                or table.get("required", 0) not in (0, 1, 2)
                or not isinstance(table.get("approver", ""), str)):
            raise ConfigError(f"approval.{board_key}", table, accepted_approval, source)
    user = raw.get("user")
    if user is not None and (not isinstance(user, str) or not user.strip()):
        raise ConfigError("user", user, 'your name as reviewers know it, e.g. "Sam Lee"', source)
    mix = raw.get("mix", {})
    if not isinstance(mix, dict):
        raise ConfigError("mix", mix, "tables [mix.pillars], [mix.channels] or [mix.BOARD.pillars] of name = %", source)
    return Config(
        mix=dict(mix),
        approval={k.upper(): dict(v) for k, v in approval.items()},
        user=user.strip() if user else None,
        utm=dict(utm),
        voice=dict(voice),
        channel_limits=dict(limits),
        history_keep_days=history["keep_days"],
        history_max_entries=history["max_entries"],
        history_undo_depth=history["undo_depth"],
        reserve_at=tuple(sorted(anchors)),
        timezone=tz,
        hours=hours,
        reserve_ratio=_number("reserve_ratio", merged, float, 0.0, 0.9, source),
        min_block_minutes=_number("min_block_minutes", merged, int, 5, 240, source),
        plan_horizon_days=_number("plan_horizon_days", merged, int, 1, 40, source),
        default_board=board,
        default_priority=_number("default_priority", merged, int, 1, 4, source),
        theme=theme,
        roles=_roles(raw.get("roles", {}), source),
        channels=tuple(refdata.channels()),
        columns=tuple(refdata.default_columns()),
        keys=dict(keys),
        source=source,
    )


def save_table_setting(path: Path, table: str, key: str, value: int | str) -> None:
    """Set `key` in the config's `[table]` (made if missing), keeping every other line and comment as it is."""
    import tomlkit

    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"{table}.{key}", value, f"not saved: the file is not valid TOML ({exc})", path) from None
    section = doc.get(table)
    if section is None:
        section = tomlkit.table()
        doc[table] = section
    section[key] = value
    _write_config(path, tomlkit.dumps(doc))


def check_config_editable(path: Path, what: str) -> None:
    """Refuse now (ConfigError) what `add_voice_note` and the other writers would refuse later: a config that is
    not valid TOML; so an action that also writes the config can stop before it changes anything else."""
    import tomlkit

    if not path.is_file():
        return
    try:
        tomlkit.parse(path.read_text(encoding="utf-8"))
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(what, "", f"cannot be saved: the file is not valid TOML ({exc})", path) from None


def add_voice_note(path: Path, board: str | None, note: str) -> None:
    """Add a line to a voice profile's tone notes (`[voice.BOARD]`, or `[voice]` for every board), keeping every
    other line and comment: what an experiment found, for the writer to keep in view in the editor."""
    import tomlkit

    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    where = f"voice.{board}.tone" if board else "voice.tone"
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(where, note, f"not saved: the file is not valid TOML ({exc})", path) from None
    voice = doc.get("voice")
    if voice is None:
        voice = tomlkit.table()
        doc["voice"] = voice
    section = voice
    if board:
        section = voice.get(board)
        if section is None:
            section = tomlkit.table()
            voice[board] = section
    before = str(section.get("tone", "")).rstrip()
    section["tone"] = f"{before}\n{note}" if before else note
    _write_config(path, tomlkit.dumps(doc))


def _write_config(path: Path, rendered: str) -> None:
    from organizer.files import make_private_dir, write_atomic, write_error

    try:
        make_private_dir(path.parent)
    except OSError as exc:
        raise write_error(exc, path) from None
    write_atomic(path, rendered)  # 0600: written by Organizer, so private like the rest of its files


def save_setting(path: Path, key: str, value: str) -> None:
    """Set one top-level string key in the config file, keeping every other line (and comment) as it is."""
    # tomlkit round-trips a TOML document with its comments and layout; imported here because only the app's
    # theme picker writes the config, and no command should pay for it.
    import tomlkit

    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(key, value, f"not saved: the file is not valid TOML ({exc})", path) from None
    doc[key] = value
    _write_config(path, tomlkit.dumps(doc))
