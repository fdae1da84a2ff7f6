"""Small modal dialogs: confirm, pick one of a list, and the keys help.

Every string shown here may be user text (card titles, board and column names), so it is always
wrapped in `Content` and never read as markup.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

__all__ = ["ConfirmDialog", "HelpScreen", "PickerDialog"]


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True (y, enter, confirm button) or False (n, escape, Cancel)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # A focused button handles enter first, so enter on Cancel still cancels.
        Binding("y,enter", "confirm", "Yes", id="confirm.yes"),
        Binding("n,escape", "cancel", "No", id="confirm.no"),
    ]
    DEFAULT_CSS = """
    ConfirmDialog {
        align: center middle;
    }
    ConfirmDialog > #confirm-dialog {
        width: 60;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $warning;
        background: $panel;
        padding: 1 2;
    }
    ConfirmDialog #confirm-question {
        height: auto;
        max-height: 10;
        margin-bottom: 1;
    }
    ConfirmDialog #confirm-buttons {
        height: auto;
        align-horizontal: right;
    }
    ConfirmDialog #confirm-buttons Button {
        margin-left: 2;
    }
    ConfirmDialog .dialog-keys {
        height: 1;
        color: $text-muted;
    }
    """

    def __init__(self, question: str, *, confirm_label: str = "Delete") -> None:
        super().__init__()
        self.question = question
        self.confirm_label = confirm_label

    # The confirm button's look (a delete is an error colour) and what the keys line adds.
    CONFIRM_VARIANT: ClassVar[Literal["default", "primary", "success", "warning", "error"]] = "error"
    MORE_KEYS: ClassVar[str] = ""

    def compose(self) -> ComposeResult:
        """The question and two buttons."""
        with Vertical(id="confirm-dialog"):
            yield from self.question_area()
            with Horizontal(id="confirm-buttons"):
                yield Button(Content(self.confirm_label), id="confirm-yes", variant=self.CONFIRM_VARIANT)
                yield Button(Content("Cancel"), id="confirm-no")
            yield Static(Content(f"y or enter: {self.confirm_label.lower()} · n or esc: cancel{self.MORE_KEYS}"),
                         classes="dialog-keys", markup=False)

    def question_area(self) -> ComposeResult:
        """The question itself (user text: never markup)."""
        yield Static(Content(self.question), id="confirm-question", markup=False)

    def on_mount(self) -> None:
        """Enter confirms, as the dialog promises: start on the confirm button."""
        self.query_one("#confirm-yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """A click (or enter on a focused button) answers."""
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_confirm(self) -> None:
        """Answer yes."""
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Answer no."""
        self.dismiss(False)


