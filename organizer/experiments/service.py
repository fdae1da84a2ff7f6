"""Organic experiments in the database: create one, assign posts to its arms, read its status, close it.

Plain SQL through organizer.storage.plain.Db inside the caller's transaction (one user action, one
transaction). The numbers come from the metrics snapshots (organizer.metrics): each post is read at the
experiment's evaluation age, and only a post that has reached it and has a snapshot near it counts. What
`status` says is only what the data supports: the test and its p-value come from organizer.experiments.stats,
and before every arm has its minimum of posts it says how many are missing instead of a verdict. Arms that
differ in something besides the tested variable (channels, weekdays, hours) get a warning, since the
difference could come from that instead.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from organizer.experiments import stats
from organizer.instants import readable
from organizer.metrics import store
from organizer.metrics.model import Snapshot, at_age, engagement_rate, interactions
from organizer.storage.plain import Db
from organizer.validate import InputError

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
ARM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,23}$")
MAX_ARMS = 6
METRICS = ("engagement_rate", "interactions")
# A post is read at the snapshot nearest its evaluation age; one further off than this says little about it.
_NEAR = 0.25  # of the age, at least 6 hours
_TIME_VARIABLES = {"time", "posting-time", "posting_time", "hour", "day", "weekday", "schedule"}


@dataclass(frozen=True)
class Post:
    """One post of an experiment: its variant, arm, the value read at the evaluation age (None: not yet)."""

    ref: str
    channel: str
    arm: str
    published_at: datetime | None
    value: float | None
    why_not: str = ""  # when value is None: "not 48 h old yet", "no snapshot near 48 h", "no impressions"
    impressions: int | None = None
    interactions: int | None = None


@dataclass(frozen=True)
class Status:
    """What an experiment's data supports now."""

    key: str
    hypothesis: str
    variable: str
    metric: str
    eval_hours: int
    min_posts: int
    state: str  # open | closed
    conclusion: str
    arms: tuple[stats.ArmSummary, ...]
    posts: tuple[Post, ...]
    comparisons: tuple[stats.Comparison, ...]
    verdict: str  # the one sentence: the test's, or how many posts are missing
    warnings: tuple[str, ...] = field(default_factory=tuple)
    ready: bool = False  # every arm has its minimum of posts read


def _experiment(db: Db, key: str) -> dict[str, Any]:
    found = db.dicts("SELECT * FROM experiment WHERE key = :key", {"key": key.strip().lower()})
    if not found:
        known = [r[0] for r in db.rows("SELECT key FROM experiment ORDER BY created_at")]
        raise InputError(f"experiment {key!r} does not exist" + (f": there are {', '.join(known)}" if known
                                                                 else ": organizer experiment new KEY --variable …"))
    return found[0]


def _arms(db: Db, experiment_id: int) -> list[dict[str, Any]]:
    return db.dicts("SELECT id, label, description FROM experiment_arm WHERE experiment_id = :id ORDER BY position",
                    {"id": experiment_id})


def create(db: Db, key: str, *, variable: str, arms: Sequence[str], now: datetime, hypothesis: str = "",
           metric: str = "engagement_rate", eval_hours: int = 48, min_posts: int = 8,
           describe: dict[str, str] | None = None) -> str:
    """Start an experiment; its key."""
    key = key.strip().lower()
    if not KEY.match(key):
        raise InputError(f"experiment key {key!r} is not valid: use up to 40 lower-case letters, digits and -, "
                         "e.g. emoji-count")
    if not variable.strip():
        raise InputError("an experiment tests one variable: give --variable, e.g. emoji, time, hook, format")
    labels = [a.strip() for a in arms if a.strip()]
    if len(labels) < 2 or len(labels) > MAX_ARMS:
        raise InputError(f"arms {','.join(labels) or '(none)'!r} are not valid: give 2 to {MAX_ARMS}, e.g. A,B")
    bad = [a for a in labels if not ARM.match(a)]
    if bad or len({a.casefold() for a in labels}) != len(labels):
        raise InputError(f"arm labels must be distinct short names (letters, digits, space, _ or -): got "
                         f"{', '.join(labels)}")
    if metric not in METRICS:
        raise InputError(f"metric {metric!r} is not valid: use {' or '.join(METRICS)}")
    if not 1 <= eval_hours <= 24 * 90:
        raise InputError(f"evaluation age {eval_hours} h is not valid: use 1 hour to 90 days")
    if not 2 <= min_posts <= 1000:
        raise InputError(f"--min-posts {min_posts} is not valid: use 2 to 1000 (a test needs at least 2 a side)")
    unknown = set(describe or {}) - set(labels)
    if unknown:
        raise InputError(f"--describe names arm(s) {', '.join(sorted(unknown))} that are not among {','.join(labels)}")
    if db.rows("SELECT 1 FROM experiment WHERE key = :key", {"key": key}):
        raise InputError(f"experiment {key!r} exists already: pick another key")
    db.rows("INSERT INTO experiment (key, hypothesis, variable, metric, eval_hours, min_posts, status, conclusion, "
            "created_at) VALUES (:key, :hyp, :var, :metric, :hours, :min, 'open', '', :now)",
            {"key": key, "hyp": hypothesis.strip(), "var": variable.strip().lower(), "metric": metric,
             "hours": eval_hours, "min": min_posts, "now": now}, fetch=False)
    experiment_id = _experiment(db, key)["id"]
    db.many("INSERT INTO experiment_arm (experiment_id, label, description, position) VALUES (:id, :label, :text, :n)",
            [{"id": experiment_id, "label": label, "text": (describe or {}).get(label, ""), "n": n}
             for n, label in enumerate(labels)])
    return key


