"""Post variants end to end through the CLI, on SQLite and PostgreSQL: derive, set, check a card, links with UTM
tags, undo and redo, export and import; and the UTM and brand-voice rules on their own."""

from __future__ import annotations

import json
from typing import Any

import pytest

from organizer.config import build_config
from organizer.posts.utm import Tags, tag, tags_for
from organizer.posts.voice import findings, profile

pytestmark = pytest.mark.backends

MASTER = ("Winter Blend is here ☕ roasted in Huila. Read https://northwind.coffee/blog/winter?ref=home "
          "#coffee #winterblend #huila #roasting #specialty #morning #northwind")


@pytest.fixture
def card(cli: Any) -> str:
    r = cli("add", "Launch post", "-c", "x,linkedin", "--campaign", "Winter Blend", "--post", MASTER)
    assert r.code == 0, r.err
    return r.out.strip()


def test_derive_drafts_a_variant_per_channel_and_check_counts_them(cli: Any, card: str) -> None:
    r = cli("derive", card, "-c", "x,bluesky,instagram,linkedin", "--hashtags-to-comment", "--json")
    assert r.code == 0, r.err
    assert [c["channel"] for c in json.loads(r.out)] == ["x", "bluesky", "instagram", "linkedin"]
    shown = json.loads(cli("show", card, "--json").out)
    assert shown["post"] == MASTER and shown["channels"] == ["x", "linkedin", "bluesky", "instagram"]
    instagram = next(v for v in shown["variants"] if v["channel"] == "instagram")
    assert "#" not in instagram["text"] and instagram["first_comment"].startswith("#coffee #winterblend")
    assert next(v for v in shown["variants"] if v["channel"] == "x")["text"] == MASTER
    assert cli("check", card).code == 0
    # Over X's limit: `check ID` exits 1 and names it; the variant is kept as written, never cut.
    assert cli("variant", card, "x", "--text", "a" * 300).code == 0
    r = cli("check", card, "--json")
    assert r.code == 1
    x = next(o for o in json.loads(r.out) if o["channel"] == "x")
    assert (x["length"], x["ok"]) == (300, False)
    assert json.loads(cli("show", card, "--json").out)["variants"][0]["text"] == "a" * 300


def test_instagram_keeps_five_hashtags_when_not_moved(cli: Any, card: str) -> None:
    assert cli("derive", card, "-c", "instagram").code == 0
    text = json.loads(cli("variant", card, "ig", "--json").out)["text"]
    assert text.count("#") == 5 and "#morning" not in text and "#northwind" not in text


def test_variant_fields_status_and_undo(cli: Any, card: str) -> None:
    assert cli("variant", card, "linkedin", "--text", "Long form.", "--status", "ready", "--publish",
               "2026-12-24 09:00", "--alt-text", "A cup on a table").code == 0
    v = json.loads(cli("variant", card, "LinkedIn", "--json").out)
    assert (v["text"], v["status"], v["alt_text"]) == ("Long form.", "ready", "A cup on a table")
    assert v["publish"].startswith("2026-12-24T09:00")
    assert cli("variant", card, "linkedin", "--status", "live").code == 2
    assert cli("variant", card, "myspace", "--text", "x").code == 2
    assert cli("undo").code == 0
    assert json.loads(cli("variant", card, "linkedin", "--json").out) == {"id": card, "removed": "linkedin"}
    assert cli("redo").code == 0
    assert json.loads(cli("variant", card, "linkedin", "--json").out)["status"] == "ready"
    assert cli("variant", card, "linkedin", "--rm").code == 0
    assert json.loads(cli("show", card, "--json").out)["variants"] == []
    assert cli("undo").code == 0 and len(json.loads(cli("show", card, "--json").out)["variants"]) == 1


def test_removing_a_card_and_undoing_brings_its_variants_back(cli: Any, card: str) -> None:
    assert cli("derive", card).code == 0
    before = json.loads(cli("show", card, "--json").out)["variants"]
    assert cli("rm", card).code == 0 and cli("undo").code == 0
    assert json.loads(cli("show", card, "--json").out)["variants"] == before


