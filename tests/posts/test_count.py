"""Counting as each network counts (organizer.posts.count): conformance cases per network, the twitter-text
package as the oracle for X, and properties (appending never shortens; a link's cost does not depend on its length).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from organizer.posts.count import (
    check,
    graphemes,
    graphemes_and_emoji,
    hashtags,
    length,
    links,
    short_link,
    weighted_length,
)
from organizer.posts.rules import rules

R = rules()

# Text pieces a social media manager writes: words, accents (composed and not), CJK, RTL, emoji of every
# kind (ZWJ families, skin tones, flags, keycaps, text-style symbols), hashtags, mentions, links.
PIECES = ["Hello", "world", " ", " ", "\n", ",", ".", "!", "café", "cafe\u0301", "naïve", "Ωmega", "你好",
          "こんにちは", "안녕", "مرحبا", "שלום", "हिन्दी", "👍", "👍🏽", "👩‍👩‍👧", "🇫🇷", "1️⃣", "©", "™", "❤️", "❤",
          "🙂", "#launch", "#café", "@northwind", "@anna@mastodon.social", "https://example.com",
          "https://example.com/a/very/long/path/that/goes/on?utm_source=x#frag", "example.com", "www.example.org/x",
          "main.py", "node.js", "http://a.b", "t.co/abc", "https://bücher.de/seite", "—", "…", "“quoted”", "(see)"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map(" ".join))
def test_x_length_is_twitter_texts_weighted_length(text: str) -> None:
    assert weighted_length(text, R["x"]) == parse_tweet(text).weightedLength


@pytest.mark.parametrize(("text", "expected"), [
    ("a" * 280, 280), ("a" * 281, 281), ("你好", 4), ("👩‍👩‍👧", 2), ("👍🏽", 2), ("🇫🇷", 2), ("1️⃣", 2), ("©", 2),
    ("cafe\u0301", 4), ("https://example.com/" + "x" * 200, 23), ("main.py", 23), ("node.js", 7), ("http://a.b", 10),
])
def test_x_conformance(text: str, expected: int) -> None:
    assert weighted_length(text, R["x"]) == expected == parse_tweet(text).weightedLength


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map(" ".join), st.sampled_from(PIECES))
def test_appending_never_shortens_a_text_anywhere(text: str, more: str) -> None:
    for rule in R.values():
        before = length(text, rule)
        # A piece glued to a link can lengthen the link, which costs the same on X and Mastodon: never less.
        assert length(text + " " + more, rule) >= before, rule.key


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/", min_size=1, max_size=300))
def test_a_links_cost_on_x_and_mastodon_does_not_depend_on_its_length(path: str) -> None:
    text = f"Read this https://example.com/{path} today"
    assert weighted_length(text, R["x"]) == weighted_length("Read this https://example.com/ today", R["x"])
    assert length(text, R["mastodon"]) == length("Read this https://example.com/ today", R["mastodon"])


def test_mastodon_counts_links_23_and_remote_mentions_as_local() -> None:
    m = R["mastodon"]
    assert length("https://example.com/" + "a" * 300, m) == 23
    assert length("@anna@mastodon.social hi", m) == len("@anna hi")
    assert length("example.com", m) == len("example.com")  # no scheme: not a link on Mastodon
    assert length("👩‍👩‍👧 café", m) == 6
    assert check("x" * 500, m).ok and not check("x" * 501, m).ok
    assert check("x" * 600, m.with_limit(1000)).ok  # a server with a higher limit


def test_bluesky_counts_graphemes_and_bytes_with_links_as_displayed() -> None:
    b = R["bluesky"]
    link = "https://example.com/articles/2026/winter-blend?ref=home"
    assert short_link(links(link, bare=True)[0]) == "example.com/articles/202..."
    assert length(link, b) == len("example.com/articles/202...")
    assert length("https://example.com/short", b) == len("example.com/short")
    assert length("👩‍👩‍👧🇫🇷", b) == 2
    assert check("a" * 300, b).ok and not check("a" * 301, b).ok
    heavy = check("👩‍👩‍👧" * 200, b)  # 200 graphemes, 18 bytes each: under 300, over 3,000 bytes
    assert heavy.length == 200 and heavy.extra["bytes"] == 3600
    assert not heavy.ok and any("UTF-8 bytes" in p for p in heavy.problems)
    tags = check(" ".join(f"#t{i}" for i in range(9)), b)
    assert any("9 hashtags" in p for p in tags.problems)


def test_threads_counts_emoji_as_bytes_and_takes_five_links() -> None:
    t = R["threads"]
    assert length("🙂", t) == 4 and length("👩‍👩‍👧", t) == 18 and length("abc", t) == 3
    five = " ".join(f"https://e{i}.com" for i in range(5))
    assert check(five, t).ok
    assert any("6 links" in p for p in check(five + " https://six.com", t).problems)


def test_linkedin_instagram_facebook_tiktok_count_utf16_units() -> None:
    for key in ("linkedin", "instagram", "facebook", "tiktok"):
        assert length("🙂a", R[key]) == 3  # a surrogate pair and a letter
        assert length("é", R[key]) == 1
    assert check("a" * 3000, R["linkedin"]).ok and not check("a" * 3001, R["linkedin"]).ok
    assert check("a" * 2200, R["tiktok"]).ok and not check("a" * 2201, R["tiktok"]).ok


def test_linkedin_warns_of_reserved_characters_without_refusing() -> None:
    c = check("Join us (Tuesday) #coffee", R["linkedin"])
    assert c.ok and c.warnings and "# ( )" in c.warnings[0]
    assert any(p.startswith("warning: ") for p in c.as_json()["problems"])


def test_instagram_takes_five_hashtags_and_names_the_extra_ones() -> None:
    c = check("Fresh #coffee #winter #blend #roast #beans #huila #Coffee", R["instagram"])
    assert hashtags("#coffee #Coffee #café") == ["coffee", "café"]
    assert c.problems == ("6 hashtags: Instagram takes 5 (over: #huila)",)


def test_facebook_shows_where_the_text_folds() -> None:
    c = check("word " * 200, R["facebook"])
    assert c.ok and [h.split(" after")[0] for h in c.hints] == ["folds behind “See more”"] * 2
    assert check("short", R["facebook"]).hints == ()


def test_youtube_title_is_the_first_line_and_the_description_counts_bytes() -> None:
    y = R["youtube"]
    ok = check("Roasting the Winter Blend\n" + "é" * 2500, y)  # 2,500 characters, 5,000 bytes
    assert ok.ok and ok.length == 5000 and ok.extra["title_length"] == 25
    over = check("T" * 101 + "\n" + "é" * 2501 + " <b>", y)
    assert len(over.problems) == 3 and "refuses < >" in over.problems[2]


def test_graphemes_are_what_a_reader_sees() -> None:
    assert graphemes("cafe\u0301") == graphemes("café") == 4
    assert graphemes("👩‍👩‍👧👍🏽🇫🇷1️⃣") == 4
    assert graphemes("हिन्दी") == 2  # Unicode 15.1 keeps a conjunct (न्द) in one cluster: "हि" "न्दी"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*PIECES, "\r\n", "\r", "e", "\u0301", "\u200d", "a\u0308"]), max_size=40)
       .map("".join))
def test_the_ascii_fast_path_counts_the_clusters_regex_counts(text: str) -> None:
    import regex

    assert graphemes(text) == len(regex.findall(r"\X", text))
    from organizer.posts.count import _EMOJI

    assert graphemes_and_emoji(text) == (graphemes(text), len(_EMOJI.findall(text)))


def test_instagram_counts_the_first_comments_hashtags_toward_the_cap() -> None:
    c = check("Fresh beans #coffee #beans", R["instagram"], first_comment="#a #b #c #d")
    assert c.problems == ("6 hashtags in the text and first comment: Instagram takes 5 (over: #d)",)
    assert c.length == len("Fresh beans #coffee #beans")  # the comment is not part of the caption's length


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
       | st.lists(st.sampled_from(["e", "\u0301", "\u200d", "👩", "🏽", "\ufe0f", "🇫", "🇷", "\u1100", "\u1161",
                                   "\u11a8", "가", "\r", "\n", "क", "\u094d", "ष", "\u0600", "1", "\u20e3", "#"]),
                  max_size=12).map("".join))
def test_graphemes_fast_path_agrees_with_the_full_segmentation(text: str) -> None:
    """The shortcut (no joining character: one cluster a code point) never changes the count `\\X` gives."""
    import regex

    assert graphemes(text) == len(regex.findall(r"\X", text))
    from organizer.posts.count import _EMOJI

    assert graphemes_and_emoji(text) == (graphemes(text), len(_EMOJI.findall(text)))
