"""A one-line progress bar on stderr, for CLI work that takes seconds; silent when stderr is not a terminal.

`importing 4,200/10,000 cards ▕█████▏`, redrawn in place with `\\r` at most every 0.1 s; `done()` clears the
line so the command's own output starts on a clean one. Piped or redirected, nothing is written, so
scripts and logs see only the command's result. Stdlib only (no rich): it must not slow the commands it
reports on.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 20
EVERY_S = 0.1


class Progress:
    """Report `done of total` for a named task; a no-op unless `stream` (default stderr) is a terminal."""

    def __init__(self, label: str, unit: str = "", stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        try:
            self.enabled = self.stream.isatty()
        except (AttributeError, ValueError):  # a closed or unusual stream
            self.enabled = False
        self.label, self.unit = label, unit
        self._last = 0.0
        self._shown = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        """Show `label phase done/total unit ▕bar▏` (throttled; the last step always shows)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < EVERY_S:
            return
        self._last = now
        filled = WIDTH * done // total if total else WIDTH
        unit = f" {self.unit}" if self.unit else ""
        head = f"{self.label}: {phase}" if phase else self.label
        line = f"{head} {done:,}/{total:,}{unit} ▕{'█' * filled}{' ' * (WIDTH - filled)}▏"
        self.stream.write(f"\r{line}\x1b[K")
        self.stream.flush()
        self._shown = True

    def note(self, text: str) -> None:
        """Show a phase without a count (`writing 10,000 cards…`)."""
        if self.enabled:
            self.stream.write(f"\r{text}\x1b[K")
            self.stream.flush()
            self._shown = True

    def done(self) -> None:
        """Clear the progress line, if one was shown."""
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False
