"""The content mix on SQLite and PostgreSQL: exact percentages on a fixture, drift and verdicts, an empty range,
pillars without a target listed (not dropped), and the JSON porcelain."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

pytestmark = pytest.mark.backends

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture
def mixed(cli: Any, isolated_paths: Any) -> Any:
    config = isolated_paths / "config.toml"
    config.write_text(config.read_text() + "[mix.MAIN.pillars]\neducate = 40\nentertain = 25\ncommunity = 20\n"
                                           "promote = 15\n[mix.MAIN.channels]\ninstagram = 50\nlinkedin = 50\n")
    with time_machine.travel(NOW, tick=False):
        for i, (pillar, channel, column) in enumerate([
                ("educate", "instagram", "ideas"), ("educate", "linkedin", "published"), ("promote", "instagram",
                                                                                            "scheduled"),
                ("promote", "instagram", "published"), ("promote", "linkedin", "ideas"), ("memes", "x", "ideas"),
                ("educate", "linkedin", "ideas"), ("community", "instagram", "published")]):
            assert cli("add", f"Post {i}", "--pillar", pillar, "-c", channel, "--column", column,
                       "--publish", f"2026-12-{10 + i} 09:00").code == 0
        assert cli("add", "Outside the range", "--pillar", "promote", "--publish", "2027-01-05 09:00").code == 0
        assert cli("add", "No publish time", "--pillar", "promote").code == 0
        yield cli


def test_exact_shares_drift_and_verdicts(mixed: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        out = json.loads(mixed("mix", "--month", "--json").out)
    assert (out["planned"], out["published"]) == (8, 3)
    rows = {p["pillar"]: p for p in out["pillars"]}
    assert list(rows) == ["educate", "entertain", "community", "promote", "memes"]  # targets first, then the rest
    assert rows["educate"]["planned_pct"] == 37.5 and rows["educate"]["drift_points"] == -2.5
    assert rows["promote"]["planned_pct"] == 37.5 and rows["promote"]["drift_points"] == 22.5
    assert rows["promote"]["verdict"] == "promote 38 % planned vs 15 % target: 22 points over"
    assert rows["entertain"]["planned"] == 0 and rows["entertain"]["verdict"].endswith("25 points under")
    assert rows["memes"]["target_pct"] is None and rows["memes"]["verdict"] == "memes 12 % planned: no target"
    assert rows["community"]["published_pct"] == pytest.approx(33.3)
    channels = {c["channel"]: c for c in out["channels"]}
    assert channels["instagram"]["planned_pct"] == 50.0 and channels["x"]["target_pct"] is None
    assert set(out["range"]) == {"from", "to"} and out["range"]["from"].startswith("2026-12-01T00:00")


def test_an_empty_range_and_bad_ranges(mixed: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        empty = json.loads(mixed("mix", "--from", "2027-03-01", "--to", "2027-03-31", "--json").out)
        assert empty["planned"] == 0 and all(p["planned_pct"] == 0 for p in empty["pillars"])
        r = mixed("mix", "--from", "fri")
        assert r.code == 2 and "both --from and --to" in r.err
        assert mixed("mix", "-b", "NOPE").code == 2


def test_targets_kept_in_the_database_and_the_config_winning(cli: Any, isolated_paths: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        assert cli("add", "A", "--pillar", "promo", "--publish", "2026-12-10 09:00").code == 0
        assert cli("add", "B", "--pillar", "learn", "--publish", "2026-12-11 09:00").code == 0
        r = cli("mix", "--pillars", "learn=70,promo=30", "--json")
        assert r.code == 0, r.err
        rows = {p["pillar"]: p for p in json.loads(r.out)["pillars"]}
        assert (rows["learn"]["target_pct"], rows["promo"]["drift_points"]) == (70, 20)
        assert cli("mix", "--pillars", "learn=80,promo=30").code == 2  # 110 %
        assert cli("mix", "--pillars", "learn").code == 2
        config = isolated_paths / "config.toml"
        config.write_text(config.read_text() + "[mix.MAIN.pillars]\nlearn = 50\npromo = 50\n")
        rows = {p["pillar"]: p for p in json.loads(cli("mix", "--json").out)["pillars"]}
        assert rows["learn"]["target_pct"] == 50  # the config wins over what the database keeps


@pytest.mark.sqlite_only
def test_the_demo_ships_targets_and_promotion_runs_over(cli: Any, isolated_paths: Any) -> None:
    demo = isolated_paths / "demo.db"
    assert cli("demo", "--keep", str(demo), "--no-app").code == 0
    out = json.loads(cli("mix", "--db", str(demo), "-b", "NWC", "--json").out)
    rows = {p["pillar"]: p for p in out["pillars"]}
    assert rows["product"]["target_pct"] == 15 and rows["product"]["drift_points"] > 0
