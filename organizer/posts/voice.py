"""Brand voice: the words a brand never uses (and what it says instead), what every post on a network must carry,
the emoji it allows, and the tone notes a writer keeps in view.

A profile is the config's `[voice]` table (every board), overlaid by `[voice.BOARD]` (one board):

    [voice]
    tone = "Warm, plain, never salesy. Say 'we', not 'the company'."
    locale = "en-GB"
    emoji = "few"                                  # none, few (up to 3) or any
    banned = { cheap = "affordable", "world-class" = "", synergy = "" }   # "" = just don't
    [voice.required]
    instagram = ["#northwindcoffee"]               # each must appear, case-insensitive
    linkedin = ["— The Northwind team"]
    [voice.NWC]
    tone = "Northwind: cosy, curious, coffee-nerdy."

Banned words match whole words, case-insensitively and with accents folded (`Cafe` matches `café`); each
finding names its rule, so a writer knows which line of the profile to argue with.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import regex

from organizer.validate import InputError

EMOJI_POLICIES = ("none", "few", "any")
FEW = 3
_EMOJI = regex.compile(r"(?=[\p{Extended_Pictographic}\p{Emoji_Presentation}\p{Regional_Indicator}])\X")


@dataclass(frozen=True)
class Voice:
    """One board's voice profile."""

    tone: str = ""
    locale: str = ""
    emoji: str = "any"
    banned: dict[str, str] = field(default_factory=dict)  # word or phrase → suggested replacement ("" none)
    required: dict[str, tuple[str, ...]] = field(default_factory=dict)  # channel → texts each post must carry


def _fold(text: str) -> str:
    """Case and accents folded: `Café` and `cafe` compare equal."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def profile(config: Mapping[str, Any], board: str | None) -> Voice:
    """The voice for a board: the `[voice]` table with the board's `[voice.BOARD]` laid over it."""
    base = {k: v for k, v in config.items() if not (isinstance(v, dict) and k not in ("banned", "required"))}
    own = config.get(board) if board else None
    merged: dict[str, Any] = dict(base)
    if isinstance(own, Mapping):
        for key, value in own.items():
            if key in ("banned", "required") and isinstance(value, Mapping):
                merged[key] = {**merged.get(key, {}), **value}
            else:
                merged[key] = value
    return _build(merged, board)


def _build(raw: Mapping[str, Any], board: str | None) -> Voice:
    where = f"[voice.{board}]" if board else "[voice]"
    emoji = str(raw.get("emoji", "any"))
    if emoji not in EMOJI_POLICIES:
        raise InputError(f"{where} emoji = {emoji!r}: use none, few or any")
    banned = raw.get("banned", {})
    if not isinstance(banned, Mapping) or not all(isinstance(v, str) for v in banned.values()):
        raise InputError(f'{where} banned: a table of "word" = "replacement" ("" for none)')
    required = raw.get("required", {})
    if not isinstance(required, Mapping) or not all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in required.values()):
        raise InputError(f'{where} required: a table of channel = ["text", …]')
    return Voice(str(raw.get("tone", "")), str(raw.get("locale", "")), emoji, dict(banned),
                 {k: tuple(v) for k, v in required.items()})


def findings(text: str, channel: str, voice: Voice) -> list[str]:
    """Where a text breaks the voice, one line each, naming the rule."""
    out = []
    folded = _fold(text)
    for word, instead in voice.banned.items():
        if regex.search(rf"(?<!\w){regex.escape(_fold(word))}(?!\w)", folded):
            tip = f": say {instead!r}" if instead else ""
            out.append(f"voice (banned): {word!r}{tip}")
    for needed in voice.required.get(channel, ()):
        if _fold(needed) not in folded:
            out.append(f"voice (required on {channel}): {needed!r} is missing")
    count = len(_EMOJI.findall(text))
    if voice.emoji == "none" and count:
        out.append(f"voice (emoji none): {count} emoji")
    elif voice.emoji == "few" and count > FEW:
        out.append(f"voice (emoji few): {count} emoji, at most {FEW}")
    return out
