"""The filter language shared by the board's `/` and `organizer list --filter`.

A filter is terms separated by spaces; a card must match every term (AND):

- `word`: the word appears, case-insensitively, anywhere in the card's ID, title, notes, tags,
  campaign or pillar (a substring: `nwc-1` also finds NWC-12). `"winter launch"` (double quotes)
  is one phrase; a quoted term is always free text (`"due:today"` searches for that text).
- `#tag`: the card has that tag (whole tag, any case).
- `@role`: the card's role, by key or name (`@writer`, `@Writer`).
- `!1` … `!4`: that priority (1 urgent … 4 low).
- `due:today`, `due:tomorrow`: due before the end (24:00) of that local day, overdue cards included;
  `due:week`: due before the end of this week (Sunday 24:00); `due:overdue`: due before now and not
  in a done column; `due:PHRASE`: due at or before the moment PHRASE means, in any form
  `organizer.dates.parse_when` reads (`due:fri`, `due:eow`, `due:"fri 14:30"`, `due:+3d`). A card
  without a due time never matches a `due:` term.
- `pillar:X`, `campaign:X`: the card's pillar / campaign contains X (any case; quote it for spaces).
- `channel:X`: the card is for that channel, by key, name or the code the board shows (`channel:ig`).
- `is:popup`: the card is a pop-up.

`parse(text, cfg, now=…)` reads a filter once and returns a `Filter`, whose `match(card)` is then
called per card: it reads only attributes (`haystack`, `tags`, `role`, `priority`, `due_at`, `done`,
`popup`, `channels`, `campaign`, `pillar`), so it works on the board's `CardRow` and on the quick
path's `Subject` alike, and both build their haystack with `haystack()`. A term it cannot read raises
`FilterError` naming the term, why, and what is accepted; with `lenient=True` bad terms are left out
(the board filters on every keystroke, and a half-typed `due:tom` must not blank the board) and listed
in `Filter.errors`. Stdlib and `organizer.dates` only: no Textual, no SQLAlchemy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from organizer.config import Config
from organizer.dates import day_bounds
from organizer.validate import InputError

FIELDS = ("due", "pillar", "campaign", "channel", "is")
DUE_WORDS = ("today", "tomorrow", "week", "overdue")
STATES = ("popup",)
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):(.*)$", re.DOTALL)

Match = Callable[[Any], bool]


class FilterError(InputError):
    """A filter term that cannot be read; the message names it, says why and what is accepted."""


class Subject(NamedTuple):
    """The fields a filter reads, for callers that have no `CardRow` (the quick `list`)."""

    haystack: str
    tags: tuple[str, ...]
    role: str | None
    priority: int
    due_at: datetime | None
    done: bool
    popup: bool
    channels: tuple[str, ...]
    campaign: str | None
    pillar: str | None


def haystack(ref: str, title: str, notes: str | None, tags: Iterable[str], campaign: str | None,
             pillar: str | None) -> str:
    """The lower-cased text free words search: ID, title, notes, tags, campaign, pillar (one per line)."""
    return "\n".join((ref, title, notes or "", *tags, campaign or "", pillar or "")).casefold()


@dataclass(frozen=True, slots=True)
class Term:
    """One term as typed (`raw`), what it tests (`kind`: word, tag, role, priority, due, pillar, …) and how."""

    raw: str
    kind: str
    value: Any
    match: Match


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed filter: its terms, the bad terms left out (lenient parse only), and the per-card test."""

    text: str
    terms: tuple[Term, ...]
    errors: tuple[str, ...]
    match: Match

    @property
    def empty(self) -> bool:
        """True when the filter lets every card through."""
        return not self.terms


def _always(card: Any) -> bool:
    return True


def _tokens(text: str) -> list[tuple[str, str, bool, bool]]:
    """(as typed, value without quotes, starts with a quote, quote left open) for each space-separated term."""
    out = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start, parts, unclosed = i, [], False
        while i < n and not text[i].isspace():
            if text[i] == '"':
                j = text.find('"', i + 1)
                if j < 0:
                    parts.append(text[i + 1:])
                    i, unclosed = n, True
                    break
                parts.append(text[i + 1:j])
                i = j + 1
            else:
                j = i
                while j < n and not text[j].isspace() and text[j] != '"':
                    j += 1
                parts.append(text[i:j])
                i = j
        out.append((text[start:i], "".join(parts), text[start] == '"', unclosed))
    return out


