"""Entry point of the `organizer` command: parse arguments, dispatch, map errors to exit codes.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or input. Errors go to stderr on one line
that names the bad value. Only light modules are imported at the top: the quick-add path
must not pay for SQLAlchemy, pydantic or Textual.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from organizer import __version__

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line usage (exit 2)."""


class _StoreOnce(argparse._StoreAction):
    """A single-value flag given twice is a mistake (`-P 1 -P 4`): refuse it instead of keeping the last."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None,
                 option_string: str | None = None) -> None:
        """Store the value, unless this flag was already given on the same command line."""
        given: set[str] = namespace.__dict__.setdefault("_given", set())
        if option_string is not None and self.dest in given:
            parser.error(f"argument {'/'.join(self.option_strings)}: given twice; give it once")
        given.add(self.dest)
        super().__call__(parser, namespace, values, option_string)


def _nonempty(value: str) -> str:
    """An argparse type for flags whose empty value would silently mean "no filter" or "the default"."""
    if not value.strip():
        raise argparse.ArgumentTypeError("is empty: give a value")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and never a traceback."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.register("action", None, _StoreOnce)
        self.register("action", "store", _StoreOnce)

    def error(self, message: str) -> NoReturn:
        """Report bad usage in one line, with where to look for help."""
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _card_flags(p: argparse.ArgumentParser, *, edit: bool) -> None:
    """The card flags of `add` and `edit`, from `organizer.cardspec` (the fields in their porcelain order)."""
    from organizer.cardspec import CLI_FIELDS

    for spec in CLI_FIELDS:
        flag = spec.cli
        assert flag is not None  # CLI_FIELDS holds the fields with a flag
        if flag.add_positional is not None and not edit:
            p.add_argument(spec.name, help=flag.add_positional)
            continue
        if flag.edit_only and not edit:
            continue
        help_text = flag.help
        if edit:
            help_text = flag.edit_help or (f"{flag.help} ('none' clears it)" if spec.clearable else flag.help)
        options: dict[str, Any] = {"dest": spec.name, "help": help_text}
        if spec.kind == "flag":
            options.update(action=argparse.BooleanOptionalAction if edit else "store_true", default=None)
        else:
            options["metavar"] = flag.metavar
            if spec.kind in ("channels", "tags"):  # repeatable; on edit '' empties the list
                options["action"] = "append"
                if flag.nonempty:
                    options["type"] = str if edit else _nonempty
            elif flag.nonempty:
                options["type"] = _nonempty
        p.add_argument(*flag.flags, **options)
    p.add_argument("--json", action="store_true", help="print the card as JSON (porcelain)")


def build_parser() -> argparse.ArgumentParser:
    """The whole command-line grammar."""
    parser = _Parser(prog="organizer", description="Editorial workflow organizer for social media teams. "
                     "Run without a command to open the board.")
    parser.add_argument("--version", action="version", version=f"organizer {__version__}")
    parser.add_argument("--db", metavar="PATH|URL", help="database file or URL (default: $ORGANIZER_DB, "
                        "else organizer.db in the XDG data dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("add", help="add a card", description="Add a card and print its ID.")
    _card_flags(p, edit=False)

    p = sub.add_parser("list", aliases=["ls"], help="list cards", description="List open cards (filters combine).")
    p.add_argument("--board", "-b", metavar="KEY", type=_nonempty)
    p.add_argument("--role", "-r", type=_nonempty)
    p.add_argument("--channel", "-c", type=_nonempty)
    p.add_argument("--column", type=_nonempty)
    p.add_argument("--due-before", metavar="WHEN", help="only cards due before WHEN, e.g. eow")
    p.add_argument("--popup", action="store_true", default=None, help="only pop-ups")
    p.add_argument("--all", "-a", action="store_true", help="include cards in done columns")
    p.add_argument("--filter", "-f", metavar="TEXT", type=_nonempty,
                   help="the board's / filter language, e.g. 'launch #video @writer !1 due:week channel:ig "
                        "is:popup pillar:education campaign:\"winter launch\"' (terms combine with AND)")
    p.add_argument("--json", action="store_true", help="JSON array (porcelain)")

    p = sub.add_parser("check", help="count a post as each network counts it, and list the rules it breaks",
                       description="Count TEXT (or standard input with -) for each --channel as that network "
                       "counts it: X's weighted characters, Bluesky's graphemes and bytes, Mastodon's links at 23… "
                       "Exit 0 when it fits everywhere, 1 when it breaks a rule, 2 for bad usage.")
    p.add_argument("text", metavar="TEXT|-|ID", help="the post's text, - to read it from standard input, or a "
                   "card ID (without --channel) to check every variant of that card")
    p.add_argument("--channel", "-c", action="append", metavar="CHANNEL", type=_nonempty,
                   help="a network to check for: key, name or code (repeatable, or comma-separated)")
    p.add_argument("--board", "-b", metavar="KEY", type=_nonempty, help="check against this board's brand voice")
    p.add_argument("--json", action="store_true", help="JSON array, one object per channel (porcelain)")

    p = sub.add_parser("variant", help="set one network's variant of a card's post (text, first comment, status…)",
                       description="Set one channel's variant of a card's post and print its text. A new variant "
                       "starts from the card's master text (edit --post). TEXT arguments take - for standard input.")
    p.add_argument("id", metavar="ID")
    p.add_argument("channel_name", metavar="CHANNEL", help="the network: key, name or code")
    p.add_argument("--text", metavar="TEXT|-")
    p.add_argument("--first-comment", dest="first_comment", metavar="TEXT|-")
    p.add_argument("--alt-text", dest="alt_text", metavar="TEXT|-", help="alt text notes for the media")
    p.add_argument("--publish", "-p", metavar="WHEN", help="its own publish time (none: the card's)")
    p.add_argument("--status", metavar="STATUS", help="draft, ready, scheduled or published")
    p.add_argument("--url", metavar="URL", help="the published post's address (none clears it)")
    p.add_argument("--rm", action="store_true", help="remove this variant")
    p.add_argument("--tagged", action="store_true", help="print the text with its links UTM-tagged")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("derive", help="draft variants from a card's master text, one per channel",
                       description="Draft a variant per channel (the card's, or --channel) from the master text: "
                       "a copy, hashtags beyond a network's cap taken out. Nothing is shortened: check says what is "
                       "over. Existing variants are kept (--force redoes the drafts).")
    p.add_argument("id", metavar="ID")
    p.add_argument("--channel", "-c", action="append", metavar="CHANNEL", type=_nonempty)
    p.add_argument("--hashtags-to-comment", action="store_true",
                   help="on Instagram, move the hashtags to the first comment")
    p.add_argument("--force", action="store_true", help="redraft variants still in draft")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("new", help="a piece from a production template: its card and steps, scheduled backwards",
                       description="Make a piece of content from a template (organizer templates): the card, and its "
                       "steps as ordered child cards whose due times are scheduled backwards from --publish through "
                       "working hours, meetings and each day's pop-up reserve. When the steps cannot fit, nothing "
                       "is created and the message says how many minutes are missing.")
    p.add_argument("template", metavar="TEMPLATE", help="e.g. video-30s (a unique prefix will do)")
    p.add_argument("title", metavar="TITLE", help="the piece's title")
    p.add_argument("--publish", "-p", metavar="WHEN", required=True, help="when it goes live, e.g. 'fri 08:30'")
    p.add_argument("--board", "-b", metavar="KEY", type=_nonempty)
    p.add_argument("--channel", "-c", action="append", metavar="CHANNEL", type=_nonempty,
                   help="networks (default: the template's), repeatable or comma-separated")
    p.add_argument("--priority", "-P", metavar="N", type=int, choices=range(1, 5),
                   help="1 urgent, 2 high, 3 normal, 4 low (default: the config's): the piece outranks less urgent "
                   "planned work, which moves later when the steps need its time")
    p.add_argument("--dry-run", action="store_true", help="print the schedule and what it moves, create nothing")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("approve", help="approve a card (boards with [approval.KEY] require it past Review)")
    p.add_argument("id", metavar="ID")
    p.add_argument("--as", dest="as_name", metavar="NAME", help="who approves (default: the config's user)")
    p.add_argument("--note", metavar="TEXT")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("reject", help="reject a card with a note: back to In progress")
    p.add_argument("id", metavar="ID")
    p.add_argument("--note", metavar="TEXT", required=True, help="what must change")
    p.add_argument("--as", dest="as_name", metavar="NAME")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("mix", help="content mix: targets vs planned vs published, per pillar and channel")
    p.add_argument("--board", "-b", metavar="KEY", type=_nonempty)
    when = p.add_mutually_exclusive_group()
    when.add_argument("--week", action="store_true", help="this week")
    when.add_argument("--month", action="store_true", help="this month (the default)")
    p.add_argument("--from", dest="from_", metavar="WHEN")
    p.add_argument("--to", metavar="WHEN")
    p.add_argument("--pillars", metavar="NAME=PCT,…", help="keep the board's pillar targets, e.g. "
                   "education=40,entertainment=25,community=20,promotion=15 (the config's [mix] wins)")
    p.add_argument("--channels", metavar="NAME=PCT,…", help="keep the board's channel targets")
    p.add_argument("--json", action="store_true")

    from organizer.cli import parser_analytics

    parser_analytics.add(sub, _Parser, _nonempty)

    p = sub.add_parser("reschedule", help="schedule a piece's unfinished steps back from its publish time again")
    p.add_argument("id", metavar="ID")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("templates", help="production templates: list, or show one's steps")
    p.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    p.add_argument("name", metavar="NAME", nargs="?")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("channels", help="the networks, their limits; refresh a Mastodon server's limit",
                       description="List the networks and the limits check counts against; `channels refresh "
                       "mastodon --server HOST` reads that server's post limit (GET /api/v2/instance) and saves it "
                       "as [channel_limits] mastodon in the config.")
    p.add_argument("action", nargs="?", choices=["list", "refresh"], default="list")
    p.add_argument("channel_name", metavar="CHANNEL", nargs="?", default="mastodon")
    p.add_argument("--server", metavar="HOST")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("links", help="a card's links, UTM-tagged for each channel")
    p.add_argument("id", metavar="ID")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("show", help="show one card")
    p.add_argument("id", metavar="ID", help="card ID, e.g. NWC-12 or 12")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("move", aliases=["mv"], help="move a card to a column")
    p.add_argument("id", metavar="ID")
    p.add_argument("column", metavar="COLUMN", help="column name or a unique prefix, e.g. review")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("done", help="complete a card (moves it to the first done column)")
    p.add_argument("id", metavar="ID")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("edit", help="change a card's fields")
    p.add_argument("id", metavar="ID")
    _card_flags(p, edit=True)

    p = sub.add_parser("rm", help="delete a card (and its steps); undo brings it back")
    p.add_argument("id", metavar="ID")

    p = sub.add_parser("undo", help="undo the last change made from this shell (terminal session)")
    p.add_argument("--any", action="store_true",
                   help="undo the last change made anywhere (another shell, the app), saying where it was made")
    p = sub.add_parser("redo", help="redo the last change this shell undid")
    p.add_argument("--any", action="store_true", help="redo the last change undone anywhere")

    p = sub.add_parser("boards", help="list, add or rename boards; their approval gates")
    bsub = p.add_subparsers(dest="boards_command", metavar="ACTION", parser_class=_Parser)
    bl = bsub.add_parser("list", help="list boards (the default action)")
    bl.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="JSON array (porcelain)")
    ba = bsub.add_parser("add", help="add a board with the default workflow")
    ba.add_argument("key", metavar="KEY", help="short key used in card IDs, e.g. ACME")
    ba.add_argument("name", metavar="NAME")
    ba.add_argument("--description", default="")
    br = bsub.add_parser("rename", help="rename a board or change its key")
    br.add_argument("key", metavar="KEY")
    br.add_argument("name", metavar="NAME", nargs="?")
    br.add_argument("--key", dest="new_key", metavar="NEW_KEY", help="new key (card IDs follow)")
    bp = bsub.add_parser("approval", help="show or keep a board's approval gate (the config's [approval.KEY] wins)")
    bp.add_argument("key", metavar="KEY")
    bp.add_argument("--required", type=int, choices=(0, 1, 2), metavar="N",
                    help="approvals a card needs to pass Review: 0 (none), 1 or 2")
    bp.add_argument("--approver", metavar="NAME", help="only this person's approvals count (a ghost-written board)")
    bp.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    p = sub.add_parser("plan", help="the day planned to the minute, with the pop-up reserve")
    p.add_argument("day", metavar="DAY", nargs="?", help="which day (default today), e.g. tomorrow, fri")
    p.add_argument("--replan", action="store_true", help="let every future unpinned block move")
    p.add_argument("--json", action="store_true", help="JSON object (porcelain)")

    p = sub.add_parser("capacity", help="planned, busy, reserve and available minutes per day and role")
    p.add_argument("--week", action="store_true", help="the next 7 days instead of today")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("start", help="start the timer on a card (stops the running one)")
    p.add_argument("id", metavar="ID")
    sub.add_parser("stop", help="stop the running timer; its minutes go to the card's time spent")
    p = sub.add_parser("pin", help="pin a card's planned blocks so replanning leaves them")
    p.add_argument("id", metavar="ID")
    p.add_argument("--off", action="store_true", help="unpin instead")

    p = sub.add_parser("busy", help="meetings and other fixed time, typed in by hand")
    bsub2 = p.add_subparsers(dest="busy_command", metavar="ACTION", parser_class=_Parser)
    p.add_argument("--json", action="store_true")
    bl2 = bsub2.add_parser("list", help="busy time in the next 14 days (the default action)")
    bl2.add_argument("--json", action="store_true")
    b_add = bsub2.add_parser("add", help="block time, e.g. busy add 'fri 10:00' 1h 'Team meeting'")
    b_add.add_argument("when", metavar="WHEN")
    b_add.add_argument("duration", metavar="DURATION")
    b_add.add_argument("title", metavar="TITLE")
    b_rm = bsub2.add_parser("rm", help="remove a manual busy block")
    b_rm.add_argument("event_id", metavar="ID", type=int)

    p = sub.add_parser("info", help="version, config and database paths")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("demo", help="open the app on the demo database (demo.db in the data dir, made afresh)",
                       description="Fill the demo database with the demo boards and open the app on it. It prints "
                       "where the database is; `export ORGANIZER_DB=…` points another shell at it.")
    p.add_argument("--keep", metavar="FILE", help="use FILE (a new file) for the demo database instead of demo.db "
                   "in the data dir; or a database URL (an empty database, e.g. postgresql://user@host/name)")
    p.add_argument("--resume", action="store_true",
                   help="reopen the demo database as it was left instead of making it afresh")
    p.add_argument("--no-app", action="store_true", help="only create the database")

    p = sub.add_parser("export", help="export cards and boards (json, csv) or a calendar (ics)")
    p.add_argument("format", choices=["json", "csv", "ics"])
    p.add_argument("--board", "-b", metavar="KEY", action="append",
                   help="one board only (ics: repeatable)")
    p.add_argument("--what", metavar="KINDS", default="publish,plan,due",
                   help="ics: comma-separated, from publish, plan, due (default: all three)")
    p.add_argument("--from", dest="start", metavar="WHEN", help="ics: from (default: today)")
    p.add_argument("--to", dest="end", metavar="WHEN", help="ics: until (default: 30 days after --from)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")

    p = sub.add_parser("import", help="import cards (json, csv: all or nothing) or a calendar as busy time (ics)")
    p.add_argument("format", choices=["json", "csv", "ics"])
    p.add_argument("file", metavar="FILE", help="file to read ('-' for stdin); ics also takes an http(s) URL")
    p.add_argument("--renumber", action="store_true", help="give imported cards new numbers when theirs are taken")
    p.add_argument("--name", metavar="NAME", help="ics: the calendar's name (default: from the file or URL)")
    p.add_argument("--skip-bad", action="store_true", help="ics: import the readable events, list the others")
    p.add_argument("--accept-empty", action="store_true",
                   help="ics: replace an imported calendar's events even when the new file has none")

    p = sub.add_parser("calendars", help="imported calendars: list, refresh, remove")
    csub = p.add_subparsers(dest="calendars_command", metavar="ACTION", parser_class=_Parser)
    p.add_argument("--json", action="store_true")
    p.add_argument("--show-url", action="store_true", help="show subscription URLs in full (they are secrets)")
    cl = csub.add_parser("list", help="imported calendars (the default action)")
    cl.add_argument("--json", action="store_true")
    cl.add_argument("--show-url", action="store_true", help="show subscription URLs in full (they are secrets)")
    cr = csub.add_parser("refresh", help="fetch subscribed calendars again (all, or one by name)")
    cr.add_argument("name", metavar="NAME", nargs="?")
    cr.add_argument("--accept-empty", action="store_true", help="apply a feed even when it has no events")
    cx = csub.add_parser("remove", help="remove a calendar and its busy time")
    cx.add_argument("name", metavar="NAME")

    p = sub.add_parser("events", help="busy time the planner sees, from every calendar and manual blocks")
    p.add_argument("--from", dest="start", metavar="WHEN", help="from (default: today)")
    p.add_argument("--to", dest="end", metavar="WHEN", help="until (default: 7 days after --from)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("serve-ics", help="serve the calendar over HTTP for calendar apps to subscribe to")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    p.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
    p.add_argument("--rotate-token", action="store_true", help="make a new secret URL (the old one stops working)")
    _db_everywhere(parser)
    return parser


def _db_everywhere(parser: argparse.ArgumentParser, seen: set[int] | None = None) -> None:
    """Let every command (and action: `boards add`) take `--db` after its name too: `organizer list --db FILE`.

    It lands in `db_after`; `dispatch` refuses it given both before and after the command.
    """
    seen = set() if seen is None else seen
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for sub in action.choices.values():
            if id(sub) in seen:  # an alias (`ls`) shares its command's parser
                continue
            seen.add(id(sub))
            sub.add_argument("--db", dest="db_after", metavar="PATH|URL", default=argparse.SUPPRESS,
                             help="database file or URL (default: $ORGANIZER_DB, else organizer.db in the XDG "
                                  "data dir); the same as --db before the command")
            _db_everywhere(sub, seen)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    from organizer.config import ConfigError
    from organizer.validate import InputError

    try:
        args = build_parser().parse_args(argv)
        from organizer.cli import commands

        return commands.dispatch(args)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except (InputError, ConfigError) as exc:
        print(f"organizer: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `organizer list | head`: the reader left; that is not an error.
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        if os.environ.get("ORGANIZER_DEBUG"):
            raise
        from organizer.cli.messages import describe_failure

        print(f"organizer: {describe_failure(exc)}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    raise SystemExit(main())
