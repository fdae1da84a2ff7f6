"""The card form: add or edit one card in a modal, with live hints for dates and durations.

The form only gathers text. `organizer.validate.validate` decides what is acceptable and the caller's
`submit` callback does the writing, so the form holds no business rules of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from organizer import validate
from organizer.cardspec import FORM_TARGETS
from organizer.config import Config
from organizer.validate import CLEAR, PRIORITIES, InputError

from .formhints import _joined, _local_text, _minutes_text, _split, duration_hint, format_when, when_hint

__all__ = ["CardForm", "duration_hint", "format_when", "when_hint"]

# Raw keys the form sends, in form order. Lists are channels and tags; everything else is a string.
_LIST_KEYS = ("channels", "tags")
# Inputs that take a date phrase or a duration, keyed by raw key, with the widget id suffix.
_WHEN_KEYS = {"due_at": "due", "publish_at": "publish"}
_DURATION_KEYS = {"estimate_minutes": "estimate", "spent_minutes": "spent"}

class CardForm(ModalScreen[str | None]):
    """Add or edit a card. Dismisses with the card's ID once `submit` succeeds, or None when cancelled.

    `initial` (the card's JSON porcelain) makes this an edit: only changed fields are sent, and a field
    emptied by the user is sent as `"none"` (`[]` for channels and tags, `""` for notes) so it is cleared.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: ctrl+s must save from inside any field, whatever that field binds.
        Binding("ctrl+s", "save", "Save", id="form.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]
    # Side-by-side fields need about 70 columns; narrower screens stack them.
    HORIZONTAL_BREAKPOINTS: list[tuple[int, str]] | None = [(0, "-narrow"), (70, "-wide")]  # noqa: RUF012

    DEFAULT_CSS = """
    CardForm {
        align: center middle;
    }
    CardForm > #form-dialog {
        width: 100;
        max-width: 100%;
        height: 100%;
        max-height: 40;
        border: round $primary;
        background: $panel;
        padding: 0 1;
    }
    CardForm #form-heading {
        height: 1;
        text-style: bold;
        color: $text-primary;
    }
    CardForm #form-body {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    CardForm .form-row {
        height: auto;
    }
    CardForm.-narrow .form-row {
        layout: vertical;
    }
    CardForm .form-field {
        height: auto;
        width: 1fr;
        margin: 0 1 1 0;
    }
    CardForm .form-label {
        height: 1;
        color: $text-muted;
    }
    CardForm .form-field:focus-within > .form-label {
        color: $text-accent;
        text-style: bold;
    }
    CardForm Input.-textual-compact, CardForm Select, CardForm TextArea {
        background: $surface;
    }
    CardForm Input.-textual-compact:focus {
        background: $boost;
        background-tint: $accent 15%;
    }
    CardForm .form-hint {
        height: 1;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    CardForm .form-hint.-error {
        color: $text-error;
    }
    CardForm #form-notes {
        height: 5;
    }
    CardForm #form-error {
        height: auto;
        max-height: 3;
        color: $text-error;
        display: none;
    }
    CardForm #form-error.-shown {
        display: block;
    }
    CardForm #form-buttons {
        height: 1;
        align-horizontal: right;
    }
    CardForm #form-buttons Button {
        margin-left: 2;
    }
    CardForm #form-keys {
        width: 1fr;
        color: $text-muted;
    }
    """

    def __init__(
        self,
        cfg: Config,
        *,
        heading: str,
        columns: list[str],
        initial: dict[str, Any] | None,
        submit: Callable[[dict[str, Any]], str],
        column: str | None = None,
        clock: Callable[[], datetime] | None = None,
        templates: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.cfg = cfg
        # The app's clock, so hints and validation agree with a fixed clock in tests and snapshots.
        self.clock = clock or (lambda: datetime.now(UTC))
        self.heading = heading
        self.columns = list(columns)
        self.editing = initial is not None
        self._submit = submit
        self._busy = False
        # A new card may be a piece from a production template: its steps come with it (organizer.templates).
        self.templates = list(templates or []) if initial is None else []
        self.initial_values = self._start_values(initial or {}, column)

    # --- values -------------------------------------------------------------------------------
    def _start_values(self, initial: dict[str, Any], column: str | None) -> dict[str, Any]:
        """The form's first contents, in the same shape as `values()`."""
        tz = self.cfg.timezone
        preset = next((c for c in (initial.get("column"), column) if c in self.columns), None)
        priority = initial.get("priority") or self.cfg.default_priority
        return {
            "title": initial.get("title") or "",
            "column": preset or (self.columns[0] if self.columns else ""),
            "role": initial.get("role") or "",
            "channels": list(initial.get("channels") or []),
            "due_at": _local_text(initial.get("due"), tz),
            "publish_at": _local_text(initial.get("publish"), tz),
            "estimate_minutes": _minutes_text(initial.get("estimate_minutes"), zero_is_empty=False),
            "spent_minutes": _minutes_text(initial.get("spent_minutes"), zero_is_empty=True),
            "priority": str(priority),
            "popup": "true" if initial.get("popup") else "false",
            "campaign": initial.get("campaign") or "",
            "pillar": initial.get("pillar") or "",
            "tags": list(initial.get("tags") or []),
            "notes": initial.get("notes") or "",
            "parent": initial.get("parent") or "",
        }

    def values(self) -> dict[str, Any]:
        """Everything as currently typed: strings, with channels and tags as lists."""
        role = self.query_one("#form-role", Select).selection
        column = self.query_one("#form-column", Select).selection
        priority = self.query_one("#form-priority", Select).selection

        def text(name: str) -> str:
            return self.query_one(f"#form-{name}", Input).value

        return {
            "title": text("title"),
            "column": column or "",
            "role": role or "",
            "channels": _split(text("channels")),
            "due_at": text("due"),
            "publish_at": text("publish"),
            "estimate_minutes": text("estimate"),
            "spent_minutes": text("spent"),
            "priority": str(priority or self.cfg.default_priority),
            "popup": "true" if self.query_one("#form-popup", Checkbox).value else "false",
            "campaign": text("campaign"),
            "pillar": text("pillar"),
            "tags": _split(text("tags")),
            "notes": self.query_one("#form-notes", TextArea).text,
            "parent": text("parent"),
        } | ({"template": self.query_one("#form-template", Select).selection or ""} if self.templates else {})

    def raw(self) -> dict[str, Any]:
        """The raw dict for `validate.validate` and `submit`, following the add/edit rules in the class doc."""
        typed = self.values()
        # The title always goes along, so an emptied title is reported rather than silently kept.
        raw: dict[str, Any] = {"title": typed["title"]}
        for key, value in typed.items():
            if key == "title":
                continue
            empty = self._is_empty(key, value)
            if not self.editing:
                if not empty and not (key == "popup" and value == "false"):
                    raw[key] = value
                continue
            before = self.initial_values.get(key, "")
            if value == before or (empty and self._is_empty(key, before)):
                continue  # unchanged: leave the stored value alone (no re-parse, no move to the column's end)
            if empty:
                raw[key] = [] if key in _LIST_KEYS else "" if key == "notes" else CLEAR
            else:
                raw[key] = value
        return raw

    @staticmethod
    def _is_empty(key: str, value: Any) -> bool:
        return not value if key in _LIST_KEYS else not str(value).strip()

    # --- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        """Heading, the scrolling fields, the error line and the buttons."""
        start = self.initial_values
        channel_keys = ", ".join(self.cfg.channel_keys())
        roles = [(Text(f"{r.name} ({r.badge})"), r.key) for r in self.cfg.roles]
        if start["role"] and start["role"] not in self.cfg.role_keys():
            # A role since removed from the config: keep it visible rather than failing to open the card.
            roles.append((Text(start["role"]), start["role"]))
        priorities = [(Text(f"{p} {name}"), p) for p, name in PRIORITIES.items()]
        priority = int(start["priority"]) if start["priority"].isdigit() else self.cfg.default_priority

        def field(label: str, widget: Widget, hint: str | None = None) -> Vertical:
            parts: list[Widget] = [Label(label, classes="form-label"), widget]
            if hint:
                parts.append(Static("", id=f"form-{hint}-hint", classes="form-hint", markup=False))
            return Vertical(*parts, classes="form-field")

        def entry(name: str, value: str, placeholder: str) -> Input:
            return Input(value, placeholder=placeholder, id=f"form-{name}", compact=True, select_on_focus=False)

        with Vertical(id="form-dialog"):
            yield Static(Content(self.heading), id="form-heading", markup=False)
            with VerticalScroll(id="form-body"):
                yield field("Title", entry("title", start["title"], "what the card is about"))
                if self.templates:
                    yield field("From template (its steps scheduled back from Publish)", Select(
                        [(Text(name), name) for name in self.templates], id="form-template", compact=True,
                        prompt="none: one card",
                    ))
                with Horizontal(classes="form-row"):
                    yield field("Column", Select(
                        [(Text(c), c) for c in self.columns], id="form-column", compact=True,
                        allow_blank=not self.columns, value=start["column"] or Select.NULL,
                    ))
                    yield field("Role", Select(
                        roles, id="form-role", compact=True, prompt="no role",
                        value=start["role"] or Select.NULL,
                    ))
                with Horizontal(classes="form-row"):
                    yield field("Due", entry("due", start["due_at"], "tomorrow 10:00, fri, +2d…"), "due")
                    yield field("Publish", entry("publish", start["publish_at"], "fri 9am, 1 dec…"), "publish")
                with Horizontal(classes="form-row"):
                    yield field("Estimate", entry("estimate", start["estimate_minutes"], "45m, 1h30"), "estimate")
                    yield field("Spent", entry("spent", start["spent_minutes"], "45m, 1h30"), "spent")
                with Horizontal(classes="form-row"):
                    yield field("Priority", Select(
                        priorities, id="form-priority", compact=True, allow_blank=False, value=priority,
                    ))
                    yield field("Popup", Checkbox(
                        "time-critical (popup)", start["popup"] == "true", id="form-popup", compact=True,
                    ))
                yield field("Channels", entry("channels", _joined(start["channels"]), channel_keys))
                with Horizontal(classes="form-row"):
                    yield field("Campaign", entry("campaign", start["campaign"], "e.g. Winter launch"))
                    yield field("Pillar", entry("pillar", start["pillar"], "e.g. Education"))
                with Horizontal(classes="form-row"):
                    yield field("Tags", entry("tags", _joined(start["tags"]), "comma or space separated"))
                    yield field("Parent", entry("parent", start["parent"], "card ID, e.g. NWC-12"))
                yield field("Notes", TextArea(start["notes"], id="form-notes", soft_wrap=True, compact=True))
            yield Static("", id="form-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Static(Content("ctrl+s save · esc cancel"), id="form-keys", markup=False)
                yield Button("Save", id="form-save", variant="primary", compact=True)
                yield Button("Cancel", id="form-cancel", compact=True)

    def on_mount(self) -> None:
        """Show the hints for prefilled values and start in the title."""
        for key in (*_WHEN_KEYS, *_DURATION_KEYS):
            self._update_hint(key)
        self.query_one("#form-title", Input).focus()

    # --- hints --------------------------------------------------------------------------------
    def _update_hint(self, key: str) -> None:
        name = _WHEN_KEYS.get(key) or _DURATION_KEYS[key]
        text = self.query_one(f"#form-{name}", Input).value
        # Clearing only means something on an edit of a field that had a value.
        clearable = self.editing and bool(self.initial_values[key])
        if key in _WHEN_KEYS:
            hint, ok = when_hint(text, self.cfg, now=self.clock(), clearable=clearable)
        else:
            hint, ok = duration_hint(text, clearable=clearable)
        if clearable and not text.strip():
            hint = "→ cleared"
        widget = self.query_one(f"#form-{name}-hint", Static)
        widget.update(Content(hint))
        widget.set_class(not ok, "-error")

    def on_input_changed(self, event: Input.Changed) -> None:
        """Refresh the hint under a date or duration field as the user types."""
        name = (event.input.id or "").removeprefix("form-")
        for key, field_name in (*_WHEN_KEYS.items(), *_DURATION_KEYS.items()):
            if field_name == name:
                self._update_hint(key)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves on to the next field; ctrl+s saves."""
        event.stop()
        self.focus_next()

    # --- saving -------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Save or Cancel."""
        event.stop()
        if event.button.id == "form-save":
            self.action_save()
        elif event.button.id == "form-cancel":
            self.action_cancel()

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)

    def action_save(self) -> None:
        """Validate what is typed; if it reads, hand it to `submit` off the UI thread."""
        if self._busy:
            return
        raw = self.raw()
        try:
            # An edit validates like `organizer edit`: "none" then means "clear this field".
            validate.validate(raw, self.cfg, now=self.clock(), require_title=not self.editing)
        except InputError as exc:
            self.show_error(str(exc), exc.field)
            return
        self.show_error("")
        self._set_busy(True)
        self.run_worker(partial(self._submit_in_thread, raw), name="card-form-submit", group="card-form", thread=True)

    def _submit_in_thread(self, raw: dict[str, Any]) -> None:
        try:
            ref = self._submit(raw)
        except InputError as exc:
            self.app.call_from_thread(self._failed, str(exc), exc.field)
            return
        self.app.call_from_thread(self._saved, ref)

    def _saved(self, ref: str) -> None:
        # The user may have cancelled while the write ran; never pop a screen that is not this one.
        if self.app.screen is self:
            self.dismiss(ref)

    def _failed(self, message: str, field: str | None) -> None:
        self._set_busy(False)
        self.show_error(message, field)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.query_one("#form-save", Button).disabled = busy

    def show_error(self, message: str, field: str | None = None) -> None:
        """Show a validation message (literally) and focus the box of the field it is about; "" hides it.

        `field` is the card field the error names (`InputError.field`); `cardspec.FORM_TARGETS` says its box.
        """
        error = self.query_one("#form-error", Static)
        error.update(Content(message))
        error.set_class(bool(message), "-shown")
        target = FORM_TARGETS.get(field) if message and field else None
        if target is not None:
            self.query_one(f"#form-{target}").focus()
