"""The filter language (organizer.filterlang): each term, each error, and the board's `visible()` reading it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from organizer import filterlang
from organizer.boardview import CardRow, View, filter_error, visible
from organizer.config import Config, build_config
from organizer.filterlang import FilterError, parse

PARIS = ZoneInfo("Europe/Paris")
# Wednesday 2 December 2026, 10:00 in Paris.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)


@pytest.fixture
def conf() -> Config:
    """A config in Europe/Paris with the shipped roles and channels."""
    return build_config({"timezone": "Europe/Paris"})


def card(ref: str = "NWC-1", title: str = "A card", *, notes: str = "", tags: tuple[str, ...] = (),
         role: str | None = None, priority: int = 3, due: datetime | None = None, done: bool = False,
         popup: bool = False, channels: tuple[str, ...] = (), campaign: str | None = None,
         pillar: str | None = None) -> CardRow:
    """A board card with the given fields, its haystack built as the board builds it."""
    return CardRow(1, ref, title, role, channels, tags, due, None, None, 0, priority, popup, None, None, campaign,
                   pillar, 1.0, done, filterlang.haystack(ref, title, notes, tags, campaign, pillar))


def hits(text: str, conf: Config, *cards: CardRow) -> list[str]:
    """The titles of the cards a filter lets through."""
    flt = parse(text, conf, now=NOW)
    return [c.title for c in cards if flt.match(c)]


def test_empty_filter_lets_everything_through(conf: Config) -> None:
    flt = parse("   ", conf, now=NOW)
    assert flt.empty and flt.match(card())


def test_free_words_search_id_title_notes_tags_campaign_and_pillar(conf: Config) -> None:
    cards = [card("NWC-7", "Reel"), card("NWC-2", "Post", notes="Shot at the ROASTER"), card(tags=("Launch",)),
             card(title="x", campaign="Winter Blend"), card(title="y", pillar="Education")]
    assert [c.ref for c in cards if parse("nwc-7", conf, now=NOW).match(c)] == ["NWC-7"]
    assert hits("roaster", conf, *cards) == ["Post"]
    assert hits("LAUNCH", conf, *cards) == ["A card"]
    assert hits("winter", conf, *cards) == ["x"]
    assert hits("educ", conf, *cards) == ["y"]


def test_words_combine_with_and_and_quotes_make_a_phrase(conf: Config) -> None:
    a, b = card(title="Winter launch post"), card(title="Launch of the winter menu")
    assert hits("winter launch", conf, a, b) == [a.title, b.title]
    assert hits('"winter launch"', conf, a, b) == [a.title]
    assert hits('"due:today"', conf, card(title="what due:today means")) == ["what due:today means"]


def test_a_phrase_does_not_run_across_fields(conf: Config) -> None:
    assert hits('"post launch"', conf, card(title="Post", tags=("launch",))) == []


def test_tag(conf: Config) -> None:
    a, b = card(title="a", tags=("Video", "launch")), card(title="b", tags=("videos",))
    assert hits("#video", conf, a, b) == ["a"]
    assert hits("#video #launch", conf, a, b) == ["a"]


def test_role_by_key_or_name(conf: Config) -> None:
    a, b = card(title="a", role="writer"), card(title="b", role="producer")
    assert hits("@writer", conf, a, b) == ["a"]
    assert hits("@Producer", conf, a, b) == ["b"]


def test_priority(conf: Config) -> None:
    cards = [card(title=str(p), priority=p) for p in (1, 2, 3, 4)]
    for p in (1, 2, 3, 4):
        assert hits(f"!{p}", conf, *cards) == [str(p)]


def test_due_words(conf: Config) -> None:
    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 12, day, hour, minute, tzinfo=PARIS)

    cards = [card(title="past", due=at(1, 9)), card(title="done past", due=at(1, 9), done=True),
             card(title="today", due=at(2, 23, 59)), card(title="tomorrow", due=at(3, 8)),
             card(title="sunday", due=at(6, 23, 59)), card(title="monday", due=at(7, 0)), card(title="none")]
    assert hits("due:today", conf, *cards) == ["past", "done past", "today"]
    assert hits("due:tomorrow", conf, *cards) == ["past", "done past", "today", "tomorrow"]
    assert hits("due:week", conf, *cards) == ["past", "done past", "today", "tomorrow", "sunday"]
    assert hits("due:overdue", conf, *cards) == ["past"]
    assert hits("due:TODAY", conf, *cards) == hits("due:today", conf, *cards)


def test_due_phrase_is_at_or_before_its_moment(conf: Config) -> None:
    # `fri` is Friday 4 December at the end of the working day (17:30).
    fri = datetime(2026, 12, 4, 17, 30, tzinfo=PARIS)
    cards = [card(title="on time", due=fri), card(title="a minute late", due=fri.replace(minute=31))]
    assert hits("due:fri", conf, *cards) == ["on time"]
    assert hits('due:"fri 17:31"', conf, *cards) == ["on time", "a minute late"]
    assert hits("due:2026-12-04", conf, *cards) == ["on time"]


def test_due_uses_the_configured_zone() -> None:
    tokyo = build_config({"timezone": "Asia/Tokyo"})
    # 10:00 Paris is 18:00 in Tokyo; Tokyo's day ends at 15:00 UTC.
    late_paris = card(due=datetime(2026, 12, 2, 16, 0, tzinfo=UTC))
    assert not parse("due:today", tokyo, now=NOW).match(late_paris)
    assert parse("due:today", build_config({"timezone": "Europe/Paris"}), now=NOW).match(late_paris)


def test_pillar_and_campaign_contain_the_value(conf: Config) -> None:
    a = card(title="a", campaign="Winter Blend launch", pillar="Education")
    b = card(title="b", campaign="Open Roastery", pillar=None)
    assert hits("pillar:educ", conf, a, b) == ["a"]
    assert hits('campaign:"blend launch"', conf, a, b) == ["a"]
    assert hits("campaign:roastery", conf, a, b) == ["b"]


def test_channel_by_key_name_or_code(conf: Config) -> None:
    a, b = card(title="a", channels=("instagram", "tiktok")), card(title="b", channels=("linkedin",))
    assert hits("channel:instagram", conf, a, b) == ["a"]
    code = next(c.code for c in conf.channels if c.key == "linkedin")
    assert hits(f"channel:{code.lower()}", conf, a, b) == ["b"]
    name = next(c.name for c in conf.channels if c.key == "tiktok")
    assert hits(f'channel:"{name}"', conf, a, b) == ["a"]


def test_is_popup(conf: Config) -> None:
    assert hits("is:popup", conf, card(title="a", popup=True), card(title="b")) == ["a"]
    assert hits("IS:POPUP", conf, card(title="a", popup=True), card(title="b")) == ["a"]


def test_everything_together(conf: Config) -> None:
    good = card(title="Reel script", tags=("video",), role="writer", priority=1, popup=True,
                due=datetime(2026, 12, 2, 16, tzinfo=PARIS), channels=("instagram",), campaign="Winter")
    assert hits("reel #video @writer !1 due:today channel:instagram is:popup campaign:winter", conf, good)
    assert not hits("reel #video @writer !2", conf, good)


@pytest.mark.parametrize(("text", "message"), [
    ("!7", "'!7': priority is 1 to 4"),
    ("!", "'!': priority is 1 to 4"),
    ("!x", "'!x': priority is 1 to 4"),
    ("@nobody", "'@nobody': unknown role; roles: strategist, writer, producer, planner, community, analyst"),
    ("@", "'@': give a role after @"),
    ("#", "'#': give a tag after #"),
    ("foo:bar", "'foo:bar': unknown field 'foo'; fields: due, pillar, campaign, channel, is"),
    ("due:blah", "'due:blah': can't read date 'blah'"),
    ("due:0226-01-15", "'due:0226-01-15': '0226-01-15' is 0226-01-15, outside the accepted range"),
    ("due:", "'due:': give a value after due:"),
    ("channel:myspace", "'channel:myspace': unknown channel; channels: x, linkedin,"),
    ("is:done", "'is:done': unknown state; is: popup"),
    ('"winter launch', "'\"winter launch': the quote is not closed"),
])
def test_errors_name_the_term_why_and_what_is_accepted(conf: Config, text: str, message: str) -> None:
    with pytest.raises(FilterError) as err:
        parse(f"launch {text}", conf, now=NOW)
    assert str(err.value).startswith(message)
    assert filter_error(f"launch {text}", conf, now=NOW) == str(err.value)


def test_filter_error_is_none_for_a_good_filter(conf: Config) -> None:
    assert filter_error('launch #video @writer !1 due:week campaign:"a b"', conf, now=NOW) is None
    assert filter_error("", conf, now=NOW) is None


def test_lenient_parse_leaves_bad_terms_out(conf: Config) -> None:
    flt = parse("reel due:tom", conf, now=NOW, lenient=True)
    assert [t.kind for t in flt.terms] == ["word"]
    assert flt.errors and flt.errors[0].startswith("'due:tom'")
    # An open quote, while typing, searches for what is typed so far.
    assert parse('"winter la', conf, now=NOW, lenient=True).match(card(title="Winter launch"))


def test_visible_reads_the_language_and_combines_with_roles_and_channel(conf: Config) -> None:
    a = card(title="a", role="writer", priority=1, channels=("x",))
    b = card(title="b", role="producer", priority=1, channels=("x",))
    c = card(title="c", role="writer", priority=2, channels=("linkedin",))
    assert visible([a, b, c], View(text="!1"), cfg=conf, now=NOW) == [a, b]
    assert visible([a, b, c], View(text="!1", roles=frozenset({"writer"})), cfg=conf, now=NOW) == [a]
    assert visible([a, b, c], View(text="@writer", channel="linkedin"), cfg=conf, now=NOW) == [c]
    # A half-typed term does not blank the board.
    assert visible([a, b, c], View(text="!1 due:tom"), cfg=conf, now=NOW) == [a, b]


def test_visible_reads_roles_from_the_config_it_is_given(isolated_paths: object) -> None:
    from organizer import paths
    from organizer.config import load_config

    a, b = card(title="a", role="photographer"), card(title="b", role="writer")
    assert visible([a, b], View(text="@writer"), cfg=load_config(paths.config_file())) == [b]
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text('[roles.photographer]\nname = "Photographer"\n')
    users = load_config(paths.config_file())
    assert visible([a, b], View(text="@photographer"), cfg=users) == [a]
    assert filter_error("@photographer", users) is None


def test_no_textual_and_no_sqlalchemy() -> None:
    import subprocess
    import sys

    code = ("import sys, organizer.filterlang, organizer.boardview; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'sqlalchemy', 'rich')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
