"""CLI handlers that open the app: `organizer` with no command, and `organizer demo`.

`_launch` is the one place the core reaches into the presentation layer (`screens`), lazily, inside the
function: the import-linter contract "the core never imports the TUI" names that single import as its one
exception (pyproject.toml, [tool.importlinter]).
"""

from __future__ import annotations

import argparse
import os
import sys

from organizer import paths
from organizer.cli.common import open_db
from organizer.config import Config
from organizer.validate import InputError


def cmd_demo(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Fill the demo database with the demo boards and open the app on it.

    The demo database is `demo.db` in the data dir (made afresh each time; `--resume` reopens it as it was),
    or `--keep FILE` (a new file; with `--resume`, an existing one), or `--keep URL` (an empty database on
    a server such as PostgreSQL; with `--resume`, one that holds boards). It says where the database is and
    how to point another shell at it, and sets ORGANIZER_DB for whatever the app starts, so `organizer add`
    from a second terminal lands on the board being shown.
    """
    import shlex
    import shutil
    from pathlib import Path

    from organizer import demo

    if args.keep and paths.sqlite_path(args.keep) is None:
        return _demo_at_url(args, cfg, args.keep)
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
    return _open_demo(args, cfg, str(target), shlex.quote(str(target)))


def _demo_at_url(args: argparse.Namespace, cfg: Config, url: str) -> int:
    """`demo --keep URL`: a database server's database (it must exist), empty unless `--resume`.

    Whether it is new is told by its content, not the file system: a database that already holds boards
    is refused (or, with `--resume`, opened as it is). The URL is passed on as it was given.
    """
    import shlex

    from organizer import demo
    from organizer.storage.plain import Db

    store = open_db(url, create=True)  # sets up (migrates) an empty database
    try:
        with store.read() as session:
            used = bool(Db(session).rows("SELECT 1 FROM board LIMIT 1"))
        if used and not args.resume:
            raise InputError("that database already holds boards: give --keep an empty database for the demo "
                             "(or --resume to open it as it is)")
        if used:
            print(f"demo database {url}: reopened as it was")
        else:
            print(f"demo database {url}: {demo.load_demo(store, cfg)} cards")
    finally:
        store.close()
    return _open_demo(args, cfg, url, shlex.quote(url))


def _open_demo(args: argparse.Namespace, cfg: Config, location: str, quoted: str) -> int:
    print(f"to use it from another shell: export ORGANIZER_DB={quoted}", file=sys.stderr)
    os.environ["ORGANIZER_DB"] = location  # for a shell started from inside the app
    if args.no_app:
        return 0
    sys.stdout.flush()
    return _launch(cfg, location)


def _launch(cfg: Config, location: str) -> int:
    # The one place the core reaches into the presentation layer, lazily. An installed wheel carries the TUI
    # inside the package, as organizer.screens ([tool.hatch.build.targets.wheel.sources]); a source checkout
    # keeps it at the top of the repository, as `screens`.
    try:
        from organizer.screens.app import run  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ModuleNotFoundError as exc:
        if exc.name not in ("organizer.screens", "organizer.screens.app"):
            raise  # the TUI is there but something it needs is not: say so
        from screens.app import run  # type: ignore[no-redef,unused-ignore]

    return int(run(location, cfg))


def cmd_app(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Open the TUI: migrate or create the database only when the quick check says it is needed."""
    from organizer.storage import quick

    try:
        quick.connect(location).close()
    except quick.NotQuick:
        open_db(location, create=True).close()
    return _launch(cfg, location)
