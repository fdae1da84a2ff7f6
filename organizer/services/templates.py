"""A piece of content from a production template: its card, its steps, their due times scheduled backwards.

`plan` lays the template's steps back from the publish time through the planner's calendar (working hours,
busy time, each day's reserve, and the work the current plan already holds: organizer.planner.backward).
`create` writes the piece's card, its post with one (empty) variant per channel, and the steps as its
ordered child cards with those due times and estimates, as one change (one undo step), in plain SQL
(organizer.storage.quick.add_piece): `organizer new` never loads the ORM. When the chain does
not fit, nothing is written and the error says how many minutes are missing and the earliest publish time
that would fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from organizer.config import Config
from organizer.dates import day_bounds
from organizer.planner.backward import ChainStep, Placed, Shortfall, schedule_backwards
from organizer.planner.calendar import build_days, merge_busy
from organizer.planner.model import Fixed, settings_from_config
from organizer.services.schedule import Schedule, busy_between, stored_blocks
from organizer.storage import quick
from organizer.storage.plain import Db
from organizer.templates import Step, Template, expand
from organizer.validate import CardFields, InputError

SLACK_DAYS = 21  # days past the publish day searched for the earliest publish time that fits


@dataclass(frozen=True)
class ChainPlan:
    """A template's steps for one piece and where each goes (its pieces; `end` is its due time)."""

    title: str
    publish: datetime
    channels: tuple[str, ...]
    steps: tuple[Step, ...]
    placed: tuple[Placed, ...]


def plan(db: Db, cfg: Config, template: Template, title: str, publish: datetime, now: datetime,
         current: Schedule, channels: list[str] | None = None) -> ChainPlan:
    """Schedule a template's steps back from `publish`; `InputError` (nothing written) when they do not fit.

    `current` is the stored plan (organizer.services.schedule.read): its work is a commitment, so the chain
    goes into the time it leaves free, around pinned blocks, meetings and the reserve.
    """
    if publish <= now:
        raise InputError(f"--publish {publish.isoformat(timespec='minutes')} is not in the future")
    chosen = list(channels if channels is not None else template.channels)
    steps = expand(template, title, chosen)
    placed = place(db, cfg, [ChainStep(s.minutes, s.after, s.lead_days) for s in steps], publish, now, current,
                   template.name)
    return ChainPlan(title, publish, tuple(chosen), tuple(steps), tuple(placed))


def place(db: Db, cfg: Config, chain: list[ChainStep], publish: datetime, now: datetime, current: Schedule,
          name: str) -> list[Placed]:
    """Schedule a chain back from `publish` through the free working time; `InputError` when it does not fit."""
    zone = ZoneInfo(cfg.timezone)
    today = now.astimezone(zone).date()
    count = (publish.astimezone(zone).date() - today).days + 1 + SLACK_DAYS
    lo, hi = day_bounds(today, zone, count)
    fixed = [Fixed(b.start, b.end, b.kind, b.card_id, "") for b in stored_blocks(db, lo) if b.pinned and b.start < hi]
    fixed += [Fixed(b.start, b.end, "work", b.card_id, "") for p in current.plans for b in p.blocks
              if b.kind in ("work", "popup") and not b.pinned and b.end > now]
    days = build_days(merge_busy(busy_between(db, lo, hi)), fixed, settings_from_config(cfg), today, count)
    result = schedule_backwards(chain, publish, now, days, cfg.min_block_minutes)
    if isinstance(result, Shortfall):
        raise InputError(_shortfall(name, result, publish, sum(s.minutes for s in chain), zone))
    return result


def _shortfall(name: str, short: Shortfall, publish: datetime, total: int, zone: ZoneInfo) -> str:
    when = publish.astimezone(zone).strftime("%a %d %b %H:%M")
    text = (f"{name} needs {total} min of work before {when}: {short.missing_minutes} min do not fit "
            "in the working time left free (around meetings, the work already planned and the pop-up reserve) "
            "between now and then")
    if short.earliest_publish is not None:
        text += f"; the earliest publish time that fits is {short.earliest_publish.astimezone(zone):%a %d %b %H:%M}"
    return text + "; nothing was created"