class _Reader:
    """Turns one term into a `Term`, or raises FilterError."""

    def __init__(self, cfg: Config, now: datetime) -> None:
        self.cfg = cfg
        self.now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        self.zone = ZoneInfo(cfg.timezone)

    def fail(self, raw: str, why: str) -> FilterError:
        return FilterError(f"{raw!r}: {why}")

    def term(self, raw: str, value: str, quoted: bool) -> Term | None:
        if quoted or not value:
            return self.word(raw, value)
        head = value[0]
        if head == "#":
            tag = value[1:].strip().casefold()
            if not tag:
                raise self.fail(raw, "give a tag after #, e.g. #launch")
            return Term(raw, "tag", tag, lambda c: any(t.casefold() == tag for t in c.tags))
        if head == "@":
            return self.role(raw, value[1:])
        if head == "!":
            rest = value[1:].strip()
            if rest not in ("1", "2", "3", "4"):
                raise self.fail(raw, "priority is 1 to 4 (!1 urgent, !2 high, !3 normal, !4 low)")
            p = int(rest)
            return Term(raw, "priority", p, lambda c: c.priority == p)
        m = _FIELD.match(value)
        if m:
            return self.field(raw, m[1].lower(), m[2].strip())
        return self.word(raw, value)

    def word(self, raw: str, value: str) -> Term | None:
        needle = value.casefold()
        if not needle.strip():
            return None  # `""` narrows nothing
        return Term(raw, "word", needle, lambda c: needle in c.haystack)

    def role(self, raw: str, name: str) -> Term:
        wanted = name.strip().casefold()
        if not wanted:
            raise self.fail(raw, f"give a role after @; roles: {', '.join(self.cfg.role_keys())}")
        key = next((r.key for r in self.cfg.roles if wanted in (r.key.casefold(), r.name.casefold())), None)
        if key is None:
            raise self.fail(raw, f"unknown role; roles: {', '.join(self.cfg.role_keys())}")
        return Term(raw, "role", key, lambda c: c.role == key)

    def field(self, raw: str, name: str, value: str) -> Term:
        if name not in FIELDS:
            raise self.fail(raw, f"unknown field {name!r}; fields: {', '.join(FIELDS)} "
                                 f'(quote it, "{raw}", to search for the text)')
        if not value:
            examples = {"due": "due:today, due:week, due:overdue, due:fri", "pillar": "pillar:education",
                        "campaign": 'campaign:"winter launch"', "channel": "channel:instagram", "is": "is:popup"}
            raise self.fail(raw, f"give a value after {name}:, e.g. {examples[name]}")
        folded = value.casefold()
        if name == "due":
            return self.due(raw, folded)
        if name == "pillar":
            return Term(raw, "pillar", folded, lambda c: c.pillar is not None and folded in c.pillar.casefold())
        if name == "campaign":
            return Term(raw, "campaign", folded,
                        lambda c: c.campaign is not None and folded in c.campaign.casefold())
        if name == "channel":
            key = next((ch.key for ch in self.cfg.channels
                        if folded in (ch.key.casefold(), ch.name.casefold(), ch.code.casefold())), None)
            if key is None:
                raise self.fail(raw, f"unknown channel; channels: {', '.join(self.cfg.channel_keys())}")
            return Term(raw, "channel", key, lambda c: key in c.channels)
        if folded not in STATES:
            raise self.fail(raw, f"unknown state; is: {', '.join(STATES)}")
        return Term(raw, "is", folded, lambda c: c.popup)

    def due(self, raw: str, phrase: str) -> Term:
        now = self.now
        if phrase == "overdue":
            return Term(raw, "due", "overdue", lambda c: c.due_at is not None and c.due_at < now and not c.done)
        today = now.astimezone(self.zone).date()
        cutoff: datetime
        if phrase in ("today", "tomorrow", "week"):
            last = {"today": today, "tomorrow": today + timedelta(days=1),
                    "week": today + timedelta(days=6 - today.weekday())}[phrase]
            cutoff = day_bounds(last, self.zone)[1]  # 24:00 of that day
            return Term(raw, "due", cutoff, lambda c: c.due_at is not None and c.due_at < cutoff)
        from organizer import dates

        try:
            moment = dates.parse_when(phrase, now=now, tz=self.cfg.timezone, day_end=self.cfg.day_end)
        except dates.DateParseError as exc:
            raise self.fail(raw, f"{exc} (or due:today, due:tomorrow, due:week, due:overdue)") from None
        cutoff = moment.astimezone(UTC)
        return Term(raw, "due", cutoff, lambda c: c.due_at is not None and c.due_at <= cutoff)


def _all(preds: Sequence[Match]) -> Match:
    if not preds:
        return _always
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda c: a(c) and b(c)

    def match(card: Any) -> bool:
        for p in preds:  # noqa: SIM110 - a plain loop is faster than all() over a generator, per card
            if not p(card):
                return False
        return True

    return match


def parse(text: str, cfg: Config, *, now: datetime | None = None, lenient: bool = False) -> Filter:
    """Read a filter (see the module docstring) against `cfg` (roles, channels, zone, day end) at `now`.

    Raises FilterError on the first bad term, unless `lenient`: then bad terms are left out and their
    messages are in `Filter.errors`.
    """
    reader = _Reader(cfg, now or datetime.now(UTC))
    terms: list[Term] = []
    errors: list[str] = []
    for raw, value, quoted, unclosed in _tokens(text):
        try:
            if unclosed:
                raise reader.fail(raw, 'the quote is not closed: end the phrase with "')
            term = reader.term(raw, value, quoted)
        except FilterError as exc:
            if not lenient:
                raise
            errors.append(str(exc))
            if unclosed:  # while typing `"winter la`, search for what is there so far
                term = reader.word(raw, value)
            else:
                continue
        if term is not None:
            terms.append(term)
    return Filter(text, tuple(terms), tuple(errors), _all([t.match for t in terms]))


def filter_error(text: str, cfg: Config, *, now: datetime | None = None) -> str | None:
    """The message for the first bad term of a filter (e.g. `'!7': priority is 1 to 4 …`), or None if it reads."""
    try:
        parse(text, cfg, now=now)
    except FilterError as exc:
        return str(exc)
    return None


def porcelain_subject(card: dict[str, Any]) -> Subject:
    """A listed card (JSON porcelain) as the fields a filter reads; a card in a done column has `completed` set."""
    return Subject(haystack(card["id"], card["title"], card["notes"], card["tags"], card["campaign"], card["pillar"]),
                   tuple(card["tags"]), card["role"], card["priority"],
                   datetime.fromisoformat(card["due"]) if card["due"] else None, card["completed"] is not None,
                   card["popup"], tuple(card["channels"]), card["campaign"], card["pillar"])
