"""Handlers for each CLI command. Heavy modules (SQLModel, alembic, Textual) load inside them."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from organizer import paths
from organizer.cli import render
from organizer.cli.messages import READS_CARDS, warn_unreadable
from organizer.config import Config, load_config
from organizer.fields import CardFields, CardFilter, InputError, validate

Handler = Callable[[argparse.Namespace, Config, str], int]
# A JSON export of 10,000 cards is about 6 MB; far past that is not an export, and reading it would only eat memory.
IMPORT_MAX_BYTES = 200 * 2**20


def emit(data: Any) -> None:
    """Print JSON porcelain to stdout."""
    # One write of one string: lists, and objects bigger than a card (a day's plan of 3,000 cards), go through
    # the C encoder (no indent), which matters at 10,000 cards; a card stays readable in a terminal.
    compact = isinstance(data, list) or len(data) > 40 or any(isinstance(v, list) and len(v) > 40
                                                                for v in data.values())
    text = json.dumps(data, ensure_ascii=False, indent=None if compact else 2)
    sys.stdout.write(text + "\n")


def open_db(location: str, *, create: bool = False) -> Any:
    """Open (migrating if needed) the store at a location.

    Only commands that add something pass `create=True`: they may make a missing folder (0700) and a
    new database there; the others refuse a folder that does not exist, so a mistyped --db is caught.
    """
    from organizer.store import open_store

    return open_store(location, create=create)


def _fields(args: argparse.Namespace, cfg: Config, *, require_title: bool) -> CardFields:
    channels = None
    if args.channels is not None:
        channels = [c.strip() for item in args.channels for c in item.split(",") if c.strip()]
    raw = {
        "title": getattr(args, "title", None), "board": args.board, "column": args.column, "role": args.role,
        "channels": channels, "due_at": args.due, "publish_at": args.publish, "estimate_minutes": args.estimate,
        "spent_minutes": args.spent, "priority": args.priority, "popup": args.popup, "campaign": args.campaign,
        "pillar": args.pillar, "tags": args.tags, "notes": args.notes, "parent": args.parent,
    }
    return validate(raw, cfg, now=datetime.now(UTC), require_title=require_title)


def cmd_add(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Add a card: the lean sqlite3 path when it can, else the full one."""
    from organizer import lean

    fields = _fields(args, cfg, require_title=True)
    try:
        conn = lean.connect(location)
        try:
            card = lean.add(conn, cfg, fields)
        finally:
            conn.close()
    except lean.NotLean:
        from organizer.services import cards

        store = open_db(location, create=True)
        with store.write() as s:
            ref = cards.card_ref(s, cards.add_card(s, cfg, fields))
        with store.read() as s:
            card = cards.card_view(s, cfg, ref)
    if args.json:
        emit(card)
    else:
        print(card["id"])
    if fields.popup:
        _place_popup(cfg, location, card["id"])
    return 0


def _place_popup(cfg: Config, location: str, ref: str) -> None:
    """A pop-up goes straight into the plan at the time its rule gives it; say where and what moved (stderr)."""
    from zoneinfo import ZoneInfo

    from organizer.services import schedule

    now = datetime.now(UTC)
    tz = ZoneInfo(cfg.timezone)
    sched = schedule.read(location, cfg, now)
    spans = [f"{b.start.astimezone(tz):%a %H:%M}–{b.end.astimezone(tz):%H:%M}".lower()
             for p in sched.plans for b in p.blocks if b.ref == ref and b.kind in ("popup", "work")]
    moved = [m for m in sched.moved if m.ref != ref]
    if spans:
        first = next(p for p in sched.plans if any(b.ref == ref for b in p.blocks))
        late = next((u.reason for p in sched.plans for u in p.late if u.ref == ref), None)
        reserve = (f"reserve {first.reserve_over_minutes} min over" if first.reserve_over_minutes
                   else f"reserve left {first.reserve_left_minutes} min")
        print(f"{ref} planned {', '.join(spans)}; {reserve}" + (f"; LATE: {late}" if late else ""), file=sys.stderr)
    else:
        reason = next((u.reason for u in sched.plans[0].unplanned if u.ref == ref), "no working time left")
        print(f"{ref} not planned: {reason}", file=sys.stderr)
    for m in moved:
        print(f"  moved {m.ref}: {m.reason}", file=sys.stderr)