def create(db: Db, cfg: Config, chain: ChainPlan, *, board: str | None, origin: str = "cli",
           place: str | None = None) -> list[str]:
    """Write the piece's card (a draft variant per channel) and its steps as one change; the card ID first."""
    piece = CardFields(title=chain.title, board=board, publish_at=chain.publish, channels=list(chain.channels))
    steps = [CardFields(title=s.title, board=board, role=s.role, estimate_minutes=s.minutes, due_at=placed.end,
                        channels=list(s.channels)) for s, placed in zip(chain.steps, chain.placed, strict=True)]
    return quick.add_piece(db, cfg, piece, steps, summary=f"new {len(steps)}-step piece “{chain.title}”",
                           origin=origin, place=place)


@dataclass(frozen=True)
class OpenStep:
    """A step of a piece still to do: its card, ID, title and minutes left."""

    card_id: int
    ref: str
    title: str
    minutes: int


def open_steps(db: Db, ref: str) -> tuple[int, datetime | None, list[OpenStep]]:
    """A piece's card id, publish time and its steps not done yet, in their order."""
    from organizer.instants import readable
    from organizer.validate import parse_ref

    key, number = parse_ref(ref)
    found = db.rows("SELECT c.id, c.publish_at, b.key FROM card c JOIN board b ON b.id = c.board_id WHERE c.number = "
                    ":number" + (" AND b.key = :key" if key else ""), {"number": number, "key": key} if key
                    else {"number": number})
    if len(found) != 1:
        raise InputError(f"card {ref!r} " + ("is ambiguous: give the board key, e.g. NWC-12" if found
                                             else "does not exist"))
    card_id, publish, board = found[0]
    steps = [OpenStep(cid, f"{board}-{n}", title, max(0, (est or 0) - (spent or 0)))
             for cid, n, title, est, spent in db.rows(
                 "SELECT c.id, c.number, c.title, c.estimate_minutes, c.spent_minutes FROM card c JOIN board_column bc "
                 "ON bc.id = c.column_id WHERE c.parent_id = :id AND NOT bc.is_done ORDER BY c.step, c.id",
                 {"id": card_id})]
    return card_id, readable(publish), steps


def reschedule(db: Db, cfg: Config, ref: str, now: datetime, current: Schedule, *,
               dry_run: bool = False) -> list[tuple[OpenStep, Placed]]:
    """The piece's unfinished steps scheduled backwards again from its (new) publish time; done steps stay."""
    _, publish, steps = open_steps(db, ref)
    if publish is None:
        raise InputError(f"{ref} has no publish time to schedule its steps back from (edit {ref} --publish WHEN)")
    steps = [s for s in steps if s.minutes > 0]
    if not steps:
        raise InputError(f"{ref} has no unfinished steps with time left to schedule")
    if publish <= now:
        raise InputError(f"{ref}'s publish time has passed: set a new one (edit {ref} --publish WHEN)")
    # The steps in their order, each after the one before (the template's finer order is not kept).
    chain = [ChainStep(s.minutes, (i - 1,) if i else ()) for i, s in enumerate(steps)]
    placed = list(zip(steps, place(db, cfg, chain, publish, now, current, f"the steps of {ref}"), strict=True))
    if not dry_run:
        quick.set_dues(db, [(s.card_id, p.end) for s, p in placed], summary=f"reschedule the steps of {ref}")
    return placed


def preview(chain: ChainPlan, zone: ZoneInfo) -> list[dict[str, object]]:
    """The schedule as rows: step, role, minutes, pieces (local times), due."""
    rows: list[dict[str, object]] = []
    for step, placed in zip(chain.steps, chain.placed, strict=True):
        rows.append({"title": step.title, "role": step.role, "minutes": step.minutes,
                     "channels": list(step.channels),
                     "pieces": [[a.astimezone(zone).isoformat(timespec="minutes"),
                                 b.astimezone(zone).isoformat(timespec="minutes")] for a, b in placed.pieces],
                     "due": placed.end.astimezone(zone).isoformat(timespec="minutes")})
    return rows
