"""Production templates: a named chain of steps (title pattern, role, estimate, channels, dependencies, lead).

Shipped in `data/templates/*.toml`; a user's own in `templates/` beside the config file, which add to them or
replace one by name. A template that cannot be read is refused with its file, step and field. Expanding one
for a card gives the concrete steps: `channels = "each"` makes one step per channel of the card, and a step
waits for the steps it names in `after` (1-based step numbers in the file; default: the step before it).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from organizer import dates, refdata
from organizer.config import Config
from organizer.validate import InputError

MAX_STEPS = 60
MAX_LEAD_DAYS = 30


@dataclass(frozen=True)
class StepSpec:
    """One step as the template writes it."""

    title: str
    role: str | None
    minutes: int
    each_channel: bool
    after: tuple[int, ...] | None  # 0-based indices of earlier steps; None: the step before
    lead_days: int


@dataclass(frozen=True)
class Template:
    """A named chain of steps, with the channels its post goes out on by default."""

    name: str
    description: str
    channels: tuple[str, ...]
    steps: tuple[StepSpec, ...]
    source: str


@dataclass(frozen=True)
class Step:
    """One concrete step of a piece: its title, role, minutes, the steps it waits for, its lead."""

    title: str
    role: str | None
    minutes: int
    channels: tuple[str, ...]
    after: tuple[int, ...]  # indices into the expanded list
    lead_days: int


def user_dir(cfg: Config) -> Path:
    """Where a user's own templates live: `templates/` beside the config file."""
    from organizer import paths

    return (cfg.source or paths.config_file()).parent / "templates"


def _refuse(source: str, where: str, message: str) -> InputError:
    return InputError(f"template {source}{where}: {message}")


def parse(raw: dict[str, Any], source: str, cfg: Config) -> Template:
    """Check one template file's contents; the first problem is refused, naming the file, step and field."""
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _refuse(source, "", 'needs a name = "…"')
    channels = raw.get("channels", [])
    known = cfg.channel_keys()
    if not isinstance(channels, list) or any(c not in known for c in channels):
        raise _refuse(source, "", f"channels {channels!r}: use a list of {', '.join(known)}")
    raw_steps = raw.get("step")
    if not isinstance(raw_steps, list) or not raw_steps or len(raw_steps) > MAX_STEPS:
        raise _refuse(source, "", f"needs 1 to {MAX_STEPS} [[step]] tables")
    roles = cfg.role_keys()
    steps = []
    for i, step in enumerate(raw_steps):
        where = f", step {i + 1}"
        if not isinstance(step, dict):
            raise _refuse(source, where, "is not a table")
        unknown = set(step) - {"title", "role", "estimate", "channels", "after", "lead_days"}
        if unknown:
            raise _refuse(source, where, f"unknown field {sorted(unknown)[0]!r}: use title, role, estimate, "
                                         "channels, after, lead_days")
        title = step.get("title")
        if not isinstance(title, str) or not title.strip() or "{title}" not in title:
            raise _refuse(source, where, "title must be text holding {title} (the piece's title)")
        role = step.get("role")
        if role is not None and role not in roles:
            raise _refuse(source, where, f"role {role!r}: use one of {', '.join(roles)}")
        try:
            minutes = dates.parse_duration(str(step.get("estimate", "")))
        except ValueError as exc:
            raise _refuse(source, where, f"estimate: {exc}") from None
        if minutes <= 0:
            raise _refuse(source, where, "estimate must be more than 0 minutes")
        each = step.get("channels")
        if each not in (None, "each"):
            raise _refuse(source, where, 'channels: "each" (one step per channel of the card) or nothing')
        after = step.get("after")
        if after is not None and (not isinstance(after, list) or not all(isinstance(a, int) and 1 <= a <= i
                                                                          for a in after)):
            raise _refuse(source, where, f"after {after!r}: a list of earlier step numbers (1 to {i})")
        lead = step.get("lead_days", 0)
        if not isinstance(lead, int) or isinstance(lead, bool) or not 0 <= lead <= MAX_LEAD_DAYS:
            raise _refuse(source, where, f"lead_days {lead!r}: working days before publish, 0 to {MAX_LEAD_DAYS}")
        if each == "each" and "{channel}" not in title:
            raise _refuse(source, where, 'a step per channel needs {channel} in its title')
        steps.append(StepSpec(title, role, minutes, each == "each",
                              None if after is None else tuple(a - 1 for a in after), lead))
    return Template(name.strip(), str(raw.get("description", "")), tuple(channels), tuple(steps), source)


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.toml")) if folder.is_dir() else []


def load_all(cfg: Config) -> dict[str, Template]:
    """The shipped templates, with the user's added or replacing them by name."""
    out: dict[str, Template] = {}
    for folder in (refdata.reference_dir() / "templates", user_dir(cfg)):
        for file in _files(folder):
            try:
                raw = tomllib.loads(file.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise InputError(f"template {file}: cannot be read: {exc}") from None
            template = parse(raw, str(file), cfg)
            out[template.name] = template
    return out


def find(cfg: Config, name: str) -> Template:
    """One template by name (exact, else a unique prefix)."""
    found = load_all(cfg)
    if name in found:
        return found[name]
    matches = [n for n in found if n.startswith(name)]
    if len(matches) == 1:
        return found[matches[0]]
    raise InputError(f"template {name!r}: use one of {', '.join(sorted(found))}")


def expand(template: Template, title: str, channels: list[str]) -> list[Step]:
    """The concrete steps for a piece: per-channel steps made, dependencies mapped to them."""
    steps: list[Step] = []
    made: list[list[int]] = []  # file step → its expanded indices
    for i, spec in enumerate(template.steps):
        if spec.after is None:
            waits = tuple(made[i - 1]) if i else ()
        else:
            waits = tuple(j for a in spec.after for j in made[a])
        mine = []
        for channel in (channels if spec.each_channel else [None]):
            if spec.each_channel and channel is None:
                continue
            name = spec.title.replace("{title}", title).replace("{channel}", _channel_name(channel))
            mine.append(len(steps))
            steps.append(Step(name, spec.role, spec.minutes, (channel,) if channel else (), waits, spec.lead_days))
        if not mine:  # a per-channel step of a piece with no channels: the chain goes on without it
            mine = list(made[i - 1]) if i else []
        made.append(mine)
    return steps


def _channel_name(key: str | None) -> str:
    if key is None:
        return ""
    named = {c.key: c.name for c in refdata.channels()}
    return named.get(key, key)
