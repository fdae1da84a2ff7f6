"""UTM tags on a post's links: source = the channel, medium `social`, campaign = the card's (as a slug,
`winter-blend`), content = the card ID.

Defaults come from the config's `[utm]` table and a board's own `[utm.KEY]` table (each may set `medium`,
`campaign`, `content`, `source`; `{channel}`, `{campaign}`, `{card}` and `{board}` are filled in). A link keeps
everything it has: its query (appended to, never reordered or re-encoded), its fragment, its host as written
(an IDN host stays readable); a link that already carries any `utm_` parameter is left alone, so nothing is
tagged twice. URLs are split with `urllib.parse`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

KEYS = ("source", "medium", "campaign", "content")
DEFAULTS = {"source": "{channel}", "medium": "social", "campaign": "{campaign}", "content": "{card}"}


@dataclass(frozen=True)
class Tags:
    """The four values a link is tagged with (an empty one is left out)."""

    source: str
    medium: str
    campaign: str
    content: str


def tags_for(config: Mapping[str, Any], *, channel: str, board: str, card: str, campaign: str | None) -> Tags:
    """The tags for one variant's links: the defaults, the config's `[utm]`, then the board's `[utm.BOARD]`."""
    chosen = dict(DEFAULTS)
    chosen.update({k: v for k, v in config.items() if k in KEYS})
    board_table = config.get(board)
    if isinstance(board_table, Mapping):
        chosen.update({k: v for k, v in board_table.items() if k in KEYS})
    fill = {"channel": channel, "board": board, "card": card, "campaign": _slug(campaign or "")}
    return Tags(**{k: v.format_map(fill).strip() for k, v in chosen.items()})


def _slug(text: str) -> str:
    """Lower case, words joined by hyphens, as analytics tools group best (`Winter Blend` → `winter-blend`)."""
    return "-".join(text.strip().lower().split())


def tag(url: str, tags: Tags) -> str:
    """The link with UTM parameters added after its own query, before its fragment; unchanged if already tagged."""
    parts = urlsplit(url if "://" in url else f"//{url}")
    if any(name.lower().startswith("utm_") for name, _ in parse_qsl(parts.query, keep_blank_values=True)):
        return url
    added = urlencode([(f"utm_{k}", v) for k in KEYS if (v := getattr(tags, k))])
    if not added:
        return url
    query = f"{parts.query}&{added}" if parts.query else added
    tagged = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    return tagged if "://" in url else tagged.removeprefix("//")
