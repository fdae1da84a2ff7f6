"""CLI handlers for the database as a whole: undo and redo, boards, info, JSON/CSV export and import.

Heavy modules (the store, the services, the exchange formats) load inside the handlers.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from organizer import paths
from organizer.cli.common import emit, open_db
from organizer.config import Config
from organizer.validate import InputError

# A JSON export of 10,000 cards is about 6 MB; far past that is not an export, and reading it would only eat memory.
IMPORT_MAX_BYTES = 200 * 2**20


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
    if action == "approval":
        return _board_approval(args, cfg, store)
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


def _board_approval(args: argparse.Namespace, cfg: Config, store: Any) -> int:
    """Show a board's approval gate, or keep a new one with the board (`--required`, `--approver`)."""
    from organizer import approval
    from organizer.services import boards
    from organizer.storage.plain import Db

    writing = args.required is not None or args.approver is not None
    with (store.write() if writing else store.read()) as s:
        board = boards.get_board(s, args.key)
        if writing:
            if board.key.upper() in cfg.approval:
                raise InputError(f"board {board.key}'s approval rule is set in the config ([approval.{board.key}]), "
                                 "which wins: change it there")
            kept = approval.rule(cfg, board.key, Db(s))
            required = args.required if args.required is not None else max(kept.required, 1)
            approver = (args.approver.strip() or None) if args.approver is not None else kept.approver
            approval.save(Db(s), board.key, required, approver)
        rule = approval.rule(cfg, board.key, Db(s))
    source = "config" if board.key.upper() in cfg.approval else "database"
    if args.json:
        emit({"board": board.key, "required": rule.required, "approver": rule.approver, "source": source})
        return 0
    if not rule.required:
        print(f"{board.key}: no approval needed")
    else:
        who = f" by {rule.approver}" if rule.approver else ""
        print(f"{board.key}: {rule.required} approval(s){who} before a card passes Review ({source})")
    return 0


def cmd_info(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Where things are.

    For a database URL (PostgreSQL), `database_exists` says whether the server lets Organizer in, and
    `database_revision` which schema revision the database is at (None: not set up yet), read without
    migrating anything.
    """
    from organizer import __version__, refdata
    from organizer.schema import SCHEMA_REVISION

    file = paths.sqlite_path(location)
    on_server = file is None and "://" in location and not location.startswith("sqlite:")
    exists, revision = _server_database(location) if on_server else (bool(file and file.exists()), None)
    info: dict[str, Any] = {
        "version": __version__,
        "config": str(paths.config_file()),
        "config_exists": paths.config_file().is_file(),
        "database": location,
        # Why this database: the --db flag, the ORGANIZER_DB variable, or the default in the data dir.
        "database_from": getattr(args, "db_source", "default"),
        "database_exists": exists,
        **({"database_revision": revision} if on_server else {}),
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


def _server_database(location: str) -> tuple[bool, str | None]:
    """Whether a database URL can be opened, and its schema revision; nothing is created or migrated."""
    from sqlalchemy.exc import SQLAlchemyError

    from organizer.storage.orm import StoreError, current_revision, open_store

    try:
        store = open_store(location, migrate_now=False)
    except (StoreError, SQLAlchemyError, ImportError, ValueError):  # an unknown dialect, a driver missing
        return False, None
    try:
        return True, current_revision(store.engine)
    except SQLAlchemyError:  # the server is down, the database or the role does not exist
        return False, None
    finally:
        store.close()


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
