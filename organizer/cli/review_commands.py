"""CLI handlers for the approval gate: `approve` and `reject` a card (organizer.approval)."""

from __future__ import annotations

import argparse

from organizer.cli.common import emit, open_db
from organizer.config import Config


def cmd_approve(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Approve a card (as the config's user, or --as NAME), with an optional note."""
    from organizer.services import approvals, cards

    store = open_db(location)
    with store.write() as s:
        said = approvals.approve(s, cfg, args.id, by=args.as_name, note=args.note or "")
    if args.json:
        with store.read() as s:
            emit(cards.card_view(s, cfg, args.id))
    else:
        print(said)
    return 0


def cmd_reject(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Reject a card with a note: it goes back to In progress, the note kept with the verdict."""
    from organizer.services import approvals, cards

    store = open_db(location)
    with store.write() as s:
        column = approvals.reject(s, cfg, args.id, note=args.note or "", by=args.as_name)
    if args.json:
        with store.read() as s:
            emit(cards.card_view(s, cfg, args.id))
    else:
        print(f"{args.id} rejected: back in {column}")
    return 0
