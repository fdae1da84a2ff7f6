"""Metrics fetch benchmark (issue 14): `organizer metrics fetch` on 500 published posts, whole process.

    .venv/bin/python bench/metrics_fetch.py            # 1 warm-up, then 5 measured runs
    .venv/bin/python bench/metrics_fetch.py --runs 9

The networks are local fakes (http.server in threads on 127.0.0.1, one port for Mastodon and one for Bluesky,
since the real hosts are apart and the fetcher bounds and rate-limits each host on its own) that answer as the
APIs do, reached through the fetcher's base-URL overrides (ORGANIZER_MASTODON_API_OVERRIDE,
ORGANIZER_BLUESKY_API; see organizer.metrics.networks_api):

- Mastodon `GET /api/v1/statuses/ID`: a status with its counts, `X-RateLimit-Limit: 300`,
  `X-RateLimit-Remaining` counting down and `X-RateLimit-Reset` (ISO 8601) five minutes ahead; every 100th
  request is a 429 with `X-RateLimit-Remaining: 0` and a reset 0.25 s ahead (Mastodon sends no Retry-After),
  and one status is deleted (404);
- Bluesky `com.atproto.identity.resolveHandle` and `app.bsky.feed.getPosts` (≤ 25 URIs, `RateLimit-*` headers
  with an epoch reset); the third getPosts call of a run is a 429 with `Retry-After: 1`, and one post is left
  out of its answer (deleted).

The data: 500 published posts, 250 on Mastodon (four servers, both link forms) and 250 on Bluesky (ten
handles and some DID links), published over the last 60 days, imported with `organizer import json`. Before
every run the database is restored from a pristine copy (untimed), so every run fetches the same 500 posts.
The clock runs around the installed entry point `.venv/bin/organizer metrics fetch` (the whole process:
start, reading the posts, ~270 requests, one write transaction). The fake also reports the most requests it
saw in flight at once per API, which the fetcher bounds at 4 per host.

Target: median ≤ 5 s. Like bench/run.py it informs and does not gate: exit 1 only when a run failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from run import make_env

TARGET_S = 5.0
POSTS = 250  # per network
SERVERS = ("mastodon.social", "fosstodon.org", "hachyderm.io", "mas.to")
HANDLES = tuple(f"{name}.bsky.social" for name in ("northwind", "maya", "roastery", "huila", "sidamo", "brew",
                                                    "cafe", "beans", "barista", "crema"))
DELETED_STATUS = "113400000000000404"
DELETED_RKEY = "3deleted22222"
_B32 = "234567abcdefghijklmnopqrstuvwxyz"


def did_of(handle: str) -> str:
    """A did:plc for a handle, the same every time (24 base32 characters)."""
    digest = hashlib.sha256(handle.encode()).digest()
    return "did:plc:" + "".join(_B32[b % 32] for b in digest[:24])


def rkey(i: int) -> str:
    """A record key shaped like a TID (13 base32 characters)."""
    out = ""
    n = 0x3_000_000_000_000 + i * 7919
    for _ in range(13):
        out = _B32[n % 32] + out
        n //= 32
    return out


class Fake(ThreadingHTTPServer):
    """Both APIs, with counters a run resets and reads."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """A new rate-limit window and fresh counters (before every run)."""
        with self.lock:
            self.calls = {"mastodon": 0, "resolveHandle": 0, "getPosts": 0}
            self.throttled = {"mastodon": 0, "bluesky": 0}
            self.in_flight = {"mastodon": 0, "bluesky": 0}
            self.most = {"mastodon": 0, "bluesky": 0}

    def enter(self, api: str, call: str) -> int:
        """Count a request in; its number among this call's."""
        with self.lock:
            self.calls[call] += 1
            self.in_flight[api] += 1
            self.most[api] = max(self.most[api], self.in_flight[api])
            return self.calls[call]

    def leave(self, api: str) -> None:
        """Count a request out."""
        with self.lock:
            self.in_flight[api] -= 1


