"""RFC 5545 export: publish times, the stored day plan and due dates as one VCALENDAR.

`build_calendar` reads the database and writes the calendar; `export_calendar` (the CLI and the feed)
opens the database the cheapest way it can and first brings the one stored schedule up to date
(`organizer.services.schedule`), so the calendar shows the same plan as `organizer plan` and the app.

icalendar encodes every value. Done here instead, for measured or tested reasons: lines come from
`Contentline.from_parts` per property, not `Event`s and `to_ical()` (2.2 s for 10,000 events, this
~0.5 s), and a repeated line is encoded once; folding works on the UTF-8 bytes at 75 octets, never inside
a character or a backslash escape (icalendar's correct per-character fold was 60 % of its `to_ical()`);
icalendar 7.3 writes a spring-forward VTIMEZONE onset an hour late by RFC 5545 §3.6.5 and escapes a
literal `\\N` as a line break, so `_vtimezone` and `_Writer.text` correct both.

Queries are plain SQL on a `sqlite3` connection (the quick path: `import sqlmodel` alone costs ~330 ms
of the 400 ms budget for a month) or on a SQLAlchemy session (any other database).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from icalendar import Timezone, is_utc, vCategory, vDatetime, vDDDLists, vDDDTypes, vDuration, vInt, vText, vUTCOffset
from icalendar.parser import Contentline

from organizer.config import Config
from organizer.instants import db_datetime, readable
from organizer.storage.plain import Db
from organizer.validate import check_board_key, unknown_board

if TYPE_CHECKING:
    from sqlmodel import Session

PRODID = "-//Organizer//Organizer 0.1//EN"
PUBLISH_MINUTES, DUE_MINUTES = 15, 10
# SEQUENCE must only grow: seconds of `updated_at` since Nov 2023 do, and fit a 32-bit integer until 2091.
SEQUENCE_EPOCH = 1_700_000_000
_CONTROL = {c: None for c in (*range(9), *range(11, 32), 127)}  # TEXT allows tab and line breaks only


@dataclass(frozen=True)
class CalendarExport:
    """A built calendar: the bytes, how many events, and the newest change among the exported cards."""

    body: bytes
    events: int
    last_modified: datetime | None


class _Card(NamedTuple):
    id: int
    ref: str
    title: str
    notes: str
    role: str | None
    column: str
    due: datetime | None  # None for a card in a done column: its deadline was met
    publish: datetime | None
    updated: datetime


_Channels = dict[int, list[str]]  # card id → channel keys, in the card's order


# The export's SQL runs on a `sqlite3` connection or a SQLAlchemy session alike.
_Db = Db


def setting(db: sqlite3.Connection | Session, key: str) -> str | None:
    """A workspace setting's value, or None."""
    rows = _Db(db).rows("SELECT value FROM setting WHERE key = :key", {"key": key})
    return rows[0][0] if rows else None


def workspace_id(db: sqlite3.Connection | Session) -> str:
    """The workspace's id for calendar UIDs, created on first use (a session must be a write session)."""
    import uuid

    if (found := setting(db, "workspace_id")) is not None:
        return found
    # Two first exports racing both insert; the loser's row is ignored and both read the winner's.
    _Db(db).rows("INSERT INTO setting (key, value) VALUES ('workspace_id', :value) ON CONFLICT (key) DO NOTHING",
                 {"value": str(uuid.uuid4())}, fetch=False)
    return setting(db, "workspace_id") or ""


