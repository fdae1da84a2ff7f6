"""Fetching a subscribed calendar over HTTP(S) with httpx: bounded in time, size and redirects.

`fetch_calendar(url, etag=…, last_modified=…)` returns the body, or `data=None` when the server says the
calendar has not changed (304 to If-None-Match / If-Modified-Since). `webcal://` means `https://`.
Network and server failures raise `FetchError` (a RuntimeError: exit 1) with one line per failure mode;
a URL that cannot be used, or content that is not a calendar, raises `InputError` (exit 2).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from organizer import __version__
from organizer.ics.importer import looks_like_calendar, not_a_calendar, one_line
from organizer.validate import InputError

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
# A read timeout bounds each wait, not a server that drips a byte every few seconds.
TOTAL_TIMEOUT = 120.0
MAX_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 5
SCHEMES = {"http": "http", "https": "https", "webcal": "https", "webcals": "https"}
_DNS_HINTS = ("name or service not known", "nodename nor servname", "temporary failure in name resolution",
              "no address associated", "getaddrinfo failed", "name resolution")


class FetchError(RuntimeError):
    """The calendar could not be fetched (network, server, limits); the message is one line."""


@dataclass(frozen=True)
class Fetched:
    """A fetched calendar; `data` is None when the server said "not modified"."""

    url: str
    data: bytes | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        """The server answered 304: keep what was imported last time."""
        return self.data is None


def is_url(text: str) -> bool:
    """Whether an import argument is a URL (http, https, webcal) rather than a file path."""
    return urlsplit(text.strip()).scheme.lower() in SCHEMES


def normalize_url(text: str) -> str:
    """An http(s) URL to fetch: webcal:// becomes https://; anything else is refused with InputError."""
    raw = text.strip()
    parts = urlsplit(raw)
    scheme = SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise InputError(f"URL {one_line(raw, 120)!r} is not supported: use http://, https:// or webcal://")
    if not parts.hostname:
        raise InputError(f"URL {one_line(raw, 120)!r} has no host name")
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))


def fetch_calendar(url: str, *, etag: str | None = None, last_modified: str | None = None,
                   connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT,
                   total_timeout: float = TOTAL_TIMEOUT, max_bytes: int = MAX_BYTES,
                   max_redirects: int = MAX_REDIRECTS, transport: Any = None) -> Fetched:
    """GET a calendar (conditionally when `etag`/`last_modified` are known); see the module docstring."""
    import httpx

    target = normalize_url(url)
    host = urlsplit(target).hostname or target
    headers = {"User-Agent": f"organizer/{__version__} (calendar import)",
               "Accept": "text/calendar, text/plain;q=0.5, */*;q=0.1"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout)
    started = time.monotonic()
    try:
        with httpx.Client(follow_redirects=True, max_redirects=max_redirects, timeout=timeout,
                          transport=transport) as client, client.stream("GET", target, headers=headers) as resp:
            if resp.status_code == 304:
                return Fetched(str(resp.url), None, resp.headers.get("ETag") or etag,
                               resp.headers.get("Last-Modified") or last_modified)
            if resp.status_code >= 400:
                reason = one_line(resp.reason_phrase or "", 60)
                status = f"HTTP {resp.status_code}{' ' + reason if reason else ''}"
                raise FetchError(f"{target}: the server answered {status}")
            if resp.status_code != 200:
                raise FetchError(f"{target}: the server answered HTTP {resp.status_code}, not the calendar")
            declared = resp.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{target}: the calendar is {_size(int(declared))}, more than the "
                                 f"{_size(max_bytes)} accepted")
            body = bytearray()
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(f"{target}: the calendar is more than the {_size(max_bytes)} accepted "
                                     "(download stopped)")
                if time.monotonic() - started > total_timeout:
                    raise FetchError(f"{target}: the download took more than {total_timeout:g} s (stopped)")
            data = bytes(body)
            final, new_etag, new_modified = str(resp.url), resp.headers.get("ETag"), resp.headers.get("Last-Modified")
    except httpx.TooManyRedirects:
        raise FetchError(f"{target}: more than {max_redirects} redirects") from None
    except httpx.ConnectTimeout:
        raise FetchError(f"{target}: {host} did not accept a connection within {connect_timeout:g} s") from None
    except httpx.TimeoutException:
        raise FetchError(f"{target}: {host} did not answer within {read_timeout:g} s") from None
    except httpx.ConnectError as exc:
        raise FetchError(f"{target}: {_connect_failure(host, exc)}") from None
    except httpx.UnsupportedProtocol as exc:
        raise FetchError(f"{target}: redirected to an unsupported address ({one_line(exc, 80)})") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"{target}: {type(exc).__name__}: {one_line(exc, 120) or 'the transfer failed'}") from None
    if not looks_like_calendar(data):
        raise InputError(f"{target}: not a calendar: {not_a_calendar(data)}")
    return Fetched(final, data, new_etag, new_modified)


def _connect_failure(host: str, exc: Exception) -> str:
    text = str(exc).lower()
    if any(hint in text for hint in _DNS_HINTS):
        return f"host {host} not found (DNS)"
    if "refused" in text:
        return f"{host} refused the connection"
    if "certificate" in text or "ssl" in text:
        return f"secure connection to {host} failed ({one_line(exc, 100)})"
    return f"cannot connect to {host} ({one_line(exc, 100) or type(exc).__name__})"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"
