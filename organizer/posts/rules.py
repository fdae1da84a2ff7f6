"""Each network's text rules, read from `data/networks.toml` (the one place they are written down).

Stdlib only: `organizer check` reads these on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from organizer import refdata

UNITS = {"weighted": "weighted characters", "graphemes": "characters", "utf16": "UTF-16 units",
         "bytes": "bytes"}


@dataclass(frozen=True)
class NetworkRule:
    """How one network counts a post and what else it caps."""

    key: str
    name: str
    unit: str  # weighted | graphemes | utf16 | bytes (see data/networks.toml)
    limit: int
    links: str = "as_written"  # as_written | fixed | short
    url_cost: int = 23
    bare_links: bool = False
    mentions: str = "as_written"  # as_written | local (`@user@domain` counts as `@user`)
    emoji_as_bytes: bool = False
    emoji_weight: int = 2
    default_weight: int = 2
    light_ranges: tuple[tuple[int, int], ...] = ()
    max_bytes: int | None = None
    max_hashtags: int | None = None
    max_links: int | None = None
    reserved: str = ""
    forbidden: str = ""
    title_limit: int | None = None
    folds: tuple[tuple[int, str], ...] = ()

    def with_limit(self, limit: int) -> NetworkRule:
        """The same rule with another limit (a Mastodon server's, a paid X account's)."""
        return NetworkRule(**{**self.__dict__, "limit": limit})


@cache
def rules() -> dict[str, NetworkRule]:
    """Every network's rule, by channel key."""
    out = {}
    for key, raw in refdata.load("networks")["network"].items():
        raw = dict(raw)
        raw["light_ranges"] = tuple(tuple(r) for r in raw.get("light_ranges", ()))
        raw["folds"] = tuple((int(n), str(where)) for n, where in raw.get("folds", ()))
        out[key] = NetworkRule(key=key, **raw)
    return out


@cache
def top_level_domains() -> frozenset[str]:
    """The top-level domains a link without `http(s)://` may end in (`data/tlds.txt`)."""
    text = (refdata.reference_dir() / "tlds.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))
