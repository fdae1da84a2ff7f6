"""A piece of content from a production template: its card, its steps, their due times scheduled backwards.

`plan` lays the template's steps back from the publish time through the planner's calendar (working hours,
busy time and each day's reserve: organizer.planner.backward), around the work the current plan holds when it
can, else in the time of less urgent work, which then moves later (and the plan says what moves).
`create` writes the piece's card, its post with one (empty) variant per channel, and the steps as its
ordered child cards with those due times and estimates, as one change (one undo step), in plain SQL
(organizer.storage.quick.add_piece): `organizer new` never loads the ORM. When the chain does
not fit, nothing is written and the error says how many minutes are missing and the earliest publish time
that would fit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from organizer.config import Config
from organizer.dates import day_bounds
from organizer.planner.backward import ChainStep, Placed, Shortfall, schedule_backwards
from organizer.planner.calendar import build_days, merge_busy
from organizer.planner.model import Block, DayPlan, Fixed, Moved, WorkItem, settings_from_config
from organizer.services.plan_inputs import busy_between, moved_between, plan_inputs, plan_with, stored_blocks
from organizer.services.schedule import Schedule
from organizer.storage import quick
from organizer.storage.plain import Db
from organizer.templates import Step, Template, expand
from organizer.validate import CardFields, InputError

SLACK_DAYS = 21  # days past the publish day searched for the earliest publish time that fits
_NEW = -1_000_000_000  # the card ID a piece not written yet stands under in a trial plan; its steps follow
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class ChainPlan:
    """A template's steps for one piece and where each goes (its pieces; `end` is its due time).

    `moves` is the planned work that makes room for the piece (empty when it fits around everything already
    planned) and `now_late` the cards of that work the moves push past their due times.
    """

    title: str
    publish: datetime
    channels: tuple[str, ...]
    steps: tuple[Step, ...]
    placed: tuple[Placed, ...]  # each step's latest slot before the next; its end is the step's due time
    planned: tuple[tuple[tuple[datetime, datetime], ...], ...]  # where the plan puts each step
    priority: int = 3
    moves: tuple[Moved, ...] = ()
    now_late: tuple[str, ...] = ()


@dataclass(frozen=True)
class Placement:
    """Where a chain goes, and what planned work moves to make room for it."""

    placed: list[Placed]  # the backward schedule: each step's latest slot, whose end is its due time
    planned: list[tuple[tuple[datetime, datetime], ...]]  # where the plan puts each step (as early as it can)
    moves: list[Moved] = field(default_factory=list)
    now_late: list[str] = field(default_factory=list)


# The chain's cards as the planner would see them with these due times (None: not placed yet), given the
# open cards by id: new ones have negative ids (nothing written yet), rescheduled steps their own.
Cards = Callable[[Mapping[int, WorkItem], Sequence[datetime | None]], list[WorkItem]]


def plan(db: Db, cfg: Config, template: Template, title: str, publish: datetime, now: datetime,
         current: Schedule, channels: list[str] | None = None, priority: int | None = None) -> ChainPlan:
    """Schedule a template's steps back from `publish`; `InputError` (nothing written) when they do not fit.

    `current` is the stored plan (organizer.services.schedule.read). Its work is a commitment first: the
    chain goes into the time it leaves free, around pinned blocks, meetings and the reserve, and nothing moves.
    When that is too little, the chain also takes the time of planned work it outranks (as the planner
    orders work: priority, then deadline), which the plan then moves later; `ChainPlan.moves` says what.
    """
    if publish <= now:
        raise InputError(f"--publish {publish.isoformat(timespec='minutes')} is not in the future")
    chosen = list(channels if channels is not None else template.channels)
    steps = expand(template, title, chosen)
    priority = priority or cfg.default_priority

    def cards(by_id: Mapping[int, WorkItem], dues: Sequence[datetime | None]) -> list[WorkItem]:
        # As the planner will see them once written: created after every other card (which wins a tie on
        # priority and deadline), IDs in their order (negative: none is taken yet).
        born = max([now, *(it.created_at + _TICK for it in by_id.values())])
        piece = WorkItem(_NEW, "(new)", title, None, 0, priority, None, publish, None, None, False, born)
        return [piece, *(WorkItem(_NEW + n, f"(step {n})", s.title, s.role, s.minutes, priority, due, None, _NEW, n,
                                  False, born) for n, (s, due) in enumerate(zip(steps, dues, strict=True), start=1))]

    where = place(db, cfg, [ChainStep(s.minutes, s.after, s.lead_days) for s in steps], publish, now, current,
                  template.name, cards)
    return ChainPlan(title, publish, tuple(chosen), tuple(steps), tuple(where.placed), tuple(where.planned), priority,
                     tuple(where.moves), tuple(where.now_late))


def place(db: Db, cfg: Config, chain: list[ChainStep], publish: datetime, now: datetime, current: Schedule,
          name: str, cards: Cards, own: frozenset[int] = frozenset()) -> Placement:
    """Schedule a chain back from `publish` through the free working time; `InputError` when it does not fit.

    First around all the planned work; if that fails, around the work that outranks the chain only, checked
    by planning the whole horizon with the chain's cards in it (nothing is stored): every step must be
    planned before its due time, and the cards whose next block moves are reported. `own` are the chain's
    cards that exist already (steps being rescheduled): their planned time is theirs to take again.
    """
    zone = ZoneInfo(cfg.timezone)
    today = now.astimezone(zone).date()
    count = (publish.astimezone(zone).date() - today).days + 1 + SLACK_DAYS
    lo, hi = day_bounds(today, zone, count)
    busy = merge_busy(busy_between(db, lo, hi))
    pins = [Fixed(b.start, b.end, b.kind, b.card_id, "") for b in stored_blocks(db, lo) if b.pinned and b.start < hi]
    planned = [b for p in current.plans for b in p.blocks if b.kind in ("work", "popup") and not b.pinned
               and b.end > now and b.card_id not in own]
    settings = settings_from_config(cfg)

    def backwards(work: list[Block]) -> list[Placed] | Shortfall:
        fixed = pins + [Fixed(b.start, b.end, b.kind, b.card_id, "") for b in work]
        days = build_days(busy, fixed, settings, today, count)
        return schedule_backwards(chain, publish, now, days, cfg.min_block_minutes)

    total = sum(s.minutes for s in chain)
    inputs = plan_inputs(db, cfg, now)
    by_id = {it.card_id: it for it in inputs.items}
    ids = own | {it.card_id for it in cards(by_id, [None] * len(chain))}
    rest = replace(inputs, items=[it for it in inputs.items if it.card_id not in ids])
    late_before = {u.card_id for p in current.plans for u in p.late}
    horizon_end = day_bounds(inputs.start, zone, inputs.days)[1]

    def trial(dues: Sequence[datetime | None]) -> tuple[list[DayPlan], list[WorkItem], bool]:
        """The horizon planned with the chain's cards due at `dues` (nothing stored), its steps, and whether
        the plan keeps every step (planned, and before its due time)."""
        extra = cards(by_id, dues)
        plans = plan_with(cfg, now, rest, extra)
        steps = extra[-len(chain):]
        late = {u.card_id for p in plans for u in p.late}
        unplanned = {u.card_id for p in plans for u in p.unplanned}
        # A step due after the horizon is planned when the horizon reaches it: unplanned now is no miss.
        missed = [it for it in steps if it.minutes and (it.card_id in late or (it.card_id in unplanned
                                                         and (it.due_at or publish) <= horizon_end))]
        return plans, steps, not missed

    def slots(plans: list[DayPlan], steps: list[WorkItem]) -> list[tuple[tuple[datetime, datetime], ...]]:
        return [tuple((b.start, b.end) for p in plans for b in p.blocks if b.card_id == it.card_id
                      and b.kind == "work") for it in steps]

    def kept(placed: list[Placed]) -> Placement | None:
        """The placement if the plan keeps to its due times (a gap too short to split may defeat it)."""
        plans, steps, ok = trial([p.end for p in placed])
        if not ok:
            return None
        late_after = {u.card_id for p in plans for u in p.late}
        moves = [m for m in moved_between(rest, plans, cfg) if m.card_id not in ids]
        now_late = sorted(by_id[c].ref for c in late_after - late_before - ids if c in by_id)
        return Placement(placed, slots(plans, steps), moves, now_late)

    around_all = backwards(planned)
    found = None if isinstance(around_all, Shortfall) else kept(around_all)
    if found is not None:
        return found  # in the time the plan leaves free
    # Not enough free time: let the planner rank the chain among the planned work (priority, then deadline:
    # its publish time) and plan it as early as it can; the work it outranks moves later.
    plans, steps, ok = trial([None] * len(chain))
    others = [b for p in plans for b in p.blocks if b.kind in ("work", "popup") and not b.pinned and b.end > now
              and b.card_id not in ids]
    around_others = backwards(others)
    if not ok:
        raise InputError(_shortfall(name, around_others if isinstance(around_others, Shortfall) else None, publish,
                                    total, zone, moved=True))
    # Due times: the latest each step may end around that work; failing that, where the planner puts it.
    tries = [] if isinstance(around_others, Shortfall) else [around_others]
    trial_slots = slots(plans, steps)
    if all(trial_slots):  # a step the trial left for later (past the horizon) has no slot to be due at
        tries.append([Placed(pieces) for pieces in trial_slots])
    for placed in tries:
        found = kept(placed)
        if found is not None:
            return found
    raise InputError(f"{name}: the plan cannot keep the {len(chain)} steps ({total} min) before "
                     f"{publish.astimezone(zone):%a %d %b %H:%M}; nothing was created")


def _shortfall(name: str, short: Shortfall | None, publish: datetime, total: int, zone: ZoneInfo, *,
               moved: bool = False) -> str:
    when = publish.astimezone(zone).strftime("%a %d %b %H:%M")
    around = ("meetings, pinned blocks, the pop-up reserve and the work that is more urgent, even with the less "
              "urgent work moved later" if moved else "meetings, the work already planned and the pop-up reserve")
    missing = f"{short.missing_minutes} min" if short is not None else "some of it"
    verb = "do" if short is not None else "does"
    text = (f"{name} needs {total} min of work before {when}: {missing} {verb} not fit "
            f"in the working time left free (around {around}) between now and then")
    if short is not None and short.earliest_publish is not None:
        text += f"; the earliest publish time that fits is {short.earliest_publish.astimezone(zone):%a %d %b %H:%M}"
    return text + "; nothing was created"


def create(db: Db, cfg: Config, chain: ChainPlan, *, board: str | None, origin: str = "cli",
           place: str | None = None) -> list[str]:
    """Write the piece's card (a draft variant per channel) and its steps as one change; the card ID first."""
    piece = CardFields(title=chain.title, board=board, publish_at=chain.publish, channels=list(chain.channels),
                       priority=chain.priority)
    steps = [CardFields(title=s.title, board=board, role=s.role, estimate_minutes=s.minutes, due_at=placed.end,
                        channels=list(s.channels), priority=chain.priority)
             for s, placed in zip(chain.steps, chain.placed, strict=True)]
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


