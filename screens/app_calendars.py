"""Calendar actions of the app: export to a prompted path, refresh subscribed calendars with progress.

A mixin of `OrganizerApp`; the work runs in threads and reports through notifications.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from textual import work

from organizer.validate import InputError

if TYPE_CHECKING:
    from textual.app import App

    from organizer.config import Config

    from .dataservice import DataService

    class _OnTheApp(App[int]):
        """What these actions use of the `OrganizerApp` they live on (mypy checks the app against it)."""

        cfg: Config
        location: str

        def now(self) -> datetime: ...

        data: DataService
else:
    _OnTheApp = object


class CalendarActions(_OnTheApp):
    """Calendar actions; every method expects to live on an `OrganizerApp`."""

    # --- calendars ----------------------------------------------------------------------------
    def action_refresh_calendars(self) -> None:
        """Fetch subscribed calendars again, with progress in notifications."""
        self.notify("Refreshing calendars…")
        self._refresh_calendars()

    @work(thread=True, group="calendars", exclusive=True)
    def _refresh_calendars(self) -> None:
        from organizer.services import calendars

        def progress(name: str, outcome: Any) -> None:
            if outcome is None:
                self.call_from_thread(self.notify, f"Refreshing {name}…", markup=False)
                return
            failed = outcome.status == "failed"
            events = f"{outcome.result.events} events" if outcome.result is not None else ""
            text = " ".join(x for x in (f"{name}: {outcome.status}", events, outcome.error or outcome.detail) if x)
            self.call_from_thread(self.notify, text, severity="error" if failed else "information", markup=False)

        # Not through db_call: network waits must not hold a write transaction; refresh opens its own.
        outcomes = calendars.refresh(self.data.storage.store(), self.cfg, None, now=self.now, progress=progress)
        if not outcomes:
            self.call_from_thread(self.notify, "No calendars yet: organizer import ics FILE|URL adds one.")
        self.data.announce()

    def action_export_ics(self) -> None:
        """Ask for a path, then write the next 30 days' publish times, plan and due dates there."""
        from .dialogs import PromptDialog

        def answered(path: str | None) -> None:
            if path:
                self._export_ics(path)

        self.push_screen(PromptDialog("Export the calendar (next 30 days) to:", value="organizer.ics",
                                      hint="An .ics file any calendar app can import; press enter to write it."),
                         answered)

    @work(thread=True, group="calendars")
    def _export_ics(self, path: str) -> None:
        from datetime import timedelta

        from organizer.files import write_atomic
        from organizer.ics.export import export_calendar

        now = self.now()
        start = datetime.combine(now.astimezone(ZoneInfo(self.cfg.timezone)).date(), datetime.min.time(),
                                 ZoneInfo(self.cfg.timezone))
        target = Path(path).expanduser()
        try:
            result = export_calendar(self.location, self.cfg, boards=None, what={"publish", "plan", "due"},
                                     start=start, end=start + timedelta(days=30), now=now)
            write_atomic(target, result.body)
        except (OSError, InputError) as exc:
            self.call_from_thread(self.notify, f"Not exported: {exc}", severity="error", markup=False)
            return
        self.call_from_thread(self.notify, f"Exported {result.events} events to {target}", markup=False)
