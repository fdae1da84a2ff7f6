"""Busy time typed in by hand: meetings and other fixed time the planner works around."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from organizer import history
from organizer.models import BusyEvent, utcnow
from organizer.validate import InputError, clean_text

MANUAL = "manual"


def add_busy(session: Session, start: datetime, end: datetime, title: str, *, origin: str = "cli") -> BusyEvent:
    """Block time from start to end; the planner plans around it."""
    title = clean_text(title).strip()
    if not title:
        raise InputError("a busy block needs a title, e.g. 'Team meeting'")
    if end <= start:
        raise InputError(f"busy block ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    event = BusyEvent(uid=f"{uuid.uuid4()}@organizer", title=title, start_at=start, end_at=end, source=MANUAL,
                      created_at=utcnow())
    session.add(event)
    session.flush()
    assert event.id is not None
    history.record(session, f"add busy '{title}'",
                   [history.change("busy_event", event.id, None, history.snapshot(session, "busy_event", event.id))],
                   origin)
    return event


def list_busy(session: Session, start: datetime, end: datetime) -> list[BusyEvent]:
    """Busy events overlapping [start, end), in time order."""
    return list(session.exec(select(BusyEvent).where(col(BusyEvent.start_at) < end, col(BusyEvent.end_at) > start)
                             .order_by(col(BusyEvent.start_at), col(BusyEvent.id))))


def remove_busy(session: Session, event_id: int, *, origin: str = "cli") -> BusyEvent:
    """Delete a manual busy block (imported events go with their calendar)."""
    event = session.get(BusyEvent, event_id)
    if event is None:
        raise InputError(f"busy block {event_id} does not exist: organizer busy lists them")
    if event.source != MANUAL:
        raise InputError(f"busy block {event_id} comes from calendar {event.source!r}: remove the calendar instead")
    before = history.snapshot(session, "busy_event", event_id)
    session.delete(event)
    history.record(session, f"remove busy '{event.title}'", [history.change("busy_event", event_id, before, None)],
                   origin)
    return event
