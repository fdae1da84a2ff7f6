"""`organizer metrics fetch`: Mastodon's and Bluesky's public APIs replayed from recorded-style answers.

The fetcher's own tests (URL forms, retries, rate limits, batching, failures) run on httpx.MockTransport with a
clock that only pretends to sleep; the CLI's run end to end on SQLite and PostgreSQL with respx standing in for
the networks.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx

from organizer.metrics import fetch
from organizer.metrics.networks_api import (
    BlueskyPost,
    MastodonStatus,
    bluesky_base,
    mastodon_url,
    parse_bluesky,
    parse_mastodon,
)
from organizer.metrics.store import Variant

pytestmark = pytest.mark.backends

RECORDED = Path(__file__).parent / "recorded"
PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
DID = "did:plc:n5ddwqolbjpv2czaronz6q3d"
STATUS_URL = "https://mastodon.social/@northwind/113489205561027361"
STATUS_API = "https://mastodon.social/api/v1/statuses/113489205561027361"
POST_URL = "https://bsky.app/profile/northwind.coffee/post/3lbq7vq2xjc2k"
POST_URI = f"at://{DID}/app.bsky.feed.post/3lbq7vq2xjc2k"
BSKY = "https://public.api.bsky.app/xrpc"


def recorded(name: str) -> Any:
    return json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))


def variant(number: int, channel: str, url: str) -> Variant:
    return Variant(number, f"NWC-{number}", "NWC", channel, url, START - timedelta(days=2), "published", "", None,
                   f"Post {number}")


def get_posts(uris: list[str]) -> dict[str, Any]:
    """A getPosts answer for these URIs: the recorded post view, re-addressed, with counts from the rkey."""
    template = recorded("bluesky_getPosts")["posts"][0]
    return {"posts": [template | {"uri": u, "likeCount": len(u) % 7} for u in uris]}


class FakeClock(fetch.Clock):
    """Time moves only when the code sleeps; every sleep is kept."""

    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return START + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


Handler = Callable[[httpx.Request], httpx.Response]


def run(variants: list[Variant], handler: Handler, clock: FakeClock | None = None,
        notes: list[str] | None = None) -> fetch.Outcome:
    return fetch.run(variants, transport=httpx.MockTransport(handler), clock=clock or FakeClock(),
                     rng=random.Random(5), env={}, note=(notes.append if notes is not None else None))


def networks(request: httpx.Request) -> httpx.Response:
    """Both APIs as they answer a good request."""
    if request.url.host == "mastodon.social":
        return httpx.Response(200, json=recorded("mastodon_status"))
    if request.url.path.endswith("resolveHandle"):
        return httpx.Response(200, json=recorded("bluesky_resolveHandle"))
    if request.url.path.endswith("getPosts"):
        return httpx.Response(200, json=recorded("bluesky_getPosts"))
    return httpx.Response(404, json={"error": "Not Found"})


# --- links ----------------------------------------------------------------------------------------------------

@pytest.mark.sqlite_only
@pytest.mark.parametrize(("url", "expected"), [
    (STATUS_URL, MastodonStatus("mastodon.social", "113489205561027361")),
    ("https://Fosstodon.org/users/nwc/statuses/42/", MastodonStatus("fosstodon.org", "42")),
    ("https://hachyderm.io/@nwc@mastodon.social/1099", MastodonStatus("hachyderm.io", "1099")),
    ("https://mastodon.social/@northwind", None),
    ("https://mastodon.social/@northwind/media", None),
    ("ftp://mastodon.social/@northwind/1", None),
    (POST_URL, None),
])
def test_mastodon_links(url: str, expected: MastodonStatus | None) -> None:
    assert parse_mastodon(url) == expected


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("url", "expected"), [
    (POST_URL, BlueskyPost("northwind.coffee", "3lbq7vq2xjc2k")),
    (f"https://bsky.app/profile/{DID}/post/3lbq7vq2xjc2k", BlueskyPost(DID, "3lbq7vq2xjc2k")),
    (f"at://{DID}/app.bsky.feed.post/3lbq7vq2xjc2k", BlueskyPost(DID, "3lbq7vq2xjc2k")),
    ("at://Northwind.Coffee/app.bsky.feed.post/3lbq7vq2xjc2k", BlueskyPost("northwind.coffee", "3lbq7vq2xjc2k")),
    ("https://bsky.app/profile/northwind.coffee", None),
    ("at://northwind.coffee/app.bsky.feed.like/3lbq7vq2xjc2k", None),
    ("https://evil.example/profile/northwind.coffee/post/3lbq7vq2xjc2k", None),
    (STATUS_URL, None),
])
def test_bluesky_links(url: str, expected: BlueskyPost | None) -> None:
    assert parse_bluesky(url) == expected


@pytest.mark.sqlite_only
def test_the_base_urls_can_point_at_a_local_fake() -> None:
    env = {"ORGANIZER_MASTODON_API_OVERRIDE": "http://127.0.0.1:8123/", "ORGANIZER_BLUESKY_API": "http://127.0.0.1:9"}
    assert mastodon_url(MastodonStatus("mastodon.social", "7"), env) == (
        "http://127.0.0.1:8123/api/v1/statuses/7", {"X-Organizer-Mastodon-Server": "mastodon.social"})
    assert bluesky_base(env) == "http://127.0.0.1:9" and bluesky_base({}) == "https://public.api.bsky.app"


# --- the fetcher ----------------------------------------------------------------------------------------------

@pytest.mark.sqlite_only
def test_both_networks_are_read_and_a_handle_is_resolved_once() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host}{request.url.path}")
        if request.url.path.endswith("getPosts"):
            return httpx.Response(200, json=get_posts(request.url.params.get_list("uris")))
        return networks(request)

    clock = FakeClock()
    out = run([variant(1, "mastodon", STATUS_URL), variant(2, "bluesky", POST_URL),
               variant(3, "bluesky", "https://bsky.app/profile/northwind.coffee/post/3lbq7vq2zzz2k"),
               variant(4, "bluesky", f"at://{DID}/app.bsky.feed.post/3lbq7vq2yyy2k"),
               variant(5, "x", "https://x.com/northwind/status/1")], handler, clock)
    assert out.failures == [] and out.posts == 4 and out.fetched() == {"mastodon": 1, "bluesky": 3}
    first = out.readings[0]
    assert (first.card_id, first.channel, first.source, first.taken_at) == (1, "mastodon", "mastodon", START)
    assert first.counts == {"likes": 141, "reposts": 23, "replies": 7, "quotes": 2}
    assert seen.count("public.api.bsky.app/xrpc/com.atproto.identity.resolveHandle") == 1  # cached for the run
    assert seen.count("public.api.bsky.app/xrpc/app.bsky.feed.getPosts") == 1
    assert STATUS_API.removeprefix("https://") in seen and clock.slept == []


@pytest.mark.sqlite_only
def test_the_recorded_bluesky_post_gives_all_five_counts() -> None:
    out = run([variant(2, "bluesky", POST_URL)], networks)
    assert out.readings[0].counts == {"likes": 96, "reposts": 12, "replies": 5, "quotes": 1, "bookmarks": 4}
    assert out.readings[0].source == "bluesky"


@pytest.mark.sqlite_only
@pytest.mark.parametrize("retry_after", ["7", format_datetime(START + timedelta(seconds=7), usegmt=True)])
def test_429_waits_as_long_as_retry_after_says_then_succeeds(retry_after: str) -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": retry_after}, json={"error": "Too many requests"}),
                    httpx.Response(200, json=recorded("mastodon_status"))])
    clock = FakeClock()
    out = run([variant(1, "mastodon", STATUS_URL)], lambda request: next(answers), clock)
    assert out.fetched() == {"mastodon": 1} and out.failures == []
    assert sum(clock.slept) == pytest.approx(7)


@pytest.mark.sqlite_only
def test_500_is_retried_with_backoff_then_succeeds() -> None:
    answers = iter([httpx.Response(500, text="oops"), httpx.Response(200, json=recorded("mastodon_status"))])
    clock = FakeClock()
    out = run([variant(1, "mastodon", STATUS_URL)], lambda request: next(answers), clock)
    assert out.fetched() == {"mastodon": 1}
    assert len(clock.slept) == 1 and 0.5 <= clock.slept[0] <= 1.0  # the first backoff step, jittered


@pytest.mark.sqlite_only
def test_500_forever_gives_up_after_four_tries_and_the_others_still_count() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith("/1"):
            return httpx.Response(503, text="<html>Service Unavailable</html>")
        return httpx.Response(200, json=recorded("mastodon_status"))

    clock = FakeClock()
    out = run([variant(1, "mastodon", "https://mastodon.social/@nwc/1"),
               variant(2, "mastodon", "https://mastodon.social/@nwc/2")], handler, clock)
    assert calls.count("/api/v1/statuses/1") == 4 and out.fetched() == {"mastodon": 1}
    assert [(f.ref, f.error) for f in out.failures] == [
        ("NWC-1", "mastodon.social answered HTTP 503, 4 tries: try again later")]
    assert len(clock.slept) == 3 and all(b > a for a, b in zip(clock.slept, clock.slept[1:], strict=False))


@pytest.mark.sqlite_only
def test_timeouts_are_retried() -> None:
    answers: Iterator[httpx.Response | Exception] = iter([httpx.ReadTimeout("slow"),
                                                          httpx.Response(200, json=recorded("mastodon_status"))])

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert run([variant(1, "mastodon", STATUS_URL)], handler).fetched() == {"mastodon": 1}


@pytest.mark.sqlite_only
def test_malformed_json_is_one_line_and_not_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if request.url.host == "mastodon.social":
            return httpx.Response(200, text="<!DOCTYPE html><title>Maintenance</title>")
        return httpx.Response(200, json={"posts": "nope"}) if request.url.path.endswith("getPosts") \
            else networks(request)

    out = run([variant(1, "mastodon", STATUS_URL), variant(2, "bluesky", POST_URL)], handler)
    assert out.readings == [] and len(calls) == 3
    assert [f.error for f in out.failures] == [
        "mastodon.social answered with something that is not JSON",
        "the answer is not a getPosts answer (no posts list)"]


@pytest.mark.sqlite_only
def test_a_deleted_post_fails_alone_on_both_networks() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/404"):
            return httpx.Response(404, json=recorded("mastodon_not_found"))
        if request.url.path.endswith("getPosts"):  # getPosts leaves out what it cannot show
            return httpx.Response(200, json=get_posts([POST_URI]))
        return networks(request)

    out = run([variant(1, "mastodon", "https://mastodon.social/@nwc/404"), variant(2, "mastodon", STATUS_URL),
               variant(3, "bluesky", POST_URL),
               variant(4, "bluesky", "https://bsky.app/profile/northwind.coffee/post/3gone22222222")], handler)
    assert out.fetched() == {"mastodon": 1, "bluesky": 1}
    assert [(f.ref, f.error) for f in out.failures] == [
        ("NWC-1", "not found on mastodon.social (HTTP 404): deleted, or not public"),
        ("NWC-4", "not found on Bluesky (getPosts did not return it): deleted, or not public")]


@pytest.mark.sqlite_only
def test_a_server_that_wants_a_login_and_an_unknown_handle_are_named() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "mastodon.social":
            return httpx.Response(401, json={"error": "This method requires an authenticated user"})
        if request.url.path.endswith("resolveHandle"):
            return httpx.Response(400, json=recorded("bluesky_resolveHandle_unknown"))
        return networks(request)

    out = run([variant(1, "mastodon", STATUS_URL), variant(2, "bluesky", POST_URL)], handler)
    assert [f.error for f in out.failures] == [
        "mastodon.social refuses to show it without signing in (HTTP 401)",
        "handle northwind.coffee could not be resolved: public.api.bsky.app answered HTTP 400: "
        "Unable to resolve handle"]


@pytest.mark.sqlite_only
def test_links_of_neither_form_are_one_clear_line_each() -> None:
    out = run([variant(12, "mastodon", "https://northwind.coffee/blog/winter"),
               variant(13, "bluesky", STATUS_URL), variant(14, "mastodon", STATUS_URL)], networks)
    assert [(f.ref, f.error) for f in out.failures] == [
        ("NWC-12", "https://northwind.coffee/blog/winter is not a Mastodon status link"),
        ("NWC-13", f"{STATUS_URL} is not a Bluesky post link")]
    assert out.fetched() == {"mastodon": 1}


@pytest.mark.sqlite_only
def test_60_bluesky_posts_go_in_three_getposts_calls() -> None:
    batches: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("getPosts"):
            batches.append(request.url.params.get_list("uris"))
            return httpx.Response(200, json=get_posts(batches[-1]))
        return networks(request)

    posts = [variant(i, "bluesky", f"at://{DID}/app.bsky.feed.post/3lbq7vq2x{i:04d}") for i in range(60)]
    out = run(posts, handler)
    assert sorted(len(b) for b in batches) == [10, 25, 25] and out.fetched() == {"bluesky": 60}
    assert len({u for b in batches for u in b}) == 60


@pytest.mark.sqlite_only
def test_a_used_up_rate_limit_holds_the_host_until_its_reset_capped_and_said() -> None:
    reset = (START + timedelta(seconds=300)).isoformat().replace("+00:00", "Z")
    calls: list[float] = []
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(clock.t)
        left = "0" if len(calls) == 1 else "250"
        return httpx.Response(200, json=recorded("mastodon_status"),
                              headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": left,
                                       "X-RateLimit-Reset": reset})

    notes: list[str] = []
    posts = [variant(i, "mastodon", f"https://mastodon.social/@nwc/{i}") for i in range(1, 7)]
    out = run(posts, handler, clock, notes)
    assert out.fetched() == {"mastodon": 6}
    assert notes == ["mastodon.social: rate limit used up; it resets in 300 s: waiting 60 s (the most this waits)"]
    assert max(calls) == pytest.approx(60) and calls.count(0.0) <= 4  # the first slots went before the answer


@pytest.mark.sqlite_only
def test_a_429_asking_for_minutes_gives_up_at_once() -> None:
    clock = FakeClock()
    out = run([variant(1, "bluesky", POST_URL)],
              lambda request: httpx.Response(429, headers={"Retry-After": "900", "RateLimit-Remaining": "0",
                                                           "RateLimit-Reset": str(int(START.timestamp()) + 900)}),
              clock)
    assert [f.error for f in out.failures] == [
        "handle northwind.coffee could not be resolved: public.api.bsky.app is limiting requests (HTTP 429) and "
        "asks to wait 900 s, more than the 60 s this waits: try again later"]


@pytest.mark.sqlite_only
def test_text_from_a_response_loses_its_control_characters() -> None:
    out = run([variant(1, "mastodon", STATUS_URL)],
              lambda request: httpx.Response(422, json={"error": "bad \x1b[31mred\x1b[0m\x07 thing"}))
    assert out.failures[0].error == "mastodon.social answered HTTP 422: bad red thing"


@pytest.mark.sqlite_only
def test_a_count_that_is_not_a_count_fails_that_post() -> None:
    body = recorded("mastodon_status") | {"favourites_count": -3}
    out = run([variant(1, "mastodon", STATUS_URL)], lambda request: httpx.Response(200, json=body))
    assert out.failures[0].error == "the status's favourites_count is '-3', not a count"


# --- the command, on both backends --------------------------------------------------------------------------

def day(days_ago: int) -> str:
    return (datetime.now(PARIS) - timedelta(days=days_ago)).strftime("%Y-%m-%d 09:00")


@pytest.fixture
def posted(cli: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Cards with Mastodon, Bluesky and X variants published two days ago, and a Mastodon one 200 days ago."""
    for name in ("ORGANIZER_MASTODON_API_OVERRIDE", "ORGANIZER_BLUESKY_API"):
        monkeypatch.delenv(name, raising=False)
    assert cli("add", "Winter Blend launch", "-c", "mastodon,bluesky,x", "--publish", day(2)).code == 0
    for channel, url in (("mastodon", STATUS_URL), ("bluesky", POST_URL), ("x", "https://x.com/nwc/status/1")):
        r = cli("variant", "MAIN-1", channel, "--text", "Winter Blend is here", "--status", "published", "--url", url)
        assert r.code == 0, r.err
    assert cli("add", "Last spring's post", "-c", "mastodon", "--publish", day(200)).code == 0
    assert cli("variant", "MAIN-2", "mastodon", "--text", "Spring", "--status", "published",
               "--url", "https://mastodon.social/@northwind/1").code == 0
    return cli


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        router.get(STATUS_API).respond(json=recorded("mastodon_status"))
        router.get(f"{BSKY}/com.atproto.identity.resolveHandle").respond(json=recorded("bluesky_resolveHandle"))
        router.get(f"{BSKY}/app.bsky.feed.getPosts").respond(json=recorded("bluesky_getPosts"))
        yield router