class Handler(BaseHTTPRequestHandler):
    """One request to the fake networks."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs: the client reuses its connections
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms to each
    # answer on loopback, which would time the fake rather than the fetcher.
    disable_nagle_algorithm = True
    server: Fake

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        """Route to the API the path names."""
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path.startswith("/api/v1/statuses/"):
            api, call = "mastodon", "mastodon"
        elif url.path == "/xrpc/com.atproto.identity.resolveHandle":
            api, call = "bluesky", "resolveHandle"
        elif url.path == "/xrpc/app.bsky.feed.getPosts":
            api, call = "bluesky", "getPosts"
        else:
            self._send(404, {"error": "NotFound"}, {})
            return
        n = self.server.enter(api, call)
        try:
            time.sleep(0.002)  # a little server time, so requests overlap as they do over a network
            if api == "mastodon":
                self._mastodon(url.path.rsplit("/", 1)[-1], n)
            elif call == "resolveHandle":
                handle = query.get("handle", [""])[0]
                self._send(200, {"did": did_of(handle)} if handle in HANDLES else
                           {"error": "InvalidRequest", "message": "Unable to resolve handle"}, self._bsky_limits(n))
            else:
                self._get_posts(query.get("uris", []), n)
        finally:
            self.server.leave(api)

    def _mastodon(self, status_id: str, n: int) -> None:
        now = datetime.now(UTC)
        if n % 100 == 0:
            self.server.throttled["mastodon"] += 1
            reset = (now + timedelta(seconds=0.25)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            self._send(429, {"error": "Too many requests"},
                       {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
            return
        limits = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": str(max(1, 300 - n)),
                  "X-RateLimit-Reset": (now + timedelta(minutes=5)).isoformat(timespec="milliseconds")
                  .replace("+00:00", "Z")}
        if status_id == DELETED_STATUS:
            self._send(404, {"error": "Record not found"}, limits)
            return
        server = self.headers.get("X-Organizer-Mastodon-Server", "mastodon.social")
        seed = int(status_id) % 997
        self._send(200, {
            "id": status_id, "created_at": "2026-11-01T09:00:00.000Z", "visibility": "public", "language": "en",
            "uri": f"https://{server}/users/northwind/statuses/{status_id}",
            "url": f"https://{server}/@northwind/{status_id}", "in_reply_to_id": None, "sensitive": False,
            "spoiler_text": "", "replies_count": seed % 13, "reblogs_count": seed % 41, "favourites_count": seed,
            "edited_at": None, "content": "<p>Winter Blend is here ☕</p>", "reblog": None,
            "account": {"id": "109312480912038517", "username": "northwind", "acct": "northwind",
                        "display_name": "Northwind Coffee", "followers_count": 2314},
            "media_attachments": [], "mentions": [], "tags": [], "emojis": [], "card": None, "poll": None,
        }, limits)

    def _bsky_limits(self, n: int) -> dict[str, str]:
        reset = int(time.time()) + 300
        return {"RateLimit-Limit": "3000", "RateLimit-Remaining": str(max(1, 3000 - n)), "RateLimit-Reset": str(reset),
                "RateLimit-Policy": "3000;w=300"}

    def _get_posts(self, uris: list[str], n: int) -> None:
        if n == 3:
            self.server.throttled["bluesky"] += 1
            self._send(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                       {"Retry-After": "1", "RateLimit-Limit": "3000", "RateLimit-Remaining": "0",
                        "RateLimit-Reset": str(int(time.time()) + 1)})
            return
        if len(uris) > 25:
            self._send(400, {"error": "InvalidRequest", "message": "uris must not have more than 25 elements"}, {})
            return
        posts = []
        for uri in uris:
            if uri.endswith(DELETED_RKEY):
                continue  # getPosts leaves out what it cannot show
            did = uri.split("/")[2]
            seed = sum(uri.encode()) % 211
            posts.append({"uri": uri, "cid": "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a",
                          "author": {"did": did, "handle": "northwind.bsky.social", "displayName": "Northwind"},
                          "record": {"$type": "app.bsky.feed.post", "text": "Winter Blend is here ☕",
                                     "createdAt": "2026-11-01T09:00:00.000Z", "langs": ["en"]},
                          "bookmarkCount": seed % 5, "replyCount": seed % 9, "repostCount": seed % 17,
                          "likeCount": seed, "quoteCount": seed % 3, "indexedAt": "2026-11-01T09:00:01.000Z",
                          "labels": []})
        self._send(200, {"posts": posts}, self._bsky_limits(n))


def workspace(now: datetime) -> dict[str, Any]:
    """An `organizer import json` document: 500 published posts, one variant each."""
    columns = [{"name": name, "wip": None, "done": name in ("Published", "Measured")}
               for name in ("Ideas", "Planned", "In progress", "Review", "Scheduled", "Published", "Measured")]
    cards = []
    for i in range(2 * POSTS):
        number = i + 1
        published = (now - timedelta(days=60) + timedelta(hours=2.8 * i)).replace(microsecond=0)
        if i % 2 == 0:
            channel, k = "mastodon", i // 2
            status = DELETED_STATUS if k == 77 else str(113_400_000_000_000_000 + k * 104_729)
            server = SERVERS[k % len(SERVERS)]
            url = (f"https://{server}/@northwind/{status}" if k % 3 else
                   f"https://{server}/users/northwind/statuses/{status}")
        else:
            channel, k = "bluesky", i // 2
            handle = HANDLES[k % len(HANDLES)]
            key = DELETED_RKEY if k == 133 else rkey(k)
            actor = did_of(handle) if k % 5 == 0 else handle
            url = f"https://bsky.app/profile/{actor}/post/{key}"
        stamp = published.isoformat()
        cards.append({
            "id": f"MAIN-{number}", "board": "MAIN", "number": number, "title": f"Post {number}",
            "column": "Published", "role": "writer", "channels": [channel], "tags": [], "estimate_minutes": 30,
            "spent_minutes": 0, "due": None, "publish": stamp, "campaign": None, "pillar": None, "priority": 3,
            "popup": False, "parent": None, "step": None, "notes": "", "created": stamp, "updated": stamp,
            "completed": stamp, "post": "Winter Blend is here",
            "variants": [{"channel": channel, "text": "Winter Blend is here", "first_comment": "", "alt_text": "",
                          "publish": None, "status": "published", "url": url}],
            "approvals": [],
        })
    return {"format": "organizer", "version": 1, "exported": now.isoformat(),
            "boards": [{"key": "MAIN", "name": "Northwind", "description": "", "columns": columns}], "cards": cards}


def main() -> int:
    """Build the data, start the fake, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()

    fakes = {"mastodon": Fake(), "bluesky": Fake()}
    for api, fake in fakes.items():
        threading.Thread(target=fake.serve_forever, name=f"fake-{api}", daemon=True).start()
    mastodon, bluesky = (f"http://127.0.0.1:{fakes[api].server_address[1]}" for api in ("mastodon", "bluesky"))
    overrides = {"ORGANIZER_MASTODON_API_OVERRIDE": mastodon, "ORGANIZER_BLUESKY_API": bluesky}
    try:
        with tempfile.TemporaryDirectory(prefix="organizer-metrics-fetch-bench-") as folder:
            tmp = Path(folder)
            env = make_env(tmp)
            data = tmp / "posts.json"
            data.write_text(json.dumps(workspace(datetime.now(UTC))), encoding="utf-8")
            made = subprocess.run(env.organizer("import", "json", str(data)), env=env.variables,
                                  capture_output=True, text=True, check=False)
            if made.returncode != 0:
                print(f"import failed: {made.stderr.strip()[-400:]}", file=sys.stderr)
                return 1
            pristine = tmp / "pristine.db"
            shutil.copyfile(env.db, pristine)
            variables = env.variables | overrides
            argv = env.organizer("metrics", "fetch")
            times, first = [], ""
            for i in range(args.warmup + args.runs):
                for suffix in ("-wal", "-shm"):
                    Path(f"{env.db}{suffix}").unlink(missing_ok=True)
                shutil.copyfile(pristine, env.db)
                for fake in fakes.values():
                    fake.reset()
                start = time.perf_counter()
                proc = subprocess.run(argv, env=variables, capture_output=True, text=True, check=False,
                                      stdin=subprocess.DEVNULL)
                elapsed = time.perf_counter() - start
                if proc.returncode != 0 or not proc.stdout.startswith("fetched 498 of 500 posts"):
                    print(f"run {i + 1} failed (exit {proc.returncode}): {(proc.stdout + proc.stderr)[-600:]}",
                          file=sys.stderr)
                    return 1
                first = first or proc.stdout
                if i >= args.warmup:
                    times.append(elapsed)
            calls = fakes["mastodon"].calls | {k: v for k, v in fakes["bluesky"].calls.items() if k != "mastodon"}
            throttled = {api: fakes[api].throttled[api] for api in fakes}
            most = {api: fakes[api].most[api] for api in fakes}
    finally:
        for fake in fakes.values():
            fake.shutdown()
    median = statistics.median(times)
    print(f"metrics fetch · 500 posts (250 mastodon, 250 bluesky) · local fakes · "
          f"{args.runs} runs after {args.warmup} warm-up")
    print(f"  command: {' '.join(f'{k}={v}' for k, v in overrides.items())} {' '.join(argv)}")
    print(f"  output:  {first.splitlines()[0]}")
    print(f"  requests per run: {calls}, 429s: {throttled}, most in flight at once: {most}")
    print(f"  median {median:.2f} s (min {min(times):.2f}, max {max(times):.2f})  target ≤ {TARGET_S:g} s  "
          f"{'PASS' if median <= TARGET_S else 'FAIL'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
