"""Fresh numbers for published posts from Mastodon's and Bluesky's public APIs (`organizer metrics fetch`).

The caller hands `run` the variants to read (organizer.metrics.store.published_variants); nothing here touches
the database: every request is done first, then the caller records the readings in one transaction, so an
interrupted run writes nothing. What the links mean and how answers become counts is
organizer.metrics.networks_api (which also documents the base-URL overrides for tests and the benchmark).

How the requests are made, with one httpx.AsyncClient:

- timeouts: 5 s to connect, 10 s to read; no redirects (an API does not redirect, and a post's server is
  untrusted input); answers over 1 MiB are cut off and count as a failure;
- at most 4 requests at once to a host (the post's Mastodon server, the Bluesky AppView), 32 in all;
- up to 4 tries on HTTP 429 and 5xx, on timeouts and on a broken connection, with exponential backoff and full
  jitter (0.5 s, 1 s, 2 s, each plus up to as much again), or as long as `Retry-After` says;
- a host's rate limit is shared by every request to it: a 429, or an answer saying none are left
  (`X-RateLimit-Remaining: 0` / `RateLimit-Remaining: 0`), holds back that host's requests until the reset, but
  never more than 60 s at a time; a longer wait is said (`note`), and a 429 asking for more than that gives up
  on the post at once rather than sleep for minutes;
- a post that cannot be read (a link of neither form, a deleted post, a server that wants a login, an answer
  that is not JSON or not a post) becomes one `Failure` with a one-line reason, and the others still count.

`Clock` (time, sleep) and the jitter's random source are parameters, so tests run the retries without sleeping.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from organizer import __version__
from organizer.metrics.model import Reading
from organizer.metrics.networks_api import (
    GETPOSTS_BATCH,
    BlueskyPost,
    ResponseError,
    bluesky_base,
    bluesky_counts,
    is_did,
    mastodon_counts,
    mastodon_url,
    parse_bluesky,
    parse_mastodon,
    rate_limit_wait,
    refusal,
    retry_after,
    short,
    unreachable,
)
from organizer.metrics.store import Variant

if TYPE_CHECKING:
    # At run time inside the functions: `import httpx` loads its command line (click, rich, pygments) when
    # those are installed, and the core must import no UI library (tests/test_boundaries.py).
    import httpx

__all__ = ["CHANNELS", "Clock", "Failure", "FetchError", "Limits", "Outcome", "fetch_all", "run"]

CHANNELS = ("mastodon", "bluesky")


@dataclass(frozen=True)
class Limits:
    """How hard to try and how long to wait (the defaults are the command's)."""

    per_host: int = 4
    total: int = 32
    tries: int = 4
    backoff_s: float = 0.5
    max_wait_s: float = 60.0
    connect_s: float = 5.0
    read_s: float = 10.0
    max_bytes: int = 1 << 20


class Clock:
    """The time and the sleeping the retries use; tests pass one that only pretends to sleep."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for waits)."""
        return time.monotonic()

    def now(self) -> datetime:
        """The wall time, aware UTC (for readings and HTTP dates)."""
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds`."""
        await asyncio.sleep(seconds)


@dataclass(frozen=True)
class Failure:
    """A post that could not be read, and why (one line, safe to print)."""

    ref: str
    channel: str
    url: str
    error: str


@dataclass
class Outcome:
    """What a run read: a reading per post read, a failure per post not read, notes on waits."""

    posts: int
    readings: list[Reading] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fetched(self) -> dict[str, int]:
        """Posts read per channel (mastodon, then bluesky; a channel with no reading is left out)."""
        out = {c: sum(1 for r in self.readings if r.channel == c) for c in CHANNELS}
        return {c: n for c, n in out.items() if n}


class FetchError(Exception):
    """One request (and so its post, or its batch of posts) failed for good; the message is one safe line."""


@dataclass
class _Gate:
    """One host: its concurrent requests, and when its rate limit lets requests go again."""

    slots: asyncio.Semaphore
    resume_at: float = 0.0  # on Clock.monotonic


class _Http:
    """GETs JSON with the retries, waits and limits of the module docstring."""

    def __init__(self, client: httpx.AsyncClient, clock: Clock, limits: Limits, rng: random.Random,
                 note: Callable[[str], None]) -> None:
        self.client, self.clock, self.limits, self.rng, self.note = client, clock, limits, rng, note
        self.gates: dict[str, _Gate] = {}

    def _gate(self, host: str) -> _Gate:
        if host not in self.gates:
            self.gates[host] = _Gate(asyncio.Semaphore(self.limits.per_host))
        return self.gates[host]

    def _backoff(self, attempt: int) -> float:
        step = self.limits.backoff_s * 2.0 ** (attempt - 1)
        return step + self.rng.uniform(0, step)  # the jitter spreads retries that failed together

    async def _hold(self, gate: _Gate) -> None:
        """Wait while the host's rate limit holds requests back (a later answer may move the time on)."""
        while (left := gate.resume_at - self.clock.monotonic()) > 0:
            await self.clock.sleep(left)

    def _pause(self, gate: _Gate, host: str, seconds: float, why: str) -> None:
        """Hold back the host's requests for `seconds` (at most max_wait_s), saying so once per pause."""
        capped = min(seconds, self.limits.max_wait_s)
        until = self.clock.monotonic() + capped
        if until <= gate.resume_at:
            return
        already = gate.resume_at > self.clock.monotonic()
        gate.resume_at = until
        if already or capped < 1:
            return
        if seconds > capped:
            self.note(f"{host}: {why}; it resets in {seconds:.0f} s: waiting {capped:.0f} s (the most this waits)")
        else:
            self.note(f"{host}: {why}; waiting {capped:.0f} s for it to reset")

    async def _get(self, url: str, params: Any, headers: Mapping[str, str], host: str,
                   ) -> tuple[int, httpx.Headers, bytes]:
        async with self.client.stream("GET", url, params=params, headers=headers) as resp:
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.limits.max_bytes:
                raise FetchError(f"{host}'s answer is larger than {self.limits.max_bytes >> 20} MiB")
            body = bytearray()
            async for chunk in resp.aiter_bytes():
                body += chunk
                if len(body) > self.limits.max_bytes:
                    raise FetchError(f"{host}'s answer is larger than {self.limits.max_bytes >> 20} MiB (stopped)")
            return resp.status_code, resp.headers, bytes(body)

    async def get_json(self, url: str, *, params: Any = None, headers: Mapping[str, str] | None = None,
                       name: str | None = None) -> Any:
        """The JSON of a 200 answer; FetchError when the tries run out or the answer says no.

        `name` is the host as messages call it (the post's server when an override answers in its place); the
        limits go by the host really asked.
        """
        import httpx

        gate, limits = self._gate(urlsplit(url).netloc.lower()), self.limits
        host = name or urlsplit(url).netloc.lower()
        problem = ""
        for attempt in range(1, limits.tries + 1):
            async with gate.slots:
                await self._hold(gate)
                try:
                    status, answer, body = await self._get(url, params, headers or {}, host)
                except httpx.ConnectTimeout:
                    problem = f"{host} did not take the connection within {limits.connect_s:g} s"
                    delay = self._backoff(attempt)
                except httpx.TimeoutException:
                    problem, delay = f"{host} did not answer within {limits.read_s:g} s", self._backoff(attempt)
                except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                    problem = f"the connection to {host} broke ({short(exc, 80) or type(exc).__name__})"
                    delay = self._backoff(attempt)
                except httpx.ConnectError as exc:  # DNS, refused: trying again at once rarely helps
                    raise FetchError(unreachable(host, exc)) from None
                except httpx.HTTPError as exc:
                    raise FetchError(f"{host}: {type(exc).__name__}: {short(exc, 100)}") from None
                else:
                    now = self.clock.now()
                    wait = rate_limit_wait(answer, now)
                    if wait:
                        self._pause(gate, host, wait, "rate limit used up")
                    if status == 200:
                        try:
                            return json.loads(body)
                        except ValueError:
                            raise FetchError(f"{host} answered with something that is not JSON") from None
                    if status != 429 and not 500 <= status <= 599:
                        raise FetchError(refusal(host, status, body))
                    asked = retry_after(answer, now)
                    if asked is not None and asked > limits.max_wait_s:
                        raise FetchError(f"{host} is limiting requests (HTTP {status}) and asks to wait "
                                         f"{asked:.0f} s, more than the {limits.max_wait_s:g} s this waits: "
                                         "try again later")
                    # Retry-After first; else a 429's reset time (Mastodon sends that alone); else the backoff.
                    if asked is None and status == 429 and wait:
                        asked = min(wait, limits.max_wait_s)
                    delay = asked if asked is not None else self._backoff(attempt)
                    problem = f"{host} answered HTTP {status}" + (" (too many requests)" if status == 429 else "")
                    if status == 429:  # the limit is the host's: its other requests wait too
                        self._pause(gate, host, delay, "too many requests (HTTP 429)")
            if attempt < limits.tries:
                await self.clock.sleep(delay)  # outside the slot: other posts use it meanwhile
        raise FetchError(f"{problem}, {limits.tries} tries: try again later")


@dataclass
class _Run:
    """One run's shared state: the jobs' results by position, and the progress."""

    total: int
    clock: Clock
    progress: Callable[[int, int], None]
    readings: dict[int, Reading] = field(default_factory=dict)
    failures: dict[int, Failure] = field(default_factory=dict)
    done: int = 0

    def ok(self, index: int, v: Variant, counts: dict[str, int | None], at: datetime) -> None:
        # The source is the network read, which is the channel's own name (mastodon, bluesky).
        self.readings[index] = Reading(v.card_id, v.channel, at, v.channel, counts)
        self._step()

    def fail(self, index: int, v: Variant, error: str) -> None:
        self.failures[index] = Failure(v.ref, v.channel, v.url or "", error)
        self._step()

    def _step(self) -> None:
        self.done += 1
        self.progress(self.done, self.total)


async def _mastodon_one(http: _Http, state: _Run, index: int, v: Variant, env: Mapping[str, str] | None) -> None:
    status = parse_mastodon(v.url or "")
    if status is None:
        state.fail(index, v, f"{short(v.url)} is not a Mastodon status link")
        return
    url, headers = mastodon_url(status, env)
    try:
        data = await http.get_json(url, headers=headers, name=status.server)
        counts = mastodon_counts(data)
    except (FetchError, ResponseError) as exc:
        state.fail(index, v, str(exc))
        return
    state.ok(index, v, counts, state.clock.now())


async def _resolve(http: _Http, base: str, handle: str) -> str:
    """A handle's DID (com.atproto.identity.resolveHandle); FetchError when it cannot be resolved."""
    try:
        data = await http.get_json(f"{base}/xrpc/com.atproto.identity.resolveHandle", params={"handle": handle})
    except FetchError as exc:
        raise FetchError(f"handle {handle} could not be resolved: {exc}") from None
    did = data.get("did") if isinstance(data, dict) else None
    if not isinstance(did, str) or not is_did(did):
        raise FetchError(f"handle {handle} could not be resolved: the answer has no DID")
    return did


async def _bluesky(http: _Http, state: _Run, jobs: Sequence[tuple[int, Variant]],
                   env: Mapping[str, str] | None) -> None:
    base = bluesky_base(env)
    posts: list[tuple[int, Variant, BlueskyPost]] = []
    for index, v in jobs:
        post = parse_bluesky(v.url or "")
        if post is None:
            state.fail(index, v, f"{short(v.url)} is not a Bluesky post link")
        else:
            posts.append((index, v, post))
    # Each handle once per run, all at once (the gate bounds them): the cache is this dict.
    handles = sorted({p.actor for _, _, p in posts if p.needs_resolving})
    answers = await asyncio.gather(*(_resolve(http, base, h) for h in handles), return_exceptions=True)
    dids: dict[str, str | FetchError] = {}
    for handle, answer in zip(handles, answers, strict=True):
        if isinstance(answer, BaseException) and not isinstance(answer, FetchError):
            raise answer  # a bug or an interrupt, not a network's answer
        dids[handle] = answer
    by_uri: dict[str, list[tuple[int, Variant]]] = {}
    for index, v, post in posts:
        did = dids.get(post.actor) if post.needs_resolving else post.actor
        if isinstance(did, FetchError):
            state.fail(index, v, str(did))
        else:
            by_uri.setdefault(post.uri(did), []).append((index, v))
    uris = list(by_uri)
    batches = [uris[i:i + GETPOSTS_BATCH] for i in range(0, len(uris), GETPOSTS_BATCH)]
    await asyncio.gather(*(_bluesky_batch(http, state, base, batch, by_uri) for batch in batches))


async def _bluesky_batch(http: _Http, state: _Run, base: str, uris: list[str],
                         by_uri: Mapping[str, list[tuple[int, Variant]]]) -> None:
    try:
        data = await http.get_json(f"{base}/xrpc/app.bsky.feed.getPosts", params=[("uris", u) for u in uris])
        found = data.get("posts") if isinstance(data, dict) else None
        if not isinstance(found, list):
            raise ResponseError("the answer is not a getPosts answer (no posts list)")
    except (FetchError, ResponseError) as exc:
        for uri in uris:
            for index, v in by_uri[uri]:
                state.fail(index, v, str(exc))
        return
    at = state.clock.now()
    views = {p.get("uri"): p for p in found if isinstance(p, dict)}
    for uri in uris:
        view = views.get(uri)
        for index, v in by_uri[uri]:
            if view is None:  # getPosts leaves out what it cannot show rather than fail the call
                state.fail(index, v, "not found on Bluesky (getPosts did not return it): deleted, or not public")
                continue
            try:
                state.ok(index, v, bluesky_counts(view), at)
            except ResponseError as exc:
                state.fail(index, v, str(exc))


async def fetch_all(variants: Sequence[Variant], *, transport: httpx.AsyncBaseTransport | None = None,
                    clock: Clock | None = None, limits: Limits | None = None, rng: random.Random | None = None,
                    note: Callable[[str], None] | None = None, progress: Callable[[int, int], None] | None = None,
                    env: Mapping[str, str] | None = None) -> Outcome:
    """Read every Mastodon and Bluesky variant's numbers (others are ignored); see the module docstring.

    `progress(done, total)` follows the posts; `note(text)` hears about long rate-limit waits as they start;
    `env` stands in for os.environ (the base-URL overrides).
    """
    clock, limits = clock or Clock(), limits or Limits()
    jobs = [(i, v) for i, v in enumerate(variants) if v.channel in CHANNELS]
    outcome = Outcome(len(jobs))
    state = _Run(len(jobs), clock, progress or (lambda done, total: None))

    def noted(text: str) -> None:
        outcome.notes.append(text)
        if note is not None:
            note(text)

    import httpx

    timeout = httpx.Timeout(connect=limits.connect_s, read=limits.read_s, write=limits.read_s, pool=None)
    pool = httpx.Limits(max_connections=limits.total, max_keepalive_connections=limits.total)
    async with httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False, limits=pool,
                                 headers={"User-Agent": f"organizer/{__version__} (metrics fetch)",
                                          "Accept": "application/json"}) as client:
        http = _Http(client, clock, limits, rng or random.Random(), noted)
        await asyncio.gather(
            *(_mastodon_one(http, state, i, v, env) for i, v in jobs if v.channel == "mastodon"),
            _bluesky(http, state, [(i, v) for i, v in jobs if v.channel == "bluesky"], env))
    outcome.readings = [state.readings[i] for i in sorted(state.readings)]
    outcome.failures = [state.failures[i] for i in sorted(state.failures)]
    return outcome


def run(variants: Sequence[Variant], **options: Any) -> Outcome:
    """`fetch_all` from synchronous code (the CLI); Ctrl-C raises KeyboardInterrupt once the requests are closed."""
    return asyncio.run(fetch_all(variants, **options))
