"""The board's card actions: move, reorder, done, approve or reject, edit, delete, undo; the card menu.

A mixin of `BoardScreen`, kept apart so the board module stays about loading, drawing and focus.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from organizer.boardview import CardRow

if TYPE_CHECKING:
    from textual.reactive import var
    from textual.screen import Screen

    from organizer.boardview import BoardData

    from .column import Item
    from .host import OrganizerHost

    class _OnTheBoard(Screen[None]):
        """What these actions use of the `BoardScreen` they live on (mypy checks the screen against it)."""

        board: BoardData | None
        items: list[list[Item]]
        rows: dict[int, int]
        _want_card: int | str | None
        focused_column: var[int] = var(0)

        @property
        def org(self) -> OrganizerHost: ...

        def current_card(self) -> CardRow | None: ...

        def redraw(self, only: set[int] | None = None) -> None: ...
else:
    _OnTheBoard = object


class CardActions(_OnTheBoard):
    """What the keys do to the focused card; every method expects to live on a `BoardScreen`."""

    def card_menu(self) -> None:
        """The focused card's actions in a menu (right-click), for mouse users."""
        card, board = self.current_card(), self.board
        if card is None or board is None:
            return
        ci = self.focused_column
        options = [("edit_card", "Edit…")]
        if ci > 0:
            options.append(("move_card(-1)", f"Move to {board.columns[ci - 1].name}"))
        if ci < len(board.columns) - 1:
            options.append(("move_card(1)", f"Move to {board.columns[ci + 1].name}"))
        options += [("move_to", "Move to column…"), ("done", "Done"),
                    ("reorder(-1)", "Up in column"), ("reorder(1)", "Down in column"), ("delete_card", "Delete…"),
                    ("new_card", "New card in this column…")]
        self.org.card_menu(f"{card.ref} {card.title}", options, self)

    def action_move_card(self, step: int) -> None:
        """Move the focused card to the previous/next column, at the same height; focus follows."""
        self._move_to(self.focused_column + step)

    def action_done(self) -> None:
        """Mark the focused card done: move it to the board's first done column."""
        board, card = self.board, self.current_card()
        if board is None or card is None:
            return
        done = next((i for i, c in enumerate(board.columns) if c.is_done), None)
        if done is None:
            self.notify(f"Board {board.key} has no done column.", markup=False)
        elif done == self.focused_column:
            self.notify(f"{card.ref} is already in {board.columns[done].name}.", markup=False)
        else:
            self._move_to(done, top=True)

    def action_move_to(self) -> None:
        """Pick the column to move the focused card to, by name or number."""
        board, card = self.board, self.current_card()
        if board is None or card is None:
            return
        options = [(str(i), f"{i + 1}  {c.name}") for i, c in enumerate(board.columns) if i != self.focused_column]

        def picked(value: str | None) -> None:
            if value is not None and self.current_card() is card:
                self._move_to(int(value), top=True)

        self.org.pick(f"Move {card.ref} to", options, picked,
                      keys_hint="type a name or number · enter move · esc cancel")

    def _move_to(self, target: int, *, top: bool = False) -> None:
        """Move the focused card to column `target`: at the same height, or on top; focus follows."""
        card, board = self.current_card(), self.board
        ci = self.focused_column
        if card is None or board is None or not 0 <= target < len(board.columns) or target == ci:
            return
        full = board.columns[target].cards
        if top:
            index = 0
        else:
            row = min(self.rows.get(target, 0), len(self.items[target]))
            neighbour = self.items[target][row] if row < len(self.items[target]) else None
            index = full.index(neighbour) if isinstance(neighbour, CardRow) else len(full)
        # Show the move at once; the worker commits it and the reload confirms it.
        board.columns[ci].cards.remove(card)
        moved = replace(card, done=board.columns[target].is_done)
        full.insert(index, moved)
        self._want_card = card.id
        self.redraw({ci, target})
        name = board.columns[target].name
        if abs(target - ci) > 1:
            self.notify(f"{card.ref} → {name}", markup=False)
        self.org.data.move(card.id, board.columns[target].id, index)

    def action_reorder(self, step: int) -> None:
        """Move the focused card up/down within its column."""
        card, board = self.current_card(), self.board
        if card is None or board is None:
            return
        cards = board.columns[self.focused_column].cards
        here = cards.index(card)
        there = max(0, min(len(cards) - 1, here + step))
        if there == here:
            return
        cards[here], cards[there] = cards[there], cards[here]
        self._want_card = card.id
        self.redraw({self.focused_column})
        self.org.data.write(lambda s, svc: svc.cards.reorder_card(s, card.ref, step, origin="tui"), focus=card.id,
                            reload=False)

    def action_new_card(self) -> None:
        """Open the new-card form on this board, in the focused column."""
        board = self.board
        columns = [c.name for c in board.columns] if board else []
        column = board.columns[self.focused_column].name if board and board.columns else None
        self.org.open_card_form(board.key if board else None, columns, None, column)

    def action_edit_card(self) -> None:
        """Open the focused card in the form."""
        card, board = self.current_card(), self.board
        if card is None or board is None:
            return
        self.org.open_card_form(board.key, [c.name for c in board.columns], card.ref, None)

    def action_approve(self) -> None:
        """Approve the focused card, as the config's user."""
        card, cfg = self.current_card(), self.org.cfg
        if card is None:
            return

        def done(said: str | None) -> None:
            if said:
                self.notify(said, markup=False)

        self.org.data.write(lambda s, svc: svc.approvals.approve(s, cfg, card.ref, origin="tui"), focus=card.id,
                            done=done)

    def action_reject(self) -> None:
        """Reject the focused card with a note: it goes back to In progress."""
        from .dialogs import PromptDialog

        card, cfg = self.current_card(), self.org.cfg
        if card is None:
            return

        def answered(note: str | None) -> None:
            if not note or not note.strip():
                return

            def done(column: str | None) -> None:
                if column:
                    self.notify(f"{card.ref} rejected: back in {column}", markup=False)

            self.org.data.write(lambda s, svc: svc.approvals.reject(s, cfg, card.ref, note=note, origin="tui"),
                                focus=card.id, done=done)

        self.app.push_screen(PromptDialog(f"Reject {card.ref}: what must change?", hint="enter rejects, esc cancels"),
                             answered)

    def action_metrics(self) -> None:
        """Type in the focused card's published numbers."""
        card = self.current_card()
        if card is not None:
            self.org.open_metrics_form(card.ref)

    def action_write_post(self) -> None:
        """Open the focused card's post in the editor (master and one variant per channel)."""
        card = self.current_card()
        if card is not None:
            self.org.open_post_editor(card.ref)

    def action_delete_card(self) -> None:
        """Delete the focused card (and its steps) after confirmation."""
        card = self.current_card()
        if card is None:
            return
        self.org.confirm_delete(card)

    def action_undo(self) -> None:
        """Undo the last change, wherever it was made."""
        self.org.undo_redo("undo")

    def action_redo(self) -> None:
        """Redo the last undone change."""
        self.org.undo_redo("redo")
