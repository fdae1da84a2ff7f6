"""Experiments end to end through the CLI on SQLite and PostgreSQL: new, assign, status before and after the
minimum, a verdict from the snapshots at the evaluation age, confounder warnings, close (one undo step)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

pytestmark = pytest.mark.backends

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=PARIS)
START = datetime(2026, 11, 2, 9, 0, tzinfo=PARIS)  # a Monday, four weeks back


def _post(cli: Any, n: int, when: datetime, channel: str, likes: int, impressions: int | None) -> str:
    """A published post with one snapshot 47 h after it went out (or now, for a younger one)."""
    ref = f"MAIN-{n}"
    assert cli("add", f"Post {n}", "--channel", channel, "--publish", when.isoformat()).code == 0
    assert cli("variant", ref, channel, "--text", f"post {n}", "--status", "published",
               "--url", f"https://example.org/{channel}/{n}").code == 0
    counts = ["--likes", str(likes)] + (["--impressions", str(impressions)] if impressions is not None else [])
    at = min(when + timedelta(hours=47), NOW)
    assert cli("metrics", "add", ref, "-c", channel, "--at", at.isoformat(), *counts).code == 0
    return ref


@pytest.fixture
def emoji(cli: Any) -> Any:
    """Ten LinkedIn posts over two weeks, alternating arms at the same hours; B's do better."""
    with time_machine.travel(NOW, tick=False):
        assert cli("experiment", "new", "emoji-count", "--variable", "emoji", "--arms", "A,B",
                   "--hypothesis", "Fewer emoji, more engagement", "--min-posts", "4",
                   "--describe", "A=3+ emoji", "--describe", "B=0-1 emoji").code == 0
        for n in range(1, 11):
            when = START + timedelta(days=n)
            arm = "A" if n % 2 else "B"
            likes = 20 + n if arm == "A" else 40 + n
            ref = _post(cli, n, when, "linkedin", likes, 1000)
            assert cli("experiment", "assign", "emoji-count", arm, ref).code == 0
        yield cli