def _shape(db: Db, cfg: Config, piece: int, steps: list[OpenStep]) -> list[ChainStep]:
    """The chain of a piece's open steps: the waits and leads of the template whose steps, expanded for the
    piece's title and channels, still carry their titles; else (renamed steps, a template since removed) each
    step after the one before."""
    from organizer import templates

    sequential = [ChainStep(s.minutes, (i - 1,) if i else ()) for i, s in enumerate(steps)]
    found = db.rows("SELECT title FROM card WHERE id = :id", {"id": piece})
    channels = [c for (c,) in db.rows("SELECT channel FROM card_channel WHERE card_id = :id ORDER BY position",
                                      {"id": piece})]
    try:
        candidates = templates.load_all(cfg).values()
    except InputError:
        return sequential  # a broken template of the user's is reported where templates are listed
    for template in candidates:
        expanded = expand(template, found[0][0], channels)
        where = {step.title: i for i, step in enumerate(expanded)}
        if len(where) != len(expanded) or any(s.title not in where for s in steps):
            continue
        at = {where[s.title]: n for n, s in enumerate(steps)}  # template index → open-step index
        chain = []
        for s in steps:
            waits: set[int] = set()
            todo, seen = list(expanded[where[s.title]].after), set()
            while todo:  # through done steps to the open ones they waited for
                i = todo.pop()
                if i in seen:
                    continue
                seen.add(i)
                if i in at:
                    waits.add(at[i])
                else:
                    todo.extend(expanded[i].after)
            chain.append(ChainStep(s.minutes, tuple(sorted(waits)), expanded[where[s.title]].lead_days))
        return chain
    return sequential


