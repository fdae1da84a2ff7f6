"""Production templates through the CLI, on SQLite and PostgreSQL: `new` schedules the steps backwards and
writes them as one undo step, refuses what cannot fit (nothing written), and bad templates are named."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

pytestmark = pytest.mark.backends

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def test_new_makes_the_card_and_its_steps_scheduled_backwards(cli: Any, clock: Any) -> None:
    r = cli("new", "video-30s", "Winter Blend reel", "--publish", "fri 08:30", "-c", "instagram,tiktok", "--json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert len(out["steps"]) == 9 and out["card"] == "MAIN-1"
    card = json.loads(cli("show", out["card"], "--json").out)
    assert card["publish"].startswith("2026-12-04T08:30") and card["channels"] == ["instagram", "tiktok"]
    assert [v["channel"] for v in card["variants"]] == ["instagram", "tiktok"]
    assert card["steps"] == [s["id"] for s in out["steps"]]
    dues = [datetime.fromisoformat(json.loads(cli("show", s["id"], "--json").out)["due"]) for s in out["steps"]]
    assert dues == sorted(dues) and dues[-1] <= datetime(2026, 12, 4, 8, 30, tzinfo=PARIS)
    for due in dues:  # inside working hours (09:00–12:30, 13:30–17:30)
        local = due.astimezone(PARIS).time()
        assert "09:00" < local.strftime("%H:%M") <= "12:30" or "13:30" < local.strftime("%H:%M") <= "17:30"
    approve = next(s for s in out["steps"] if s["title"].startswith("Approve"))
    assert approve["due"] < "2026-12-04"  # a working day before publish
    # One undo takes the whole piece back.
    assert cli("undo").code == 0
    assert json.loads(cli("list", "--json", "--all").out) == []


def test_a_chain_that_cannot_fit_creates_nothing(cli: Any, clock: Any) -> None:
    r = cli("new", "video-30s", "Rushed", "--publish", "today 10:00")
    assert r.code == 2 and "do not fit" in r.err and "earliest publish time that fits is" in r.err
    assert "nothing was created" in r.err
    assert cli("add", "other").code == 0 and [c["title"] for c in json.loads(cli("list", "--json").out)] == ["other"]


def test_dry_run_shows_the_schedule_and_writes_nothing(cli: Any, clock: Any) -> None:
    assert cli("add", "existing").code == 0
    r = cli("new", "newsletter", "December issue", "--publish", "thu 10:00", "--dry-run", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["dry_run"] is True and len(json.loads(r.out)["steps"]) == 4
    assert len(json.loads(cli("list", "--json").out)) == 1


def test_templates_list_and_show(cli: Any) -> None:
    names = [t["name"] for t in json.loads(cli("templates", "--json").out)]
    assert {"video-30s", "carousel", "newsletter", "long-post", "exec-ghostwritten-post", "live-event"} <= set(names)
    shown = json.loads(cli("templates", "show", "video", "--json").out)
    assert sum(s["minutes"] for s in shown["steps"]) == 135  # about two hours, with a copy step per channel
    assert cli("templates", "show", "nope").code == 2


@pytest.mark.sqlite_only
def test_a_users_template_is_checked_and_named(cli: Any, isolated_paths: Any, clock: Any) -> None:
    folder = isolated_paths / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "podcast.toml").write_text('name = "podcast"\n[[step]]\ntitle = "Record: {title}"\nestimate = "1h"\n'
                                         '[[step]]\ntitle = "Edit: {title}"\nestimate = "forever"\n')
    r = cli("templates")
    assert r.code == 2 and "podcast.toml, step 2: estimate:" in r.err
    (folder / "podcast.toml").write_text('name = "podcast"\n[[step]]\ntitle = "Record: {title}"\nestimate = "1h"\n')
    assert "podcast" in cli("templates").out
    assert cli("new", "podcast", "Episode 1", "--publish", "wed 10:00").code == 0


def test_moving_the_publish_time_offers_to_reschedule_and_reschedule_moves_the_unfinished_steps(cli: Any,
                                                                                            clock: Any) -> None:
    out = json.loads(cli("new", "newsletter", "December issue", "--publish", "fri 10:00", "--json").out)
    first, last = out["steps"][0]["id"], out["steps"][-1]["id"]
    assert cli("done", first).code == 0
    before = json.loads(cli("show", first, "--json").out)["due"]
    r = cli("edit", out["card"], "--publish", "2026-12-11 10:00")
    assert r.code == 0 and "3 unfinished step(s)" in r.err and f"organizer reschedule {out['card']}" in r.err
    assert json.loads(cli("show", last, "--json").out)["due"] < "2026-12-05"  # not moved unasked
    r = cli("reschedule", out["card"], "--json")
    assert r.code == 0, r.err
    moved = json.loads(r.out)["steps"]
    assert [s["id"] for s in moved] == [s["id"] for s in out["steps"][1:]]  # the done step stays
    assert json.loads(cli("show", first, "--json").out)["due"] == before
    assert json.loads(cli("show", last, "--json").out)["due"].startswith("2026-12-1")
    assert cli("undo").code == 0  # one undo step
    assert json.loads(cli("show", last, "--json").out)["due"] < "2026-12-05"


def test_reschedule_keeps_the_templates_leads_and_goes_through_done_steps(cli: Any, clock: Any) -> None:
    out = json.loads(cli("new", "video-30s", "Reel", "--publish", "fri 15:00", "-c", "instagram", "--json").out)
    steps = {s["title"].split(":")[0]: s["id"] for s in out["steps"]}
    assert cli("done", steps["Script"]).code == 0 and cli("done", steps["Rehearse"]).code == 0
    assert cli("edit", out["card"], "--publish", "2026-12-08 15:00").code == 0  # Tuesday next week
    r = cli("reschedule", out["card"], "--json")
    assert r.code == 0, r.err
    due = {s["title"].split(":")[0]: s["due"] for s in json.loads(r.out)["steps"]}
    assert "Script" not in due and "Rehearse" not in due
    # "approved ≥ 1 working day before publish" still holds: by Monday's end, not on Tuesday.
    assert due["Approve"] <= "2026-12-07T17:30+01:00" and due["Schedule"] <= "2026-12-08T15:00+01:00"
    assert due["Record"] < due["Edit to 30 s"] < due["Subtitles"] < due["Approve"]


TUESDAY_EVENING = datetime(2026, 12, 1, 20, 30, tzinfo=PARIS)
WORKING_HOURS = (("09:00", "12:30"), ("13:30", "17:30"))  # the shipped hours, local


def _overlaps(a: tuple[str, str], b: tuple[str, str]) -> bool:
    return datetime.fromisoformat(a[0]) < datetime.fromisoformat(b[1]) and datetime.fromisoformat(b[0]) < \
        datetime.fromisoformat(a[1])


def test_from_the_demo_a_reel_for_friday_lands_in_thursdays_working_hours_and_moves_less_urgent_work(
        cli: Any, db_location: str) -> None:
    """The issue's "done when": the demo's week is full, so the piece takes the time of less urgent work (the
    newsletter draft, due next week), which moves to Friday, and says so; the Day plan holds every step."""
    with time_machine.travel(TUESDAY_EVENING, tick=False):
        assert cli("demo", "--keep", db_location, "--no-app").code == 0
        r = cli("new", "video-30s", "Winter Blend reel", "--publish", "fri 08:30", "-c", "instagram,tiktok", "--json")
        assert r.code == 0, r.err
        out = json.loads(r.out)
        assert len(out["steps"]) == 9  # script, rehearse, record, edit, subtitles, copy ×2, approve, schedule
        assert [m["id"] for m in out["moves"]][:1] == ["CEO-5"] and out["moves"][0]["to"] == "2026-12-04"
        assert out["now_late"] == []
        days = {d: json.loads(cli("plan", d, "--json").out) for d in ("wed", "thu")}
        publish = datetime(2026, 12, 4, 8, 30, tzinfo=PARIS)
        last_end = TUESDAY_EVENING
        for step in out["steps"]:
            blocks = [b for d in days.values() for b in d["blocks"] if b["card"] == step["id"]]
            assert sum(b["minutes"] for b in blocks) == step["minutes"], step  # planned whole, as previewed
            assert [[b["start"][:16], b["end"][:16]] for b in blocks] == [[a[:16], z[:16]] for a, z in step["planned"]]
            for b in blocks:
                start, end = datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"])
                local = (f"{start.astimezone(PARIS):%H:%M}", f"{end.astimezone(PARIS):%H:%M}")
                assert any(a <= local[0] and local[1] <= z for a, z in WORKING_HOURS), b
                assert start >= last_end and end <= datetime.fromisoformat(step["due"]) <= publish
                others = [o for d in days.values() for o in d["blocks"] if o["kind"] in ("busy", "reserve")]
                assert not any(_overlaps((b["start"], b["end"]), (o["start"], o["end"])) for o in others), b
                last_end = end
        thursday = days["thu"]
        assert any(b["kind"] == "busy" for b in thursday["blocks"])  # around the podcast recording
        assert thursday["late"] == [] and not thursday["overcommitted"]
        friday = json.loads(cli("plan", "fri", "--json").out)
        assert any(b["card"] == "CEO-5" for b in friday["blocks"])


def test_a_piece_fits_around_planned_work_first_and_moves_nothing(cli: Any, clock: Any) -> None:
    cli("add", "Quarterly report", "--estimate", "2h")
    r = cli("new", "newsletter", "December issue", "--publish", "fri 10:00", "--json")
    assert r.code == 0 and json.loads(r.out)["moves"] == []


def test_a_less_urgent_piece_does_not_take_the_time_of_more_urgent_work(cli: Any, clock: Any) -> None:
    # Monday to Wednesday filled with urgent work due before the publish time: a P4 piece cannot push it.
    for n in range(3):
        assert cli("add", f"Urgent {n}", "--estimate", "6h", "-P", "1", "--due", "wed 17:00").code == 0
    r = cli("new", "video-30s", "Low", "--publish", "wed 17:00", "-P", "4")
    assert r.code == 2 and "do not fit" in r.err and "nothing was created" in r.err
    assert [c["title"] for c in json.loads(cli("list", "--json").out)] == ["Urgent 0", "Urgent 1", "Urgent 2"]
    # Nor can a P1 piece whose publish time comes after their due time: it waits for them, then fits on Thursday.
    r = cli("new", "video-30s", "Urgent reel", "--publish", "thu 12:00", "-P", "1", "--json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["moves"] == [] and all(p[0].startswith("2026-12-03") for s in out["steps"] for p in s["planned"])
    # A P1 piece due before them does take their time: they move later, and the output says which.
    r = cli("new", "video-30s", "Crisis reel", "--publish", "tue 12:00", "-P", "1", "--json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["moves"] and {m["id"] for m in out["moves"]} <= {c["id"] for c in json.loads(cli("list", "--json").out)}
    assert all(p[1] <= "2026-12-01T12:00" for s in out["steps"] for p in s["planned"])
    assert out["now_late"]  # the urgent work no longer makes Wednesday 17:00: said, not hidden
