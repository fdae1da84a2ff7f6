"""Counting a post exactly as each network counts it, and the rules it breaks (`organizer check`, the editor).

Lengths are never `len()`: X weighs code points and emoji (twitter-text v3), Bluesky, Mastodon and Threads count
grapheme clusters (the `regex` module's `\\X`, Unicode UAX #29), the JavaScript composers of LinkedIn, Instagram,
Facebook and TikTok count UTF-16 units, YouTube's description counts UTF-8 bytes. Links are found once and
costed per network: 23 on X and Mastodon whatever their length, as displayed (host and 15 characters) on
Bluesky, as written elsewhere. The rules themselves are data (`organizer.posts.rules`, `data/networks.toml`).

Why not `twitter-text-parser` here: importing it costs ~490 ms (it loads `pkg_resources` and compiles its
emoji and domain regexes at import), three times the budget of a whole `organizer check`. The tests use it as
the oracle: X lengths computed here must equal its `weightedLength` (tests/posts/test_count.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import regex

from organizer.posts.rules import UNITS, NetworkRule, top_level_domains

_GRAPHEME = regex.compile(r"\X")
# Characters that may join a grapheme cluster with their neighbour (the Grapheme_Cluster_Break values other than
# Other, Control, CR, LF, LV and LVT; a lone LV or LVT syllable only joins with V, T or Extend, listed here).
_EMOJI_START = regex.compile(r"[\p{Extended_Pictographic}\p{Emoji_Presentation}\p{Regional_Indicator}]")
_PREPEND = regex.compile(r"\p{GCB=Prepend}")
_JOINS = regex.compile(r"[\p{GCB=Extend}\p{GCB=ZWJ}\p{GCB=SpacingMark}\p{GCB=Prepend}\p{GCB=Regional_Indicator}"
                       r"\p{GCB=L}\p{GCB=V}\p{GCB=T}]")
_NON_ASCII_RUN = regex.compile(r"[\x00-\x7f]?[^\x00-\x7f]+")
_DOTTED = re.compile(r"\S*\.\S*")  # where a link without a scheme can be: a word with a dot
# An emoji: a cluster that starts with a pictograph, an emoji-presentation character or a flag's regional
# indicator, or a keycap (digit, # or * with U+20E3).
_EMOJI = regex.compile(r"(?=[\p{Extended_Pictographic}\p{Emoji_Presentation}\p{Regional_Indicator}])\X"
                       r"|[0-9#*]\uFE0F?\u20E3")
_PROTOCOL_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
# A link without a scheme: ASCII labels, the last one a top-level domain checked against the list.
_BARE_URL = re.compile(r"(?<![\w@$#./-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]+))"
                       r"(?::\d{1,5})?(?:/[^\s<>\"'`]*)?(?![\w@-])", re.IGNORECASE)
_TRAILING = ".,:;!?'\"…"
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_HASHTAG = regex.compile(r"(?<![\w&#])[#＃](\w*\p{L}\w*)")
_REMOTE_MENTION = regex.compile(r"(?<![\w@])(@\w+)@[\w.-]+\w")


@dataclass(frozen=True)
class Link:
    """A link found in a text: where it is (code point offsets) and whether it was written with http(s)://."""

    start: int
    end: int
    url: str
    scheme: bool


@dataclass(frozen=True)
class Count:
    """A text as one network counts it: its length, the limit, and what breaks or risks a rule."""

    channel: str
    network: str
    length: int
    limit: int
    unit: str
    problems: tuple[str, ...] = ()  # each breaks a rule: the post would be refused or cut
    warnings: tuple[str, ...] = ()  # worth a look, not refused
    hints: tuple[str, ...] = ()  # how the text will look (Facebook's fold)
    extra: dict[str, Any] = field(default_factory=dict)  # other counted figures (bytes on Bluesky…)

    @property
    def remaining(self) -> int:
        """Room left (negative when over)."""
        return self.limit - self.length

    @property
    def ok(self) -> bool:
        """Whether the text breaks none of the network's rules."""
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        """The porcelain of `organizer check --json` (fields may be added, never renamed or removed)."""
        return {"channel": self.channel, "network": self.network, "length": self.length, "limit": self.limit,
                "unit": self.unit, "remaining": self.remaining, "ok": self.ok,
                "problems": list(self.problems) + [f"warning: {w}" for w in self.warnings],
                "hints": list(self.hints), **self.extra}


# --- links ------------------------------------------------------------------------------------------

