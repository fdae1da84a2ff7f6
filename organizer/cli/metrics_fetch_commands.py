"""CLI handler for `organizer metrics fetch`: fresh numbers from Mastodon's and Bluesky's public APIs.

Reads the published Mastodon and Bluesky variants with a post link (published since `--since`, default the last
90 days; a variant with no known publish time is read too, since its age cannot rule it out), asks the networks
(organizer.metrics.fetch), then records every reading in one write transaction: a run stopped with Ctrl-C
before that writes nothing. Heavy modules (httpx, the store) load inside the handler.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from organizer.cli.common import emit
from organizer.config import Config
from organizer.validate import InputError, unknown_board

if TYPE_CHECKING:
    from organizer.metrics.fetch import Failure, Outcome
    from organizer.metrics.model import Reading
    from organizer.metrics.store import Variant
    from organizer.storage.plain import Db

DEFAULT_DAYS = 90
EXIT_ALL_FAILED = 1
EXIT_INTERRUPTED = 130


def cmd_metrics_fetch(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Refresh numbers from the public APIs; exit 1 when every post failed, 0 otherwise."""
    from organizer.metrics import store
    from organizer.storage.adapters import open_storage
    from organizer.storage.plain import Db

    now = datetime.now(UTC)
    since = _since(args.since, cfg, now)
    board = getattr(args, "board", None)
    storage = open_storage(location, create=False)
    try:
        with storage.reading() as db:
            if board:
                _check_board(db, board)
            variants = [v for v in store.published_variants(db, channels=("mastodon", "bluesky"), board=board)
                        if v.url and (v.published_at is None or v.published_at >= since)]
        if not variants:
            return _nothing(args, cfg, since, board)
        outcome = _fetch(variants)
        if outcome is None:
            return EXIT_INTERRUPTED
        if outcome.readings:
            # One transaction for every reading: all land, or (an error, Ctrl-C) none.
            with storage.write() as session:
                session_db = Db(session)
                kept, gone = _still_there(session_db, outcome.readings, variants)
                store.record(session_db, kept)
            outcome.readings, outcome.failures = kept, outcome.failures + gone
    finally:
        storage.close()
    return _report(args, outcome)


def _since(text: str | None, cfg: Config, now: datetime) -> datetime:
    """--since as an instant (default: DEFAULT_DAYS ago)."""
    if not text:
        return now - timedelta(days=DEFAULT_DAYS)
    from organizer.dates import parse_when

    try:
        return parse_when(text, now=now, tz=cfg.timezone, day_end=cfg.day_end)
    except ValueError as exc:
        raise InputError(f"--since: {exc}") from None


def _check_board(db: Db, key: str) -> None:
    known = [str(k) for (k,) in db.rows("SELECT key FROM board ORDER BY key")]
    if key.upper() not in known:
        raise unknown_board(key, known)


def _nothing(args: argparse.Namespace, cfg: Config, since: datetime, board: str | None) -> int:
    if args.json:
        emit({"fetched": 0, "failed": [], "posts": 0})
        return 0
    where = f" on board {board.upper()}" if board else ""
    day = since.astimezone(ZoneInfo(cfg.timezone))
    print(f"no Mastodon or Bluesky posts with a link{where} since {day:%a %d %b %Y}"
          " (organizer variant ID mastodon --url URL, or --since)")
    return 0


def _fetch(variants: list[Variant]) -> Outcome | None:
    """Ask the networks with a progress bar on a terminal; None when interrupted (nothing was written)."""
    from organizer.cli.progress import Progress
    from organizer.metrics import fetch

    bar = Progress("fetching metrics", "posts")

    def note(text: str) -> None:
        bar.done()  # a note on its own line, then the bar carries on below it
        print(f"organizer: {text}", file=sys.stderr, flush=True)

    try:
        return fetch.run(variants, progress=lambda done, total: bar("", done, total), note=note)
    except KeyboardInterrupt:
        bar.done()
        print("organizer: interrupted: nothing was written", file=sys.stderr)
        return None
    finally:
        bar.done()


def _still_there(db: Db, readings: list[Reading], variants: list[Variant]) -> tuple[list[Reading], list[Failure]]:
    """The readings whose variant still exists (one removed during the fetch must not sink the others)."""
    from organizer.metrics.fetch import Failure

    present = {(int(c), str(ch)) for c, ch in db.rows("SELECT card_id, channel FROM post_variant")}
    by_key = {(v.card_id, v.channel): v for v in variants}
    kept = [r for r in readings if (r.card_id, r.channel) in present]
    gone = [Failure(by_key[(r.card_id, r.channel)].ref, r.channel, by_key[(r.card_id, r.channel)].url or "",
                    "the variant was removed while its numbers were fetched: not written")
            for r in readings if (r.card_id, r.channel) not in present]
    return kept, gone


def _report(args: argparse.Namespace, outcome: Outcome) -> int:
    from organizer.metrics.networks_api import short

    fetched = len(outcome.readings)
    code = 0 if fetched or not outcome.posts else EXIT_ALL_FAILED
    if args.json:
        emit({"fetched": fetched, "posts": outcome.posts,
              "failed": [{"id": f.ref, "channel": f.channel, "url": f.url, "error": f.error}
                         for f in outcome.failures]})
        return code
    per_channel = ", ".join(f"{c} {n}" for c, n in outcome.fetched().items())
    head = f"fetched {fetched} of {outcome.posts} post{'s' if outcome.posts != 1 else ''}"
    head += f" ({per_channel})" if per_channel else ""
    if outcome.failures:
        head += f"; {len(outcome.failures)} failed:"
    print(head)
    for f in outcome.failures:
        # The error is built from safe pieces already; short() again in case a URL or message slipped through.
        print(f"  {f.ref} {f.channel}: {short(f.error, 300)}")
    return code