def cmd_list(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """List cards through the lean path when it can."""
    from organizer import lean
    from organizer.dates import parse_when

    due_before = None
    if args.due_before:
        try:
            due_before = parse_when(args.due_before, now=datetime.now(UTC), tz=cfg.timezone, day_end=cfg.day_end)
        except ValueError as exc:
            raise InputError(f"--due-before: {exc}") from None
    role = validate({"role": args.role}, cfg, now=datetime.now(UTC), require_title=False).role if args.role else None
    channel = (validate({"channels": [args.channel]}, cfg, now=datetime.now(UTC), require_title=False).channels
               or [None])[0] if args.channel else None
    flt = CardFilter(board=args.board, role=role, channel=channel, column=args.column, due_before=due_before,
                     popup=args.popup, include_done=args.all)
    match = None
    if args.filter is not None:
        from organizer import filterlang

        try:
            match = filterlang.parse(args.filter, cfg, now=datetime.now(UTC)).match
        except filterlang.FilterError as exc:
            raise InputError(f"--filter: {exc}") from None
    try:
        conn = lean.connect(location)
        try:
            found = lean.list_cards(conn, cfg, flt, match)
        finally:
            conn.close()
    except lean.NotLean:
        from organizer.services import cards

        with open_db(location).read() as s:
            found = cards.list_cards(s, cfg, flt)
        if match is not None:
            found = [card for card in found if match(_json_subject(card))]
    if args.json:
        emit(found)
    else:
        print(render.card_table(found, cfg.timezone))
    return 0


def _json_subject(card: dict[str, Any]) -> Any:
    """A listed card (JSON porcelain) as the fields a filter reads; a card in a done column has `completed` set."""
    from organizer.filterlang import Subject, haystack

    return Subject(haystack(card["id"], card["title"], card["notes"], card["tags"], card["campaign"], card["pillar"]),
                   tuple(card["tags"]), card["role"], card["priority"],
                   datetime.fromisoformat(card["due"]) if card["due"] else None, card["completed"] is not None,
                   card["popup"], tuple(card["channels"]), card["campaign"], card["pillar"])


def _show_card(cfg: Config, store: Any, ref: str, as_json: bool) -> None:
    from organizer.services import cards

    with store.read() as s:
        card = cards.card_view(s, cfg, ref)
    if as_json:
        emit(card)
    else:
        print(render.card_details(card, cfg.timezone))


def cmd_show(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Show one card."""
    _show_card(cfg, open_db(location), args.id, args.json)
    return 0


def _relocate(args: argparse.Namespace, cfg: Config, location: str, *, done: bool) -> int:
    from organizer.services import cards

    store = open_db(location)
    with store.write() as s:
        target = cards.done_card(s, args.id) if done else cards.move_card(s, args.id, args.column)
        ref = cards.card_ref(s, cards.find_card(s, args.id))
    if args.json:
        _show_card(cfg, store, ref, True)
    else:
        print(f"{ref}{' done' if done else ''} → {target.name}")
    return 0


def cmd_move(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Move a card to another column."""
    return _relocate(args, cfg, location, done=False)


def cmd_done(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Complete a card."""
    return _relocate(args, cfg, location, done=True)


def cmd_edit(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Change some fields of a card."""
    from organizer.services import cards

    fields = _fields(args, cfg, require_title=False)
    if args.channels is not None and fields.channels is None:
        fields.channels = []
    given = [k for k, v in vars(fields).items() if v not in (None, set())]
    if not given:
        raise InputError("nothing to change: give at least one flag, e.g. --due fri or --title 'New title'")
    store = open_db(location)
    with store.write() as s:
        ref = cards.card_ref(s, cards.edit_card(s, cfg, args.id, fields))
    if args.json:
        _show_card(cfg, store, ref, True)
    else:
        print(f"{ref} updated")
    return 0


def cmd_rm(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Delete a card and its steps."""
    from organizer.services import cards

    with open_db(location).write() as s:
        removed = cards.remove_card(s, args.id)
    print(f"removed {', '.join(removed)} (organizer undo brings {'it' if len(removed) == 1 else 'them'} back)")
    return 0


def _history(action: str, location: str, anywhere: bool) -> int:
    from organizer import history

    step = history.undo if action == "undo" else history.redo
    try:
        with open_db(location).write() as s:
            summary = step(s, anywhere=anywhere)
    except history.NothingToUndo as exc:  # also UndoConflict: nothing was changed, and it says why
        print(f"organizer: {exc}", file=sys.stderr)
        return 1
    print(f"{'undid' if action == 'undo' else 'redid'}: {summary}")
    return 0


def cmd_undo(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Undo the newest change made from this shell (from anywhere with --any)."""
    return _history("undo", location, args.any)


def cmd_redo(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Redo the change this shell undid last (the last one undone anywhere with --any)."""
    return _history("redo", location, args.any)


def cmd_boards(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """List, add or rename boards."""
    from organizer.services import boards

    store = open_db(location, create=args.boards_command == "add")
    action = args.boards_command or "list"
    if action == "add":
        with store.write() as s:
            board = boards.create_board(s, args.key, args.name, args.description)
        print(f"board {board.key} added ({board.name})")
        return 0
    if action == "rename":
        if args.name is None and args.new_key is None:
            raise InputError("nothing to rename: give a new NAME and/or --key NEW_KEY")
        with store.write() as s:
            board = boards.rename_board(s, args.key, name=args.name, new_key=args.new_key)
        print(f"board {board.key}: {board.name}")
        return 0
    with store.read() as s:
        found = boards.summaries(s, cfg)
    if getattr(args, "json", False):
        emit([{"key": b.key, "name": b.name, "description": b.description, "cards": b.cards,
                "open_cards": b.open_cards, "default": b.is_default} for b in found])
        return 0
    if not found:
        print("no boards yet: `organizer add TITLE` creates one, or `organizer boards add KEY NAME`")
    for b in found:
        print(f"{'*' if b.is_default else ' '} {b.key:<8} {b.open_cards:>5} open {b.cards:>6} total  {b.name}")
    return 0


def cmd_info(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Where things are."""
    from organizer import __version__, refdata
    from organizer.schema import SCHEMA_REVISION

    file = paths.sqlite_path(location)
    info = {
        "version": __version__,
        "config": str(paths.config_file()),
        "config_exists": paths.config_file().is_file(),
        "database": location,
        # Why this database: the --db flag, the ORGANIZER_DB variable, or the default in the data dir.
        "database_from": getattr(args, "db_source", "default"),
        "database_exists": bool(file and file.exists()),
        "schema_revision": SCHEMA_REVISION,
        "timezone": cfg.timezone,
        "reference_data": str(refdata.reference_dir()),
    }
    if args.json:
        emit(info)
    else:
        width = max(map(len, info))
        for k, v in info.items():
            print(f"{k:<{width}}  {v}")
    return 0


def cmd_demo(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Fill the demo database with the demo boards and open the app on it.

    The demo database is `demo.db` in the data dir (made afresh each time; `--resume` reopens it as it was),
    or `--keep FILE` (a new file; with `--resume`, an existing one). It says where the database is and how
    to point another shell at it, and sets ORGANIZER_DB for whatever the app starts, so `organizer add`
    from a second terminal lands on the board being shown.
    """
    import shlex
    import shutil
    from pathlib import Path

    from organizer import demo

    if args.keep:
        target = Path(args.keep).expanduser().absolute()
        if target.exists() and not args.resume:
            raise InputError(f"{target} already exists: pick a new file for the demo database "
                             "(or --resume to open it as it is)")
    else:
        target = paths.data_dir() / "demo.db"
        if not args.resume:
            for stale in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
                stale.unlink(missing_ok=True)
            shutil.rmtree(target.with_name(target.name + ".calendars"), ignore_errors=True)
    if args.resume and target.exists():
        open_db(str(target)).close()  # migrates an older demo, refuses a file that is not Organizer's
        print(f"demo database {target}: reopened as it was")
    else:
        count = demo.load_demo(open_db(str(target), create=True), cfg)
        print(f"demo database {target}: {count} cards")
    print(f"to use it from another shell: export ORGANIZER_DB={shlex.quote(str(target))}", file=sys.stderr)
    os.environ["ORGANIZER_DB"] = str(target)  # for a shell started from inside the app
    if args.no_app:
        return 0
    sys.stdout.flush()
    return _launch(cfg, str(target))


def cmd_export(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Export boards and cards, or a calendar."""
    if args.format == "ics":
        from organizer.cli import ics_export_commands

        return ics_export_commands.cmd_export_ics(args, cfg, location)
    if args.board and len(args.board) > 1:
        raise InputError(f"{args.format} exports one board or all of them: give --board once")
    args.board = args.board[0] if args.board else None
    import io

    from organizer import exchange
    from organizer.files import write_atomic

    store = open_db(location)
    if not args.output:
        exchange.export(store, cfg, args.format, sys.stdout, board=args.board)
        return 0
    # Build the whole export first and swap it in, so a failed export never empties an existing file.
    buffer = io.StringIO(newline="")
    count = exchange.export(store, cfg, args.format, buffer, board=args.board)
    write_atomic(args.output, buffer.getvalue())  # a new file is 0600: exports hold every card
    print(f"exported {count} cards to {args.output}", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Import an export file, all or nothing; or a calendar as busy time."""
    if args.format == "ics":
        from organizer.cli import ics_import_commands

        return ics_import_commands.cmd_import_ics(args, cfg, location)
    from organizer import exchange

    if args.file == "-":
        text = sys.stdin.read(IMPORT_MAX_BYTES + 1)
        if len(text) > IMPORT_MAX_BYTES:
            raise InputError(f"standard input is over {IMPORT_MAX_BYTES // 2**20} MB: split the import by board")
    else:
        try:
            with open(args.file, encoding="utf-8-sig", newline="") as fh:
                if os.fstat(fh.fileno()).st_size > IMPORT_MAX_BYTES:
                    raise InputError(f"file {args.file!r} is over {IMPORT_MAX_BYTES // 2**20} MB: split it by board")
                text = fh.read()
        except FileNotFoundError:
            raise InputError(f"file {args.file!r} does not exist") from None
        except IsADirectoryError:
            raise InputError(f"{args.file!r} is a folder: give the export file inside it") from None
        except PermissionError:
            raise InputError(f"file {args.file!r} cannot be read: permission denied") from None
        except UnicodeDecodeError:
            raise InputError(f"file {args.file!r} is not UTF-8 text") from None
    from organizer.cli.progress import Progress

    progress = Progress("importing", "cards")
    try:
        count = exchange.import_text(open_db(location, create=True), cfg, args.format, text,
                                     renumber=args.renumber, source="stdin" if args.file == "-" else args.file,
                                     progress=progress)
    finally:
        progress.done()
    print(f"imported {count} cards")
    return 0


def _launch(cfg: Config, location: str) -> int:
    # The one place the core reaches into the presentation layer, lazily.
    from screens.app import run

    return run(location, cfg)


def cmd_app(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Open the TUI: migrate or create the database only when the lean check says it is needed."""
    from organizer import lean

    try:
        lean.connect(location).close()
    except lean.NotLean:
        open_db(location, create=True).close()
    return _launch(cfg, location)


def _module_handler(module: str, name: str) -> Handler:
    import importlib

    handler: Handler = getattr(importlib.import_module(f"organizer.cli.{module}"), name)
    return handler


def _plan_handler(name: str) -> Handler:
    def run(args: argparse.Namespace, cfg: Config, location: str) -> int:
        from organizer.cli import plan_commands

        handler: Handler = getattr(plan_commands, f"cmd_{name}")
        return handler(args, cfg, location)

    return run


HANDLERS: dict[str, Handler] = {
    **{name: _plan_handler(name) for name in ("plan", "capacity", "start", "stop", "pin", "busy")},
    "calendars": lambda a, c, loc: _module_handler("ics_import_commands", "cmd_calendars")(a, c, loc),
    "events": lambda a, c, loc: _module_handler("ics_import_commands", "cmd_events")(a, c, loc),
    "serve-ics": lambda a, c, loc: _module_handler("ics_export_commands", "cmd_serve_ics")(a, c, loc),
    "add": cmd_add, "list": cmd_list, "ls": cmd_list, "show": cmd_show, "move": cmd_move, "mv": cmd_move,
    "done": cmd_done, "edit": cmd_edit, "rm": cmd_rm, "undo": cmd_undo, "redo": cmd_redo, "boards": cmd_boards,
    "info": cmd_info, "demo": cmd_demo, "export": cmd_export, "import": cmd_import, "app": cmd_app,
}


def dispatch(args: argparse.Namespace) -> int:
    """Run the handler for the parsed command."""
    after = getattr(args, "db_after", None)
    if args.db is not None and after is not None:
        raise InputError(f"--db given twice, before and after the command ({args.db!r}, {after!r}): give it once")
    cfg = load_config()
    location = after or args.db or paths.default_database()
    # Where the database choice came from, for `organizer info`.
    args.db_source = "--db" if (after or args.db) else "ORGANIZER_DB" if os.environ.get("ORGANIZER_DB") else "default"
    code = HANDLERS[args.command or "app"](args, cfg, location)
    if args.command in READS_CARDS:
        warn_unreadable(location)
    return code
