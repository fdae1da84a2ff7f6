"""`organizer check`: exit codes like a linter, the JSON porcelain, standard input, bad usage (exit 2)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

POST = "Winter Blend is here ☕ roasted in Huila. https://northwind.coffee/winter-blend?ref=home #coffee"


def test_a_text_that_fits_everywhere_exits_0(cli: Any) -> None:
    r = cli("check", POST, "-c", "x", "-c", "bluesky", "--channel", "Mastodon", "-c", "LI,IG")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert [line.split()[0] for line in lines if not line.startswith(" ")] == \
        ["X", "Bluesky", "Mastodon", "LinkedIn", "Instagram"]
    assert "/280 weighted characters  ok" in lines[0]


def test_the_json_porcelain_has_one_object_per_channel(cli: Any) -> None:
    r = cli("check", POST + " " + "x" * 300, "-c", "x,bluesky", "--json")
    assert r.code == 1
    out = json.loads(r.out)
    assert [o["channel"] for o in out] == ["x", "bluesky"]
    for o in out:
        assert {"channel", "length", "limit", "unit", "remaining", "ok", "problems"} <= set(o)
        assert o["remaining"] == o["limit"] - o["length"] and o["ok"] is False and o["problems"]
    assert out[0]["unit"] == "weighted" and out[1]["unit"] == "graphemes" and "bytes" in out[1]


def test_standard_input_and_a_trailing_newline(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(("a" * 280 + "\n").encode())))
    r = cli("check", "-", "-c", "x", "--json")
    assert r.code == 0 and json.loads(r.out)[0]["length"] == 280


@pytest.mark.parametrize(("args", "message"), [
    (["check", "hi"], "needs at least one --channel"),
    (["check", "hi", "-c", "myspace"], "--channel 'myspace': use one of x, bluesky"),
])
def test_bad_usage_exits_2_and_says_what_is_accepted(cli: Any, args: list[str], message: str) -> None:
    r = cli(*args)
    assert r.code == 2 and message in r.err and r.out == ""


def test_standard_input_that_is_not_utf8_is_refused(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"caf\xe9")))
    r = cli("check", "-", "-c", "x")
    assert r.code == 2 and "not UTF-8" in r.err


def test_a_servers_own_limit_comes_from_the_config(cli: Any, isolated_paths: Any) -> None:
    config = isolated_paths / "config.toml"
    config.write_text(config.read_text() + "\n[channel_limits]\nmastodon = 1000\n")
    r = cli("check", "a" * 800, "-c", "mastodon", "--json")
    assert r.code == 0 and json.loads(r.out)[0]["limit"] == 1000
    config.write_text(config.read_text().replace("mastodon = 1000", "mastodon = \"lots\""))
    r = cli("check", "a", "-c", "mastodon")
    assert r.code == 2 and "channel_limits" in r.err
