"""The live calendar feed: `organizer serve-ics` serves the export at a secret URL for calendar apps.

One path answers, `/<token>.ics`, where the token is a random secret kept in the `setting` table
(`feed_token`); everything else is a 404 with an empty body, and methods other than GET and HEAD
are a 405. Each request reads the token and builds the calendar afresh, so an edit shows on the
next refresh and a rotated token stops the old URL at once, even on a running server.

A connection must send its request within REQUEST_DEADLINE seconds and may not stay silent for more than
IDLE_TIMEOUT: a client that connects and waits, or drips a request a byte at a time, is hung up on
instead of holding a server thread and its socket for ever.

Conditional requests: the ETag is a hash of the body. DTSTAMP is the calendar's Last-Modified rather
than the request time, so an unchanged calendar gives the same bytes and a 304. Last-Modified is
the newest `updated_at` among the exported cards or, when the calendar changed without a card
changing (a replan, a deleted card), the time this server first served the new content.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import ipaddress
import secrets
import socket
import sys
import threading
import time as clock
from collections import OrderedDict
from datetime import UTC, datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from organizer.config import Config

PAST_DAYS, FUTURE_DAYS = 7, 60
KINDS = frozenset({"publish", "plan", "due"})
REFRESH = timedelta(minutes=15)  # what the feed asks subscribed apps to poll at
# Rendered as the DTSTAMP of every event, then replaced by the calendar's Last-Modified (see the docstring).
_STAMP = datetime(2000, 1, 1, tzinfo=UTC)
_STAMP_LINE = b"\r\nDTSTAMP:20000101T000000Z\r\n"
_REMEMBERED = 64  # bodies whose first-seen time the server keeps
IDLE_TIMEOUT = 15.0  # seconds a connection may send nothing (or read nothing of the answer)
REQUEST_DEADLINE = 30.0  # seconds to send a whole request, however it is dripped


def is_loopback(host: str) -> bool:
    """Whether an address only this machine can reach: localhost, 127.0.0.0/8 or ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def feed_range(cfg: Config, now: datetime) -> tuple[datetime, datetime]:
    """What the feed covers: from a week ago to 60 days ahead, whole local days."""
    zone = ZoneInfo(cfg.timezone)
    today = now.astimezone(zone).date()
    start = datetime.combine(today - timedelta(days=PAST_DAYS), time(0), zone).astimezone(UTC)
    end = datetime.combine(today + timedelta(days=FUTURE_DAYS + 1), time(0), zone).astimezone(UTC)
    return start, end


def feed_token(location: str, *, rotate: bool = False) -> str:
    """The feed's secret token, created on first use; `rotate` replaces it (the old URL stops working)."""
    from organizer.models import Setting
    from organizer.storage.orm import open_store

    store = open_store(location)
    try:
        with store.write() as session:
            row = session.get(Setting, "feed_token")
            if row is None or rotate:
                row = row or Setting(key="feed_token", value="")
                row.value = secrets.token_urlsafe(24)
                session.add(row)
            return row.value
    finally:
        store.close()


def current_token(location: str) -> str | None:
    """The token as stored now (cheaply, through sqlite3 when the database allows it)."""
    from organizer.ics.export import setting
    from organizer.storage import quick

    try:
        conn = quick.connect_sqlite(location)
    except quick.NotQuick:
        from organizer.storage.orm import open_store

        store = open_store(location)
        try:
            with store.read() as session:
                return setting(session, "feed_token")
        finally:
            store.close()
    try:
        return setting(conn, "feed_token")
    finally:
        conn.close()


class FeedServer(ThreadingHTTPServer):
    """A threading HTTP server that serves one calendar at `/<token>.ics`."""

    daemon_threads = True  # Ctrl+C does not wait for a slow client

    def __init__(self, host: str, port: int, location: str, cfg: Config, log: TextIO | None = None) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.location, self.cfg, self.log = location, cfg, log or sys.stderr
        self.token: str | None = None  # the last token read, so log lines can hide it
        self.idle_timeout, self.request_deadline = IDLE_TIMEOUT, REQUEST_DEADLINE
        self.lock = threading.Lock()
        self.first_seen: OrderedDict[str, datetime] = OrderedDict()
        super().__init__((host.strip("[]"), port), _Handler)

    def url(self, token: str) -> str:
        """The subscription URL for a token, with the port actually bound."""
        host, port = self.server_address[:2]
        name = str(host)  # an AF_INET(6) address is a str; typeshed also allows AF_UNIX's bytes
        shown = f"[{name}]" if ":" in name else name
        return f"http://{shown}:{port}/{token}.ics"

    def calendar(self, now: datetime) -> tuple[bytes, str, datetime]:
        """The current calendar: (body, ETag, Last-Modified)."""
        from organizer.ics.export import export_calendar

        start, end = feed_range(self.cfg, now)
        with self.lock:  # one build at a time: two could both decide to plan the same days
            built = export_calendar(self.location, self.cfg, boards=None, what=set(KINDS), start=start, end=end,
                                    now=now, stamp=_STAMP, refresh=REFRESH)
            content = hashlib.sha256(built.body).hexdigest()
            seen = self.first_seen.setdefault(content, now.replace(microsecond=0))
            self.first_seen.move_to_end(content)
            while len(self.first_seen) > _REMEMBERED:
                self.first_seen.popitem(last=False)
        newest = min(built.last_modified, now) if built.last_modified else seen
        modified = max(newest, seen).replace(microsecond=0)
        body = built.body.replace(_STAMP_LINE, f"\r\nDTSTAMP:{modified:%Y%m%dT%H%M%SZ}\r\n".encode())
        return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', modified

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line on stderr instead of socketserver's traceback."""
        exc = sys.exc_info()[1]
        print(f"organizer serve-ics: request failed: {type(exc).__name__}: {exc}", file=self.log, flush=True)


