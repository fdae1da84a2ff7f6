"""`organizer serve-ics`: the live feed over real HTTP (httpx), its secret URL, caching headers and shutdown."""

from __future__ import annotations

import io
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from organizer.config import build_config
from organizer.ics import feed
from tests.ics.test_export import check_lines
from tests.test_cli import Runner, run_ok

CONTENT_TYPE = "text/calendar; charset=utf-8"


class Feed:
    """A running feed server on an ephemeral loopback port."""

    def __init__(self, server: feed.FeedServer, location: str, log: io.StringIO) -> None:
        self.server, self.location, self.log = server, location, log
        self.base = f"http://127.0.0.1:{server.server_address[1]}"

    def path(self) -> str:
        """The secret path as the database holds it now."""
        token = feed.current_token(self.location)
        assert token
        return f"/{token}.ics"

    def get(self, path: str, method: str = "GET", **headers: str) -> httpx.Response:
        """One request to the server."""
        return httpx.request(method, self.base + path, headers=headers, timeout=30)


@pytest.fixture
def served(cli: Runner, db_path: Path) -> Iterator[Feed]:
    """Two cards, a token, and the server running in a thread; shut down afterwards."""
    run_ok(cli, "add", "Launch post", "--role", "writer", "--channel", "linkedin", "--publish", "tomorrow 10:00",
           "--due", "tomorrow 09:00", "--estimate", "1h", "--column", "Planned")
    run_ok(cli, "add", "Weekly numbers", "--role", "analyst", "--due", "+3d 11:00")
    feed.feed_token(str(db_path))
    log = io.StringIO()
    server = feed.make_server("127.0.0.1", 0, str(db_path), build_config({"timezone": "Europe/Paris"}), log=log)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Feed(server, str(db_path), log)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_the_secret_url_serves_the_calendar(served: Feed) -> None:
    r = served.get(served.path())
    assert r.status_code == 200 and r.headers["content-type"] == CONTENT_TYPE
    check_lines(r.content)
    cal = Calendar.from_ical(r.content)
    summaries = {str(e["SUMMARY"]) for e in cal.walk("VEVENT")}
    assert {"[LinkedIn] Launch post", "Due: MAIN-1 Launch post", "Due: MAIN-2 Weekly numbers"} <= summaries
    assert any(s.startswith("MAIN-1 ") for s in summaries) and "Reserve (pop-ups)" in summaries
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT15M" in r.text
    assert r.headers["etag"].startswith('"') and r.headers["last-modified"].endswith("GMT")
    # DTSTAMP is the calendar's Last-Modified, so an unchanged calendar is the same bytes.
    stamps = {e.decoded("DTSTAMP") for e in cal.walk("VEVENT")}
    assert stamps == {parsedate_to_datetime(r.headers["last-modified"])}
    again = served.get(served.path())
    assert again.content == r.content and again.headers["etag"] == r.headers["etag"]
    head = served.get(served.path(), "HEAD")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(r.content)) and head.headers["etag"] == r.headers["etag"]