def fold(line: bytes) -> bytes:
    """Fold one content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character or a `\\` escape."""
    if len(line) <= 75:
        return line
    pieces, start, room = [], 0, 75
    while len(line) - start > room:
        cut = start + room
        while line[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back up to the character's start
            cut -= 1
        slashes = 0  # a run of backslashes before the cut: an odd one means the last opens an escape
        while cut - 1 - slashes >= start and line[cut - 1 - slashes] == 0x5C:
            slashes += 1
        if slashes % 2:  # keep the escape's backslash with the character it escapes
            cut -= 1
        pieces.append(line[start:cut])
        start, room = cut, 74  # a continuation line starts with a space, which counts
    pieces.append(line[start:])
    return b"\r\n ".join(pieces)


class _Writer:
    """Encodes properties through icalendar and folds them; a line that repeats is encoded once."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.cache: dict[tuple[str, Any], bytes] = {}
        self.forms: dict[tuple[str, bool], tuple[str, vDatetime, bool]] = {}

    def prop(self, name: str, value: Any) -> bytes:
        """One property, any icalendar value type."""
        return fold(str(Contentline.from_parts(name, value.params, value, sorted=False)).encode())

    def text(self, name: str, value: str) -> bytes:
        """A TEXT property; icalendar escapes `\\ ; ,` and line breaks."""
        value = value.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL)
        masked = "\\" in value
        if masked:  # icalendar would read a literal `\N` as a line break: hide backslashes from it
            value = value.replace("\\", "\x00")
        prop = vText(value)
        line = str(Contentline.from_parts(name, prop.params, prop, sorted=False))
        return fold((line.replace("\x00", "\\\\") if masked else line).encode())

    def once(self, name: str, key: Any, make: Any, *, text: bool = False) -> bytes:
        """A line from the cache, encoded from `make()` (a value, or a str for a TEXT property) the first time."""
        found = self.cache.get((name, key))
        if found is None:
            found = self.cache[name, key] = self.text(name, make()) if text else self.prop(name, make())
        return found

    def when(self, name: str, instant: datetime, *, utc: bool = False) -> bytes:
        """A DATE-TIME, local with its TZID (or UTC); the repeated hour of a DST change stays in UTC.

        icalendar encodes the first line of each form (name, parameters) in full; later lines reuse its prefix
        and one vDatetime per form for the value, a fifth of the cost of a whole line."""
        found = self.cache.get((name, instant))
        if found is None:
            value = instant.astimezone(UTC if utc else self.zone).replace(microsecond=0)
            if value.fold and value.replace(fold=0).utcoffset() != value.utcoffset():
                # A local time that happens twice means its first occurrence (RFC 5545 §3.3.5); this is the second.
                value = value.astimezone(UTC)
            form = (name, value.tzinfo is UTC)
            reuse = self.forms.get(form)
            if reuse is None:
                line = self.prop(name, vDDDTypes(value)).decode()
                reuse = self.forms[form] = (line[:line.rindex(":") + 1], vDatetime(value), is_utc(value))
            prefix, dt, zulu = reuse
            # The TZID is in the prefix; a naive wall time gives the same digits, without a zone lookup.
            dt.dt = value if zulu else value.replace(tzinfo=None)
            found = self.cache[name, instant] = fold((prefix + dt.to_ical().decode()).encode())
        return found


def _vtimezone(zone: ZoneInfo, tzid: str, first: date, last: date) -> list[bytes]:
    """The VTIMEZONE for the exported span, with every onset in the offset before it (RFC 5545 §3.6.5)."""
    component = Timezone.from_tzinfo(zone, tzid=tzid, first_date=first, last_date=last)

    def onset(local: datetime, before: timedelta, after: timedelta) -> datetime:
        for guess in (local - before, local - after):
            instant = guess.replace(tzinfo=UTC)
            just_before = (instant - timedelta(seconds=1)).astimezone(zone).utcoffset()
            if (just_before, instant.astimezone(zone).utcoffset()) == (before, after):
                return (instant + before).replace(tzinfo=None)
        return local  # the observance that opens the span is no change at all

    for obs in component.subcomponents:
        # from_tzinfo sets these three through its typed setters: two UTC offsets and a local datetime.
        offset_from, offset_to, start = obs["TZOFFSETFROM"], obs["TZOFFSETTO"], obs["DTSTART"]
        assert isinstance(offset_from, vUTCOffset) and isinstance(offset_to, vUTCOffset)
        assert isinstance(start, vDDDTypes) and isinstance(start.dt, datetime)
        before, after = offset_from.td, offset_to.td
        obs["DTSTART"] = vDDDTypes(onset(start.dt, before, after))
        rdates = obs.pop("RDATE", None)
        if rdates is not None:
            dts = [d.dt for r in (rdates if isinstance(rdates, list) else [rdates]) for d in r.dts]
            obs["RDATE"] = vDDDLists([onset(d, before, after) for d in dts])
    return [fold(str(line).encode()) for line in component.content_lines(sorted=False) if line]


def _boards(db: _Db, boards: list[str] | None) -> list[str]:
    """The board keys to export, in board order; an unknown key is an InputError naming the known ones."""
    keys = [k for (k,) in db.rows("SELECT key FROM board ORDER BY id")]
    wanted = [check_board_key(b) for b in boards or []]
    if unknown := [k for k in wanted if k not in keys]:
        raise unknown_board(unknown[0], keys)
    return [k for k in keys if k in wanted] if boards else keys


def _cards(db: _Db, what: set[str], params: dict[str, Any], boards: str) -> tuple[dict[int, _Card], _Channels]:
    """The cards any exported event needs, and their channels in order."""
    conds = {"publish": "(c.publish_at >= :start AND c.publish_at < :end)",
             # A done card's deadline was met: it leaves the calendar.
             "due": "(c.due_at >= :start AND c.due_at < :end AND bc.is_done = :open)",
             "plan": "c.id IN (SELECT card_id FROM plan_block WHERE start_at >= :start AND start_at < :end "
                     "AND kind IN ('work', 'popup'))"}
    source = ("FROM card c JOIN board b ON b.id = c.board_id JOIN board_column bc ON bc.id = c.column_id WHERE ("
              + (" OR ".join(conds[k] for k in sorted(what & conds.keys())) or "1 = 0") + ")" + boards)
    cards = {}
    for cid, key, number, title, notes, role, column, due, publish, updated in db.rows(
            "SELECT c.id, b.key, c.number, c.title, c.notes, c.role, bc.name, CASE WHEN bc.is_done = :open THEN "
            f"c.due_at END, c.publish_at, c.updated_at {source}", params):
        # readable(): a card value nothing can read (see organizer.integrity) is left out, not fatal.
        cards[cid] = _Card(cid, f"{key}-{number}", title, notes or "", role, column, readable(due),
                           readable(publish), readable(updated) or datetime(1970, 1, 1, tzinfo=UTC))
    channels: _Channels = {}
    for cid, channel in db.rows("SELECT card_id, channel FROM card_channel WHERE card_id IN "
                                f"(SELECT c.id {source}) ORDER BY card_id, position", params):
        channels.setdefault(cid, []).append(channel)
    return cards, channels


def render_calendar(session: sqlite3.Connection | Session, cfg: Config, *, boards: list[str] | None,
                    what: set[str], start: datetime, end: datetime, now: datetime, stamp: datetime | None = None,
                    refresh: timedelta | None = None) -> CalendarExport:
    """`build_calendar` with the event count and newest card change; `stamp` is the DTSTAMP (default `now`),
    `refresh` the REFRESH-INTERVAL and X-PUBLISHED-TTL a feed asks clients to poll at."""
    db = _Db(session)
    chosen = _boards(db, boards)
    ws = workspace_id(session)
    params: dict[str, Any] = {"start": start, "end": end, "open": False} | {f"b{i}": k for i, k in enumerate(chosen)}
    only = f" AND b.key IN ({', '.join(f':b{i}' for i in range(len(chosen)))})" if boards else ""
    cards, channels = _cards(db, what, params, only)
    blocks = db.rows("SELECT start_at, end_at, kind, card_id, changed_at FROM plan_block WHERE start_at >= :start "
                     "AND start_at < :end AND kind IN ('work', 'popup', 'reserve') ORDER BY start_at, id",
                     {"start": start, "end": end}) if "plan" in what else []
    zone = ZoneInfo(cfg.timezone)
    w = _Writer(zone)
    roles = {r.key: r.name for r in cfg.roles}
    networks = {c.key: c.name for c in cfg.channels}
    dtstamp = w.when("DTSTAMP", stamp or now, utc=True)
    events: list[tuple[datetime, str, list[bytes]]] = []

    def event(uid: str, first: datetime, until: datetime, summary: str, card: _Card | None, kind: str,
              day: date | None = None, planned: datetime | None = None) -> None:
        lines = [b"BEGIN:VEVENT", w.text("UID", f"{uid}-{ws}@organizer"), dtstamp]
        if day is not None:  # all day: DTEND is the next day, exclusive
            lines += [w.once("DTSTART", day, lambda: vDDDTypes(day)),
                      w.once("DTEND", day, lambda: vDDDTypes(day + timedelta(days=1)))]
        else:
            lines += [w.when("DTSTART", first), w.when("DTEND", until)]
        lines.append(w.text("SUMMARY", summary))
        role = (roles.get(card.role, card.role),) if card and card.role else ()
        cats = ("reserve",) if card is None else (*role, kind) if kind in ("publish", "due") else role
        # A plan block changes when the plan does, even if its card did not: the newer of the two counts.
        changed = max(card.updated, planned) if card and planned else (card.updated if card else planned)
        seq = max(0, int(changed.timestamp()) - SEQUENCE_EPOCH) if changed else 0
        lines.append(w.once("DESCRIPTION", card.id if card else "reserve", lambda: _description(
            card, roles, networks, channels) if card else "Time kept free for pop-ups.", text=True))
        if cats:
            lines.append(w.once("CATEGORIES", cats, lambda: vCategory(list(cats))))
        lines += [w.once("SEQUENCE", seq, lambda: vInt(seq)), *([w.when("LAST-MODIFIED", changed, utc=True)]
                                                                 if changed else [])]
        # Work and reserve take the time, so nobody books a meeting into them; deadlines and publish times do not.
        busy = kind not in ("publish", "due")
        lines += [w.once("TRANSP", busy, lambda: vText("OPAQUE" if busy else "TRANSPARENT")), b"END:VEVENT"]
        events.append((first, uid, lines))

    for c in cards.values():
        if "publish" in what and c.publish is not None and start <= c.publish < end:
            names = ", ".join(networks.get(ch, ch) for ch in channels.get(c.id, [])) or "Publish"
            event(f"publish-{c.id}", c.publish, c.publish + timedelta(minutes=PUBLISH_MINUTES),
                  f"[{names}] {c.title}", c, "publish")
        if "due" in what and c.due is not None and start <= c.due < end:
            local = c.due.astimezone(zone)
            # A due time at local midnight says "that day", not "the first minute of it".
            event(f"due-{c.id}", c.due, c.due + timedelta(minutes=DUE_MINUTES), f"Due: {c.ref} {c.title}", c, "due",
                  day=local.date() if local.time() == time(0) else None)
    ordinals: dict[tuple[int | None, date], int] = {}
    placed_at: list[datetime] = []
    for first_at, end_at, kind, card_id, changed_at in blocks:
        card = cards.get(card_id) if card_id is not None else None
        if (kind == "reserve" and boards) or (kind != "reserve" and card is None):
            continue  # the reserve is a person's time, not a board's; a block of a filtered-out card
        first = db_datetime(first_at)
        assert first is not None
        title = f"{'Pop-up: ' if kind == 'popup' else ''}{card.ref} {card.title}" if card else "Reserve (pop-ups)"
        # Card, local day and ordinal: a block that moves within its day keeps its UID, so a re-plan updates
        # the event in subscribed calendars instead of deleting one and adding another.
        local_day = first.astimezone(zone).date()
        n = ordinals[(card_id, local_day)] = ordinals.get((card_id, local_day), 0) + 1
        planned = readable(changed_at)
        placed_at += [planned] if planned else []
        event(f"block-{card_id or 'reserve'}-{local_day:%Y%m%d}-{n}", first, db_datetime(end_at) or first, title,
              card, kind, planned=planned)

    events.sort(key=lambda e: (e[0], e[1]))
    name = "Organizer" + (f" — {', '.join(chosen)}" if chosen else "")
    head = [b"BEGIN:VCALENDAR", w.text("PRODID", PRODID), w.text("VERSION", "2.0"), w.text("CALSCALE", "GREGORIAN"),
            w.text("METHOD", "PUBLISH"), w.text("X-WR-CALNAME", name), w.text("X-WR-TIMEZONE", cfg.timezone)]
    if refresh is not None:  # how often a subscribed client should fetch the feed again
        head += [w.prop("REFRESH-INTERVAL", vDuration(refresh, params={"VALUE": "DURATION"})),
                 w.prop("X-PUBLISHED-TTL", vDuration(refresh))]
    tzid = vDDDTypes(datetime(2000, 1, 1, tzinfo=zone)).params.get("TZID")
    if tzid:  # UTC needs none (times end in Z); elsewhere it is also the one component an empty calendar needs
        first_day, last_day = start.astimezone(zone).date(), end.astimezone(zone).date()
        head += _vtimezone(zone, tzid, first_day - timedelta(days=1), last_day + timedelta(days=2))
    body = [*head, *(line for e in events for line in e[2]), b"END:VCALENDAR", b""]
    last = max([c.updated for c in cards.values()] + placed_at, default=None)
    return CalendarExport(b"\r\n".join(body), len(events), last)


def build_calendar(session: sqlite3.Connection | Session, cfg: Config, *, boards: list[str] | None, what: set[str],
                   start: datetime, end: datetime, now: datetime) -> bytes:
    """The calendar of [start, end) as RFC 5545 bytes: CRLF lines folded at 75 octets.

    `session` is a SQLAlchemy write session or a `sqlite3` connection: the first export creates the
    workspace id that keeps UIDs stable. Unknown board keys raise InputError naming the known ones.
    """
    return render_calendar(session, cfg, boards=boards, what=what, start=start, end=end, now=now).body


def _description(card: _Card, roles: dict[str, str], networks: dict[str, str], channels: _Channels) -> str:
    lines = [f"Card: {card.ref}"] + ([f"Role: {roles.get(card.role, card.role)}"] if card.role else [])
    lines.append(f"Column: {card.column}")
    if channels.get(card.id):
        lines.append("Channels: " + ", ".join(networks.get(ch, ch) for ch in channels[card.id]))
    return "\n".join(lines) + (f"\n\n{card.notes}" if card.notes else "")


def export_calendar(location: str, cfg: Config, *, boards: list[str] | None, what: set[str], start: datetime,
                    end: datetime, now: datetime, stamp: datetime | None = None,
                    refresh: timedelta | None = None) -> CalendarExport:
    """Bring the stored plan up to date (when the plan is exported), then build the calendar.

    A current SQLite database is read through `sqlite3` in one read transaction; the store (SQLAlchemy)
    is opened only for anything else (an older schema to migrate, another database)."""
    from organizer.storage import quick

    args: dict[str, Any] = {"boards": boards, "what": what, "start": start, "end": end, "now": now, "stamp": stamp,
                            "refresh": refresh}
    if "plan" in what:
        from organizer.services import schedule

        schedule.read(location, cfg, now)  # re-plans first when anything changed since the stored plan
    try:
        conn: sqlite3.Connection | None = quick.connect_sqlite(location)
    except quick.NotQuick:
        conn = None
    try:
        if conn is None:
            from organizer.storage.orm import open_store

            store = open_store(location, create=False)
            try:
                with store.write() as session:
                    return render_calendar(session, cfg, **args)
            finally:
                store.close()
        conn.row_factory = None
        workspace_id(conn)  # autocommit: made before the read transaction, so never rolled back with it
        conn.execute("BEGIN")  # one snapshot for every query
        try:
            return render_calendar(conn, cfg, **args)
        finally:
            conn.execute("COMMIT")
    finally:
        if conn is not None:
            conn.close()
