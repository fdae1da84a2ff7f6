"""The metrics form: a published post's numbers typed in (one snapshot), from the board (`M` on a card).

One row per count; an empty box is unknown, not zero. What is typed is checked here before the form closes:
a bad value keeps the form open and filled, with the box and what is accepted named. The form returns plain
values; the app writes them through the data service (organizer.metrics.store.record).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from organizer.dates import parse_when
from organizer.metrics.names import METRICS


class MetricsForm(ModalScreen[dict[str, Any] | None]):
    """Dismisses with {"channel", "at" (aware), "counts": {metric: int}} or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="metrics.save"),
        Binding("escape", "cancel", "Cancel", id="metrics.cancel"),
    ]
    DEFAULT_CSS = """
    MetricsForm { align: center middle; }
    MetricsForm > #metrics-dialog {
        width: 64; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    MetricsForm #metrics-title { text-style: bold; height: auto; }
    MetricsForm #metrics-fields { height: auto; max-height: 100%; }
    MetricsForm .metrics-row { height: 1; margin-bottom: 0; }
    MetricsForm .metrics-row Label { width: 14; }
    MetricsForm .metrics-row Input { width: 1fr; }
    MetricsForm #metrics-error { color: $error; height: auto; }
    MetricsForm .dialog-keys { color: $text-muted; height: 1; }
    """

    def __init__(self, ref: str, title: str, channels: list[str], *, timezone: str, now: datetime,
                 day_end: time = time(17, 30)) -> None:
        super().__init__()
        self.ref, self.card_title, self.channels = ref, title, channels
        self.timezone, self.now, self.day_end = timezone, now, day_end

    def compose(self) -> ComposeResult:
        """The card, the channel, when the numbers were read, one box per count."""
        with Vertical(id="metrics-dialog"):
            yield Static(Content(f"Metrics · {self.ref} · {self.card_title}"), id="metrics-title", markup=False)
            with VerticalScroll(id="metrics-fields"):
                with Horizontal(classes="metrics-row"):
                    yield Label("channel")
                    yield Select([(c, c) for c in self.channels], value=self.channels[0], allow_blank=False,
                                 id="metrics-channel", compact=True)
                with Horizontal(classes="metrics-row"):
                    yield Label("read at")
                    yield Input(value="now", id="metrics-at", compact=True)
                for name in METRICS:
                    with Horizontal(classes="metrics-row"):
                        yield Label(name.replace("_", " "))
                        yield Input(placeholder="unknown", id=f"metrics-{name}", compact=True, type="integer")
            yield Static("", id="metrics-error", markup=False)
            yield Static(Content("ctrl+s save · esc cancel · an empty box is unknown, not 0"),
                         classes="dialog-keys", markup=False)

    def on_mount(self) -> None:
        """Start in the first count (the channel is usually right)."""
        self.query_one(f"#metrics-{METRICS[0]}", Input).focus()

    def _error(self, text: str, field: str) -> None:
        self.query_one("#metrics-error", Static).update(Content(text))
        self.query_one(f"#metrics-{field}").focus()

    def action_save(self) -> None:
        """Check every box; close with the values, or stay open naming the first bad one."""
        counts: dict[str, int] = {}
        for name in METRICS:
            text = self.query_one(f"#metrics-{name}", Input).value.strip()
            if not text:
                continue
            if not text.isdigit():
                self._error(f"{name.replace('_', ' ')} {text!r} is not valid: a whole number ≥ 0, or empty "
                            "for unknown", name)
                return
            counts[name] = int(text)
        if not counts:
            self._error("Type at least one count.", METRICS[0])
            return
        when = self.query_one("#metrics-at", Input).value.strip() or "now"
        try:
            at = self.now if when == "now" else parse_when(when, now=self.now, tz=self.timezone, day_end=self.day_end)
        except ValueError as exc:
            self._error(f"read at: {exc}", "at")
            return
        if at > self.now:
            self._error(f"read at {when!r} is in the future: numbers are read from what already happened", "at")
            return
        channel = self.query_one("#metrics-channel", Select).value
        self.dismiss({"channel": str(channel), "at": at, "counts": counts})

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
