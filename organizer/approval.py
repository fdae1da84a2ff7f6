"""The approval gate's rules: which boards require approval, who approves, and which moves it stops.

A board's rule is `[approval.KEY]` in the config: `required = 1` or `2` approvals, and an optional
`approver = "Dana Reyes"` (a ghost-written board's executive: then only that name's approvals count). A card
on such a board may not move past its Review column (into a later column, or any done column) without that
many approvals since its last rejection. The reviewer is the config's `user` (default: the OS user).
Stdlib only: the quick move path checks it too.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from organizer.validate import InputError

REVIEW = "review"


@dataclass(frozen=True)
class Rule:
    """A board's approval rule."""

    required: int  # 0 none, 1 or 2
    approver: str | None = None


def rule(cfg: Any, board: str) -> Rule:
    """The board's rule from `cfg.approval` (none when the board is not listed)."""
    raw = getattr(cfg, "approval", {}).get(board.upper()) or {}
    return Rule(int(raw.get("required", 0)), raw.get("approver") or None)


def reviewer(cfg: Any) -> str:
    """Who the person at this keyboard is: the config's `user`, else the OS user."""
    name = getattr(cfg, "user", None)
    if name:
        return str(name)
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container): a name still has to be given
        return "unknown"


def gated(columns: Sequence[tuple[str, bool]], target: int) -> bool:
    """Whether moving to column `target` (of (name, is_done) in board order) passes the Review column."""
    names = [name.strip().lower() for name, _ in columns]
    review = names.index(REVIEW) if REVIEW in names else None
    if review is not None and target > review:
        return True
    return columns[target][1]


def count(rule_: Rule, verdicts: Sequence[tuple[str, str]]) -> int:
    """Approvals (by the approver, when the rule names one) since the last rejection; verdicts oldest first."""
    total = 0
    for by, verdict in verdicts:
        if verdict == "reject":
            total = 0
        elif rule_.approver is None or by.casefold() == rule_.approver.casefold():
            total += 1
    return total


def check_move(rule_: Rule, ref: str, column: str, verdicts: Sequence[tuple[str, str]]) -> None:
    """Refuse a gated move without enough approvals, saying who must approve."""
    have = count(rule_, verdicts)
    if rule_.required and have < rule_.required:
        who = f"by {rule_.approver}" if rule_.approver else f"by {rule_.required} reviewer(s)"
        raise InputError(f"{ref} needs approval {who} before it moves to {column} ({have} of {rule_.required} so "
                         f"far): organizer approve {ref}" + (f" --as '{rule_.approver}'" if rule_.approver else ""))