class _DeadlineReader(io.RawIOBase):
    """The request side of a connection: each read waits at most the idle timeout, all of them together
    at most until the deadline. A timeout is TimeoutError, which http.server answers by hanging up."""

    def __init__(self, sock: socket.socket, idle: float, deadline: float) -> None:
        super().__init__()
        self.sock, self.idle, self.deadline = sock, idle, deadline

    def readable(self) -> bool:
        """A reader."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Receive into `buffer`, within what is left of the idle timeout and the deadline."""
        left = self.deadline - clock.monotonic()
        if left <= 0:
            raise TimeoutError("the request took too long to arrive")
        self.sock.settimeout(min(self.idle, left))
        return self.sock.recv_into(buffer)


class _Handler(BaseHTTPRequestHandler):
    server: FeedServer
    server_version = "Organizer"
    sys_version = ""  # no Python version in the Server header

    def setup(self) -> None:
        """The socket with the idle timeout, and a request reader bounded by the request deadline."""
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)  # what StreamRequestHandler does with `timeout`
        deadline = clock.monotonic() + self.server.request_deadline
        self.rfile = io.BufferedReader(_DeadlineReader(self.connection, self.server.idle_timeout, deadline))

    def do_GET(self) -> None:
        """Serve the calendar, or 404."""
        self._calendar()

    def do_HEAD(self) -> None:
        """The headers GET would send."""
        self._calendar()

    def __getattr__(self, name: str) -> Any:
        # http.server answers a method without a do_* handler with 501; any method but GET/HEAD gets 405 here.
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self) -> None:
        self._send(405, [("Allow", "GET, HEAD")])

    def _send(self, code: int, headers: list[tuple[str, str]], body: bytes = b"") -> None:
        # The request reader may have left the socket a short timeout: a slow reader of the answer gets
        # the idle timeout, per write.
        self.connection.settimeout(self.server.idle_timeout)
        self.send_response(code)
        for key, value in headers:
            self.send_header(key, value)
        if code != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _calendar(self) -> None:
        token = self.server.token = current_token(self.server.location)
        path = urlsplit(self.path).path
        if not token or not hmac.compare_digest(path.encode(), f"/{token}.ics".encode()):
            self._send(404, [])
            return
        now = datetime.now(UTC)
        try:
            body, etag, modified = self.server.calendar(now)
        except Exception as exc:  # a broken database must not print a traceback with the URL in it
            self.log_message("calendar failed: %s: %s", type(exc).__name__, exc)
            self._send(500, [])
            return
        headers = [("ETag", etag), ("Last-Modified", format_datetime(modified, usegmt=True)),
                   ("Cache-Control", "no-cache")]
        if self._not_modified(etag, modified):
            self._send(304, headers)
            return
        self._send(200, [("Content-Type", "text/calendar; charset=utf-8"), ("X-Content-Type-Options", "nosniff"),
                         *headers], body)

    def _not_modified(self, etag: str, modified: datetime) -> bool:
        match = self.headers.get("If-None-Match")
        if match is not None:  # it overrides If-Modified-Since (RFC 9110 §13.2.2)
            tags = {t.strip().removeprefix("W/") for t in match.split(",")}
            return "*" in tags or etag in tags
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError, IndexError):
            return False
        return when.tzinfo is not None and modified <= when

    def log_message(self, format: str, *args: Any) -> None:
        """One line per request on stderr, with the token replaced by <token> and control characters escaped."""
        text = format % args
        if self.server.token:
            text = text.replace(self.server.token, "<token>")
        text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)[:300]
        print(f"{self.address_string()} - [{self.log_date_time_string()}] {text}", file=self.server.log, flush=True)


def make_server(host: str, port: int, location: str, cfg: Config, log: TextIO | None = None) -> FeedServer:
    """Bind the feed server (port 0: any free port); a bind failure is one readable OSError."""
    try:
        return FeedServer(host, port, location, cfg, log)
    except OSError as exc:
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(server: FeedServer) -> int:
    """Serve until Ctrl+C (or SIGTERM), then close the socket; returns the exit code, 0."""
    import signal

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("organizer serve-ics: stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0
