"""A post's variants as users type them, and deriving them from the master text.

A variant is the card's message as it goes out on one network (`models.PostVariant`). This module reads what a
user gives for one (the CLI's flags, an import's object, the editor's boxes) into `VariantFields`, with the
same rules and messages as the card's fields (`organizer.validate`), and derives a network's first draft from
the master text: a copy, with the hashtags the network does not take removed (the first ones kept) or, when
asked, moved to the first comment. Nothing is shortened: a variant over its limit stays over, and `check`
says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import regex

from organizer import dates
from organizer.cardspec import VARIANT_STATUSES
from organizer.config import Config
from organizer.posts.count import hashtags
from organizer.posts.rules import NetworkRule
from organizer.validate import CLEAR, InputError, clean_text

TEXT_MAX = 100_000  # characters a variant's text, first comment or alt text may hold (far above every network)
_HASHTAG_WORD = regex.compile(r"(?<![\w&#])[#＃](\w*\p{L}\w*)")


@dataclass
class VariantFields:
    """What was given for one variant; None: not given (an edit keeps it), `cleared`: emptied."""

    channel: str
    text: str | None = None
    first_comment: str | None = None
    alt_text: str | None = None
    publish_at: datetime | None = None
    status: str | None = None
    url: str | None = None
    cleared: set[str] = field(default_factory=set)


def channel_key(cfg: Config, value: Any) -> str:
    """A channel key from what was typed: its key, name or card code, case-insensitively."""
    text = str(value or "").strip()
    for c in cfg.channels:
        if text.casefold() in (c.key.casefold(), c.name.casefold(), c.code.casefold()):
            return c.key
    raise InputError(f"channel {text!r}: use one of {', '.join(c.key for c in cfg.channels)}", field="channels")


def _long_text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{name} {value!r} is not text")
    text = clean_text(value, multiline=True)
    if len(text) > TEXT_MAX:
        raise InputError(f"{name} holds {len(text):,} characters: a variant takes at most {TEXT_MAX:,}")
    return text


def read_variant(raw: Mapping[str, Any], cfg: Config, *, now: datetime) -> VariantFields:
    """Validate one variant's fields (`channel` required; the rest as given, `none` clears publish and url)."""
    out = VariantFields(channel_key(cfg, raw.get("channel")))
    for name in ("text", "first_comment", "alt_text"):
        if raw.get(name) is not None:
            setattr(out, name, _long_text(raw[name], name.replace("_", " ")))
    publish = raw.get("publish")
    if isinstance(publish, datetime):
        out.publish_at = publish
    elif isinstance(publish, str) and publish.strip().lower() == CLEAR:
        out.cleared.add("publish_at")
    elif publish is not None and str(publish).strip():
        try:
            out.publish_at = dates.parse_when(str(publish), now=now, tz=cfg.timezone, day_end=cfg.day_end)
        except dates.DateParseError as exc:
            raise InputError(f"--publish: {exc}") from None
    status = raw.get("status")
    if status is not None and str(status).strip():
        wanted = str(status).strip().lower()
        if wanted not in VARIANT_STATUSES:
            raise InputError(f"status {status!r}: use one of {', '.join(VARIANT_STATUSES)}")
        out.status = wanted
    url = raw.get("url")
    if isinstance(url, str) and url.strip().lower() == CLEAR:
        out.cleared.add("url")
    elif url is not None and str(url).strip():
        text = clean_text(str(url)).strip()
        if not regex.match(r"https?://\S+\.\S+$", text, regex.IGNORECASE):
            raise InputError(f"url {text!r}: give the published post's address, e.g. https://x.com/you/status/1")
        out.url = text
    return out


def derive(master: str, rule: NetworkRule, *, hashtags_to_comment: bool = False) -> tuple[str, str]:
    """A network's first draft of the master text: (text, first comment).

    Hashtags beyond the network's cap are taken out of the text (the first ones stay); with
    `hashtags_to_comment`, the hashtags move to the first comment instead (Instagram's habit), as many as the
    cap allows. Nothing else
    changes: a draft over the network's limit stays over.
    """
    tags = hashtags(master)
    cap = rule.max_hashtags
    if hashtags_to_comment and tags:  # the cap counts the comment's hashtags too: the first ones go there
        return _tidy(_HASHTAG_WORD.sub("", master)), " ".join("#" + t for t in tags[:cap])
    if cap is None or len(tags) <= cap:
        return master, ""
    keep = {t.casefold() for t in tags[:cap]}
    text = _HASHTAG_WORD.sub(lambda m: m.group(0) if m.group(1).casefold() in keep else "", master)
    return _tidy(text), ""


def _tidy(text: str) -> str:
    """Spaces left where hashtags were taken out: no doubles, no trailing ones, no empty last lines."""
    lines = [regex.sub(r"[ \t]{2,}", " ", line).rstrip() for line in text.split("\n")]
    return "\n".join(lines).rstrip()
