"""What the command handlers share: the handler signature, opening the store, JSON porcelain, card flags.

Every `*_commands` module imports its helpers from here, and `commands` only dispatches, so no handler
module imports another (or the dispatcher) back. Only light modules at the top: `organizer add` loads this.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from organizer.cardspec import CLI_FIELDS
from organizer.config import Config
from organizer.validate import CardFields, validate

Handler = Callable[[argparse.Namespace, Config, str], int]


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
    from organizer.storage.orm import open_store

    return open_store(location, create=create)


def card_fields(args: argparse.Namespace, cfg: Config, *, require_title: bool) -> CardFields:
    """The card flags of `add` and `edit` (`--due`, `--channel`…), validated into CardFields."""
    raw = {spec.name: getattr(args, spec.name, None) for spec in CLI_FIELDS}
    if raw["channels"] is not None:  # repeatable and comma-separated: -c x,linkedin -c bluesky
        raw["channels"] = [c.strip() for item in raw["channels"] for c in item.split(",") if c.strip()]
    return validate(raw, cfg, now=datetime.now(UTC), require_title=require_title)
