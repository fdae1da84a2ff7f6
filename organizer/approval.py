"""The approval gate's rules: which boards require approval, who approves, and which moves it stops.

A board's rule is `[approval.KEY]` in the config: `required = 1` or `2` approvals, and an optional
`approver = "Dana Reyes"` (a ghost-written board's executive: then only that name's approvals count); or,
for a board the config does not list, the rule kept with the board in the database (`organizer boards
approval KEY`, and the demo's exec board), so everyone sharing a team database works under the same gate. A card
on such a board may not move past its Review column (into a later column, or any done column) without that
many approvals since its last rejection. The reviewer is the config's `user` (default: the OS user).
Stdlib only: the quick move path checks it too.
"""

from __future__ import annotations

import getpass
import json
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


def rule(cfg: Any, board: str, db: Any = None) -> Rule:
    """The board's rule: the config's `[approval.KEY]`; else, given a database (organizer.storage.plain.Db),
    the rule kept there with the board; else none."""
    configured = getattr(cfg, "approval", {})
    if board.upper() in configured or db is None:
        raw = configured.get(board.upper()) or {}
        return Rule(int(raw.get("required", 0)), raw.get("approver") or None)
    return stored(db, board) or Rule(0)


def _setting_key(board: str) -> str:
    return f"approval.{board.upper()}"


def stored(db: Any, board: str) -> Rule | None:
    """The rule kept with the board in the database, if any (a damaged value counts as none)."""
    rows = db.rows("SELECT value FROM setting WHERE key = :key", {"key": _setting_key(board)})
    if not rows:
        return None
    try:
        raw = json.loads(rows[0][0])
        required = int(raw.get("required", 0))
    except (ValueError, TypeError, AttributeError):
        return None
    approver = raw.get("approver")
    return Rule(required if required in (0, 1, 2) else 0, approver if isinstance(approver, str) and approver else None)


def save(db: Any, board: str, required: int, approver: str | None) -> None:
    """Keep a board's rule in the database (0 approvals removes the gate)."""
    if required not in (0, 1, 2):
        raise InputError(f"required approvals {required!r} is not valid: use 0 (none), 1 or 2")
    value = json.dumps({"required": required, "approver": approver or None})
    db.rows("INSERT INTO setting (key, value) VALUES (:key, :value) ON CONFLICT (key) DO UPDATE SET value = "
            "excluded.value", {"key": _setting_key(board), "value": value}, fetch=False)


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
