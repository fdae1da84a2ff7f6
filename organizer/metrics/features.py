"""What a post was, as the report compares posts: emoji, length, link, video, hashtags, each sorted into levels.

Counted the way the app counts a post everywhere else (`organizer.posts.count`): emoji and length in grapheme
clusters, links as the network links them, hashtags once each. Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from organizer.posts import count
from organizer.posts.rules import rules

__all__ = ["DEFAULT_BANDS", "FEATURES", "LENGTH_BANDS", "VIDEO_CHANNELS", "VIDEO_TAGS", "Feature", "PostFeatures",
           "emoji_count", "features", "length_band"]

# Card tags that say a post is a video (the demo tags them `video`; Instagram's are reels).
VIDEO_TAGS = frozenset({"video", "videos", "reel", "reels"})
# Networks where every post is a video, whatever the card's tags say.
VIDEO_CHANNELS = frozenset({"youtube", "tiktok"})

# Length bands in graphemes: short below the first bound, long from the second. One set of bounds for every
# network would make each X post "short or medium" and each long-form LinkedIn post "long", so the length
# effect would only echo the channel effect; the networks capped near 300 get bounds that fit inside their cap.
DEFAULT_BANDS = (100, 300)
LENGTH_BANDS = {"x": (100, 200), "bluesky": (100, 200)}


@dataclass(frozen=True)
class PostFeatures:
    """What a post's text and format were: the variables the report sets against engagement."""

    emoji: int  # emoji sequences (a family or a flag is one)
    length: int  # grapheme clusters, links as written
    has_link: bool
    has_video: bool
    hashtags: int  # distinct hashtags, case-insensitively


def features(text: str, channel: str, tags: Iterable[str] = ()) -> PostFeatures:
    """A post's features from its text, its channel and its card's tags."""
    emoji, length, has_link, hashtags = _text_features(text, channel)
    video = channel in VIDEO_CHANNELS or any(t.casefold() in VIDEO_TAGS for t in tags)
    return PostFeatures(emoji=emoji, length=length, has_link=has_link, has_video=video, hashtags=hashtags)


@lru_cache(maxsize=1 << 15)
def _text_features(text: str, channel: str) -> tuple[int, int, bool, int]:
    """(emoji, graphemes, has a link, hashtags) of a text on a channel. Cached: the Analytics screen reads the
    same few thousand posts each time it is shown, and counting them is most of a report's cost."""
    rule = rules().get(channel)
    # A bare `example.com` is a link only where the network turns it into one (data/networks.toml).
    bare = rule.bare_links if rule is not None else False
    has_link = ("://" in text or (bare and "." in text)) and bool(count.links(text, bare=bare))
    length, emoji = count.graphemes_and_emoji(text)
    return emoji, length, has_link, len(count.hashtags(text)) if "#" in text or "＃" in text else 0


def emoji_count(text: str) -> int:
    """Emoji in a text, each sequence once (the pattern `organizer check` weighs emoji with)."""
    return count.graphemes_and_emoji(text)[1]


def length_band(length: int, channel: str) -> str:
    """short, medium or long for this channel (see LENGTH_BANDS)."""
    short_below, long_from = LENGTH_BANDS.get(channel, DEFAULT_BANDS)
    return "short" if length < short_below else "medium" if length < long_from else "long"


def _emoji_level(n: int) -> str:
    return "0" if n == 0 else "1" if n == 1 else "2–3" if n <= 3 else "4+"


def _hashtag_level(n: int) -> str:
    return "0" if n == 0 else "1–2" if n <= 2 else "3+"


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


@dataclass(frozen=True)
class Feature:
    """One variable of the feature table: its key, its levels in order, and how a post falls into one."""

    key: str
    levels: tuple[str, ...]
    level: Callable[[PostFeatures, str], str]  # (features, channel) → one of `levels`


# In the order reports show them; every level is listed even without posts, so a table keeps its shape.
FEATURES = (
    Feature("emoji", ("0", "1", "2–3", "4+"), lambda f, _: _emoji_level(f.emoji)),
    Feature("length", ("short", "medium", "long"), lambda f, channel: length_band(f.length, channel)),
    Feature("link", ("no", "yes"), lambda f, _: _yes_no(f.has_link)),
    Feature("video", ("no", "yes"), lambda f, _: _yes_no(f.has_video)),
    Feature("hashtags", ("0", "1–2", "3+"), lambda f, _: _hashtag_level(f.hashtags)),
)
