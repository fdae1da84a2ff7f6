"""A quarter of already-published demo posts with their numbers, so Analytics has something true to show.

`add_history` puts 13 weeks of Northwind Coffee (NWC) and Maya Okafor (CEO) posts in Published and Measured:
cards with tags and pillars, a variant per network (text, time, an address in the network's real shape), 2–4
growing snapshots each at about 2 h, 24 h, 48 h and 7 d; dated from `now` in the user's zone, drawn from seeded
`random.Random`s (one clock, one demo, on any machine).

The patterns a manager should find (built into the numbers, with log-normal noise so none is too clean):
- LinkedIn: weekday mornings (08:00–10:00) get ~1.8x the engagement rate of afternoons (14:00–17:00).
- LinkedIn: posts with 0–1 emoji beat posts with 4+ emoji (the rate falls by ~40 % at 4+, ~25 % at 3).
- Instagram: reels reach ~2x more people than photos and engage better; carousels get the most saves per view.
- Community posts (which ask the audience something) get about 3x the replies for their reach.
- A link in the text costs reach on LinkedIn, Facebook and X, but brings the link clicks.
- The audience grows: the newest posts reach ~30 % more than the oldest.
- An emoji experiment's raw material: the ten newest weekdays (to two days ago) each have two LinkedIn-only NWC
  posts at 08:15 and 09:45 (times swapped daily), one with 0–1 emoji (`exp-emoji-low`), one with 3–5 (`exp-emoji-high`).
- The Huila harvest carousel (412 saves) and the bakery giveaway (+1,140 follows) match the Measured cards.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from organizer.config import Config
from organizer.metrics.model import Reading
from organizer.metrics.store import record
from organizer.storage.plain import Db

if TYPE_CHECKING:
    from sqlmodel import Session

__all__ = ["EMOJI", "NETS", "add_history", "plan"]

SEED = "northwind-coffee-quarter-1"  # string seeds: random.Random hashes them the same way on every machine
EMOJI = ("☕", "🫘", "🔥", "✨", "🙌", "📍", "🎉", "🤎", "🌱", "📦", "👀", "💪")  # one code point each

# Hand-written topics, "pillar | title | body"; a pillar's topics come round again in other formats.
_TOPICS = """\
education | first crack at 9 minutes, slowed down | That pop is the water in the bean turning to steam.
education | why we rest beans for five days | Too fresh tastes sour. Our espresso roasts rest five days first.
education | grind size, explained with three jars | Flour for espresso, sea salt for pour-over, breadcrumbs for press.
education | the 1:16 pour-over ratio | 15 g of coffee, 240 g of water at 94 °C, three and a half minutes.
education | washed vs. natural process | Washed tastes clean and bright, natural tastes of jam. Same farm, two cups.
education | Huila harvest, from farm to cup | Grown at 1,750 m, picked in May, five weeks at sea to our roastery.
education | what cupping actually is | Coarse grounds, hot water, a spoon and a loud slurp: how we score a lot.
education | dialling in espresso in four shots | Sour: grind finer. Bitter: grind coarser. Ten minutes every morning.
community | latte art throwdown at Canal Street | Twelve baristas, six cafés, and a tulip that won by one vote.
community | regular of the month: Ana and Biscuit | A cortado at 7:40 every weekday for three years.
community | cupping night for the neighbours | Thirty people, four coffees, tasted blind. The Sidama won.
community | your home brew corners | You sent 140 photos. A V60 on a windowsill in Leeds is our favourite.
community | giveaway with the bakery next door | Two bags of coffee and cardamom buns from Crumb & Co. to win.
community | the book swap shelf at the Harbour café | Take a book, leave a book. Someone left a 1970s coffee atlas.
community | ask us anything about brewing | No question too basic: the café team answers every one today.
culture | meet Dani, head roaster | Twelve years, three roasters, one burnt batch he still talks about.
culture | our Monday tasting ritual | At 8:30 the team tastes last week's roasts before anyone opens an email.
culture | why we pay above Fairtrade | 2.4 times the minimum for our Huila lot, at a price the farmers set.
culture | a day on the roastery floor | Six batches, two cuppings, one van and too much espresso before noon.
culture | the café team's own orders | Cortado, filter, oat flat white. Nobody orders the mocha. Except Tom.
culture | how we train new baristas | Two weeks of milk, one of espresso, then a shift with a mentor.
product | Sidama Bensa is back | Peach, bergamot and a long honey finish.
product | the 250 g subscription | Fresh beans every two weeks, roasted to order, pause any time.
product | oat flat whites in every café | Five oat milks tested; the winner is made 40 km away.
product | the gift box | Three 125 g bags, a brew card and a hand-stamped box. Ships in two days.
product | the last 80 bags of Huila | Chocolate, red apple, panela. Gone until next harvest.
product | a new espresso blend recipe | More Brazil, less Guatemala: a rounder shot that loves milk.
product | decaf in 1 kg bags for offices | Colombia, water-processed, caramel and orange.
"""
# Each pillar's openers, calls to action (community's ask something: hence its replies) and call with a link.
_VOICE = """\
education | Save this one for later. / We get asked this every week. / Coffee nerd moment. / Let's settle this.
education | Save it for your next brew. / What's your ratio? Tell us below. / Questions? Dani reads every comment.
education | Full guide on the blog: https://northwindcoffee.com/brew
community | This is why we open the doors. / You made our week. / Neighbours, this one is for you.
community | Tell us your favourite in the comments. / Who should we feature next? Tag them below. / Ideas welcome!
community | All our events: https://northwindcoffee.com/events
culture | Behind the counter today. / Meet the people behind your morning cup. / Roastery life, unfiltered.
culture | Say hi to the team next time you're in. / Questions for the team? Ask away. / Which job would you take?
culture | We're hiring: https://northwindcoffee.com/jobs
product | New on the shelf. / It's back. / You asked, we roasted. / Fresh out of the drum.
product | Which one are you trying first? / In every café from today. / Tell us what you taste.
product | Shop it here: https://northwindcoffee.com/shop
"""
# Maya's voice: short sentences, numbers first, no hype, no emoji.
_CEO = """\
thought-leadership | what a 14% price rise taught me | We raised prices 14%. We lost 3% of subscribers. And no café.
thought-leadership | two cafés, one roastery, zero debt | The second café came in year six, paid in cash. Slower. Safer.
thought-leadership | the farmer is the brand | The farm's name is now bigger than our logo. Sales rose 22% that month.
culture | hire for temperament, train for skill | Eight of our eleven baristas had never steamed milk. All eight stayed.
culture | what a B Corp audit actually asks | 230 questions and 14 months. Worth it, but not for the logo.
thought-leadership | the one number I check every Monday | Not revenue. Repeat orders within 30 days.
"""
Topic = tuple[str, str]  # title fragment, body
TOPICS = {p: [(t, b) for q, t, b in (line.split(" | ") for line in _TOPICS.splitlines()) if q == p]
          for p in ("education", "community", "culture", "product")}
VOICE = {p: [line.split(" | ")[1].split(" / ") for line in _VOICE.splitlines() if line.startswith(p)] for p in TOPICS}
CEO_POSTS = [line.split(" | ") for line in _CEO.splitlines()]
CEO_CLOSERS = ("What would you have done?", "Curious how other founders handle this.", "That's the whole lesson.")
HASHTAGS: dict[str, tuple[tuple[str, ...], int, int]] = {  # pool, fewest, most (none on LinkedIn: # is API-reserved)
    "instagram": (("#specialtycoffee", "#coffeeroasters", "#homebarista", "#pourover", "#latteart", "#flatwhite",
                   "#coffeelovers", "#northwindcoffee"), 2, 5),
    "tiktok": (("#coffeetok", "#barista", "#coffee", "#roasting", "#homecafe"), 2, 4),
    "mastodon": (("#Coffee", "#SpecialtyCoffee", "#HomeBarista", "#Roasting"), 1, 2), "youtube": (("#shorts",), 1, 1),
    "x": (("#coffee", "#specialtycoffee"), 0, 1), "bluesky": (("#coffee",), 0, 1), "threads": (("#coffee",), 0, 1),
}
EMOJI_RANGE = {"instagram": (1, 5), "facebook": (0, 3), "linkedin": (0, 5), "x": (0, 2), "bluesky": (0, 2),
               "mastodon": (0, 1), "threads": (0, 3), "tiktok": (1, 3), "youtube": (0, 1)}


@dataclass(frozen=True)
class Net:
    """How a network counts: where its numbers come from, typical 7-day reach and rate, how interactions split."""

    source: str  # csv (LinkedIn, Meta, X exports), mastodon/bluesky (public APIs), manual (typed from the app)
    reach: float | None  # typical impressions after 7 days (None: the network gives none)
    rate: float  # interactions per impression; without reach, a typical count of interactions
    mix: dict[str, float]  # each interaction's share
    follows: float | None  # follows per impression (None: not given)
    curve: tuple[float, ...]  # share of the 7-day count reached at each age (2 h, 24 h, 48 h, 7 d; manual: no 2 h)


_FEED, _FAST, _SLOW = (0.3, 0.8, 0.91, 1.0), (0.45, 0.88, 0.95, 1.0), (0.5, 0.72, 1.0)
NETS = {
    "instagram": Net("csv", 6000, .05, {"likes": .70, "replies": .05, "reposts": .08, "saves": .17}, .0012, _FEED),
    "facebook": Net("csv", 1400, .03, {"likes": .66, "replies": .10, "reposts": .08, "link_clicks": .16}, None, _FEED),
    "linkedin": Net("csv", 1700, .04, {"likes": .60, "replies": .08, "reposts": .06, "link_clicks": .26}, .002, _FEED),
    "x": Net("csv", 1500, .02, {"likes": .48, "reposts": .12, "replies": .09, "quotes": .03, "bookmarks": .08,
                                "link_clicks": .20}, .0008, _FAST),
    "threads": Net("manual", 900, .045, {"likes": .74, "replies": .14, "reposts": .08, "quotes": .04}, None, _SLOW),
    "tiktok": Net("manual", 6500, .065, {"likes": .80, "replies": .05, "reposts": .06, "saves": .09}, .002, _SLOW),
    "youtube": Net("manual", 2200, .045, {"likes": .84, "replies": .08, "reposts": .08}, .003, _SLOW),
    "mastodon": Net("mastodon", None, 38, {"likes": .56, "reposts": .30, "replies": .12, "quotes": .02}, None, _FAST),
    "bluesky": Net("bluesky", None, 44, {"likes": .60, "reposts": .17, "replies": .10, "quotes": .05,
                                         "bookmarks": .08}, None, _FAST),
}
LINK_NETS = ("linkedin", "facebook", "x", "mastodon", "bluesky")  # where a link in the text can be clicked
FORMATS = {  # the networks a format goes out on: (channel, minutes after its first network, chance)
    "reel": (("instagram", 0, 1.0), ("tiktok", 30, 0.6), ("youtube", 0, 0.35)),
    "carousel": (("instagram", 0, 1.0), ("facebook", 15, 0.55), ("linkedin", None, 0.45)),
    "photo": (("instagram", 0, 1.0), ("facebook", 15, 0.55), ("threads", 5, 0.6)),
    "people": (("facebook", 15, 0.3), ("linkedin", None, 1.0)),  # None: LinkedIn's own morning or afternoon slot
    "text": (("linkedin", None, 1.0), ("x", 10, 0.6), ("bluesky", 20, 0.5), ("mastodon", 25, 0.45)),
}
PILLAR_WEIGHTS = {"reel": (2, 2, 3, 3), "carousel": (6, 1, 1, 2), "text": (2, 2, 3, 3), "people": (1, 1, 4, 0),
                  "photo": (0, 4, 2, 2)}  # education, community, culture, product: product runs a little over
TITLES = {"reel": "Reel", "carousel": "Carousel", "photo": "Photo post", "text": "Post", "people": "LinkedIn"}
TAGS = {"reel": ("reel", "video"), "carousel": ("carousel",), "photo": ("photo",), "people": ("people", "photo")}
ROLES = {"reel": ("producer", 120), "carousel": ("writer", 60), "photo": ("community", 30), "text": ("writer", 30),
         "people": ("writer", 45), "experiment": ("writer", 20), "ceo": ("writer", 60)}  # role, estimate (min)
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@dataclass
class Variant:
    """One network's published post: text, time, address, and its snapshots (taken_at, counts)."""

    channel: str
    text: str
    at: datetime
    url: str = ""
    readings: list[tuple[datetime, dict[str, int | None]]] = field(default_factory=list)