def test_conditional_requests_get_304(served: Feed) -> None:
    first = served.get(served.path())
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    cached = served.get(served.path(), **{"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b"" and cached.headers["etag"] == etag
    assert served.get(served.path(), **{"If-None-Match": f'W/{etag}, "other"'}).status_code == 304
    assert served.get(served.path(), **{"If-Modified-Since": modified}).status_code == 304
    assert served.get(served.path(), **{"If-None-Match": '"stale"', "If-Modified-Since": modified}).status_code == 200
    assert served.get(served.path(), **{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    assert served.get(served.path(), **{"If-Modified-Since": "yesterday-ish"}).status_code == 200


@pytest.mark.parametrize("path", ["/", "/index.html", "/wrong-token.ics", "/../etc/passwd", "/%2e%2e/etc/passwd",
                                  "/..%2f..%2fetc%2fpasswd", "//etc/passwd", "/.ics"])
def test_any_other_path_is_an_empty_404(served: Feed, path: str) -> None:
    r = served.get(path)
    assert r.status_code == 404 and r.content == b""


def test_near_misses_of_the_token_are_404(served: Feed) -> None:
    good = served.path()
    # The token's last character changed (to one it is not: a random token may well end in "x").
    other = "y" if good[-5] == "x" else "x"
    for path in (good[:-4], good + "/x", good.upper(), "/x" + good, good[:-5] + other + ".ics"):
        assert served.get(path).status_code == 404, path
    assert served.get(good + "?x=1").status_code == 200  # a query string is no part of the path


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"])
def test_other_methods_are_405(served: Feed, method: str) -> None:
    r = served.get(served.path(), method)
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD" and r.content == b""


def test_an_edit_after_start_shows_on_the_next_request(served: Feed, cli: Runner) -> None:
    before = served.get(served.path())
    run_ok(cli, "edit", "MAIN-1", "--title", "Launch post, final")
    after = served.get(served.path(), **{"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert b"[LinkedIn] Launch post\\, final" in after.content and b"[LinkedIn] Launch post\r\n" not in after.content


def test_rotating_the_token_retires_the_old_url(served: Feed) -> None:
    old = served.path()
    assert served.get(old).status_code == 200
    new = f"/{feed.feed_token(served.location, rotate=True)}.ics"
    assert new != old and len(new) == len("/.ics") + 32
    assert served.get(old).status_code == 404
    assert served.get(new).status_code == 200


def test_the_log_is_one_line_per_request_without_the_token(served: Feed) -> None:
    token = served.path()[1:-4]
    served.get(served.path())
    with socket.create_connection(("127.0.0.1", served.server.server_address[1]), timeout=30) as raw:
        raw.sendall(b"GET /nope\x1b[31m.ics HTTP/1.0\r\n\r\n")  # an escape sequence httpx would refuse to send
        assert raw.recv(100).startswith(b"HTTP/1.0 404")
    served.get(served.path(), "POST")
    lines = served.log.getvalue().splitlines()
    assert len(lines) == 3
    assert '"GET /<token>.ics HTTP/1.1" 200' in lines[0] and '" 404' in lines[1] and '" 405' in lines[2]
    assert all(token not in line and "\x1b" not in line for line in lines)


def test_loopback_and_the_warning_for_other_hosts(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    assert all(feed.is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"))
    assert not any(feed.is_loopback(h) for h in ("0.0.0.0", "192.168.1.10", "::", "example.org"))

    class Stub:
        def url(self, token: str) -> str:
            return f"http://0.0.0.0:8765/{token}.ics"

    monkeypatch.setattr(feed, "make_server", lambda *a, **k: Stub())
    monkeypatch.setattr(feed, "serve", lambda server: 0)
    r = cli("serve-ics", "--host", "0.0.0.0")
    assert r.code == 0 and "reachable from the network" in r.err
    assert r.out.startswith("Subscribe to http://0.0.0.0:8765/") and r.out.count("\n") == 1
    assert "anyone with this URL can read your calendar" in r.out
    assert cli("serve-ics").err == ""
    assert cli("serve-ics", "--port", "70000").code == 2


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "organizer", "serve-ics", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    assert ready, "the server printed no URL"
    line = proc.stdout.readline()
    assert line.startswith("Subscribe to http://127.0.0.1:") and line.endswith(
        ".ics — anyone with this URL can read your calendar\n"), line
    return proc, line.split()[2]


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def test_the_command_prints_the_url_once_rotates_and_stops_on_ctrl_c(cli: Runner, **_: Any) -> None:
    run_ok(cli, "add", "Launch post", "--publish", "tomorrow 10:00")
    proc, first = _start()
    try:
        assert httpx.get(first, timeout=30).status_code == 200
    finally:
        code, out, err = _stop(proc)
    assert code == 0 and out == "" and "stopped" in err and "Traceback" not in err
    token = first.rsplit("/", 1)[1][:-4]
    assert token not in err and "GET /<token>.ics" in err

    proc, second = _start("--rotate-token")
    try:
        base = second.rsplit("/", 1)[0]
        assert second != first and httpx.get(second, timeout=30).status_code == 200
        assert httpx.get(f"{base}/{token}.ics", timeout=30).status_code == 404
    finally:
        code, _, err = _stop(proc)
    assert code == 0, err