class PickerDialog(ModalScreen[str | None]):
    """Pick one value from (value, label) options; dismisses with the value, or None on escape.

    Typing narrows the list (labels containing the typed text, any case); up/down move, enter or a
    click picks.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "cursor(1)", "Next", id="picker.down", show=False),
        Binding("up", "cursor(-1)", "Previous", id="picker.up", show=False),
    ]
    DEFAULT_CSS = """
    PickerDialog {
        align: center middle;
    }
    PickerDialog > #picker-dialog {
        width: 60;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        background: $panel;
        padding: 0 1;
    }
    PickerDialog #picker-title {
        height: auto;
        text-style: bold;
        color: $text-primary;
    }
    PickerDialog #picker-filter {
        margin: 1 0 0 0;
        background: $surface;
    }
    PickerDialog #picker-options {
        height: auto;
        max-height: 16;
        margin-top: 1;
        border: none;
    }
    PickerDialog #picker-empty {
        color: $text-muted;
        display: none;
    }
    PickerDialog #picker-empty.-shown {
        display: block;
    }
    PickerDialog .dialog-keys {
        height: 1;
        color: $text-muted;
    }
    """

    def __init__(self, title: str, options: list[tuple[str, str]], *, current: str | None = None,
                 keys_hint: str = "type to narrow · ↑↓ choose · enter pick · esc cancel") -> None:
        super().__init__()
        self.keys_hint = keys_hint
        self.title_text = title
        self.options = list(options)
        self.current = current
        self._shown: list[str] = []  # values of the options in the list, in order

    def compose(self) -> ComposeResult:
        """Title, filter box and the options."""
        with Vertical(id="picker-dialog"):
            yield Static(Content(self.title_text), id="picker-title", markup=False)
            yield Input(placeholder="type to filter", id="picker-filter", compact=True)
            options = OptionList(id="picker-options")
            # Focus stays in the filter so typing always narrows; clicks still pick.
            options.can_focus = False
            yield options
            yield Static(Content("Nothing matches."), id="picker-empty", markup=False)
            yield Static(Content(self.keys_hint), classes="dialog-keys", markup=False)

    def on_mount(self) -> None:
        """Fill the list with the current value highlighted; typing goes to the filter."""
        self._fill("")
        self.query_one("#picker-filter", Input).focus()

    def _fill(self, query: str) -> None:
        wanted = query.strip().casefold()
        shown = [(v, label) for v, label in self.options if wanted in label.casefold()]
        self._shown = [v for v, _ in shown]
        option_list = self.query_one("#picker-options", OptionList)
        option_list.clear_options()
        option_list.add_options([Option(Content(label)) for _, label in shown])
        self.query_one("#picker-empty", Static).set_class(not shown, "-shown")
        if shown:
            index = self._shown.index(self.current) if self.current in self._shown else 0
            option_list.highlighted = index

    def on_input_changed(self, event: Input.Changed) -> None:
        """Narrow the options to those whose label contains the typed text."""
        event.stop()
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the filter picks the highlighted option."""
        event.stop()
        index = self.query_one("#picker-options", OptionList).highlighted
        if index is not None and 0 <= index < len(self._shown):
            self.dismiss(self._shown[index])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """A click (or enter in the list) picks that option."""
        event.stop()
        self.dismiss(self._shown[event.option_index])

    def action_cursor(self, step: int) -> None:
        """Move the highlight while typing stays in the filter."""
        option_list = self.query_one("#picker-options", OptionList)
        if option_list.option_count:
            current = option_list.highlighted if option_list.highlighted is not None else -step
            option_list.highlighted = max(0, min(option_list.option_count - 1, current + step))

    def action_cancel(self) -> None:
        """Close without picking."""
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """The keys, by section: `[("Board", [("h/←", "focus previous column"), …]), …]`. Scrolls; closes on esc/q/?."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > #help-dialog {
        width: 80;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        border-title-style: bold;
        background: $panel;
        padding: 0 1;
    }
    HelpScreen #help-body {
        height: auto;
        max-height: 100%;
        scrollbar-size-vertical: 1;
    }
    HelpScreen .help-section {
        height: auto;
        margin-bottom: 1;
    }
    HelpScreen #help-footer {
        height: 1;
        color: $text-muted;
    }
    """

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__()
        self.sections = [(title, list(rows)) for title, rows in sections]

    def compose(self) -> ComposeResult:
        """One block of key rows per section, in a scrolling body."""
        width = max((len(keys) for _, rows in self.sections for keys, _ in rows), default=0)
        width = min(width, 24)
        dialog = Vertical(id="help-dialog")
        dialog.border_title = "Keys"
        with dialog:
            with VerticalScroll(id="help-body"):
                for title, rows in self.sections:
                    lines = [Content.styled(title, "bold $text-accent")]
                    lines += [
                        Content.assemble((keys.ljust(width), "bold"), "  ", description) for keys, description in rows
                    ]
                    yield Static(Content("\n").join(lines), classes="help-section", markup=False)
            yield Static(Content("esc, q or ? closes"), id="help-footer", markup=False)

    def on_mount(self) -> None:
        """Focus the body so the arrow and page keys scroll it."""
        self.query_one("#help-body", VerticalScroll).focus()

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)


class PromptDialog(ModalScreen[str | None]):
    """Ask for one line of text (a file path, say); enter answers, escape cancels."""

    DEFAULT_CSS = """
    PromptDialog {
        align: center middle;
    }
    PromptDialog > #prompt-dialog {
        width: 70;
        max-width: 100%;
        height: auto;
        border: round $accent;
        background: $panel;
        padding: 1 2;
    }
    PromptDialog #prompt-hint, PromptDialog .dialog-keys {
        color: $text-muted;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, question: str, *, value: str = "", hint: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.hint = hint

    def compose(self) -> ComposeResult:
        """Question, input, hint."""
        with Vertical(id="prompt-dialog"):
            yield Static(Content(self.question))
            yield Input(value=self.value, id="prompt-input")
            yield Static(Content(self.hint), id="prompt-hint")
            yield Static(Content("enter: OK · esc: cancel"), classes="dialog-keys", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Answer with the text (empty counts as cancel)."""
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        """No answer."""
        self.dismiss(None)


class PreviewDialog(ConfirmDialog):
    """A longer yes/no question: a schedule to look over before it is written (a piece from a template)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_preview(-1)", "Scroll up", show=False),
        Binding("down", "scroll_preview(1)", "Scroll down", show=False),
        Binding("pageup", "scroll_preview(-10)", "Page up", show=False),
        Binding("pagedown", "scroll_preview(10)", "Page down", show=False),
    ]

    DEFAULT_CSS = """
    PreviewDialog > #confirm-dialog {
        width: 100;
        border: round $accent;
    }
    PreviewDialog #preview-scroll {
        height: auto;
        margin-bottom: 1;
    }
    PreviewDialog #confirm-question {
        max-height: 100;
        margin-bottom: 0;
    }
    """

    CONFIRM_VARIANT = "primary"
    MORE_KEYS = " · ↑↓ scroll"

    def question_area(self) -> ComposeResult:
        """The schedule, scrolling when the terminal is short, so the two buttons stay in view."""
        with VerticalScroll(id="preview-scroll"):
            yield Static(Content(self.question), id="confirm-question", markup=False)

    def action_scroll_preview(self, lines: int) -> None:
        """Scroll the schedule while the focus stays on the buttons."""
        scroll = self.query_one("#preview-scroll", VerticalScroll)
        scroll.scroll_to(y=scroll.scroll_y + lines, animate=False)

    def on_resize(self) -> None:
        """Keep the buttons on screen: the schedule gets what the border, padding and buttons leave."""
        self.query_one("#preview-scroll").styles.max_height = max(3, self.size.height - 11)
