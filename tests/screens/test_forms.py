"""The card form: keeps what was typed on errors, sends the raw dict, prefills edits, hints as you type."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static, TextArea

from organizer.config import Config
from organizer.validate import InputError
from screens.forms import CardForm, duration_hint, format_when, when_hint

COLUMNS = ["Ideas", "Draft", "Review", "Done"]
UNSET = object()

# A card as `card_view` gives it (the JSON porcelain), for the edit tests.
PORCELAIN: dict[str, Any] = {
    "id": "NWC-12", "board": "NWC", "number": 12, "title": "Launch [draft]", "column": "Draft",
    "role": "writer", "channels": ["x", "linkedin"], "tags": ["launch", "q4"], "estimate_minutes": 90,
    "spent_minutes": 30, "due": "2026-11-27T17:30:00+01:00", "publish": None, "campaign": "Winter",
    "pillar": None, "priority": 2, "popup": True, "parent": None, "step": None, "notes": "first line\nsecond",
    "created": "2026-11-20T09:00:00+01:00", "updated": "2026-11-20T09:00:00+01:00", "completed": None,
    "steps": [],
}


class Host(App[None]):
    """Opens one CardForm and records what it dismissed with."""

    def __init__(self, form: CardForm) -> None:
        super().__init__()
        self.form = form
        self.result: object = UNSET

    def on_mount(self) -> None:
        self.push_screen(self.form, callback=self.record)

    def record(self, result: str | None) -> None:
        self.result = result


def form_for(
    cfg: Config,
    *,
    initial: dict[str, Any] | None = None,
    submit: Callable[[dict[str, Any]], str] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> tuple[Host, list[dict[str, Any]]]:
    """A host app with a form whose submit records each raw dict (and returns NWC-7 unless told otherwise)."""
    calls: list[dict[str, Any]] = []

    def record(raw: dict[str, Any]) -> str:
        calls.append(raw)
        return submit(raw) if submit else "NWC-7"

    heading = "Edit NWC-12" if initial else "New card on NWC"
    form = CardForm(cfg, heading=heading, columns=COLUMNS, initial=initial, submit=record, column="Ideas",
                    clock=clock)
    return Host(form), calls


def value(app: App[None], name: str) -> str:
    """The text of one form input."""
    return app.screen.query_one(f"#form-{name}", Input).value


def shown(app: App[None], selector: str) -> str:
    """The plain text a Static shows."""
    return str(app.screen.query_one(selector, Static).render())


async def type_into(pilot: Pilot[None], name: str, text: str) -> None:
    """Focus an input and type into it key by key."""
    pilot.app.screen.query_one(f"#form-{name}").focus()
    await pilot.press(*text)


async def test_failed_validation_keeps_everything_typed(cfg: Config) -> None:
    app, calls = form_for(cfg)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "title", "Post")
        await type_into(pilot, "due", "fryday")
        app.screen.query_one("#form-estimate", Input).value = "45m"
        app.screen.query_one("#form-tags", Input).value = "launch, q4"
        app.screen.query_one("#form-notes", TextArea).text = "keep me"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CardForm)
        error = shown(app, "#form-error")
        assert error.startswith("--due") and "'fryday'" in error
        assert app.screen.focused is app.screen.query_one("#form-due")
        assert [value(app, n) for n in ("title", "due", "estimate", "tags")] == [
            "Post", "fryday", "45m", "launch, q4",
        ]
        assert app.screen.query_one("#form-notes", TextArea).text == "keep me"
        # Typing goes on; the next save reads the fixed value.
        app.screen.query_one("#form-due", Input).value = "fri"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.result == "NWC-7"
    assert calls and calls[0]["due_at"] == "fri"


async def test_a_valid_new_card_sends_the_raw_dict_and_dismisses_with_the_ref(cfg: Config) -> None:
    app, calls = form_for(cfg)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await type_into(pilot, "title", "Draft")
        screen.query_one("#form-column", Select).value = "Review"
        screen.query_one("#form-role", Select).value = "writer"
        screen.query_one("#form-channels", Input).value = "x, linkedin instagram"
        screen.query_one("#form-due", Input).value = "tomorrow 10:00"
        screen.query_one("#form-estimate", Input).value = "1h30"
        screen.query_one("#form-priority", Select).value = 1
        screen.query_one("#form-popup", Checkbox).value = True
        screen.query_one("#form-campaign", Input).value = "Winter"
        screen.query_one("#form-tags", Input).value = "#launch q4"
        screen.query_one("#form-notes", TextArea).text = "see brief"
        await pilot.click("#form-save")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert calls == [{
        "title": "Draft", "column": "Review", "role": "writer",
        "channels": ["x", "linkedin", "instagram"], "due_at": "tomorrow 10:00", "estimate_minutes": "1h30",
        "priority": "1", "popup": "true", "campaign": "Winter", "tags": ["#launch", "q4"], "notes": "see brief",
    }]
    assert app.result == "NWC-7"


async def test_a_new_card_starts_in_the_given_column_with_the_default_priority(cfg: Config) -> None:
    app, calls = form_for(cfg)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "title", "x")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert calls == [{"title": "x", "column": "Ideas", "priority": str(cfg.default_priority)}]


async def test_submit_raising_input_error_keeps_the_form_open(cfg: Config) -> None:
    def refuse(raw: dict[str, Any]) -> str:
        raise InputError("parent 'NWC-3' cannot hold steps: pick a top-level card", field="parent")

    app, calls = form_for(cfg, submit=refuse)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "title", "Step one")
        app.screen.query_one("#form-parent", Input).value = "NWC-3"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, CardForm)
        assert shown(app, "#form-error") == "parent 'NWC-3' cannot hold steps: pick a top-level card"
        assert app.screen.focused is app.screen.query_one("#form-parent")
        assert value(app, "title") == "Step one"
        assert not app.screen.query_one("#form-save").disabled  # ready for another try
        await pilot.press("escape")
        await pilot.pause()
    assert len(calls) == 1
    assert app.result is None


async def test_edit_prefills_and_clearing_sends_none(cfg: Config) -> None:
    app, calls = form_for(cfg, initial=PORCELAIN)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert [value(app, n) for n in ("title", "due", "publish", "estimate", "spent", "channels", "tags")] == [
            "Launch [draft]", "2026-11-27 17:30", "", "1h30m", "30m", "x, linkedin", "launch, q4",
        ]
        assert screen.query_one("#form-column", Select).value == "Draft"
        assert screen.query_one("#form-role", Select).value == "writer"
        assert screen.query_one("#form-priority", Select).value == 2
        assert screen.query_one("#form-popup", Checkbox).value is True
        assert screen.query_one("#form-notes", TextArea).text == "first line\nsecond"
        assert value(app, "campaign") == "Winter"
        assert shown(app, "#form-due-hint") == "→ Fri 27 Nov 17:30"
        screen.query_one("#form-due", Input).value = ""
        screen.query_one("#form-role", Select).clear()
        screen.query_one("#form-tags", Input).value = ""
        await pilot.pause()
        assert shown(app, "#form-due-hint") == "→ cleared"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    # Only what changed goes along (plus the title); emptied fields clear.
    assert calls == [{"title": "Launch [draft]", "role": "none", "due_at": "none", "tags": []}]
    assert app.result == "NWC-7"


async def test_edit_with_nothing_changed_sends_only_the_title(cfg: Config) -> None:
    app, calls = form_for(cfg, initial=PORCELAIN)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert calls == [{"title": "Launch [draft]"}]


async def test_hints_say_what_the_text_means_as_you_type(cfg: Config) -> None:
    app, _ = form_for(cfg)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#form-due", Input).value = "tomorrow 10:00"
        await type_into(pilot, "estimate", "1h30")
        app.screen.query_one("#form-spent", Input).value = "2 day"
        await type_into(pilot, "spent", "s")
        await pilot.pause()
        paris = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris"))
        tomorrow = paris + timedelta(days=1)
        day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[tomorrow.weekday()]
        month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[
            tomorrow.month - 1
        ]
        year = f" {tomorrow.year}" if tomorrow.year != paris.year else ""
        assert shown(app, "#form-due-hint") == f"→ {day} {tomorrow.day} {month}{year} 10:00"
        assert shown(app, "#form-estimate-hint") == "→ 1h30m"
        spent_hint = app.screen.query_one("#form-spent-hint", Static)
        assert str(spent_hint.render()) == "can't read duration '2 days'"
        assert spent_hint.has_class("-error")
        assert value(app, "spent") == "2 days"  # the hint never gets in the way of typing
        await pilot.press("backspace")
        assert value(app, "spent") == "2 day"


def test_hint_helpers(cfg: Config) -> None:
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # a Thursday
    assert when_hint("fri", cfg, now=now) == ("→ Fri 27 Nov 17:30", True)
    assert when_hint("1 jan 10:00", cfg, now=now) == ("→ Fri 1 Jan 2027 10:00", True)
    assert when_hint("", cfg, now=now) == ("", True)
    assert when_hint("none", cfg, now=now, clearable=True) == ("→ cleared", True)
    assert when_hint("fryday", cfg, now=now) == ("can't read date 'fryday'", False)
    assert duration_hint("1h30") == ("→ 1h30m", True)
    assert duration_hint("1h75") == ("can't read duration '1h75': minutes after hours must be below 60", False)
    assert format_when(now, now=now, tz="Europe/Paris") == "Thu 26 Nov 10:00"


async def test_markup_in_typed_text_stays_literal(cfg: Config) -> None:
    trap = "[@click=app.quit]x"
    app, calls = form_for(cfg)
    app.form.heading = "New card on [bold]NWC[/bold] [@click=app.quit]x"
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "title", trap)
        app.screen.query_one("#form-due", Input).value = trap
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert value(app, "title") == trap
        assert shown(app, "#form-heading") == "New card on [bold]NWC[/bold] [@click=app.quit]x"
        assert shown(app, "#form-due-hint") == f"can't read date '{trap}'"
        assert trap in shown(app, "#form-error")
        for target in ("#form-heading", "#form-due-hint", "#form-error"):
            # Where an action link would be if the text had been read as markup.
            await pilot.click(target, offset=(shown(app, target).index("[@click") + 2, 0))
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, CardForm)
        assert not calls


async def test_hints_follow_the_given_clock(cfg: Config) -> None:
    thursday = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    app, calls = form_for(cfg, clock=lambda: thursday)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "title", "x")
        app.screen.query_one("#form-due", Input).value = "fri"
        await pilot.pause()
        assert shown(app, "#form-due-hint") == "→ Fri 27 Nov 17:30"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert calls and calls[0]["due_at"] == "fri"


async def test_escape_and_cancel_dismiss_with_none(cfg: Config) -> None:
    app, calls = form_for(cfg)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_into(pilot, "title", "no")
        await pilot.click("#form-cancel")
        await pilot.pause()
    assert app.result is None and not calls


def test_form_snapshot(snap_compare, cfg: Config) -> None:  # type: ignore[no-untyped-def]
    app, _ = form_for(cfg)

    async def typed(pilot: Pilot[None]) -> None:
        pilot.app.screen.query_one("#form-title", Input).value = "Launch [draft] post"
        pilot.app.screen.query_one("#form-estimate", Input).value = "1h30"
        pilot.app.screen.query_one("#form-spent", Input).value = "2 days"
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=typed)