def test_fetch_records_both_networks_in_one_go(posted: Any, api: respx.MockRouter) -> None:
    r = posted("metrics", "fetch")
    assert (r.code, r.out) == (0, "fetched 2 of 2 posts (mastodon 1, bluesky 1)\n"), r.err
    rows = json.loads(posted("metrics", "list", "--json").out)
    assert sorted((x["channel"], x["source"], x["likes"], x["reposts"], x["impressions"]) for x in rows) == [
        ("bluesky", "bluesky", 96, 12, None), ("mastodon", "mastodon", 141, 23, None)]
    assert all(x["age_hours"] is not None and x["age_hours"] > 24 for x in rows)
    # The 200-day-old post is outside the default 90 days: never asked for.
    assert "/api/v1/statuses/1" not in [c.request.url.path for c in api.calls]


def test_fetch_json_lists_failures_and_since_reaches_older_posts(posted: Any, api: respx.MockRouter) -> None:
    api.get("https://mastodon.social/api/v1/statuses/1").respond(404, json=recorded("mastodon_not_found"))
    r = posted("metrics", "fetch", "--since", day(365), "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out) == {"fetched": 2, "posts": 3, "failed": [
        {"id": "MAIN-2", "channel": "mastodon", "url": "https://mastodon.social/@northwind/1",
         "error": "not found on mastodon.social (HTTP 404): deleted, or not public"}]}


