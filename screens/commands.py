"""Command palette entries: every board action, a "Switch to board" per board, and the cards themselves.

The app owns the list (`palette_entries()`); this provider only matches and shows it. Names can hold
board names, which are user text, so hits carry `Content` built from plain strings: Textual 8 runs a
`str` prompt (and `Matcher.highlight`) through the markup parser, but passes `Content` through as is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol, cast, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

__all__ = ["CardCommands", "OrganizerCommands", "PaletteEntry", "PaletteHost"]

PaletteEntry = tuple[str, str, Callable[[], object]]
"""(name, help, callback) — what the app offers in the palette."""


@runtime_checkable
class PaletteHost(Protocol):
    """An app that can list its palette entries."""

    def palette_entries(self) -> list[PaletteEntry]:
        """Every command to offer, in the order to show them."""
        ...


def _help(text: str) -> str | None:
    # Hit.help is typed `str`, but the palette renders it with Content.from_markup, which returns a
    # Content unchanged; handing it Content is what keeps a board name in the help literal.
    return cast(str, Content(text)) if text else None


class OrganizerCommands(Provider):
    """Offers `app.palette_entries()` with fuzzy matching on the names."""

    def _entries(self) -> list[PaletteEntry]:
        app = self.app
        if not isinstance(app, PaletteHost):
            return []
        return app.palette_entries()

    async def search(self, query: str) -> Hits:
        """Entries whose name fuzzily matches `query`, the matched letters highlighted."""
        matcher = self.matcher(query)
        for name, help_text, callback in self._entries():
            score, offsets = matcher.fuzzy_search.match(matcher.query, name)
            if score <= 0:
                continue
            # Matcher.highlight would parse `name` as markup; style the plain text ourselves.
            display = Content(name)
            for offset in offsets:
                if not name[offset].isspace():
                    display = display.stylize(matcher.match_style, offset, offset + 1)
            yield Hit(score, display, callback, text=name, help=_help(help_text))

    async def discover(self) -> Hits:
        """All entries, in the app's order, before anything is typed."""
        for name, help_text, callback in self._entries():
            yield DiscoveryHit(Content(name), callback, text=name, help=_help(help_text))


class CardCommands(Provider):
    """Cards on every board, by ID, title, notes, campaign, pillar, tag or channel; picking one shows it."""

    async def search(self, query: str) -> Hits:
        """Cards holding every typed word (two characters at least, so the list stays useful)."""
        app = self.app
        data = getattr(app, "data", None)  # screens.dataservice.DataService on the Organizer app
        if len(query.strip()) < 2 or data is None:
            return
        hits = await asyncio.to_thread(data.search_cards, query)
        for n, hit in enumerate(hits):
            where = "" if hit.where in ("ref", "title") else f" · matched in {hit.where}"
            label = Content.assemble((hit.ref, "bold"), "  ", hit.title)
            yield Hit(1.0 - n / 100, label, lambda ref=hit.ref: app.jump_to_card(ref),  # type: ignore[attr-defined]
                      text=f"{hit.ref} {hit.title}",
                      help=_help(f"{hit.board_key} · {hit.column}{' (done)' if hit.done else ''}{where}"))