def tagged(db: Db, tag: str) -> list[str]:
    """The IDs of the cards with a tag that have a published variant, oldest first."""
    return [f"{key}-{number}" for key, number, _ in db.rows(
        "SELECT DISTINCT b.key, c.number, c.id FROM card c JOIN board b ON b.id = c.board_id JOIN card_tag t "
        "ON t.card_id = c.id JOIN post_variant v ON v.card_id = c.id WHERE lower(t.tag) = :tag "
        "AND (v.status = 'published' OR (v.url IS NOT NULL AND v.url <> '')) ORDER BY c.id",
        {"tag": tag.strip().lower()})]


def assign(db: Db, key: str, arm: str, refs: Sequence[str], channel: str | None = None) -> list[str]:
    """Put posts (card variants) in an arm (moving them from another arm of the same experiment); their names."""
    experiment = _experiment(db, key)
    if experiment["status"] != "open":
        raise InputError(f"experiment {experiment['key']} is closed: its posts stay as they were")
    arms = {a["label"].casefold(): a for a in _arms(db, experiment["id"])}
    chosen = arms.get(arm.strip().casefold())
    if chosen is None:
        names = ", ".join(a["label"] for a in arms.values())
        raise InputError(f"arm {arm!r} is not one of {experiment['key']}'s: {names}")
    variants = [store.find_variant(db, ref, channel) for ref in refs]
    for v in variants:
        db.rows("DELETE FROM experiment_post WHERE experiment_id = :e AND card_id = :c AND channel = :ch",
                {"e": experiment["id"], "c": v.card_id, "ch": v.channel}, fetch=False)
    db.many("INSERT INTO experiment_post (experiment_id, card_id, channel, arm_id) VALUES (:e, :c, :ch, :arm)",
            [{"e": experiment["id"], "c": v.card_id, "ch": v.channel, "arm": chosen["id"]} for v in variants])
    return [f"{v.ref} {v.channel}" for v in variants]


def _read(snapshots: Sequence[Snapshot], hours: int, metric: str, now: datetime,
          published: datetime | None) -> tuple[float | None, str, int | None, int | None]:
    """A post's value at the evaluation age, or why there is none."""
    if published is None:
        return None, "no publish time", None, None
    if now - published < timedelta(hours=hours):
        return None, f"not {hours} h old yet", None, None
    near = at_age(snapshots, hours)
    tolerance = max(timedelta(hours=6), timedelta(hours=hours * _NEAR))
    if near is None or near.age is None or abs(near.age - timedelta(hours=hours)) > tolerance:
        return None, f"no snapshot near {hours} h", None, None
    total, seen = interactions(near.counts), near.counts.get("impressions")
    if metric == "engagement_rate":
        rate = engagement_rate(near.counts)
        if rate is None:
            return None, "no impressions", seen, total
        return rate, "", seen, total
    if total is None:
        return None, "no interactions counted", seen, total
    return float(total), "", seen, total


