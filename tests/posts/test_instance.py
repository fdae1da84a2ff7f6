"""A Mastodon server's own limit: `organizer channels refresh mastodon --server HOST` (httpx, mocked transport)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from organizer.posts import instance
from organizer.posts.instance import InstanceError, fetch_instance


def _server(status: int = 200, body: Any = None) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v2/instance"
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=content)

    return httpx.MockTransport(answer)


GOOD = {"configuration": {"statuses": {"max_characters": 1000, "characters_reserved_per_url": 23}}}


def test_a_servers_limit_is_read() -> None:
    found = fetch_instance("https://Fosstodon.org/about", transport=_server(body=GOOD))
    assert (found.host, found.max_characters, found.characters_reserved_per_url) == ("fosstodon.org", 1000, 23)


@pytest.mark.parametrize(("status", "body", "message"), [
    (404, {}, "HTTP 404"),
    (200, {"version": "4.3"}, "not a Mastodon instance description"),
    (200, {"configuration": {"statuses": {"max_characters": -5}}}, "not believable"),
    (200, b"<html>", "not a Mastodon instance description"),
    (200, b"x" * (2 << 20), "larger than 1 MiB"),
])
def test_a_bad_answer_is_named(status: int, body: Any, message: str) -> None:
    with pytest.raises(InstanceError, match=message):
        fetch_instance("example.social", transport=_server(status, body))


def test_the_cli_saves_the_limit_in_the_config_keeping_its_comments(cli: Any, isolated_paths: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real = instance.fetch_instance
    monkeypatch.setattr(instance, "fetch_instance", lambda host: real(host, transport=_server(body=GOOD)))
    config = isolated_paths / "config.toml"
    config.write_text(config.read_text() + "# my comment\n")
    r = cli("channels", "refresh", "mastodon", "--server", "fosstodon.org")
    assert r.code == 0 and "1000 characters" in r.out, r.err
    assert "# my comment" in config.read_text() and "mastodon = 1000" in config.read_text()
    assert json.loads(cli("check", "a" * 900, "-c", "mastodon", "--json").out)[0]["ok"] is True
    listed = {row["channel"]: row for row in json.loads(cli("channels", "--json").out)}
    assert listed["mastodon"]["limit"] == 1000 and listed["mastodon"]["own_limit"] is True
    assert cli("channels", "refresh", "x", "--server", "x.com").code == 2
