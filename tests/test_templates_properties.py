"""A piece from a template on a random workspace (hypothesis): whatever else is planned, either the piece is
created and the stored plan keeps every step in order, inside working hours, clear of meetings and before its
due time and the publish time, or nothing is written. What it says moves is what the plan then moves."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from organizer import templates
from organizer.config import build_config
from organizer.services import busy, cards, schedule
from organizer.services import templates as service
from organizer.storage.orm import open_store
from organizer.storage.plain import Db
from organizer.validate import InputError, validate

PARIS = ZoneInfo("Europe/Paris")
CFG = build_config({"timezone": "Europe/Paris"})
# A plain Monday morning, and a Thursday before the autumn change (Paris, 25 Oct 2026) so steps cross it.
STARTS = [datetime(2026, 11, 23, 7, 30, tzinfo=UTC), datetime(2026, 10, 22, 13, 10, tzinfo=UTC)]
_TEMPLATE: list[Path] = []

work = st.tuples(st.integers(1, 4), st.integers(15, 300), st.one_of(st.none(), st.integers(60, 6000)))
meeting = st.tuples(st.integers(0, 4), st.integers(0, 480), st.integers(15, 120))


def _template() -> Path:
    """A migrated database with its default board, made once per session (migrating per example is slow)."""
    if not _TEMPLATE:
        path = Path(tempfile.mkdtemp()) / "template.db"
        store = open_store(str(path))
        with store.write() as s:
            cards.add_card(s, CFG, validate({"title": "seed", "estimate_minutes": "15m", "column": "Planned"}, CFG,
                                            now=STARTS[0], require_title=True))
        store.close()
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


def _count(s: Any) -> int:
    return int(Db(s).rows("SELECT COUNT(*) FROM card")[0][0])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(STARTS), st.lists(work, max_size=14), st.lists(meeting, max_size=6),
       st.sampled_from(["video-30s", "carousel", "newsletter", "long-post"]), st.integers(20 * 60, 7 * 24 * 60),
       st.integers(1, 4))
def test_a_piece_is_created_with_every_step_planned_in_order_or_nothing_is(
        start: datetime, existing: list[tuple[int, int, int | None]], meetings: list[tuple[int, int, int]],
        name: str, publish_in: int, priority: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(_template(), Path(folder) / "o.db")
        store = open_store(str(Path(folder) / "o.db"))
        now = start
        publish = (now + timedelta(minutes=publish_in)).replace(second=0, microsecond=0)
        try:
            with store.write() as s:
                for n, (prio, minutes, due) in enumerate(existing):
                    raw = {"title": f"work {n}", "priority": str(prio), "estimate_minutes": f"{minutes}m",
                           "column": "Planned"}
                    if due is not None:
                        raw["due_at"] = (now + timedelta(minutes=due)).isoformat()
                    cards.add_card(s, CFG, validate(raw, CFG, now=now, require_title=True))
                for n, (day, at, minutes) in enumerate(meetings):
                    begin = (now.astimezone(PARIS) + timedelta(days=day)).replace(hour=8, minute=0) + \
                        timedelta(minutes=at)
                    busy.add_busy(s, begin, begin + timedelta(minutes=minutes), f"meeting {n}")
            with store.write() as s:
                before = _count(s)
                current = schedule.in_session(s, CFG, now)
                try:
                    chain = service.plan(Db(s), CFG, templates.find(CFG, name), "Piece", publish, now, current,
                                         None, priority)
                except InputError as exc:
                    assert "nothing was created" in str(exc)
                    assert _count(s) == before
                    event("refused: " + str(exc).split(": ")[0][:40])
                    return
                refs = service.create(Db(s), CFG, chain, board=None)
                event("created, moving work" if chain.moves else "created around the plan")
            with store.write() as s:
                _check(s, schedule.in_session(s, CFG, now), chain, refs, publish, now)
        finally:
            store.close()


def _check(s: Any, sched: schedule.Schedule, chain: service.ChainPlan, refs: list[str], publish: datetime,
           now: datetime) -> None:
    db = Db(s)
    steps = refs[1:]
    dues = dict(db.rows("SELECT b.key || '-' || c.number, c.due_at FROM card c JOIN board b ON b.id = c.board_id "
                        "WHERE c.parent_id IS NOT NULL"))
    busy_times = [(b.start, b.end) for p in sched.plans for b in p.blocks if b.kind == "busy"]
    late = {u.ref for p in sched.plans for u in (*p.late, *p.unplanned)}
    last_end = now - timedelta(minutes=1)
    for ref, step, planned in zip(steps, chain.steps, chain.planned, strict=True):
        blocks = sorted((b for p in sched.plans for b in p.blocks if b.ref == ref and b.kind == "work"),
                        key=lambda b: b.start)
        assert sum(b.minutes for b in blocks) == step.minutes and ref not in late, (ref, blocks)
        assert [(b.start, b.end) for b in blocks] == list(planned)  # the plan is what `new` showed
        due = datetime.fromisoformat(str(dues[ref])).replace(tzinfo=UTC) if isinstance(dues[ref], str) \
            else dues[ref].replace(tzinfo=UTC)
        for b in blocks:
            assert b.start >= last_end and b.end <= due <= publish, (ref, b, due)
            assert not any(b.start < e and a < b.end for a, e in busy_times), (ref, b)
            local = (b.start.astimezone(PARIS).strftime("%H:%M"), b.end.astimezone(PARIS).strftime("%H:%M"))
            assert any(a <= local[0] and local[1] <= z for a, z in (("09:00", "12:30"), ("13:30", "17:30"))), b
            last_end = b.end
    assert {m.ref for m in chain.moves} <= {m.ref for m in sched.moved}  # what it said moves did move