def test_every_post_failing_exits_1_with_a_line_each(posted: Any, api: respx.MockRouter) -> None:
    api.get(STATUS_API).respond(410, json={"error": "Gone"})
    api.get(f"{BSKY}/app.bsky.feed.getPosts").respond(json={"posts": []})
    r = posted("metrics", "fetch", "--board", "main")
    assert r.code == 1
    assert r.out == ("fetched 0 of 2 posts; 2 failed:\n"  # in the order of the posts (time, ID, channel)
                     "  MAIN-1 bluesky: not found on Bluesky (getPosts did not return it): deleted, or not public\n"
                     "  MAIN-1 mastodon: not found on mastodon.social (HTTP 410): deleted, or not public\n")
    assert json.loads(posted("metrics", "list", "--json").out) == []


def test_nothing_to_fetch_says_so(posted: Any, api: respx.MockRouter) -> None:
    r = posted("metrics", "fetch", "--since", "tomorrow")
    assert r.code == 0 and r.out.startswith("no Mastodon or Bluesky posts with a link since ") and not api.calls
    assert json.loads(posted("metrics", "fetch", "--since", "tomorrow", "--json").out) == {
        "fetched": 0, "failed": [], "posts": 0}


def test_bad_usage_exits_2(posted: Any, api: respx.MockRouter) -> None:
    r = posted("metrics", "fetch", "--board", "NOPE")
    assert r.code == 2 and "board 'NOPE' does not exist" in r.err
    r = posted("metrics", "fetch", "--since", "the other day")
    assert r.code == 2 and r.err.startswith("organizer: --since:")


def test_an_interrupted_fetch_writes_nothing(posted: Any, api: respx.MockRouter) -> None:
    calls: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) > 1:  # the first post's answer is in hand when Ctrl-C comes
            raise KeyboardInterrupt
        return networks(request)

    for route in (STATUS_API, f"{BSKY}/com.atproto.identity.resolveHandle"):
        api.get(route).mock(side_effect=answer)
    api.get("https://mastodon.social/api/v1/statuses/1").mock(side_effect=answer)
    r = posted("metrics", "fetch", "--since", day(365))
    assert r.code == 130 and "interrupted: nothing was written" in r.err
    assert len(calls) >= 2 and json.loads(posted("metrics", "list", "--json").out) == []