def reschedule(db: Db, cfg: Config, ref: str, now: datetime, current: Schedule, *,
               dry_run: bool = False) -> tuple[list[tuple[OpenStep, Placed]], Placement]:
    """The piece's unfinished steps scheduled backwards again from its (new) publish time; done steps stay."""
    piece, publish, steps = open_steps(db, ref)
    if publish is None:
        raise InputError(f"{ref} has no publish time to schedule its steps back from (edit {ref} --publish WHEN)")
    steps = [s for s in steps if s.minutes > 0]
    if not steps:
        raise InputError(f"{ref} has no unfinished steps with time left to schedule")
    if publish <= now:
        raise InputError(f"{ref}'s publish time has passed: set a new one (edit {ref} --publish WHEN)")
    chain = _shape(db, cfg, piece, steps)

    def cards(by_id: Mapping[int, WorkItem], dues: Sequence[datetime | None]) -> list[WorkItem]:
        # A step the plan does not hold yet (in the backlog without a due time) as it will be with one.
        return [by_id[s.card_id]._replace(due_at=due) if s.card_id in by_id else
                WorkItem(s.card_id, s.ref, s.title, None, s.minutes, cfg.default_priority, due, None, piece, n, False,
                         now)
                for n, (s, due) in enumerate(zip(steps, dues, strict=True), start=1)]

    where = place(db, cfg, chain, publish, now, current, f"the steps of {ref}", cards,
                  frozenset(s.card_id for s in steps))
    placed = list(zip(steps, where.placed, strict=True))
    if not dry_run:
        quick.set_dues(db, [(s.card_id, p.end) for s, p in placed], summary=f"reschedule the steps of {ref}")
    return placed, where


def moves_json(moves: Sequence[Moved]) -> list[dict[str, object]]:
    """What moves to make room, as JSON rows: id, from and to day (to: null when it no longer fits), reason."""
    return [{"id": m.ref, "from": m.from_day.isoformat(), "to": m.to_day.isoformat() if m.to_day else None,
             "reason": m.reason} for m in moves]


def preview(chain: ChainPlan, zone: ZoneInfo) -> list[dict[str, object]]:
    """The schedule as rows: step, role, minutes, channels, where the plan puts it (local times) and its due time."""
    rows: list[dict[str, object]] = []
    for step, placed, planned in zip(chain.steps, chain.placed, chain.planned, strict=True):
        rows.append({"title": step.title, "role": step.role, "minutes": step.minutes,
                     "channels": list(step.channels),
                     "planned": [[a.astimezone(zone).isoformat(timespec="minutes"),
                                  b.astimezone(zone).isoformat(timespec="minutes")] for a, b in planned],
                     "due": placed.end.astimezone(zone).isoformat(timespec="minutes")})
    return rows
