"""Find cards on every board by a few words: the command palette's card search.

Every word must appear (any case) in one of the card's ID, title, notes, campaign, pillar, tags or
channels; the best hits come first: an exact ID, then words in the title, then anywhere. Plain SQL over
`organizer.storage.plain.Db` (sqlite3 on a SQLite file, SQLAlchemy on PostgreSQL), in the caller's read
transaction; the text is matched in Python, because SQLite's LIKE folds ASCII only (and both databases
then find the same cards).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from organizer.storage.plain import Db

__all__ = ["CardHit", "search_cards"]


@dataclass(frozen=True, slots=True)
class CardHit:
    """One card found: where it is and why it matched."""

    ref: str
    board_key: str
    board_name: str
    column: str
    title: str
    where: str  # the field that matched the first word ("title", "notes", "tag", …)
    done: bool


_FIELDS = ("ref", "title", "campaign", "pillar", "tag", "channel", "notes")


def search_cards(db: Db | sqlite3.Connection, query: str, *, limit: int = 30) -> list[CardHit]:
    """Cards whose fields hold every word of `query` (case-insensitive), best first, at most `limit`."""
    words = query.casefold().split()
    if not words:
        return []
    db = db if isinstance(db, Db) else Db(db)
    extra: dict[int, dict[str, list[str]]] = {}
    for cid, tag in db.rows("SELECT card_id, tag FROM card_tag", bulk=True):
        extra.setdefault(cid, {}).setdefault("tag", []).append(tag)
    for cid, channel in db.rows("SELECT card_id, channel FROM card_channel", bulk=True):
        extra.setdefault(cid, {}).setdefault("channel", []).append(channel)
    scored: list[tuple[tuple[int, int, int], CardHit]] = []
    rows = db.rows(
        "SELECT c.id, b.key, b.name, c.number, bc.name, bc.is_done, c.title, c.notes, c.campaign, c.pillar "
        "FROM card c JOIN board b ON b.id = c.board_id JOIN board_column bc ON bc.id = c.column_id", bulk=True)
    for cid, key, board_name, number, column, is_done, title, notes, campaign, pillar in rows:
        ref = f"{key}-{number}"
        more = extra.get(cid, {})
        fields = {"ref": ref, "title": title or "", "campaign": campaign or "", "pillar": pillar or "",
                  "tag": " ".join(more.get("tag", [])), "channel": " ".join(more.get("channel", [])),
                  "notes": notes or ""}
        folded = {name: value.casefold() for name, value in fields.items()}
        where = None
        for word in words:
            hit = next((name for name in _FIELDS if word in folded[name]), None)
            if hit is None:
                break
            where = where or hit
        else:
            assert where is not None
            exact = 0 if ref.casefold() == query.casefold().strip() else 1
            in_title = 0 if all(w in folded["title"] or w in folded["ref"] for w in words) else 1
            scored.append(((exact, in_title + bool(is_done), cid),
                           CardHit(ref, key, board_name, column, title or "", where, bool(is_done))))
    scored.sort(key=lambda pair: pair[0])
    return [hit for _, hit in scored[:limit]]
