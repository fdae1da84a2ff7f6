"""The experiment view: one experiment's status in words (the same lines as `organizer experiment status`)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


class ExperimentView(ModalScreen[None]):
    """A read-only, scrolling view of an experiment's status; esc, q or enter closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "dismiss", "Close", id="experiment.close"),
    ]
    DEFAULT_CSS = """
    ExperimentView { align: center middle; }
    ExperimentView > #experiment-dialog {
        width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    ExperimentView #experiment-text { height: auto; max-height: 100%; }
    ExperimentView .dialog-keys { color: $text-muted; height: 1; }
    """

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        """The status, then the keys."""
        with Vertical(id="experiment-dialog"):
            with VerticalScroll(id="experiment-text"):
                yield Static(Content("\n".join(self.lines)), markup=False)
            yield Static(Content("↑↓ scroll · esc close"), classes="dialog-keys", markup=False)
