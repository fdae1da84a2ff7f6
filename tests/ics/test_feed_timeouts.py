"""`organizer serve-ics` closes connections that send nothing, or drip a request too slowly: a client that
connects and waits must not hold a server thread (and its socket) forever."""

from __future__ import annotations

import socket
import time

from organizer.ics import feed
from tests.ics.test_feed import Feed, served  # noqa: F401 (the fixture)

# The test server's limits are short; the shipped ones are what the defaults test checks.
IDLE, DEADLINE = 0.5, 1.5


def connect(served: Feed) -> socket.socket:  # noqa: F811
    served.server.idle_timeout, served.server.request_deadline = IDLE, DEADLINE
    sock = socket.create_connection(("127.0.0.1", served.server.server_address[1]), timeout=10)
    sock.settimeout(10)  # the client waits far longer than the server should
    return sock


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server hangs up (an empty read) within `seconds`."""
    started = time.monotonic()
    try:
        while sock.recv(1024):
            pass
    except TimeoutError:
        return False
    return time.monotonic() - started < seconds


def test_a_silent_connection_is_closed(served: Feed) -> None:  # noqa: F811
    with connect(served) as sock:
        assert closed_within(sock, IDLE + 2)
    assert "Request timed out" in served.log.getvalue()


def test_a_request_dripped_byte_by_byte_is_cut_off(served: Feed) -> None:  # noqa: F811
    with connect(served) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /")
        hung_up = False
        for byte in b"x" * 40:  # each byte comes sooner than the idle timeout: only a deadline stops it
            time.sleep(IDLE / 3)
            try:
                sock.sendall(bytes([byte]))
            except OSError:  # the server hung up
                hung_up = True
                break
        assert hung_up or closed_within(sock, 1)
        assert time.monotonic() - started < DEADLINE + 2


def test_half_a_header_then_silence_is_closed(served: Feed) -> None:  # noqa: F811
    with connect(served) as sock:
        sock.sendall(b"GET /x.ics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half")
        assert closed_within(sock, IDLE + 2)


def test_the_server_still_answers_after_hanging_up_on_idle_clients(served: Feed) -> None:  # noqa: F811
    socks = [connect(served) for _ in range(5)]
    try:
        assert served.get(served.path()).status_code == 200
    finally:
        for sock in socks:
            sock.close()


def test_the_shipped_limits() -> None:
    assert 10 <= feed.IDLE_TIMEOUT <= 30 and feed.IDLE_TIMEOUT <= feed.REQUEST_DEADLINE <= 60
