"""A one-line key footer that shows what fits, in priority order, with `?` always visible.

Textual's Footer lays every shown binding out in a row and cuts it at the right edge, so on a narrow
terminal the help key is the first to go. This footer takes the screen's shown bindings in the order they
are declared (most useful first), keeps `? Keys` and the palette hint at the right, and leaves out from the
end what does not fit. A click on a key runs its action.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget

__all__ = ["KeyFooter", "fit_keys"]

_GAP = 2


def fit_keys(keys: list[tuple[str, str]], pinned: list[tuple[str, str]], width: int) -> list[tuple[str, str]]:
    """The (key, label) pairs to show in `width` cells: `pinned` always, then as many of `keys` as fit, in order."""
    def size(pairs: list[tuple[str, str]]) -> int:
        return sum(len(k) + 1 + len(label) for k, label in pairs) + _GAP * max(0, len(pairs) - 1) + 1

    shown: list[tuple[str, str]] = []
    for pair in keys:
        if size([*shown, pair, *pinned]) <= width:
            shown.append(pair)
    return shown + pinned


class KeyFooter(Widget):
    """The footer line: key in bold, label after it; the most useful keys first, `?` always."""

    DEFAULT_CSS = """
    KeyFooter {
        height: 1;
        dock: bottom;
        background: $footer-background;
        color: $footer-foreground;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._spans: list[tuple[int, int, str, object]] = []  # (x0, x1, action, namespace) for clicks

    def on_mount(self) -> None:
        """Redraw when the screen's bindings change (a mode switch, a remap)."""
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        """Stop listening."""
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self.refresh()

    def on_resize(self) -> None:
        """Fit again."""
        self.refresh()

    def _entries(self) -> tuple[list[tuple[str, str, str, object]], list[tuple[str, str, str, object]]]:
        keys: list[tuple[str, str, str, object]] = []
        pinned: list[tuple[str, str, str, object]] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding: Binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            entry = (self.app.get_key_display(binding), binding.description, binding.action, active.node)
            (pinned if binding.action in ("help", "app.help") else keys).append(entry)
        if self.app.ENABLE_COMMAND_PALETTE:
            pinned.append(("^p", "palette", "command_palette", self.app))
        return keys, pinned

    def render(self) -> Content:
        """The keys that fit, `?` and the palette last."""
        keys, pinned = self._entries()
        chosen = fit_keys([(k, label) for k, label, _, _ in keys], [(k, label) for k, label, _, _ in pinned],
                          self.size.width)
        actions = {(k, label): (action, node) for k, label, action, node in (*keys, *pinned)}
        parts: list[Content] = [Content(" ")]
        self._spans = []
        x = 1
        for i, (key, label) in enumerate(chosen):
            if i:
                parts.append(Content(" " * _GAP))
                x += _GAP
            parts.append(Content.styled(key, "bold $footer-key-foreground"))
            parts.append(Content(" " + label))
            action, node = actions[(key, label)]
            self._spans.append((x, x + len(key) + 1 + len(label), action, node))
            x += len(key) + 1 + len(label)
        return Content("").join(parts)

    async def on_click(self, event: events.Click) -> None:
        """Run the clicked key's action."""
        for x0, x1, action, node in self._spans:
            if x0 <= event.x < x1:
                await self.app.run_action(action, node)  # type: ignore[arg-type]
                return
