"""Fetching subscribed calendars, against a local http.server on 127.0.0.1 (an ephemeral port, nothing else)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import time_machine

from organizer.ics.fetch import FetchError, fetch_calendar, is_url, normalize_url
from organizer.validate import InputError
from tests.test_cli import Runner, run_bad, run_json, run_ok

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def calendar(title: str, count: int = 3) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nX-WR-CALNAME:Team\r\nBEGIN:VEVENT\r\n"
            f"UID:s@x\r\nSUMMARY:{title}\r\nDTSTART:20260302T090000Z\r\nDTEND:20260302T100000Z\r\n"
            f"RRULE:FREQ=DAILY;COUNT={count}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


class Handler(BaseHTTPRequestHandler):
    """Routes for each failure mode; the server object carries the calendar and its version."""

    protocol_version = "HTTP/1.1"
    timeout = 5  # a connection left open cannot hold the server's shutdown for long
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for key, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        """Serve a route."""
        self.server.hits.append(self.path)
        path = self.path
        if path == "/cal.ics":
            etag = f'"v{self.server.version}"'
            if self.headers.get("If-None-Match") == etag:
                self.send(304, ETag=etag)
            else:
                self.send(200, self.server.body, ETag=etag, Last_Modified="Mon, 02 Mar 2026 07:00:00 GMT",
                          Content_Type="text/calendar")
        elif path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            self.send(302, Location=f"/hop/{left - 1}" if left else "/cal.ics")
        elif path == "/big":  # no Content-Length: the client must count as it reads
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(50):
                self.wfile.write(b"BEGIN:VCALENDAR\r\n" + b"X" * 1000)
            self.close_connection = True
        elif path == "/declared-big":
            self.send_response(200)
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
            self.close_connection = True
        elif path == "/slow":
            time.sleep(1.0)
            self.send(200, self.server.body)
        elif path == "/page":
            self.send(200, b"<!DOCTYPE html><title>Sign in</title>", Content_Type="text/html")
        elif path == "/bom":
            self.send(200, b"\xef\xbb\xbf\r\n  " + self.server.body)
        elif path == "/boom":
            self.send(500, b"oops")
        else:
            self.send(404, b"not here")


class Server(ThreadingHTTPServer):
    """Joins its handler threads on close, so nothing of a test's server outlives the test."""

    daemon_threads = False
    block_on_close = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hang up on purpose here (size limit, timeouts): no traceback on stderr."""


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests go straight to 127.0.0.1, never through a proxy from the environment."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


@pytest.fixture
def server() -> Iterator[Any]:
    """A threaded HTTP server on 127.0.0.1 and an ephemeral port; `server.base` is its URL."""
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.version, httpd.body, httpd.hits = 1, calendar("Stand-up"), []  # type: ignore[attr-defined]
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_200_then_304_with_the_etag(server: Any) -> None:
    got = fetch_calendar(f"{server.base}/cal.ics")
    assert got.data == server.body and got.etag == '"v1"' and got.last_modified == "Mon, 02 Mar 2026 07:00:00 GMT"
    again = fetch_calendar(f"{server.base}/cal.ics", etag=got.etag, last_modified=got.last_modified)
    assert again.not_modified and again.data is None and again.etag == '"v1"'


def test_redirects_up_to_the_limit(server: Any) -> None:
    assert fetch_calendar(f"{server.base}/hop/4").data == server.body  # 5 redirects
    with pytest.raises(FetchError, match=r"/hop/5: more than 5 redirects$"):
        fetch_calendar(f"{server.base}/hop/5")


def test_oversize_bodies_are_stopped(server: Any) -> None:
    with pytest.raises(FetchError, match=r"/big: the calendar is more than the 10,000 bytes accepted"):
        fetch_calendar(f"{server.base}/big", max_bytes=10_000)
    with pytest.raises(FetchError, match=r"/declared-big: the calendar is 50.0 MB, more than the 20.0 MB accepted"):
        fetch_calendar(f"{server.base}/declared-big")


@pytest.mark.parametrize(("path", "message"), [
    ("/missing.ics", r"/missing.ics: the server answered HTTP 404 Not Found$"),
    ("/boom", r"/boom: the server answered HTTP 500 Internal Server Error$"),
])
def test_http_errors_name_the_status(server: Any, path: str, message: str) -> None:
    with pytest.raises(FetchError, match=message):
        fetch_calendar(server.base + path)


def test_a_slow_server_times_out(server: Any) -> None:
    with pytest.raises(FetchError, match=r"/slow: 127.0.0.1 did not answer within 0.2 s$"):
        fetch_calendar(f"{server.base}/slow", read_timeout=0.2)


def test_content_must_be_a_calendar(server: Any) -> None:
    with pytest.raises(InputError, match=r"/page: not a calendar: it starts with '<!DOCTYPE html><title>Sign in"):
        fetch_calendar(f"{server.base}/page")
    assert fetch_calendar(f"{server.base}/bom").data.endswith(server.body)  # type: ignore[union-attr]


def test_connection_refused_and_dns_failures() -> None:
    with socket.socket() as probe:  # a port on 127.0.0.1 that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match=r"127.0.0.1 refused the connection$"):
        fetch_calendar(f"http://127.0.0.1:{port}/cal.ics")

    def no_such_host(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    with pytest.raises(FetchError, match=r"^https://calendar.invalid/x.ics: host calendar.invalid not found \(DNS\)$"):
        fetch_calendar("webcal://calendar.invalid/x.ics", transport=httpx.MockTransport(no_such_host))


def test_urls() -> None:
    assert normalize_url("webcal://example.org/team.ics") == "https://example.org/team.ics"
    assert normalize_url(" https://example.org ") == "https://example.org/"
    assert is_url("WEBCAL://x/y") and is_url("http://x") and not is_url("team.ics") and not is_url("ftp://x/y")
    with pytest.raises(InputError, match="'ftp://x/y' is not supported"):
        normalize_url("ftp://x/y")
    with pytest.raises(InputError, match="has no host name"):
        normalize_url("https:///team.ics")


# --- Subscriptions from the command line -----------------------------------------------------------


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """Frozen time; time_machine leaves the monotonic clock alone, so httpx's timeouts still work."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_subscribe_refresh_not_changed_then_changed(cli: Runner, clock: Any, server: Any) -> None:
    url = f"{server.base}/cal.ics"
    assert run_ok(cli, "import", "ics", url) == 'imported 3 events from "Team"\n'
    # The URL is shown as its host only: a private feed's path is its password (--show-url shows it).
    assert [(c["name"], c["url"], c["events"]) for c in run_json(cli, "calendars", "--json")] == [
        ("Team", f"{server.base}/…", 3)]
    r = cli("calendars", "refresh")
    assert r.code == 0 and r.err == "refreshing Team… not changed\n"
    server.version, server.body = 2, calendar("Daily stand-up", count=5)
    r = cli("calendars", "refresh", "Team")
    assert r.code == 0 and r.err == "refreshing Team… 5 events\n"
    assert {e["title"] for e in run_json(cli, "events", "--json")} == {"Daily stand-up"}
    assert len(run_json(cli, "events", "--json")) == 5
    assert server.hits.count("/cal.ics") == 3


