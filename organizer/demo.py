"""The demo workspace: two believable boards from `data/demo.toml`, dated relative to today.

Dates in the file are phrases (`tomorrow 10:00`, `fri`, `in 4 days 08:30`) read by the same
parser as the CLI, so the demo always looks current and exercises real code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete

from organizer import dates, refdata
from organizer.config import Config
from organizer.demo_analytics import add_history
from organizer.models import HistoryEntry
from organizer.services import boards, busy, cards
from organizer.storage.orm import Store
from organizer.validate import validate

_FIELD_NAMES = {"due": "due_at", "publish": "publish_at", "estimate": "estimate_minutes", "spent": "spent_minutes"}


def load_demo(store: Store, cfg: Config, now: datetime | None = None) -> int:
    """Fill an empty database with the demo boards in one transaction; returns the card count."""
    data = refdata.load("demo")
    now = now or datetime.now(UTC)
    made: dict[str, str] = {}
    with store.write() as session:
        for b in data["board"]:
            boards.create_board(session, b["key"], b["name"], b.get("description", ""), origin="demo")
        for spec in data["card"]:
            raw: dict[str, Any] = {_FIELD_NAMES.get(k, k): v for k, v in spec.items() if k not in ("ref", "parent")}
            if "parent" in spec:
                raw["parent"] = made[spec["parent"]]
            card = cards.add_card(session, cfg, validate(raw, cfg, now=now, require_title=True), origin="demo")
            if "ref" in spec:
                made[spec["ref"]] = cards.card_ref(session, card)
        for spec in data.get("busy", []):
            # In UTC, so the duration is real minutes even across a DST change.
            start = dates.parse_when(spec["when"], now=now, tz=cfg.timezone, day_end=cfg.day_end).astimezone(UTC)
            end = start + timedelta(minutes=dates.parse_duration(spec["duration"]))
            busy.add_busy(session, start, end, spec["title"], origin="demo")
        for key, targets in data.get("mix", {}).items():
            from organizer.mix import save_targets
            from organizer.storage.plain import Db

            save_targets(Db(session), key, targets.get("pillars", {}), targets.get("channels", {}))
        for key, gate in data.get("approval", {}).items():
            from organizer import approval
            from organizer.storage.plain import Db

            approval.save(Db(session), key, int(gate.get("required", 1)), gate.get("approver"))
        history = add_history(session, cfg, now)  # a quarter of published posts and their numbers, for Analytics
        # The demo is the starting point, not a string of actions to undo one by one.
        session.exec(delete(HistoryEntry))
    return len(data["card"]) + history