def _trim(url: str) -> str:
    """A link without the punctuation that ends the sentence around it (a closing bracket it did not open)."""
    while url and (url[-1] in _TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


def links(text: str, *, bare: bool) -> list[Link]:
    """The links of a text, in order: with http(s)://, and (when `bare`) domains on a known top-level domain."""
    found = []
    taken: list[tuple[int, int]] = []
    tlds = top_level_domains()
    for m in _PROTOCOL_URL.finditer(text):
        url = _trim(m.group(0))
        host = regex.split(r"[/?#:]", url.split("//", 1)[1], maxsplit=1)[0]
        if host.rsplit(".", 1)[-1].lower() in tlds and "." in host:  # as the networks link: a known domain
            found.append(Link(m.start(), m.start() + len(url), url, True))
            taken.append((m.start(), m.start() + len(url)))
    if bare and "." in text:
        for word in _DOTTED.finditer(text):  # the full pattern only where a dot is: ~5x faster on a long post
            for m in _BARE_URL.finditer(text, word.start(), word.end()):
                if any(a <= m.start() < b for a, b in taken) or m.group(2).lower() not in tlds:
                    continue
                url = _trim(m.group(0))
                found.append(Link(m.start(), m.start() + len(url), url, False))
    return sorted(found, key=lambda link: link.start)


def short_link(link: Link) -> str:
    """A link as Bluesky's app displays it: host, then 15 characters of path, query and fragment (13 + "...")."""
    url = link.url if link.scheme else f"https://{link.url}"
    rest = url.split("//", 1)[1]
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    host, path = rest[:cut], rest[cut:]
    if path == "/":
        path = ""
    return host + (path[:13] + "..." if len(path) > 15 else path)


def _replace(text: str, found: Iterable[Link], by: Any) -> str:
    out, at = [], 0
    for link in found:
        out.append(text[at:link.start])
        out.append(by(link))
        at = link.end
    out.append(text[at:])
    return "".join(out)


def hashtags(text: str) -> list[str]:
    """The hashtags of a text, in order, each once (case-insensitively), without the #."""
    seen: dict[str, str] = {}
    for tag in _HASHTAG.findall(text):
        seen.setdefault(tag.casefold(), tag)
    return list(seen.values())


# --- lengths ----------------------------------------------------------------------------------------

def graphemes(text: str) -> int:
    """User-perceived characters (grapheme clusters).

    ASCII outside `\r\n` is one cluster a character, so only the non-ASCII runs (with the character before each,
    which a combining mark may join) go through `\\X`: a 3,000-character post counts in a fraction of the time.
    """
    pairs = text.count("\r\n")
    if text.isascii() or not _JOINS.search(text):
        # No character that joins its neighbour (UAX #29: Extend, ZWJ, SpacingMark, Prepend, regional indicators,
        # Hangul jamo): every code point is a cluster of its own, CR LF aside. Most posts with emoji or accents
        # (precomposed) are such, and this test is much cheaper than `\X`.
        return len(text) - pairs
    if _PREPEND.search(text):  # joins the character after it, which may be ASCII: segment the whole text
        return len(_GRAPHEME.findall(text))
    total = inside = 0
    for m in _NON_ASCII_RUN.finditer(text):
        inside += m.end() - m.start()
        total += len(_GRAPHEME.findall(m.group()))
    return total + len(text) - inside - pairs


def graphemes_and_emoji(text: str) -> tuple[int, int]:
    """(grapheme clusters, emoji as `_EMOJI` counts them: a family, a flag or a skin-toned hand is one). Most posts
    have no character that joins another: then one pass over a character class counts both."""
    pairs = text.count("\r\n")
    if text.isascii():
        return len(text) - pairs, 0
    if not _JOINS.search(text):  # one cluster a code point (see graphemes)
        return len(text) - pairs, len(_EMOJI_START.findall(text))
    if _PREPEND.search(text):
        return len(_GRAPHEME.findall(text)), len(_EMOJI.findall(text))
    # Emoji and joining characters are not ASCII (a keycap's digit is the character before its run), and no
    # cluster runs from them into the ASCII after: both counts can be taken over the non-ASCII runs alone.
    clusters = emoji = inside = 0
    for m in _NON_ASCII_RUN.finditer(text):
        run = m.group()
        inside += len(run)
        clusters += len(_GRAPHEME.findall(run))
        emoji += len(_EMOJI.findall(run))
    return clusters + len(text) - inside - pairs, emoji


def utf16_units(text: str) -> int:
    """UTF-16 code units (JavaScript's `.length`)."""
    return len(text.encode("utf-16-le")) // 2


@cache
def _chars(chars: str) -> re.Pattern[str]:
    return re.compile("[" + re.escape(chars) + "]")


@cache
def _light(ranges: tuple[tuple[int, int], ...]) -> re.Pattern[str]:
    return re.compile("[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges) + "]")


def weighted_length(text: str, rule: NetworkRule) -> int:
    """X's weighted length: NFC text; a link `url_cost`; an emoji sequence `emoji_weight`; a code point 1 when in
    the light ranges, else `default_weight` (twitter-text config v3)."""
    text = unicodedata.normalize("NFC", text)
    found = links(text, bare=rule.bare_links)
    total = rule.url_cost * len(found)
    rest = _replace(text, found, lambda _: "\x00")  # one light placeholder per link, taken back below
    total -= len(found)
    emoji = _EMOJI.findall(rest)
    total += rule.emoji_weight * len(emoji)
    if emoji:
        rest = _EMOJI.sub("", rest)
    if rest.isascii():  # every ASCII character is light
        return total + len(rest)
    wide = "".join(_NON_ASCII.findall(rest))
    light = len(rest) - len(wide) + _light(rule.light_ranges).subn("", wide)[1]
    return total + light + rule.default_weight * (len(rest) - light)


def _mastodon_text(text: str, rule: NetworkRule) -> str:
    text = _replace(text, links(text, bare=False), lambda _: "x" * rule.url_cost)
    return _REMOTE_MENTION.sub(r"\1", text)


def length(text: str, rule: NetworkRule, *, shown: str | None = None) -> int:
    """The length of a text as the network counts it, in its unit (`shown`: `_displayed(text)`, when known)."""
    if rule.unit == "weighted":
        return weighted_length(text, rule)
    if rule.key == "youtube":
        return len(_description(text).encode("utf-8"))
    if shown is None:
        shown = _displayed(text, rule)
    if rule.unit == "graphemes":
        count = graphemes(shown)
        if rule.emoji_as_bytes:
            count += sum(len(e.encode("utf-8")) - 1 for e in _EMOJI.findall(shown))
        return count
    if rule.unit == "utf16":
        return utf16_units(shown)
    return len(shown.encode("utf-8"))


def _displayed(text: str, rule: NetworkRule) -> str:
    """The text as the network counts it: links at their fixed cost or shortened, mentions as counted."""
    if rule.links == "fixed" and rule.mentions == "local":
        return _mastodon_text(text, rule)
    if rule.links == "fixed":
        return _replace(text, links(text, bare=rule.bare_links), lambda _: "x" * rule.url_cost)
    if rule.links == "short":
        return _replace(text, links(text, bare=rule.bare_links), short_link)
    return text


def _title(text: str) -> str:
    return text.split("\n", 1)[0]


def _description(text: str) -> str:
    return text.split("\n", 1)[1] if "\n" in text else ""


# --- the check --------------------------------------------------------------------------------------

def check(text: str, rule: NetworkRule, *, channel: str | None = None, first_comment: str = "") -> Count:
    """Count `text` for one network and list every rule it breaks, one line each.

    The first comment does not count toward the length, but its hashtags count toward the network's cap
    (Instagram counts the hashtags of a post and its first comment together).
    """
    problems: list[str] = []
    warnings: list[str] = []
    hints: list[str] = []
    extra: dict[str, Any] = {}
    unit = UNITS[rule.unit]
    shown = _displayed(text, rule) if rule.unit != "weighted" else text
    size = length(text, rule, shown=shown)
    if size > rule.limit:
        what = "the description" if rule.key == "youtube" else "the text"
        problems.append(f"{what} is {size} {unit}: {size - rule.limit} over {_owner(rule.name)} {rule.limit}")
    if rule.max_bytes is not None:
        size_bytes = len(shown.encode("utf-8"))
        extra["bytes"] = size_bytes
        if size_bytes > rule.max_bytes:
            problems.append(f"{size_bytes} UTF-8 bytes: {size_bytes - rule.max_bytes} over {_owner(rule.name)} "
                            f"{rule.max_bytes}")
    if rule.title_limit is not None:
        title = graphemes(_title(text))
        extra["title_length"] = title
        if title > rule.title_limit:
            problems.append(f"the title (first line) is {title} characters: {title - rule.title_limit} over "
                            f"{_owner(rule.name)} {rule.title_limit}")
        if not _title(text).strip():
            problems.append(f"the first line is {_owner(rule.name)} title: it is empty")
    tags = hashtags(f"{text}\n{first_comment}" if first_comment else text) if rule.max_hashtags is not None else []
    if rule.max_hashtags is not None and len(tags) > rule.max_hashtags:
        over = ", ".join("#" + t for t in tags[rule.max_hashtags:])
        where = " in the text and first comment" if first_comment else ""
        problems.append(f"{len(tags)} hashtags{where}: {rule.name} takes {rule.max_hashtags} (over: {over})")
    if rule.max_links is not None:
        count = len(links(text, bare=rule.bare_links))
        if count > rule.max_links:
            problems.append(f"{count} links: {rule.name} takes {rule.max_links}")
    bad = sorted(set(_chars(rule.forbidden).findall(text))) if rule.forbidden else []
    if bad:
        problems.append(f"{rule.name} refuses {' '.join(bad)} in the title and description")
    reserved = sorted(set(_chars(rule.reserved).findall(text))) if rule.reserved else []
    if reserved:
        verb = "are" if len(reserved) > 1 else "is"
        warnings.append(f"{' '.join(reserved)} {verb} reserved in {_owner(rule.name)} API text: posted through the "
                        "API unescaped, the post is cut at the first one")
    for at, where in rule.folds:
        if size > at:
            hints.append(f"folds behind \u201cSee more\u201d after about {at} characters on {where}: "
                         f"\u201c…{_words_before(text, at)}\u201d")
    return Count(channel or rule.key, rule.name, size, rule.limit, rule.unit, tuple(problems), tuple(warnings),
                 tuple(hints), extra)


def _owner(name: str) -> str:
    """"X's", "Threads'"."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _words_before(text: str, at: int) -> str:
    """The last few words a reader sees before a fold at `at` characters."""
    head = " ".join(text[:at].split())
    return head[-30:].lstrip()