def test_subscription_failures(cli: Runner, clock: Any, server: Any) -> None:
    assert run_bad(cli, "import", "ics", f"{server.base}/gone.ics", code=1) == (
        f"organizer: {server.base}/gone.ics: the server answered HTTP 404 Not Found")
    assert run_bad(cli, "import", "ics", f"{server.base}/page") .startswith(
        f"organizer: {server.base}/page: not a calendar")
    run_ok(cli, "import", "ics", f"{server.base}/cal.ics", "--name", "Team")
    server.version, server.body = 3, b"<html>maintenance</html>"
    r = cli("calendars", "refresh", "Team")
    assert r.code == 2 and r.err.startswith("refreshing Team… failed: ") and "not a calendar" in r.err
    server.body = calendar("x").replace(b"DTSTART:20260302T090000Z", b"DTSTART:soon")
    r = cli("calendars", "refresh")
    assert r.code == 1 and "DTSTART cannot be read" in r.err and r.err.count("\n") == 1
    assert r.err.endswith(f"; organizer import ics {server.base}/cal.ics --name 'Team' --skip-bad imports the "
                          "readable events\n")
    assert len(run_json(cli, "events", "--json")) == 3  # the last good import is still there
    assert "is not imported" in run_bad(cli, "calendars", "refresh", "Nope")
