"""A Mastodon server's own post limit, read from its public `GET /api/v2/instance` with httpx.

`organizer channels refresh mastodon --server HOST` stores the answer as `[channel_limits] mastodon = N` in the
config (the comments and layout kept), so `check`, the editor and the board count against that server. The
request is bounded: 10 s, 1 MiB, 3 redirects, https only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from organizer.validate import InputError

MAX_BYTES = 1 << 20
TIMEOUT_S = 10.0
_HOST = re.compile(r"^[A-Za-z0-9.-]+(?::\d{1,5})?$")


class InstanceError(RuntimeError):
    """The server could not be asked, or did not answer as a Mastodon server does (exit 1)."""


@dataclass(frozen=True)
class Instance:
    """What a Mastodon server says about posts."""

    host: str
    max_characters: int
    characters_reserved_per_url: int


def check_host(host: str) -> str:
    """A server's host name as typed (`mastodon.social`, or a URL to one): the host, or a clear refusal."""
    text = host.strip().removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    if not text or not _HOST.match(text):
        raise InputError(f"--server {host!r}: give the server's host name, e.g. mastodon.social")
    return text.lower()


def fetch_instance(host: str, *, transport: Any = None) -> Instance:
    """Ask a server for its post limit (`configuration.statuses.max_characters`)."""
    import httpx

    name = check_host(host)
    url = f"https://{name}/api/v2/instance"
    try:
        with httpx.Client(follow_redirects=True, max_redirects=3, timeout=TIMEOUT_S, transport=transport) as client, \
                client.stream("GET", url, headers={"Accept": "application/json"}) as resp:
            if resp.status_code != 200:
                raise InstanceError(f"{url}: the server answered HTTP {resp.status_code}")
            body = bytearray()
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise InstanceError(f"{url}: the answer is larger than 1 MiB (stopped)")
    except httpx.HTTPError as exc:
        raise InstanceError(f"{url}: {type(exc).__name__}: {str(exc)[:120] or 'the request failed'}") from None
    try:
        statuses = json.loads(body)["configuration"]["statuses"]
        limit, per_url = int(statuses["max_characters"]), int(statuses.get("characters_reserved_per_url", 23))
    except (ValueError, KeyError, TypeError):
        raise InstanceError(f"{url}: not a Mastodon instance description "
                            "(no configuration.statuses.max_characters)") from None
    if not 1 <= limit <= 1_000_000 or not 0 <= per_url <= 1000:
        raise InstanceError(f"{url}: a post limit of {limit} is not believable")
    return Instance(name, limit, per_url)
