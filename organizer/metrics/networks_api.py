"""Mastodon's and Bluesky's public APIs as `organizer metrics fetch` reads them: post links, endpoints, answers.

Pure functions, no I/O (organizer.metrics.fetch does the requests):

- Post links → what to ask. Mastodon: `https://SERVER/@user/ID` (also `@user@remote`, a remote post as SERVER
  shows it) and `https://SERVER/users/user/statuses/ID` → `GET https://SERVER/api/v1/statuses/ID`, on the post's
  home server (the only one that can be asked for its numbers without a key). Bluesky:
  `https://bsky.app/profile/HANDLE_OR_DID/post/RKEY` and `at://HANDLE_OR_DID/app.bsky.feed.post/RKEY` → a handle
  is resolved to a DID (`com.atproto.identity.resolveHandle`), then `app.bsky.feed.getPosts` reads up to 25
  `at://DID/app.bsky.feed.post/RKEY` URIs a call.
- Answers → counts (`METRICS` names): Mastodon `favourites_count`, `reblogs_count`, `replies_count` and, on
  servers new enough to give it, `quotes_count`; Bluesky `likeCount`, `repostCount`, `replyCount`, `quoteCount`,
  `bookmarkCount`. A network that does not give a number leaves it out (None: not known), never 0.
- Rate-limit headers → how long to wait: `Retry-After` (seconds or an HTTP date), Mastodon's
  `X-RateLimit-Remaining` / `X-RateLimit-Reset` (an ISO 8601 time) and Bluesky's `RateLimit-Remaining` /
  `RateLimit-Reset` (Unix seconds; a small number is read as seconds from now, as the IETF draft has it).
- Refusals (404/410: deleted or not public; 401/403: the server wants a login; others with the API's own
  message) and unreachable hosts → one printable line each (`short` strips control characters).

Where the requests go can be overridden, for tests and the benchmark's local fake server:

- `ORGANIZER_BLUESKY_API=http://127.0.0.1:PORT` replaces `https://public.api.bsky.app` (both XRPC calls);
- `ORGANIZER_MASTODON_API_OVERRIDE=http://127.0.0.1:PORT` is asked instead of every Mastodon server (the
  path stays `/api/v1/statuses/ID`; the server the post lives on is sent as `X-Organizer-Mastodon-Server`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from organizer.validate import clean_text

__all__ = [
    "BLUESKY_API",
    "GETPOSTS_BATCH",
    "BlueskyPost",
    "MastodonStatus",
    "ResponseError",
    "bluesky_base",
    "bluesky_counts",
    "is_did",
    "mastodon_counts",
    "mastodon_url",
    "parse_bluesky",
    "parse_mastodon",
    "rate_limit_wait",
    "retry_after",
    "short",
]

BLUESKY_API = "https://public.api.bsky.app"
BLUESKY_ENV = "ORGANIZER_BLUESKY_API"
MASTODON_ENV = "ORGANIZER_MASTODON_API_OVERRIDE"
SERVER_HEADER = "X-Organizer-Mastodon-Server"
GETPOSTS_BATCH = 25  # app.bsky.feed.getPosts takes at most 25 URIs a call
_POST_COLLECTION = "app.bsky.feed.post"

# A host name (IDNA already applied by whoever typed it: punycode is letters, digits and hyphens), with a port.
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$")
_MASTODON_PATHS = (
    re.compile(r"^/@[A-Za-z0-9_.-]+(?:@[A-Za-z0-9.-]+)?/(\d{1,30})/?$"),
    re.compile(r"^/users/[A-Za-z0-9_.-]+/statuses/(\d{1,30})/?$"),
)
# atproto syntax: a handle is a domain name; a DID is did:METHOD:ID; a record key is 1-512 of these characters.
_HANDLE = re.compile(r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
_DID = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]{1,2000}$")
_RKEY = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")
_BSKY_HOSTS = ("bsky.app", "www.bsky.app")
_MASTODON_COUNTS = (("likes", "favourites_count"), ("reposts", "reblogs_count"), ("replies", "replies_count"),
                    ("quotes", "quotes_count"))
_BLUESKY_COUNTS = (("likes", "likeCount"), ("reposts", "repostCount"), ("replies", "replyCount"),
                   ("quotes", "quoteCount"), ("bookmarks", "bookmarkCount"))


class ResponseError(ValueError):
    """An answer that is not what the API gives (not JSON, not a status, a count that is not a count)."""


@dataclass(frozen=True)
class MastodonStatus:
    """A status on its home server."""

    server: str  # host[:port], lower case
    status_id: str


@dataclass(frozen=True)
class BlueskyPost:
    """A post by an account, named by handle or DID (a handle needs resolving before getPosts)."""

    actor: str  # a handle (lower case) or a DID
    rkey: str

    @property
    def needs_resolving(self) -> bool:
        """True for a handle: getPosts is asked with the DID, which never changes."""
        return not self.actor.startswith("did:")

    def uri(self, did: str | None = None) -> str:
        """The post's at:// URI, with `did` in place of the handle when given."""
        return f"at://{did or self.actor}/{_POST_COLLECTION}/{self.rkey}"