def status(db: Db, key: str, now: datetime, tz: str) -> Status:
    """The experiment's arms, posts, test and verdict as of `now`."""
    experiment = _experiment(db, key)
    arms = _arms(db, experiment["id"])
    label_of = {a["id"]: a["label"] for a in arms}
    assigned = db.rows("SELECT card_id, channel, arm_id FROM experiment_post WHERE experiment_id = :e",
                       {"e": experiment["id"]})
    variants = {(v.card_id, v.channel): v for v in store.variants_of(db, {c for c, _, _ in assigned})}
    grouped = store.by_variant(store.snapshots(db, card_ids={c for c, _, _ in assigned}))
    hours, metric = int(experiment["eval_hours"]), str(experiment["metric"])
    posts: list[Post] = []
    for card_id, channel, arm_id in assigned:
        v = variants.get((card_id, channel))
        if v is None:
            continue
        value, why, seen, total = _read(grouped.get((card_id, channel), []), hours, metric, now, v.published_at)
        posts.append(Post(v.ref, channel, label_of[arm_id], v.published_at, value, why, seen, total))
    posts.sort(key=lambda p: ([a["label"] for a in arms].index(p.arm), p.published_at or now, p.ref))
    values = {a["label"]: [p.value for p in posts if p.arm == a["label"] and p.value is not None] for a in arms}
    summaries = tuple(stats.summarize(label, vals) for label, vals in values.items())
    missing = [(s.label, s.n) for s in summaries if s.n < int(experiment["min_posts"])]
    warnings = _confounders(posts, arms, str(experiment["variable"]), ZoneInfo(tz))
    if metric == "engagement_rate":
        lacking = sum(1 for p in posts if p.why_not == "no impressions")
        if lacking:
            warnings.append(f"{lacking} post(s) left out: no impressions known (their network gives none, or none "
                            "were recorded); an experiment with --metric interactions compares them")
    comparisons: tuple[stats.Comparison, ...] = ()
    if missing:
        verdict = "not enough posts yet (" + "; ".join(
            f"{n} of {experiment['min_posts']} in {label}" for label, n in missing) + ")"
    else:
        proportions = None
        counted = [p for p in posts if p.value is not None]
        if metric == "engagement_rate" and counted and all(p.impressions for p in counted):
            proportions = {a["label"]: (sum(p.interactions or 0 for p in counted if p.arm == a["label"]),
                                        sum(p.impressions or 0 for p in counted if p.arm == a["label"]))
                           for a in arms}
        comparisons = tuple(stats.compare(values, proportions=proportions))
        verdict = stats.verdict(comparisons, metric=metric.replace("_", " "))
    return Status(str(experiment["key"]), str(experiment["hypothesis"]), str(experiment["variable"]), metric, hours,
                  int(experiment["min_posts"]), str(experiment["status"]), str(experiment["conclusion"]), summaries,
                  tuple(posts), comparisons, verdict, tuple(warnings), ready=not missing)


def _confounders(posts: Sequence[Post], arms: Sequence[dict[str, Any]], variable: str, zone: ZoneInfo) -> list[str]:
    """Warnings for arms that differ in something besides the tested variable."""
    out: list[str] = []
    labels = [a["label"] for a in arms]
    by_arm = {label: [p for p in posts if p.arm == label] for label in labels}

    def spread(name: str, key: Any) -> None:
        shares = {}
        for label, arm_posts in by_arm.items():
            counted = Counter(key(p) for p in arm_posts)
            total = sum(counted.values())
            shares[label] = {k: n / total for k, n in counted.items()} if total else {}
        filled = [s for s in shares.values() if s]
        if len(filled) < 2:
            return
        levels = set().union(*filled)
        worst = max(sum(abs(a.get(k, 0) - b.get(k, 0)) for k in levels) / 2 for a in filled for b in filled)
        if worst > 0.3:  # total variation distance: a third of one arm's posts would have to change
            described = "; ".join(f"{label}: " + ", ".join(f"{k} {round(v * 100)} %" for k, v in
                                                            sorted(s.items(), key=lambda kv: -kv[1])[:3])
                                  for label, s in shares.items() if s)
            out.append(f"the arms differ in {name} ({described}): the difference could come from that")

    spread("channel", lambda p: p.channel)
    if variable not in _TIME_VARIABLES:
        dated = [p for p in posts if p.published_at is not None]
        if dated:
            spread("weekday", lambda p: p.published_at.astimezone(zone).strftime("%a") if p.published_at else "?")
            spread("time of day", lambda p: _daypart(p.published_at.astimezone(zone).hour) if p.published_at
                   else "?")
    return out


def _daypart(hour: int) -> str:
    return "morning" if hour < 12 else "afternoon" if hour < 17 else "evening"


def close(db: Db, key: str, now: datetime, note: str, tz: str) -> tuple[str, Status]:
    """Close the experiment with a conclusion (the note, else the verdict); the conclusion and the status."""
    current = status(db, key, now, tz)
    if current.state == "closed":
        raise InputError(f"experiment {current.key} is closed already: {current.conclusion}")
    conclusion = note.strip() or _conclusion(current)
    db.rows("UPDATE experiment SET status = 'closed', conclusion = :text, closed_at = :now WHERE key = :key",
            {"text": conclusion, "now": now, "key": current.key}, fetch=False)
    return conclusion, current


def _conclusion(current: Status) -> str:
    """A note worth keeping in the voice profile or a template: the verdict with its numbers."""
    n = sum(s.n for s in current.arms)
    return f"{current.variable}: {current.verdict} (n = {n}, read at {current.eval_hours} h)"


def listing(db: Db) -> list[dict[str, Any]]:
    """Every experiment with its arm labels and post count, newest first."""
    out = []
    for row in db.dicts("SELECT id, key, variable, metric, status, conclusion, created_at FROM experiment "
                        "ORDER BY created_at DESC, id DESC"):
        labels = [a["label"] for a in _arms(db, row["id"])]
        count = db.rows("SELECT COUNT(*) FROM experiment_post WHERE experiment_id = :e", {"e": row["id"]})[0][0]
        out.append({"key": row["key"], "variable": row["variable"], "metric": row["metric"], "status": row["status"],
                    "arms": labels, "posts": int(count), "conclusion": row["conclusion"],
                    "created_at": readable(row["created_at"])})
    return out
