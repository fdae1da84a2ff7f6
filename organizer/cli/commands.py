"""Dispatch a parsed command to its handler.

The handlers live in `*_commands` modules (cards, the database as a whole, planning, calendars, the app) and
share their helpers through `organizer.cli.common`; none of them imports this module. The card handlers are
imported at the top (`organizer add` and `list` are the quick path); every other module only when its command
runs, and heavy modules (SQLModel, alembic, Textual) load inside the handlers.
"""

from __future__ import annotations

import argparse
import os
from types import ModuleType

from organizer import paths
from organizer.cli import card_commands
from organizer.cli.common import Handler
from organizer.cli.messages import READS_CARDS, warn_unreadable
from organizer.config import Config, load_config
from organizer.validate import InputError


def _handlers(module: str) -> ModuleType:
    """A module of handlers, imported when one of its commands runs.

    Each import is spelled out (not `importlib`) so the import graph that import-linter and
    tests/test_boundaries.py check holds every edge; the quick-add contract names these as its lazy doors.
    """
    if module == "data_commands":
        from organizer.cli import data_commands

        return data_commands
    if module == "plan_commands":
        from organizer.cli import plan_commands

        return plan_commands
    if module == "ics_import_commands":
        from organizer.cli import ics_import_commands

        return ics_import_commands
    if module == "ics_export_commands":
        from organizer.cli import ics_export_commands

        return ics_export_commands
    if module == "content_commands":
        from organizer.cli import content_commands

        return content_commands
    if module == "template_commands":
        from organizer.cli import template_commands

        return template_commands
    if module == "review_commands":
        from organizer.cli import review_commands

        return review_commands
    if module == "mix_commands":
        from organizer.cli import mix_commands

        return mix_commands
    if module == "metrics_commands":
        from organizer.cli import metrics_commands

        return metrics_commands
    if module == "experiment_commands":
        from organizer.cli import experiment_commands

        return experiment_commands
    if module == "report_commands":
        from organizer.cli import report_commands

        return report_commands
    from organizer.cli import app_commands

    return app_commands


def _lazy(module: str, name: str) -> Handler:
    """A handler that imports `organizer.cli.<module>` only when its command runs."""
    def run(args: argparse.Namespace, cfg: Config, location: str) -> int:
        handler: Handler = getattr(_handlers(module), name)
        return handler(args, cfg, location)

    return run


HANDLERS: dict[str, Handler] = {
    "add": card_commands.cmd_add, "list": card_commands.cmd_list, "ls": card_commands.cmd_list,
    "show": card_commands.cmd_show, "move": card_commands.cmd_move, "mv": card_commands.cmd_move,
    "done": card_commands.cmd_done, "edit": card_commands.cmd_edit, "rm": card_commands.cmd_rm,
    **{name: _lazy("data_commands", f"cmd_{name}") for name in ("undo", "redo", "boards", "info", "export",
                                                                    "import")},
    **{name: _lazy("plan_commands", f"cmd_{name}") for name in ("plan", "capacity", "start", "stop", "pin", "busy")},
    "calendars": _lazy("ics_import_commands", "cmd_calendars"),
    "events": _lazy("ics_import_commands", "cmd_events"),
    "serve-ics": _lazy("ics_export_commands", "cmd_serve_ics"),
    **{name: _lazy("content_commands", f"cmd_{name}") for name in ("check", "variant", "derive", "links",
                                                                         "channels")},
    "new": _lazy("template_commands", "cmd_new"),
    "reschedule": _lazy("template_commands", "cmd_reschedule"),
    "mix": _lazy("mix_commands", "cmd_mix"),
    "metrics": _lazy("metrics_commands", "cmd_metrics"),
    "experiment": _lazy("experiment_commands", "cmd_experiment"),
    "report": _lazy("report_commands", "cmd_report"),
    "approve": _lazy("review_commands", "cmd_approve"),
    "reject": _lazy("review_commands", "cmd_reject"),
    "templates": _lazy("template_commands", "cmd_templates"),
    "demo": _lazy("app_commands", "cmd_demo"),
    "app": _lazy("app_commands", "cmd_app"),
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