@dataclass
class Post:
    """A published card: board, format (reel, carousel, photo, text, people, experiment, ceo), variants."""

    board: str
    kind: str
    title: str
    master: str  # the card's post: the message told once
    pillar: str
    tags: list[str]
    rng: random.Random  # its own draws, seeded by its slot: its numbers do not depend on the other posts
    link: bool = False  # its variants link to the shop or the blog (where the network makes links clickable)
    hero: dict[str, int] = field(default_factory=dict)  # final Instagram counts the demo's other cards quote
    variants: list[Variant] = field(default_factory=list)

    @property
    def at(self) -> datetime:
        """When the card first went out (its publish time)."""
        return min(v.at for v in self.variants)


def _url(channel: str, at: datetime, kind: str, rng: random.Random) -> str:
    """The post's address in its network's real shape, its id made from the publish time where ids are."""

    def ms_id(shift: int, epoch_ms: int = 0) -> int:  # X, LinkedIn, Mastodon, Instagram: milliseconds up high
        return (int(at.timestamp() * 1000) - epoch_ms) << shift | rng.getrandbits(shift)

    def code(number: int, alphabet: str, size: int) -> str:  # most significant digit first
        return "".join(alphabet[number // len(alphabet) ** i % len(alphabet)] for i in reversed(range(size)))

    shortcode = code(ms_id(23, 1314220021721), _B64, 11)  # Instagram's and Threads' media ids
    return {
        "instagram": f"https://www.instagram.com/{'reel' if kind == 'reel' else 'p'}/{shortcode}/",
        "threads": f"https://www.threads.com/@northwindcoffee/post/{shortcode}",
        "linkedin": f"https://www.linkedin.com/feed/update/urn:li:activity:{ms_id(22)}/",
        "x": f"https://x.com/northwindcoffee/status/{ms_id(22, 1288834974657)}",
        "mastodon": f"https://mastodon.social/@northwindcoffee/{ms_id(16)}",
        "bluesky": "https://bsky.app/profile/northwindcoffee.bsky.social/post/"  # a TID: µs << 10 | clock id
                   + code(int(at.timestamp() * 1e6) << 10 | rng.getrandbits(10), "234567" + _B64[26:52], 13),
        "tiktok": f"https://www.tiktok.com/@northwindcoffee/video/{int(at.timestamp()) << 32 | rng.getrandbits(32)}",
        "youtube": f"https://www.youtube.com/shorts/{''.join(rng.choice(_B64) for _ in range(11))}",
        "facebook": f"https://www.facebook.com/northwindcoffee/posts/122{rng.randrange(10**14, 10**15)}",
    }[channel]


def _text(rng: random.Random, channel: str, topic: Topic, pillar: str, emoji: int, link: bool) -> str:
    """A post in the brand's voice: opener, body, call to action, `emoji` emoji spread over it, hashtags."""
    (title, body), (openers, calls, (link_call,)) = topic, VOICE[pillar]
    opener, headline = rng.choice(openers), title[0].upper() + title[1:]
    cta = link_call if link and channel in LINK_NETS else rng.choice(calls)
    short = channel in ("x", "bluesky", "threads")
    if channel in ("tiktok", "youtube"):  # a caption or a Short's title says what the video is, nothing more
        parts = [headline]
    elif short:  # the hook and the message, and the link if there is one: no room for a call to action
        parts = [opener, f"{headline}. {body}"] + ([cta] if link and channel in LINK_NETS else [])
    else:
        parts = [opener, f"{headline}. {body}", cta]
    for i, mark in enumerate(rng.sample(EMOJI, emoji)):  # the first on the hook, where writers put it
        parts[i % len(parts)] += " " + mark
    text = " ".join(parts) if short or len(parts) == 1 else f"{parts[0]} {parts[1]}\n\n{parts[2]}"
    pool, fewest, most = HASHTAGS.get(channel, ((), 0, 0))
    tags = rng.sample(pool, rng.randint(fewest, most))
    return text + ("\n\n" + " ".join(tags) if tags else "")


def _measure(post: Post, v: Variant, growth: float, zone: ZoneInfo, now: datetime) -> None:
    """The variant's 7-day counts (norms times the docstring's patterns) and its snapshots, growing, taken by `now`."""
    rng, net, reach, shares = post.rng, NETS[v.channel], growth, dict(NETS[v.channel].mix)
    noise = partial(rng.lognormvariate, 0.0)  # a multiplier with median 1
    rate = net.rate * (1.4 if post.board == "CEO" else 1.0)
    if v.channel == "linkedin":
        hour, emoji = v.at.astimezone(zone).hour, sum(v.text.count(e) for e in EMOJI)
        rate *= 1.35 if 8 <= hour < 10 else 1.1 if hour < 12 else 1.0 if hour < 14 else 0.75
        rate *= (1.0, 1.0, 0.88, 0.74, 0.62, 0.56)[min(emoji, 5)]
    if v.channel == "instagram":
        reach *= {"reel": 2.2, "carousel": 1.25}.get(post.kind, 1.0)
        rate *= {"reel": 1.25, "carousel": 1.15}.get(post.kind, 0.85)
    if post.kind == "carousel" and "saves" in shares:
        shares["saves"] *= 2.8  # a how-to is kept to come back to
    if post.pillar == "community":
        rate, shares["replies"] = rate * 1.1, shares["replies"] * 3.0
    if "link_clicks" in shares:
        shares["link_clicks"] *= 2.5 if post.link else 0.35
        reach *= 0.75 if post.link and v.channel in ("linkedin", "facebook", "x") else 1.0  # links are demoted
    final, impressions = dict[str, int | None](), 0.0
    if net.reach is not None:  # Maya's own following is larger than the brand page's; TikTok is hit or miss
        impressions = net.reach * (3.1 if post.board == "CEO" else 1.0) * reach * noise(
            0.7 if v.channel == "tiktok" else 0.35)
        total, final["impressions"] = impressions * rate * noise(0.2), round(impressions)
    else:  # Mastodon and Bluesky give no impressions: a typical count of interactions instead
        total = rate * reach * (1.15 if post.pillar == "community" else 1.0) * noise(0.45)
    for name, share in shares.items():
        final[name] = round(total * share / sum(shares.values()) * noise(0.15))
    if net.follows is not None:
        final["follows"] = round(impressions * net.follows * noise(0.4))
    final |= post.hero if v.channel == "instagram" else {}
    ages = list(zip((24, 48, 168) if net.source == "manual" else (2, 24, 48, 168), net.curve, strict=True))
    last: dict[str, int] = {}
    for hours, share in ages[1:] if net.source == "csv" and rng.random() > 0.4 else ages:  # a look at 2 h: some
        taken = v.at.astimezone(UTC) + timedelta(hours=hours, minutes=rng.randint(-15, 20))  # real hours
        for name, value in final.items():
            if value is not None:
                grown = value if share >= 1 else round(value * share * rng.uniform(0.96, 1.02))
                last[name] = min(value, max(last.get(name, 0), grown))
        if taken <= now:
            v.readings.append((taken, {name: None if value is None else last[name] for name, value in final.items()}))


def _nwc_post(rng: random.Random, kind: str, day: date, topic: Callable[[str, str], tuple[str, Topic]],
              at: Callable[..., datetime], *, hero: bool, linkedin: bool) -> Post:
    """One of the brand's regular posts: a pillar's topic in a format, on the networks that format goes to."""
    pillar, chosen = topic(rng.choices(list(TOPICS), weights=PILLAR_WEIGHTS[kind])[0], TITLES[kind])
    link, top = rng.random() < 0.35, dict[str, int]()  # top: the final Instagram counts of a hero post
    if hero:  # the carousel and the giveaway the demo's Measured cards ("Measure the …") report on
        pillar, words, link, top = ("education", "Huila", False, {"saves": 412, "impressions": 12460}) \
            if kind == "carousel" else ("community", "giveaway", link, {"follows": 1140})
        chosen = next(t for t in TOPICS[pillar] if words in t[0])
    own = at(day, *rng.choice(((8, 0), (8, 30), (9, 0), (9, 30)) if rng.random() < 0.4
                              else ((14, 0), (14, 30), (15, 0), (16, 0), (16, 30))))  # LinkedIn's slot
    first = own if kind == "text" else at(day, *{"reel": (18, 0), "photo": (10, 30)}.get(kind, (12, 0)))
    post = Post("NWC", kind, f"{TITLES[kind]}: {chosen[0]}", chosen[1], pillar, [*TAGS.get(kind, ())], rng, link, top)
    for channel, minutes, chance in FORMATS[kind]:
        if rng.random() < chance and (linkedin or channel != "linkedin"):
            text = _text(rng, channel, chosen, pillar, rng.randint(*EMOJI_RANGE[channel]), link)
            post.variants.append(Variant(channel, text, own if minutes is None else first + timedelta(minutes=minutes)))
    return post


def plan(cfg: Config, now: datetime) -> list[Post]:
    """Every history post, oldest first, with its texts, addresses and snapshots (pure: no database)."""
    zone = ZoneInfo(cfg.timezone)
    start, cutoff = now - timedelta(weeks=13), now - timedelta(hours=52)  # the newest has its 48 h reading
    monday = now.astimezone(zone).date() - timedelta(days=now.astimezone(zone).weekday())
    decks = {p: random.Random(f"{SEED}/{p}").sample(t, len(t)) for p, t in TOPICS.items()}
    drawn = dict.fromkeys(TOPICS, 0)
    used = {("Carousel", "Huila harvest, from farm to cup"), ("Photo post", "giveaway with the bakery next door")}

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=zone)

    def topic(pillar: str, prefix: str) -> tuple[str, Topic]:  # the next topic not yet posted in this format
        for deck in (pillar, *TOPICS):  # the pillar's own first, then any other's
            for _ in decks[deck]:
                drawn[deck] += 1
                chosen = decks[deck][drawn[deck] % len(decks[deck])]
                if (prefix, chosen[0]) not in used:
                    used.add((prefix, chosen[0]))
                    return deck, chosen
        return pillar, decks[pillar][0]  # every topic has been posted in this format: a repeat

    last = cutoff.astimezone(zone).date()  # the experiment's: the ten newest weekdays with 48 h of readings
    days = [d for d in (last - timedelta(days=n) for n in range(16)) if d.weekday() < 5 and at(d, 9, 45) <= cutoff][:10]
    posts: list[Post] = []
    for week in range(-14, 1):
        first = monday + timedelta(weeks=week)
        for kind, weekdays in (("reel", (2, 4)), ("carousel", (1, 3)), ("text", range(5)),
                               ("people", range(5)) if week % 2 == 0 else ("photo", (5, 6))):
            rng = random.Random(f"{SEED}/{week}/{kind}")
            day = first + timedelta(days=rng.choice(weekdays))
            post = _nwc_post(rng, kind, day, topic, at, hero=(week, kind) in ((-5, "carousel"), (-3, "photo")),
                             linkedin=day < days[-1])  # in the experiment's days LinkedIn is the experiment's
            if post.variants and start <= post.at and max(v.at for v in post.variants) <= cutoff:
                posts.append(post)
        when = at(first + timedelta(days=1), 8)  # Maya: every other Tuesday, before her first meeting
        if week % 2 and start <= when <= cutoff:
            pillar, title, body = CEO_POSTS[(week + 15) // 2 % len(CEO_POSTS)]
            rng = random.Random(f"{SEED}/{week}/ceo")
            posts.append(Post("CEO", "ceo", f"LinkedIn post: {title}", body, pillar, ["linkedin-post"], rng,
                              variants=[Variant("linkedin", f"{body}\n\n{rng.choice(CEO_CLOSERS)}", when)]))
    for i, day in enumerate(sorted(days)):  # the arms swap times daily: time of day cannot explain a winner
        for arm, hour in (("low", (8, 15)), ("high", (9, 45))) if i % 2 == 0 else (("high", (8, 15)), ("low", (9, 45))):
            rng = random.Random(f"{SEED}/experiment/{i}/{arm}")
            pillar, chosen = topic(rng.choice(list(TOPICS)), "LinkedIn")
            link = rng.random() < 0.3
            text = _text(rng, "linkedin", chosen, pillar, rng.choice((0, 1) if arm == "low" else (3, 4, 5)), link)
            posts.append(Post("NWC", "experiment", f"LinkedIn: {chosen[0]}", chosen[1], pillar, [f"exp-emoji-{arm}"],
                              rng, link, variants=[Variant("linkedin", text, at(day, *hour))]))
    posts.sort(key=lambda p: p.at)
    for post in posts:
        growth = 0.85 + 0.3 * ((post.at - start) / (cutoff - start))  # the audience grows over the quarter
        for v in post.variants:
            v.url = _url(v.channel, v.at, post.kind, post.rng)
            _measure(post, v, growth, zone, now)
    return posts


def add_history(session: Session, cfg: Config, now: datetime) -> int:
    """Add the quarter of published posts to the demo boards, in batches of plain SQL (`Db.many`: the demo stays
    quick); returns the card count. The cards take the next numbers: the demo file's own cards keep theirs."""
    session.flush()  # the demo file's cards must be rows before their columns' last positions are read
    db, posts, rng = Db(session), plan(cfg, now), random.Random(SEED + "/cards")
    boards = {str(key): (int(bid), int(nxt)) for bid, key, nxt in db.rows("SELECT id, key, next_number FROM board")}
    columns = {(int(b), str(name)): int(c) for c, b, name in db.rows("SELECT id, board_id, name FROM board_column")}
    tops = {int(c): float(top) for c, top in db.rows("SELECT column_id, MAX(position) FROM card GROUP BY column_id")}
    numbers = {key: nxt for key, (_, nxt) in boards.items()}
    cards: list[dict[str, Any]] = []
    for post in posts:  # numbered oldest first, as they were made
        board_id, (role, estimate) = boards[post.board][0], ROLES[post.kind]
        # Measured once its week of numbers is in and looked at; until then it sits in Published.
        column = columns[(board_id, "Measured" if now - post.at > timedelta(days=8) else "Published")]
        done = max(v.at for v in post.variants) + timedelta(minutes=rng.randint(2, 40))
        cards.append({"board_id": board_id, "number": numbers[post.board], "column_id": column, "title": post.title,
                      "post": post.master, "role": role, "estimate_minutes": estimate,
                      "spent_minutes": 5 * round(estimate * rng.uniform(0.7, 1.4) / 5), "publish_at": post.at,
                      "campaign": "Huila harvest" if "Huila" in post.title else None, "pillar": post.pillar,
                      "priority": cfg.default_priority, "created_at": post.at - timedelta(
                          days=rng.randint(2, 12), hours=rng.randint(0, 6)), "updated_at": done, "completed_at": done})
        numbers[post.board] += 1
    for card in reversed(cards):  # newest first in each column, under the demo file's own cards
        card["position"] = tops[card["column_id"]] = tops.get(card["column_id"], 0.0) + 1
    db.many(f"INSERT INTO card ({', '.join(cards[0])}, notes, popup) VALUES "
            f"({', '.join(':' + name for name in cards[0])}, '', :no)", [c | {"no": False} for c in cards])
    db.many("UPDATE board SET next_number = :n WHERE key = :key", [{"n": n, "key": k} for k, n in numbers.items()])
    ids = {(str(k), int(n)): int(c) for c, k, n in db.rows(
        "SELECT c.id, b.key, c.number FROM card c JOIN board b ON b.id = c.board_id", bulk=True)}
    made = [(ids[(p.board, c["number"])], p) for c, p in zip(cards, posts, strict=True)]
    db.many("INSERT INTO card_channel (card_id, channel, position) VALUES (:card, :channel, :position)",
            [{"card": cid, "channel": v.channel, "position": i} for cid, p in made for i, v in enumerate(p.variants)])
    db.many("INSERT INTO card_tag (card_id, tag) VALUES (:card, :tag)",
            [{"card": cid, "tag": tag} for cid, p in made for tag in p.tags])
    db.many("INSERT INTO post_variant (card_id, channel, position, text, first_comment, alt_text, publish_at, status, "
            "url) VALUES (:card, :channel, :position, :text, '', :alt, :at, 'published', :url)",
            [{"card": cid, "channel": v.channel, "position": i, "text": v.text, "at": v.at, "url": v.url,
              "alt": f"Photo: {p.title.split(': ', 1)[1]}." if p.kind in ("carousel", "photo", "people") else ""}
             for cid, p in made for i, v in enumerate(p.variants)])
    # Maya's posts went through the exec board's approval gate, as her new ones must.
    db.many("INSERT INTO approval (card_id, at, by, verdict, note) VALUES (:card, :at, 'Maya Okafor', 'approve', '')",
            [{"card": cid, "at": p.at - timedelta(hours=20)} for cid, p in made if p.board == "CEO"])
    record(db, [Reading(cid, v.channel, taken, NETS[v.channel].source, counts)
                for cid, p in made for v in p.variants for taken, counts in v.readings])
    return len(posts)
