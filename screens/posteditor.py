"""The post editor: a card's message told once (the master) and as it goes out on each network (the variants).

The master sits on the left; each channel of the card has a tab on the right with its variant, a live counter
in that network's own unit (`212/280 weighted characters`), the rules it breaks, its links as they will be
tagged, and the brand voice's tone notes underneath. Counting is `organizer.posts.count` (about half a
millisecond for a 3,000-character post), run on each change of the box, so the counter follows the keys.
Saving writes the master and every variant in one change, through the data service (one undo step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane, TextArea

from organizer.config import Config
from organizer.posts.count import Count, check, links
from organizer.posts.rules import UNITS, NetworkRule, rules
from organizer.posts.utm import tag, tags_for
from organizer.posts.variants import derive
from organizer.posts.voice import findings, profile

from .footer import KeyFooter

if TYPE_CHECKING:
    from .host import OrganizerHost

NEAR = 0.9  # the counter turns to the warning colour from here


def counter_text(result: Count) -> Content:
    """`212/280 weighted characters · 68 left`, styled ok / near the limit / over (words say it too)."""
    unit = UNITS[result.unit]
    if result.remaining < 0:
        return Content.styled(f"{result.length}/{result.limit} {unit} · {-result.remaining} over", "bold $error")
    words = f"{result.length}/{result.limit} {unit} · {result.remaining} left"
    if result.length >= NEAR * result.limit:
        return Content.styled(words + " · near the limit", "$warning")
    return Content.styled(words, "$success" if result.ok else "")


class Counter(Widget):
    """A one-line counter that repaints without a layout pass (a Static's update re-lays out the screen)."""

    DEFAULT_CSS = "Counter { height: 1; width: 1fr; }"
    content: reactive[Content] = reactive(Content(""), layout=False)

    def render(self) -> Content:
        """The counter's text, never parsed as markup."""
        return self.content


class PostEditor(Screen[None]):
    """Write a card's post: the master and one variant per channel, each counted as its network counts."""

    DEFAULT_CSS = """
    PostEditor #post-heading { height: 1; padding: 0 1; text-style: bold; }
    PostEditor #post-body { height: 1fr; }
    PostEditor #master-pane { width: 2fr; min-width: 24; padding: 0 1; }
    PostEditor #variants { width: 3fr; }
    PostEditor TextArea { height: 1fr; min-height: 4; }
    PostEditor #master-count { height: auto; max-height: 2; }
    PostEditor .problems { height: auto; max-height: 6; color: $error; }
    PostEditor .links { height: auto; max-height: 4; color: $text-muted; }
    PostEditor #voice { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: a text box would take ctrl+d (delete right) and ctrl+s first.
        Binding("ctrl+s", "save", "Save", id="post.save", priority=True),
        Binding("ctrl+d", "derive", "Draft empty variants", id="post.derive", priority=True),
        Binding("escape", "close", "Back", id="post.close"),
        # Letters type text here: the approval gate's keys are function keys in the editor.
        Binding("f6", "approve", "Approve", id="post.approve", priority=True),
        Binding("f7", "reject", "Reject", id="post.reject", priority=True),
        # Outside a text box q quits, as everywhere, but not past unsaved text without a second press.
        Binding("q", "quit_editor", "Quit", id="post.quit", show=False),
    ]

    def __init__(self, cfg: Config, card: dict[str, Any]) -> None:
        super().__init__()
        self.cfg = cfg
        self.card = card
        self.ref: str = card["id"]
        saved = {v["channel"]: v["text"] for v in card["variants"]}
        # Tabs: the variants in their order, then the card's channels that have none yet.
        known = rules()
        self.channels = [c for c in [*saved, *card["channels"]] if c in known]
        self.channels = list(dict.fromkeys(self.channels))
        self.saved_master: str = card["post"]
        self.saved: dict[str, str] = {c: saved.get(c, "") for c in self.channels}
        self.voice = profile(cfg.voice, card["board"])
        self._leaving = False
        self._shown: dict[str, str] = {}

    @property
    def org(self) -> OrganizerHost:
        """The app, as the screens see it."""
        return self.app  # type: ignore[return-value]

    def rule(self, channel: str) -> NetworkRule:
        """The network's rule, with the config's own limit for it (a Mastodon server's)."""
        rule = rules()[channel]
        limit = self.cfg.channel_limits.get(channel)
        return rule.with_limit(limit) if limit else rule

    def compose(self) -> ComposeResult:
        """Heading, master and variant tabs, the voice's tone, the footer."""
        yield Static(Content(f"Post · {self.ref}  {self.card['title']}"), id="post-heading", markup=False)
        with Horizontal(id="post-body"):
            with Vertical(id="master-pane"):
                yield Static(Content("Master: the message, told once"), markup=False)
                yield TextArea(self.saved_master, id="master", soft_wrap=True)
                yield Static("", id="master-count", markup=False)
            with TabbedContent(id="variants"):
                for channel in self.channels:
                    with TabPane(rules()[channel].name, id=f"tab-{channel}"):
                        yield TextArea(self.saved[channel], id=f"text-{channel}", soft_wrap=True)
                        yield Counter(id=f"count-{channel}")
                        yield Static("", id=f"problems-{channel}", classes="problems", markup=False)
                        yield Static("", id=f"links-{channel}", classes="links", markup=False)
        tone = self.voice.tone or "No brand voice for this board: [voice] in the config sets one."
        yield Static(Content(f"Voice: {tone}"), id="voice", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        """Count everything once; the master has the focus."""
        self._count_master()
        for channel in self.channels:
            self.recount(channel)
        if not self.channels:
            self.notify(f"{self.ref} has no channels yet: add some (e, Channels) to write its variants",
                        severity="warning", markup=False)
        self.query_one("#master", TextArea).focus()

    # --- counting -----------------------------------------------------------------------------
    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Count the box that changed, at once."""
        box = event.text_area.id or ""
        if box == "master":
            self._count_master()
        elif box.startswith("text-"):
            self.recount(box.removeprefix("text-"))

    def _count_master(self) -> None:
        text = self.query_one("#master", TextArea).text
        fits = [rules()[c].name for c in self.channels if check(text, self.rule(c)).ok]
        shown = f"{len(text)} characters" + (f" · fits as it is on {', '.join(fits)}" if fits else "")
        self._show("#master-count", shown)

    def recount(self, channel: str) -> Count:
        """Count one variant and show its counter, problems and tagged links."""
        text = self.query_one(f"#text-{channel}", TextArea).text
        result = check(text, self.rule(channel), channel=channel)
        voice = findings(text, channel, self.voice)
        self.query_one(f"#count-{channel}", Counter).content = counter_text(result)
        lines = [f"✗ {p}" for p in (*result.problems, *voice)] + [f"! {w}" for w in result.warnings]
        lines += [f"· {h}" for h in result.hints]
        self._show(f"#problems-{channel}", "\n".join(lines))
        tags = tags_for(self.cfg.utm, channel=channel, board=self.card["board"], card=self.ref,
                        campaign=self.card["campaign"])
        self._show(f"#links-{channel}", "\n".join(f"🔗 {tag(link.url, tags)}" for link in links(text, bare=True)))
        return result

    def _show(self, selector: str, text: str) -> None:
        """Update a Static only when its text changes: each update re-lays out the screen."""
        if self._shown.get(selector) != text:
            self._shown[selector] = text
            self.query_one(selector, Static).update(Content(text))

    # --- actions ------------------------------------------------------------------------------
    def texts(self) -> tuple[str, dict[str, str]]:
        """What the boxes hold now: the master and each channel's variant."""
        master = self.query_one("#master", TextArea).text
        return master, {c: self.query_one(f"#text-{c}", TextArea).text for c in self.channels}

    @property
    def dirty(self) -> bool:
        """Whether anything differs from what was last saved."""
        master, texts = self.texts()
        return master != self.saved_master or texts != self.saved

    def action_derive(self) -> None:
        """Fill each empty variant with its network's draft of the master (saved with ctrl+s)."""
        master, texts = self.texts()
        if not master.strip():
            self.notify("Write the master first: the drafts are made from it", severity="warning")
            return
        filled = []
        for channel, text in texts.items():
            if not text.strip():
                draft, _comment = derive(master, rules()[channel])  # the editor has no first-comment box yet
                self.query_one(f"#text-{channel}", TextArea).load_text(draft)
                filled.append(rules()[channel].name)
        self.notify(f"Drafted {', '.join(filled)} (ctrl+s saves)" if filled else "Every variant has text already",
                    markup=False)

    def action_save(self) -> None:
        """Write the master and the variants as one change (one undo step)."""
        master, texts = self.texts()
        if not self.dirty:
            self.notify("Nothing to save")
            return
        cfg, ref = self.cfg, self.ref

        def change(session: Any, svc: Any) -> bool:
            return bool(svc.posts.save_post(session, cfg, ref, master, texts, origin="tui"))

        def done(result: bool | None) -> None:
            if result is None:  # refused or failed: the data service said why; the boxes keep the text
                return
            self.saved_master, self.saved = master, dict(texts)
            self.notify(f"Saved the post of {ref}", markup=False)

        self.org.data.write(change, focus=ref, done=done)

    def action_approve(self) -> None:
        """Approve the card (the approval gate), as the config's user."""
        cfg, ref = self.cfg, self.ref

        def done(said: str | None) -> None:
            if said:
                self.notify(said, markup=False)

        self.org.data.write(lambda s, svc: svc.approvals.approve(s, cfg, ref, origin="tui"), done=done)

    def action_reject(self) -> None:
        """Reject the card with a note (asked for): it goes back to In progress."""
        from .dialogs import PromptDialog

        cfg, ref = self.cfg, self.ref

        def rejected(column: str | None) -> None:
            if column:
                self.notify(f"{ref} rejected: back in {column}", markup=False)

        def answered(note: str | None) -> None:
            if note and note.strip():
                self.org.data.write(lambda s, svc: svc.approvals.reject(s, cfg, ref, note=note, origin="tui"),
                                    done=rejected)

        self.app.push_screen(PromptDialog(f"Reject {ref}: what must change?", hint="enter rejects, esc cancels"),
                             answered)

    def action_quit_editor(self) -> None:
        """Quit the app; with unsaved changes, only on the second press."""
        if self.dirty and not self._leaving:
            self._leaving = True
            self.notify("Unsaved changes: ctrl+s saves them, q again quits without saving", severity="warning")
            return
        self.app.exit()

    def action_close(self) -> None:
        """Back to the board; with unsaved changes, only on the second press."""
        if self.dirty and not self._leaving:
            self._leaving = True
            self.notify("Unsaved changes: ctrl+s saves them, esc again leaves without saving", severity="warning")
            return
        self.dismiss(None)
