"""The analytics commands' grammar: `metrics` (add, list, import, fetch), `experiment` and `report`.

Kept apart from organizer.cli.main (the card commands' grammar) so each file does one job; main calls `add`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from organizer.metrics.names import METRICS

IMPORT_FORMATS = ("linkedin", "meta", "x")


def add(sub: Any, parser_class: type[argparse.ArgumentParser], nonempty: Callable[[str], str]) -> None:
    """Add `metrics`, `experiment` and `report` to the subcommands `sub`.

    `--json` is taken before or after the action (`metrics --json list`, `metrics list --json`): the actions'
    flag has no default of its own, so it cannot reset the command's.
    """
    p = sub.add_parser("metrics", help="post metrics: add by hand, list, import a network's CSV, fetch from APIs")
    msub = p.add_subparsers(dest="metrics_command", metavar="ACTION", parser_class=parser_class)
    p.add_argument("--json", action="store_true")

    ma = msub.add_parser("add", help="record a published post's numbers by hand")
    ma.add_argument("id", metavar="ID")
    ma.add_argument("--channel", "-c", metavar="CHANNEL", type=nonempty,
                    help="which variant (may be left out when the card has one)")
    ma.add_argument("--at", metavar="WHEN", help="when the numbers were read (default: now)")
    for name in METRICS:
        ma.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar="N", type=int)
    ma.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    ml = msub.add_parser("list", help="the stored snapshots (of one card, or every post)")
    ml.add_argument("id", metavar="ID", nargs="?")
    ml.add_argument("--board", "-b", metavar="KEY", type=nonempty)
    ml.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    mi = msub.add_parser("import", help="a network's analytics export (CSV), matched to posts by URL or time")
    mi.add_argument("file", metavar="FILE")
    mi.add_argument("--format", "-f", choices=IMPORT_FORMATS, help="the export's kind (default: from its header)")
    mi.add_argument("--channel", "-c", metavar="CHANNEL", type=nonempty,
                    help="the channel of a Meta export's rows (facebook or instagram) when the file does not say")
    mi.add_argument("--dry-run", action="store_true", help="show what matches, write nothing")
    mi.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    mf = msub.add_parser("fetch", help="refresh numbers from Mastodon and Bluesky's public APIs (no key needed)")
    mf.add_argument("--since", metavar="WHEN", help="only posts published since then (default: the last 90 days)")
    mf.add_argument("--board", "-b", metavar="KEY", type=nonempty)
    mf.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    p = sub.add_parser("experiment", help="organic A/B experiments: new, assign, status, close, list")
    esub = p.add_subparsers(dest="experiment_command", metavar="ACTION", parser_class=parser_class)
    p.add_argument("--json", action="store_true")
    en = esub.add_parser("new", help="start an experiment on one variable")
    en.add_argument("key", metavar="KEY", help="a short name, e.g. emoji-count")
    en.add_argument("--variable", required=True, metavar="NAME",
                    help="what differs between the arms: time, emoji, hook, format, length, hashtags, …")
    en.add_argument("--arms", default="A,B", metavar="A,B[,C]", help="arm labels (default A,B)")
    en.add_argument("--describe", action="append", metavar="ARM=TEXT", help="what an arm's posts do, repeatable")
    en.add_argument("--hypothesis", default="", metavar="TEXT")
    en.add_argument("--metric", default="engagement_rate", choices=("engagement_rate", "interactions"),
                    help="engagement_rate: interactions / impressions where impressions are known")
    en.add_argument("--age", default="48h", metavar="DURATION", help="read each post at this age (default 48h)")
    en.add_argument("--min-posts", type=int, default=8, metavar="N", help="posts an arm needs before a verdict")
    en.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    eas = esub.add_parser("assign", help="put a post (a card's variant) in an arm")
    eas.add_argument("key", metavar="KEY")
    eas.add_argument("arm", metavar="ARM")
    eas.add_argument("ids", metavar="ID", nargs="*")
    eas.add_argument("--tag", "-t", metavar="TAG", type=nonempty, help="every published post whose card has this tag")
    eas.add_argument("--channel", "-c", metavar="CHANNEL", type=nonempty)
    eas.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    est = esub.add_parser("status", help="per arm n, mean, median, the test, p-value and effect size")
    est.add_argument("key", metavar="KEY")
    est.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    ec = esub.add_parser("close", help="close with the conclusion written to the posts' history")
    ec.add_argument("key", metavar="KEY")
    ec.add_argument("--note", default="", metavar="TEXT", help="your conclusion (default: the verdict)")
    ec.add_argument("--to-voice", metavar="BOARD|all", type=nonempty,
                    help="also add the conclusion to that board's voice profile (its tone notes, shown in the editor)")
    ec.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    el = esub.add_parser("list", help="the experiments")
    el.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    p = sub.add_parser("report", help="analytics as text, Markdown or CSV: per channel and pillar, hours, features")
    p.add_argument("--from", dest="from_", metavar="WHEN")
    p.add_argument("--to", metavar="WHEN")
    p.add_argument("--board", "-b", metavar="KEY", type=nonempty)
    p.add_argument("--format", choices=("text", "md", "csv"), default="text")
    p.add_argument("--json", action="store_true")
