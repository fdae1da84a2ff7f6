"""The app's dialogs for the board: confirm delete, card menu, pickers, next up, help.

A mixin of `OrganizerApp`, kept apart so the app module stays about the app's lifecycle and data path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from organizer.boardview import CardRow

if TYPE_CHECKING:
    from datetime import datetime

    from textual.app import App
    from textual.screen import Screen

    from organizer.config import Config

    from .board import BoardScreen
    from .dataservice import DataService

    class _OnTheApp(App[int]):
        """What these dialogs use of the `OrganizerApp` they live on (mypy checks the app against it)."""

        cfg: Config

        def board_screen(self) -> BoardScreen | None: ...

        def now(self) -> datetime: ...

        data: DataService
else:
    _OnTheApp = object


# The `/` language (organizer.filterlang), as the help shows it; the same works in `organizer list --filter`.
FILTER_HELP = (
    ("words", "in the ID, title, notes, tags, campaign or pillar; \"two words\" as one phrase"),
    ("#launch", "tagged launch"),
    ("@writer", "role, by key or name"),
    ("!1 … !4", "priority"),
    ("due:today", "also tomorrow, week, overdue, or any date: due:fri, due:\"fri 14:30\""),
    ("pillar:X campaign:X", "the card's pillar or campaign contains X"),
    ("channel:ig", "for that channel (key, name or code)"),
    ("is:popup", "pop-ups only"),
)


class DialogActions(_OnTheApp):
    """Dialog launchers; every method expects to live on an `OrganizerApp`."""

    def confirm_delete(self, card: CardRow) -> None:
        """Ask, then delete a card and its steps."""
        from .dialogs import ConfirmDialog

        def removed(refs: list[str] | None) -> None:
            if refs:
                self.notify(f"Deleted {', '.join(refs)} (u to undo)", markup=False)

        def answered(yes: bool | None) -> None:
            if yes:
                self.data.write(lambda s, svc: svc.cards.remove_card(s, card.ref, origin="tui"), done=removed)

        self.push_screen(ConfirmDialog(f"Delete {card.ref} “{card.title}”?"), answered)

    def card_menu(self, title: str, options: list[tuple[str, str]], board: Screen[Any]) -> None:
        """A menu of actions on one card; picking one runs it on the board."""
        from .dialogs import PickerDialog

        def picked(action: str | None) -> None:
            if action:
                self.call_later(board.run_action, action)

        self.push_screen(PickerDialog(title, options), picked)

    def offer_reschedule(self, ref: str, waiting: int) -> None:
        """A piece's publish time moved: offer to schedule its unfinished steps back from the new one."""
        from organizer.storage.plain import Db

        from .dialogs import ConfirmDialog

        cfg = self.cfg

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            now = self.now()

            def change(session: Any, svc: Any) -> int:
                current = svc.schedule.in_session(session, cfg, now)
                steps, _ = svc.templates.reschedule(Db(session), cfg, ref, now, current)
                return len(steps)

            def done(moved: int | None) -> None:
                if moved:
                    self.notify(f"Rescheduled {moved} step(s) of {ref} (u undoes)", markup=False)

            self.data.write(change, done=done)

        self.push_screen(ConfirmDialog(f"{ref}'s publish time moved. Schedule its {waiting} unfinished step(s) back "
                                       "from the new one? Done steps stay.", confirm_label="Reschedule"), answered)

    def open_metrics_form(self, ref: str) -> None:
        """The card's variants, then the metrics form; what it returns is written as one snapshot."""
        cfg, now = self.cfg, self.now()

        def variants(session: Any, svc: Any) -> tuple[str, list[str]]:
            from organizer.metrics import store
            from organizer.storage.plain import Db

            found = store.card_variants(Db(session), ref)
            return (found[0].title if found else ""), [v.channel for v in found if v.published]

        def show(loaded: tuple[str, list[str]]) -> None:
            title, channels = loaded
            if not channels:
                self.notify(f"{ref} has no published post yet: numbers are for posts that went out (w: its "
                            "variants, their status and address)", markup=False)
                return
            from .metricsform import MetricsForm

            def saved(values: dict[str, Any] | None) -> None:
                if values is None:
                    return

                def write(session: Any, svc: Any) -> None:
                    from organizer.metrics import store
                    from organizer.metrics.model import Reading
                    from organizer.storage.plain import Db

                    variant = store.find_variant(Db(session), ref, values["channel"])
                    store.record(Db(session), [Reading(variant.card_id, variant.channel, values["at"], "manual",
                                                       values["counts"])])

                self.data.write(write, done=lambda _: self.notify(
                    f"Saved {ref} {values['channel']}: " + ", ".join(
                        f"{v} {k.replace('_', ' ')}" for k, v in values["counts"].items()), markup=False))

            self.push_screen(MetricsForm(ref, title, channels, timezone=cfg.timezone, now=now, day_end=cfg.day_end),
                             saved)

        self.data.call(variants, show, write=False)

    def new_from_template(self) -> None:
        """Pick a template, name the piece and its publish time, look at the backward schedule, create it."""
        from organizer import templates
        from organizer.validate import InputError

        from .dialogs import PromptDialog

        try:
            found = templates.load_all(self.cfg)
        except InputError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        options = [(name, f"{name}: {t.description}") for name, t in sorted(found.items())]

        def picked(name: str | None) -> None:
            if not name:
                return

            def titled(title: str | None) -> None:
                if not title or not title.strip():
                    return

                def timed(when: str | None) -> None:
                    if when and when.strip():
                        self._preview_piece(found[name], title.strip(), when.strip())

                self.push_screen(PromptDialog(f"{name} · “{title.strip()}”: publish when?", value="fri 08:30",
                                              hint="fri 08:30, 2026-12-24 09:00, +3d 10:00"), timed)

            self.push_screen(PromptDialog(f"{name}: the piece's title?", hint="e.g. Winter Blend reel"), titled)

        self.pick("New from template", options, picked)

    def _preview_piece(self, template: Any, title: str, when: str, channels: list[str] | None = None,
                       board: str | None = None) -> None:
        from zoneinfo import ZoneInfo

        from organizer.dates import parse_when
        from organizer.storage.plain import Db

        from .dialogs import PreviewDialog

        cfg, now = self.cfg, self.now()
        try:
            publish = parse_when(when, now=now, tz=cfg.timezone, day_end=cfg.day_end)
        except ValueError as exc:
            self.notify(f"Publish: {exc}", severity="error", markup=False)
            return
        if board is None:
            board_screen = self.board_screen()
            board = board_screen.board.key if board_screen is not None and board_screen.board is not None else None
        zone = ZoneInfo(cfg.timezone)

        def work(session: Any, svc: Any) -> Any:
            current = svc.schedule.in_session(session, cfg, now)
            return svc.templates.plan(Db(session), cfg, template, title, publish, now, current, channels)

        def show(chain: Any) -> None:
            lines = [f"{template.name} · “{title}” · publish {publish.astimezone(zone):%a %d %b %H:%M}"
                     + (f" · {', '.join(chain.channels)}" if chain.channels else ""), ""]
            for step, placed, planned in zip(chain.steps, chain.placed, chain.planned, strict=True):
                start = planned[0][0].astimezone(zone) if planned else placed.start.astimezone(zone)
                end = planned[-1][1].astimezone(zone) if planned else placed.end.astimezone(zone)
                lines.append(f"{start:%a %d %b %H:%M}–{end:%H:%M}  {step.minutes:>3} min  "
                             f"due {placed.end.astimezone(zone):%a %H:%M}  {step.title}")
            if chain.moves or chain.now_late:
                lines += ["", "To make room, the plan moves less urgent work:"]
                lines += [f"  {m.ref}  {m.reason}" for m in chain.moves]
                if chain.now_late:
                    lines.append(f"  now after its due time: {', '.join(chain.now_late)}")

            def answered(yes: bool | None) -> None:
                if not yes:
                    return

                def create(session: Any, svc: Any) -> list[str]:
                    return list(svc.templates.create(Db(session), cfg, chain, board=board, origin="tui",
                                                     place=self.data.place))

                def done(refs: list[str] | None) -> None:
                    if refs:
                        self.notify(f"Created {refs[0]} with {len(refs) - 1} steps", markup=False)

                self.data.write(create, done=done)

            self.push_screen(PreviewDialog("\n".join(lines), confirm_label="Create"), answered)

        self.data.call(work, show, write=True, keep=False)

    def pick(self, title: str, options: list[tuple[str, str]], picked: Callable[[str | None], None], *,
             keys_hint: str | None = None) -> None:
        """Pick one of (value, label) options; `picked` gets the value, or None when cancelled."""
        from .dialogs import PickerDialog

        dialog = PickerDialog(title, options) if keys_hint is None else PickerDialog(title, options,
                                                                                      keys_hint=keys_hint)
        self.push_screen(dialog, picked)

    def pick_channel(self, current: str | None) -> None:
        """Choose a channel to filter the board by."""
        from .dialogs import PickerDialog

        options = [("", "All channels"), *((c.key, f"{c.name} ({c.code})") for c in self.cfg.channels)]

        def picked(value: str | None) -> None:
            board = self.board_screen()
            if value is not None and board is not None:
                board.set_channel(value or None)

        self.push_screen(PickerDialog("Filter by channel", options, current=current or ""), picked)

    def pick_board(self) -> None:
        """Switch to another board."""
        from .dialogs import PickerDialog

        board = self.board_screen()
        if board is None or board.board is None:
            return
        options = [(key, f"{key} · {name}") for key, name in board.board.boards]

        def picked(value: str | None) -> None:
            if value and board is not None:
                board.reload(value)

        self.push_screen(PickerDialog("Switch board", options, current=board.board.key), picked)

    def show_next_up(self, entries: list[tuple[str, CardRow | None]]) -> None:
        """The most pressing card for each role; picking one jumps to it."""
        from .dialogs import PickerDialog

        names = {r.key: r.name for r in self.cfg.roles}
        options = [(card.ref, f"{names.get(role, role)}: {card.ref} {card.title}")
                   for role, card in entries if card is not None]
        if not options:
            self.notify("No open cards with a role on this board.")
            return

        def picked(ref: str | None) -> None:
            board = self.board_screen()
            if ref and board is not None:
                board.focus_card_ref(ref)

        self.push_screen(PickerDialog("Next up, per role", options), picked)

    def action_help(self) -> None:
        """Every key, grouped, as currently bound (remapped keys included)."""
        from .dialogs import HelpScreen

        keys: dict[str, list[str]] = {}
        described: dict[str, tuple[str, str]] = {}
        roles = {f"board.role{i}": r.name for i, r in enumerate(self.cfg.roles, start=1)}
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if binding.action in ("focus_next", "focus_previous"):
                continue
            bid = binding.id or binding.action
            keys.setdefault(bid, []).append(self.get_key_display(binding.with_key(key)))
            description = binding.description or binding.action
            if bid in roles:
                description = f"show or hide {roles[bid]} cards"
            prefix = bid.split(".", 1)[0]
            section = {"board": "Board", "plan": "Day plan", "capacity": "Capacity"}.get(prefix, "App")
            described[bid] = (section, description)
        sections: dict[str, list[tuple[str, str]]] = {}
        for bid, (section, description) in sorted(described.items(), key=lambda kv: kv[1][0] == "App"):
            sections.setdefault(section, []).append((" ".join(dict.fromkeys(keys[bid])), description))
        sections.setdefault("App", []).append(("ctrl+p", "command palette: every action, every board, any card "
                                                         "by a word of its ID, title, notes, tags…"))
        if "board.filter" in described:
            sections["Filter (/): every term must match"] = list(FILTER_HELP)
        sections["Mouse"] = [("click", "focus a card"), ("double-click", "edit it"),
                             ("right-click", "actions on it"), ("footer keys", "run that action")]
        self.push_screen(HelpScreen(list(sections.items())))
