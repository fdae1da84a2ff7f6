"""Random days and random pop-up sequences keep the schedule's invariants (hypothesis, on a real database)."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from organizer.config import build_config
from organizer.services import busy, cards, schedule
from organizer.storage.orm import open_store
from organizer.storage.plain import Db
from organizer.validate import validate

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # Monday 08:30 in Paris
CFG = build_config({"timezone": "Europe/Paris"})
_TEMPLATE: list[Path] = []


def _template() -> Path:
    """A migrated empty database with its default board, made once per test session."""
    if not _TEMPLATE:
        path = Path(tempfile.mkdtemp()) / "template.db"
        store = open_store(str(path))
        with store.write() as s:
            cards.add_card(s, CFG, validate({"title": "seed"}, CFG, now=START, require_title=True))
        store.close()
        _TEMPLATE.append(path)
    return _TEMPLATE[0]

event = st.one_of(
    st.tuples(st.just("popup"), st.integers(1, 4), st.integers(5, 90), st.one_of(st.none(), st.integers(10, 600))),
    st.tuples(st.just("work"), st.integers(1, 4), st.integers(10, 240), st.one_of(st.none(), st.integers(60, 4000))),
    st.tuples(st.just("done"), st.integers(0, 50), st.just(0), st.none()),
    st.tuples(st.just("busy"), st.integers(0, 480), st.integers(15, 120), st.none()),
)


# A plain week, and the weeks whose horizon crosses a daylight-saving change (Paris: 25 Oct 2026, 28 Mar 2027).
STARTS = [START, datetime(2026, 10, 22, 6, 30, tzinfo=UTC), datetime(2027, 3, 25, 7, 30, tzinfo=UTC)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(STARTS), st.lists(st.tuples(st.integers(0, 90), event), min_size=1, max_size=12))
def test_random_days_keep_the_invariants(start: datetime,
                                         steps: list[tuple[int, tuple[str, int, int, int | None]]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(_template(), Path(folder) / "o.db")  # migrating a new file per example would cost seconds
        store = open_store(str(Path(folder) / "o.db"))
        now = start
        try:
            for n, (advance, (kind, a, b, c)) in enumerate(steps):
                now += timedelta(minutes=advance)
                with store.write() as s:
                    if kind in ("popup", "work"):
                        raw = {"title": f"{kind} {n}", "priority": str(a), "estimate_minutes": f"{b}m",
                               "column": "Planned", "popup": "true" if kind == "popup" else "false"}
                        if c is not None:
                            raw["due_at"] = (now + timedelta(minutes=c)).isoformat()
                        cards.add_card(s, CFG, validate(raw, CFG, now=now, require_title=True))
                    elif kind == "done":
                        ids = [r[0] for r in Db(s).rows(
                            "SELECT b.key || '-' || c.number FROM card c JOIN board b ON b.id = c.board_id "
                            "JOIN board_column bc ON bc.id = c.column_id WHERE bc.is_done = :f ORDER BY c.id",
                            {"f": False})]
                        if ids:
                            cards.done_card(s, ids[a % len(ids)])
                    else:
                        begin = now.astimezone(PARIS).replace(hour=8, minute=0) + timedelta(minutes=a)
                        busy.add_busy(s, begin, begin + timedelta(minutes=b), f"meeting {n}")
                with store.write() as s:
                    sched = schedule.in_session(s, CFG, now)
                    _check(s, sched, now)
        finally:
            store.close()


def _check(session: object, sched: schedule.Schedule, now: datetime) -> None:
    db = Db(session)  # type: ignore[arg-type]
    left = {ref: max(0, (est or 0) - spent) for ref, est, spent in db.rows(
        "SELECT b.key || '-' || c.number, c.estimate_minutes, c.spent_minutes FROM card c JOIN board b "
        "ON b.id = c.board_id JOIN board_column bc ON bc.id = c.column_id WHERE bc.is_done = :f", {"f": False})}
    booked: dict[str, int] = defaultdict(int)
    for p in sched.plans:
        blocks = sorted(p.blocks, key=lambda x: x.start)
        for x, y in itertools.pairwise(blocks):
            assert x.end <= y.start, (p.day, x, y)
        for blk in blocks:
            if blk.kind in ("work", "popup") and blk.ref:
                assert blk.ref in left, f"{blk.ref} is done but planned"
                if blk.start >= now:
                    assert blk.start >= now - timedelta(minutes=1)
                booked[blk.ref] += blk.minutes
        assert p.reserve_used_minutes >= 0 and p.reserve_left_minutes <= p.reserve_minutes
    for ref, minutes in booked.items():
        assert minutes <= left[ref], (ref, minutes, left[ref])
    # Stored blocks are exactly the plan's: what the export and the feed read is what `plan` shows.
    stored = sorted((str(s)[:16], k, c) for s, k, c in db.rows(
        "SELECT start_at, kind, card_id FROM plan_block WHERE start_at >= :lo",
        {"lo": datetime.combine(sched.start, datetime.min.time(), PARIS)}))
    shown = sorted((b.start.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), b.kind, b.card_id)
                   for p in sched.plans for b in p.blocks if b.kind in ("work", "popup", "reserve"))
    assert stored == shown
