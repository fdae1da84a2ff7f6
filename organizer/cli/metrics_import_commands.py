"""CLI handler for `organizer metrics import FILE`: a network's analytics export into metrics snapshots.

The file is parsed (organizer.metrics.csvimport) and matched (organizer.metrics.csvmatch) before anything is
written; the readings then land in one write transaction, or none do. Everything printed from the file (links,
the file name) goes through clean_text: an export is text anyone could have written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from organizer.cli.common import emit
from organizer.config import Config
from organizer.validate import InputError, clean_text

if TYPE_CHECKING:
    from organizer.metrics.csvimport import Row
    from organizer.metrics.csvmatch import Matched, Missed, Plan

LISTED = 50  # unmatched rows shown in the text output


def cmd_metrics_import(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Import a network's analytics export (CSV): match its rows to published posts, record their numbers."""
    from organizer.metrics import csvimport, csvmatch, store
    from organizer.posts.variants import channel_key
    from organizer.storage.adapters import open_storage
    from organizer.storage.plain import Db

    path = Path(args.file).expanduser()
    channel = channel_key(cfg, args.channel) if args.channel else None  # "FB", "Instagram" as elsewhere
    export = csvimport.read_export(path, fmt=args.format, channel=channel, tz=cfg.timezone)
    taken = csvimport.taken_at(path)
    dry_run = bool(args.dry_run)
    written = 0
    storage = open_storage(location, create=False)
    try:
        if dry_run:
            with storage.reading() as db:
                plan = csvmatch.match(db, export)
        else:
            # Matched and written in one transaction: what was matched is what is written.
            with storage.write() as session:
                db = Db(session)
                plan = csvmatch.match(db, export)
                if plan.matched:
                    written = store.record(db, csvmatch.readings(plan, taken))
    finally:
        storage.close()
    shown = clean_text(args.file)
    if not plan.matched and not dry_run:
        raise InputError(_nothing_matched(plan, shown, cfg.timezone))
    if args.json:
        emit(_porcelain(plan, written, dry_run, cfg.timezone))
    else:
        _print(plan, shown, written, dry_run, cfg.timezone)
    if not plan.matched:  # a dry run shows why, then fails like the import would
        print(f"organizer: {_nothing_matched(plan, shown, cfg.timezone)}", file=sys.stderr)
        return 2
    return 0


def _nothing_matched(plan: Plan, shown: str, tz: str) -> str:
    rows = len(plan.export.rows)
    if not rows:
        return f"{shown} has no post rows under its header: nothing was imported"
    examples = "; ".join(f"line {m.row.line}: {_where(m.row, tz)}" for m in (plan.unmatched + plan.ambiguous)[:3])
    return (f"none of the {rows} rows of {shown} matches a published post (give the posts their --url, or "
            f"check their publish times): {examples}. Nothing was imported")


def _where(row: Row, tz: str) -> str:
    """A row as the user would recognise it: its link, else its publish time."""
    if row.link:
        return clean_text(row.link)[:120]
    if row.published is not None:
        return f"published {row.published.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M}"
    if row.day is not None:
        return f"published {row.day:%Y-%m-%d}"
    return "no link or time"


def _counts(row: Row) -> str:
    known = [f"{v} {k.replace('_', ' ')}" for k, v in row.counts.items() if v is not None]
    return ", ".join(known) or "no numbers"


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _print(plan: Plan, shown: str, written: int, dry_run: bool, tz: str) -> None:
    m = plan.export.format
    if dry_run:
        print(f"dry run of {shown} ({m.key}): {_rows(len(plan.matched))} would be imported, "
              f"{len(plan.unmatched)} unmatched, {len(plan.ambiguous)} ambiguous; nothing written")
        for hit in plan.matched:
            print(f"  line {hit.row.line:<5} {hit.variant.ref:<9} {hit.variant.channel:<10} {hit.how:<5} "
                  f"{_counts(hit.row)}")
    else:
        plural = "" if written == 1 else "s"
        print(f"imported {written} snapshot{plural} from {shown} ({m.key}): {_rows(len(plan.matched))} matched, "
              f"{len(plan.unmatched)} unmatched" + (f", {len(plan.ambiguous)} ambiguous" if plan.ambiguous else ""))
    for miss in plan.ambiguous:
        print(f"  ambiguous line {miss.row.line}: {_where(miss.row, tz)} ({miss.reason}): not imported")
    # A year's export against a month of posts: the first rows say enough; --json lists every one.
    for miss in plan.unmatched[:LISTED]:
        print(f"  unmatched line {miss.row.line}: {_where(miss.row, tz)} ({miss.reason})")
    if len(plan.unmatched) > LISTED:
        print(f"  … and {len(plan.unmatched) - LISTED} more unmatched rows (--json lists them all)")
    if plan.export.skipped_columns:
        print(f"  left out (percentages, not counts): {', '.join(clean_text(c) for c in plan.export.skipped_columns)}")


def _row_json(row: Row, tz: str) -> dict[str, Any]:
    return {"line": row.line, "link": clean_text(row.link) if row.link else None,
            "published": row.published.astimezone(ZoneInfo(tz)).isoformat() if row.published else None,
            "day": row.day.isoformat() if row.day else None}


def _matched_json(hit: Matched, tz: str) -> dict[str, Any]:
    return {**_row_json(hit.row, tz), "id": hit.variant.ref, "channel": hit.variant.channel, "how": hit.how,
            **hit.row.counts}


def _missed_json(miss: Missed, tz: str) -> dict[str, Any]:
    out = {**_row_json(miss.row, tz), "channel": miss.row.channel, "reason": clean_text(miss.reason)}
    if miss.candidates:
        out["candidates"] = [{"id": v.ref, "channel": v.channel} for v in miss.candidates]
    return out


def _porcelain(plan: Plan, written: int, dry_run: bool, tz: str) -> dict[str, Any]:
    # Header names come from the file: cleaned here too (JSON escapes C0 controls, not C1 or bidi ones).
    columns = {k: clean_text(v) for k, v in plan.export.columns.items()}
    return {"format": plan.export.format.key, "columns": columns,
            "matched": [_matched_json(h, tz) for h in plan.matched],
            "unmatched": [_missed_json(m, tz) for m in plan.unmatched],
            "ambiguous": [_missed_json(m, tz) for m in plan.ambiguous],
            "skipped_columns": [clean_text(c) for c in plan.export.skipped_columns], "written": written,
            "dry_run": dry_run}
