"""CLI handlers for post text: `check` lints a text for the networks it will go out on.

Quick on purpose: stdlib, `regex` and the rules in data/ only (no ORM, no Textual), so a writer can run it on
every save from an editor or a hook.
"""

from __future__ import annotations

import argparse
import sys

from organizer.cli.common import emit
from organizer.config import Config
from organizer.posts.count import Count, check
from organizer.posts.rules import UNITS, rules
from organizer.validate import InputError

MAX_TEXT = 1_000_000  # characters: far above any network's limit, far below what could exhaust memory


def resolve_channels(cfg: Config, wanted: list[str]) -> list[str]:
    """Channel keys from what was typed: a key, a name or a card code, case-insensitively; each once."""
    out: list[str] = []
    known = {key: key for key in rules()}
    for c in cfg.channels:
        known.update({c.key.casefold(): c.key, c.name.casefold(): c.key, c.code.casefold(): c.key})
    for item in wanted:
        for name in (part.strip() for part in item.split(",")):
            key = known.get(name.casefold()) if name else None
            if key is None or key not in rules():
                raise InputError(f"--channel {name!r}: use one of {', '.join(rules())}")
            if key not in out:
                out.append(key)
    return out


def _read_text(arg: str) -> str:
    if arg != "-":
        return arg
    data = sys.stdin.buffer.read(MAX_TEXT * 4 + 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"standard input is not UTF-8 text (byte {exc.start}): check reads UTF-8") from None
    if len(text) > MAX_TEXT:
        raise InputError(f"standard input holds over {MAX_TEXT:,} characters: check takes one post at a time")
    return text.removesuffix("\n")  # what `echo` and editors add is not part of the post


def cmd_check(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Count a text as each network counts it; exit 1 when it breaks a rule (like a linter)."""
    if not args.channel:
        raise InputError("check needs at least one --channel (e.g. --channel x --channel bluesky)")
    text = _read_text(args.text)
    results = []
    for key in resolve_channels(cfg, args.channel):
        rule = rules()[key]
        if key in cfg.channel_limits:
            rule = rule.with_limit(cfg.channel_limits[key])
        results.append(check(text, rule))
    if args.json:
        emit([r.as_json() for r in results])
    else:
        print(render(results))
    return 0 if all(r.ok for r in results) else 1


def render(results: list[Count]) -> str:
    """One line per network (`X  212/280 weighted characters  ok`), then its problems, warnings and hints."""
    width = max(len(r.network) for r in results)
    lines = []
    for r in results:
        verdict = "ok" if r.ok else "OVER" if r.remaining < 0 else "PROBLEM"
        extra = f", {r.extra['bytes']}/{rules()[r.channel].max_bytes} bytes" if "bytes" in r.extra else ""
        lines.append(f"{r.network:<{width}}  {r.length}/{r.limit} {UNITS[r.unit]}{extra}  {verdict}")
        lines.extend(f"  ✗ {p}" for p in r.problems)
        lines.extend(f"  ! {w}" for w in r.warnings)
        lines.extend(f"  · {h}" for h in r.hints)
    return "\n".join(lines)