def test_export_and_import_keep_the_post_and_its_variants(cli: Any, card: str, tmp_path: Any) -> None:
    assert cli("derive", card, "--hashtags-to-comment").code == 0
    assert cli("variant", card, "x", "--status", "published", "--url", "https://x.com/northwind/status/1").code == 0
    before = json.loads(cli("show", card, "--json").out)
    for fmt in ("json", "csv"):
        out = tmp_path / f"all.{fmt}"
        assert cli("export", fmt, "-o", str(out)).code == 0
        r = cli("import", fmt, str(out), "--renumber")
        assert r.code == 0, r.err
        copy = json.loads(cli("list", "--json").out)[-1]
        assert (copy["post"], copy["variants"]) == (before["post"], before["variants"]), fmt


def test_links_are_tagged_per_channel(cli: Any, card: str) -> None:
    assert cli("derive", card).code == 0
    rows = json.loads(cli("links", card, "--json").out)
    assert [r["channel"] for r in rows] == ["x", "linkedin"]
    assert rows[0]["tagged"] == ("https://northwind.coffee/blog/winter?ref=home&utm_source=x&utm_medium=social"
                                 f"&utm_campaign=winter-blend&utm_content={card}")


@pytest.mark.sqlite_only
def test_utm_keeps_the_link_and_never_tags_twice() -> None:
    t = Tags("x", "social", "winter-blend", "NWC-1")
    assert tag("https://a.example/p?b=2&a=1#top", t) == \
        "https://a.example/p?b=2&a=1&utm_source=x&utm_medium=social&utm_campaign=winter-blend&utm_content=NWC-1#top"
    tagged = tag("https://a.example/p", t)
    assert tag(tagged, t) == tagged and tag("https://a.example/?UTM_source=mail", t).endswith("UTM_source=mail")
    assert tag("https://bücher.example/straße", t).startswith("https://bücher.example/straße?utm_source=x")
    assert tag("example.com/x", t) == "example.com/x?utm_source=x&utm_medium=social&utm_campaign=winter-blend" \
        "&utm_content=NWC-1"
    cfg = build_config({"timezone": "UTC", "utm": {"medium": "organic", "NWC": {"campaign": "q4-{channel}"}}})
    assert tags_for(cfg.utm, channel="x", board="NWC", card="NWC-1", campaign="Winter") == \
        Tags("x", "organic", "q4-x", "NWC-1")
    assert tags_for(cfg.utm, channel="x", board="CEO", card="CEO-1", campaign="Winter Blend").campaign == \
        "winter-blend"


@pytest.mark.sqlite_only
def test_brand_voice_names_the_rule() -> None:
    voice = profile({"emoji": "few", "banned": {"cheap": "affordable", "world-class": ""},
                     "required": {"instagram": ["#northwindcoffee"]},
                     "NWC": {"banned": {"synergy": ""}, "emoji": "none"}}, "NWC")
    found = findings("Our CHEAP, world-class cafe ☕ — synergy!", "instagram", voice)
    assert found == ["voice (banned): 'cheap': say 'affordable'", "voice (banned): 'world-class'",
                     "voice (banned): 'synergy'", "voice (required on instagram): '#northwindcoffee' is missing",
                     "voice (emoji none): 1 emoji"]
    assert findings("cheapest affordable", "x", voice) == []  # whole words only
    assert findings("Café Crème", "x", profile({"banned": {"cafe creme": ""}}, None)) == \
        ["voice (banned): 'cafe creme'"]  # accents folded


def test_check_applies_the_boards_voice(cli: Any, isolated_paths: Any) -> None:
    config = isolated_paths / "config.toml"
    config.write_text(config.read_text() + '\n[voice]\nbanned = { cheap = "affordable" }\n')
    r = cli("check", "A cheap coffee", "-c", "x", "--json")
    assert r.code == 1 and "voice (banned): 'cheap': say 'affordable'" in json.loads(r.out)[0]["problems"]