def test_a_verdict_from_the_snapshots_at_the_evaluation_age(emoji: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        out = json.loads(emoji("experiment", "status", "emoji-count", "--json").out)
    assert out["ready"] and [(a["arm"], a["n"]) for a in out["arms"]] == [("A", 5), ("B", 5)]
    assert out["arms"][0]["mean"] == pytest.approx(0.025) and out["arms"][1]["mean"] == pytest.approx(0.046)
    (comparison,) = out["comparisons"]
    assert comparison["arm"] == "B" and comparison["p_value"] < 0.05 and comparison["effect"] == pytest.approx(0.021)
    assert out["verdict"].startswith("B: +")


def test_not_enough_posts_says_how_many_are_missing(cli: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        assert cli("experiment", "new", "hook", "--variable", "hook").code == 0
        ref = _post(cli, 1, START, "linkedin", 10, 500)
        assert cli("experiment", "assign", "hook", "b", ref).code == 0  # arm labels: any case
        young = _post(cli, 2, NOW - timedelta(hours=5), "linkedin", 3, 100)
        assert cli("experiment", "assign", "hook", "A", young).code == 0
        out = json.loads(cli("experiment", "status", "hook", "--json").out)
    assert out["verdict"] == "not enough posts yet (0 of 8 in A; 1 of 8 in B)" and out["comparisons"] == []
    assert [p["why_not"] for p in out["posts"]] == ["not 48 h old yet", None]


def test_arms_that_differ_in_channel_or_weekday_are_warned_about(cli: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        assert cli("experiment", "new", "fmt", "--variable", "format", "--min-posts", "2").code == 0
        for n in range(1, 5):
            ref = _post(cli, n, START + timedelta(days=7 * (n % 2)), "linkedin" if n % 2 else "x", 10 * n, 100)
            assert cli("experiment", "assign", "fmt", "A" if n % 2 else "B", ref).code == 0
        out = json.loads(cli("experiment", "status", "fmt", "--json").out)
    assert any("differ in channel" in w for w in out["warnings"]), out["warnings"]


def test_close_can_keep_the_conclusion_in_the_voice_profile(emoji: Any, isolated_paths: Any) -> None:
    config = isolated_paths / "config.toml"
    config.write_text(config.read_text() + '# ours\n[voice.MAIN]\ntone = "Plain words."\n')
    with time_machine.travel(NOW, tick=False):
        r = emoji("experiment", "close", "emoji-count", "--note", "≤ 1 emoji on LinkedIn", "--to-voice", "main")
    assert r.code == 0 and "[voice.MAIN]" in r.out
    text = config.read_text()
    assert "# ours" in text and "Plain words." in text and "Learned (emoji-count): ≤ 1 emoji on LinkedIn" in text
    from organizer.config import load_config

    assert load_config().voice["MAIN"]["tone"].endswith("Learned (emoji-count): ≤ 1 emoji on LinkedIn")


def test_close_records_the_conclusion_and_undo_reopens(emoji: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        r = emoji("experiment", "close", "emoji-count")
        assert r.code == 0 and "closed emoji-count: emoji: B: +" in r.out
        listed = json.loads(emoji("experiment", "list", "--json").out)
        assert listed[0]["status"] == "closed" and listed[0]["conclusion"].startswith("emoji: B: +")
        assert emoji("experiment", "assign", "emoji-count", "A", "MAIN-1").code == 2  # closed: posts stay
        shown = json.loads(emoji("show", "MAIN-2", "--json").out)["experiments"]
        assert shown == [{"key": "emoji-count", "channel": "linkedin", "arm": "B", "status": "closed",
                          "conclusion": listed[0]["conclusion"]}]
        assert emoji("undo").code == 0
        assert json.loads(emoji("experiment", "list", "--json").out)[0]["status"] == "open"


def test_the_demos_emoji_experiment_reads_an_honest_verdict(cli: Any, db_location: str) -> None:
    """The issue's "done when": an experiment on emoji count over the demo's last two weeks of LinkedIn posts."""
    with time_machine.travel(datetime(2026, 11, 26, 9, 0, tzinfo=PARIS), tick=False):
        assert cli("demo", "--keep", db_location, "--no-app").code == 0
        assert cli("experiment", "new", "emoji-count", "--variable", "emoji", "--arms", "low,high").code == 0
        assert cli("experiment", "assign", "emoji-count", "low", "--tag", "exp-emoji-low").code == 0
        assert cli("experiment", "assign", "emoji-count", "high", "--tag", "exp-emoji-high").code == 0
        out = json.loads(cli("experiment", "status", "emoji-count", "--json").out)
        text = cli("experiment", "status", "emoji-count").out
    assert [(a["arm"], a["n"]) for a in out["arms"]] == [("low", 10), ("high", 10)]
    assert out["ready"] and out["warnings"] == []  # same channel, weekdays and times on both sides
    (comparison,) = out["comparisons"]
    assert comparison["test"] == "Mann–Whitney U" and comparison["effect"] < 0 and comparison["ci"][1] < 0
    assert out["verdict"].startswith("high: −") and "points" in text
    assert cli("experiment", "assign", "emoji-count", "low", "--tag", "nope").code == 2


def test_undo_keeps_a_posts_numbers_and_its_place_in_an_experiment(emoji: Any) -> None:
    """Undoing an edit restores the card's variants in place (their snapshots hang off them); rm + undo brings the
    snapshots and the experiment place back with the card."""
    with time_machine.travel(NOW, tick=False):
        before = json.loads(emoji("metrics", "list", "MAIN-2", "--json").out)
        assert emoji("edit", "MAIN-2", "--title", "Renamed").code == 0 and emoji("undo").code == 0
        assert json.loads(emoji("metrics", "list", "MAIN-2", "--json").out) == before
        assert json.loads(emoji("experiment", "status", "emoji-count", "--json").out)["arms"][1]["n"] == 5
        assert emoji("rm", "MAIN-2").code == 0
        assert json.loads(emoji("experiment", "status", "emoji-count", "--json").out)["arms"][1]["n"] == 4
        assert emoji("undo").code == 0
        assert json.loads(emoji("metrics", "list", "MAIN-2", "--json").out) == before
        assert json.loads(emoji("experiment", "status", "emoji-count", "--json").out)["arms"][1]["n"] == 5


@pytest.mark.parametrize(("args", "message"), [
    (("new", "Bad Key!", "--variable", "x"), "experiment key 'bad key!' is not valid"),
    (("new", "k", "--variable", "x", "--arms", "A"), "give 2 to 6"),
    (("new", "k", "--variable", "x", "--arms", "A,a"), "distinct"),
    (("new", "k", "--variable", "x", "--age", "90m"), "whole hours"),
    (("new", "k", "--variable", "x", "--describe", "C=more"), "not among A,B"),
    (("status", "nope"), "experiment 'nope' does not exist"),
])
def test_bad_input_is_named(cli: Any, args: tuple[str, ...], message: str) -> None:
    r = cli("experiment", *args)
    assert r.code == 2 and message in r.err, r.err
    assert json.loads(cli("experiment", "list", "--json").out) == []