def short(text: object, limit: int = 160) -> str:
    """Text from a response or the database, safe to print on one line (no control characters), shortened."""
    flat = " ".join(clean_text(str(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def is_did(text: str) -> bool:
    """True for an atproto DID (did:plc:…, did:web:…), as resolveHandle answers."""
    return bool(_DID.match(text))


def parse_mastodon(url: str) -> MastodonStatus | None:
    """A Mastodon status link → its server and status ID; None when the link is not one."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.netloc.rsplit("@", 1)[-1]).lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or len(host) > 260 or not _HOST.match(host):
        return None
    path = unquote(parts.path)
    for pattern in _MASTODON_PATHS:
        m = pattern.match(path)
        if m:
            return MastodonStatus(host, m.group(1))
    return None


def parse_bluesky(url: str) -> BlueskyPost | None:
    """A Bluesky post link (bsky.app or at://) → its author (handle or DID) and record key; None otherwise."""
    text = url.strip()
    if text.lower().startswith("at://"):
        segments = text[5:].split("?", 1)[0].split("#", 1)[0].rstrip("/").split("/")
        if len(segments) != 3 or segments[1] != _POST_COLLECTION:
            return None
        actor, rkey = segments[0], segments[2]
    else:
        try:
            parts = urlsplit(text)
        except ValueError:
            return None
        if parts.scheme.lower() not in ("http", "https") or parts.netloc.lower() not in _BSKY_HOSTS:
            return None
        segments = unquote(parts.path).rstrip("/").split("/")
        if len(segments) != 5 or segments[0] != "" or segments[1] != "profile" or segments[3] != "post":
            return None
        actor, rkey = segments[2], segments[4]
    if _DID.match(actor):
        return BlueskyPost(actor, rkey) if _RKEY.match(rkey) else None
    actor = actor.removeprefix("@").lower()
    if not _HANDLE.match(actor) or not _RKEY.match(rkey):
        return None
    return BlueskyPost(actor, rkey)


def mastodon_url(status: MastodonStatus, env: Mapping[str, str] | None = None) -> tuple[str, dict[str, str]]:
    """The URL to GET for a status and the extra headers (the server's name, when an override answers instead)."""
    override = (env if env is not None else os.environ).get(MASTODON_ENV, "").strip().rstrip("/")
    if override:
        return f"{override}/api/v1/statuses/{status.status_id}", {SERVER_HEADER: status.server}
    return f"https://{status.server}/api/v1/statuses/{status.status_id}", {}


def bluesky_base(env: Mapping[str, str] | None = None) -> str:
    """The Bluesky AppView to ask (`ORGANIZER_BLUESKY_API`, else the public one), without a trailing slash."""
    return ((env if env is not None else os.environ).get(BLUESKY_ENV, "").strip() or BLUESKY_API).rstrip("/")


def _count(data: Mapping[str, Any], key: str, what: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if type(value) is not int or value < 0:  # bool is an int subclass: refused by the exact type check
        raise ResponseError(f"{what} {key} is {short(value, 40)!r}, not a count")
    return value


def mastodon_counts(data: Any) -> dict[str, int | None]:
    """A Mastodon status (GET /api/v1/statuses/ID) → counts; ResponseError when it is not a status."""
    if not isinstance(data, dict) or "favourites_count" not in data or "reblogs_count" not in data:
        raise ResponseError("the answer is not a Mastodon status (no favourites_count or reblogs_count)")
    counts = {name: _count(data, key, "the status's") for name, key in _MASTODON_COUNTS}
    return {k: v for k, v in counts.items() if v is not None}


def bluesky_counts(post: Any) -> dict[str, int | None]:
    """A Bluesky post view (one of getPosts' `posts`) → counts; ResponseError when it is not a post view."""
    if not isinstance(post, dict) or ("likeCount" not in post and "repostCount" not in post):
        raise ResponseError("the answer is not a Bluesky post view (no likeCount or repostCount)")
    counts = {name: _count(post, key, "the post's") for name, key in _BLUESKY_COUNTS}
    return {k: v for k, v in counts.items() if v is not None}


def _reset_delay(value: str, now: datetime) -> float | None:
    """A reset time → seconds from `now`: Unix seconds, seconds from now (small numbers), ISO 8601 or HTTP date."""
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        if number != number or number in (float("inf"), float("-inf")):  # NaN, infinities: not a time
            return None
        # Epoch seconds are ~1.7e9; a delay that long (54 years) is not one, so the size tells them apart.
        return max(0.0, number - now.timestamp()) if number > 1e8 else max(0.0, number)
    at: datetime | None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        try:
            at = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # HTTP dates are GMT; an ISO time without a zone is taken as UTC too
    return max(0.0, (at - now).total_seconds())


def retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """`Retry-After` in seconds from `now` (it may be seconds or an HTTP date); None when absent or unreadable."""
    value = headers.get("retry-after")
    return None if value is None else _reset_delay(value, now)


def rate_limit_wait(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to wait before the next request when the answer says the limit is used up (remaining 0), else None.

    Mastodon sends `X-RateLimit-*`, Bluesky `RateLimit-*`; whichever is there counts. Used up with no readable
    reset time: None here (the caller's backoff and a 429's `Retry-After` take over).
    """
    for prefix in ("x-ratelimit-", "ratelimit-"):
        remaining = headers.get(prefix + "remaining")
        if remaining is None:
            continue
        try:
            left = int(remaining.strip())
        except ValueError:
            continue
        if left > 0:
            return None
        reset = headers.get(prefix + "reset")
        return None if reset is None else _reset_delay(reset, now)
    return None


def unreachable(host: str, exc: Exception) -> str:
    """A connection that could not be made, as one line (a DNS failure said plainly)."""
    text = str(exc)
    if any(hint in text.lower() for hint in ("name or service not known", "nodename nor servname", "getaddrinfo",
                                             "no address associated", "temporary failure in name resolution")):
        return f"could not connect to {host}: host not found (DNS)"
    return f"could not connect to {host} ({short(text, 80) or 'connection failed'})"


def refusal(host: str, status: int, body: bytes) -> str:
    """A 4xx (not 429) or other non-200 answer as one line."""
    if status in (404, 410):
        return f"not found on {host} (HTTP {status}): deleted, or not public"
    if status in (401, 403):
        return f"{host} refuses to show it without signing in (HTTP {status})"
    said = ""
    try:
        data = json.loads(body)
        if isinstance(data, dict):
            said = short(data.get("message") or data.get("error") or "", 120)
    except ValueError:
        pass
    return f"{host} answered HTTP {status}" + (f": {said}" if said else "")
