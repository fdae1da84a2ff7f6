"""The board's key bindings, as data: each has an id users can remap in `[keys]` of config.toml."""

from __future__ import annotations

from textual.binding import Binding, BindingType


def _b(key: str, action: str, description: str, bid: str, *, show: bool = True, key_display: str | None = None,
       priority: bool = False) -> Binding:
    return Binding(key, action, description, show=show, id=bid, key_display=key_display, priority=priority)


# In the order the footer shows them when the terminal is too narrow for all: the first ones stay.
BOARD_BINDINGS: list[BindingType] = [
    _b("n", "new_card", "New", "board.new"),
    _b("enter,e", "edit_card", "Edit", "board.edit", key_display="e"),
    _b("D", "done", "Done", "board.done"),
    _b("m", "move_to", "Move to", "board.move_to"),
    _b("w", "write_post", "Post", "board.post"),
    _b("a", "approve", "Approve", "board.approve", show=False),
    _b("A", "reject", "Reject", "board.reject", show=False),
    _b("M", "metrics", "Metrics", "board.metrics", show=False),
    _b("H,shift+left", "move_card(-1)", "Move ←", "board.move_left", key_display="H"),
    _b("L,shift+right", "move_card(1)", "Move →", "board.move_right", key_display="L"),
    _b("slash", "filter", "Filter", "board.filter", key_display="/"),
    _b("p", "app.switch_mode('plan')", "Day plan", "board.plan"),
    _b("u,ctrl+z", "undo", "Undo", "board.undo", key_display="u"),
    _b("d", "delete_card", "Delete", "board.delete"),
    _b("N", "next_up", "Next up", "board.next_up"),
    _b("b", "switch_board", "Board", "board.switch"),
    _b("s", "swimlanes", "Lanes", "board.swimlanes"),
    _b("f", "fold", "Fold", "board.fold"),
    _b("C", "app.switch_mode('capacity')", "Capacity", "board.capacity"),
    _b("left,h", "focus_column(-1)", "Left", "board.left", show=False),
    _b("right,l", "focus_column(1)", "Right", "board.right", show=False),
    _b("up,k", "focus_card(-1)", "Up", "board.up", show=False),
    _b("down,j", "focus_card(1)", "Down", "board.down", show=False),
    _b("home", "focus_card(-1000000)", "First card", "board.first", show=False),
    _b("end", "focus_card(1000000)", "Last card", "board.last", show=False),
    _b("pageup", "focus_card(-5)", "Page up", "board.page_up", show=False),
    _b("pagedown", "focus_card(5)", "Page down", "board.page_down", show=False),
    _b("K,shift+up", "reorder(-1)", "Up in column", "board.reorder_up", show=False),
    _b("J,shift+down", "reorder(1)", "Down in column", "board.reorder_down", show=False),
    _b("ctrl+y", "redo", "Redo", "board.redo", show=False),
    _b("1", "toggle_role(1)", "Role 1", "board.role1", show=False),
    _b("2", "toggle_role(2)", "Role 2", "board.role2", show=False),
    _b("3", "toggle_role(3)", "Role 3", "board.role3", show=False),
    _b("4", "toggle_role(4)", "Role 4", "board.role4", show=False),
    _b("5", "toggle_role(5)", "Role 5", "board.role5", show=False),
    _b("6", "toggle_role(6)", "Role 6", "board.role6", show=False),
    _b("0", "all_roles", "All roles", "board.all_roles", show=False),
    _b("c", "channel_filter", "Channel", "board.channel", show=False),
    _b("escape", "clear_filters", "Clear filters", "board.clear", show=False),
]

# What the palette and the help call each board action: the footer's words are short on purpose.
LONG_NAMES = {
    "board.new": "New card in this column",
    "board.edit": "Edit the card",
    "board.done": "Mark the card done (to the done column)",
    "board.move_to": "Move the card to a column…",
    "board.metrics": "Type in the post's numbers (metrics)…",
    "board.post": "Write the card's post: master and a variant per network",
    "board.approve": "Approve the card (the approval gate)",
    "board.reject": "Reject the card with a note (back to In progress)",
    "board.move_left": "Move the card to the previous column",
    "board.move_right": "Move the card to the next column",
    "board.filter": "Filter the board (/ words #tag @role !1 due:today …)",
    "board.plan": "Day plan",
    "board.undo": "Undo the last change",
    "board.redo": "Redo",
    "board.delete": "Delete the card…",
    "board.next_up": "Next up, per role",
    "board.switch": "Switch board…",
    "board.swimlanes": "Swimlanes: by role, by campaign, off",
    "board.fold": "Fold or unfold this column",
    "board.capacity": "Capacity",
    "board.reorder_up": "Move the card up in its column",
    "board.reorder_down": "Move the card down in its column",
    "board.all_roles": "Show every role",
    "board.channel": "Filter by channel…",
    "board.clear": "Close the filter; again: clear every filter",
}

# What each key means, as an idea shared across the screens one can reach from another (board, Day plan,
# Capacity, the app). A key bound on several screens must mean one idea on all of them; the test in
# tests/screens/test_key_meanings.py holds every binding to this table, so a new binding has to say
# which idea it is, and a clash is caught before a user presses `p p` and pins something by accident.
IDEAS = {
    "app.quit": "quit", "app.help": "keys", "app.mode_board": "board", "app.mode_plan": "day plan",
    "app.mode_capacity": "capacity", "app.refresh_calendars": "refresh calendars", "app.export_ics": "export",
    "board.new": "new card", "plan.popup": "new card",
    "board.edit": "open the selected item", "plan.jump": "open the selected item",
    "board.done": "done", "board.move_to": "move to a column", "board.delete": "delete",
    "board.move_left": "move the card sideways", "board.move_right": "move the card sideways",
    "board.reorder_up": "move the selected item earlier or later", "board.reorder_down":
        "move the selected item earlier or later",
    "plan.earlier15": "move the selected item earlier or later", "plan.later15":
        "move the selected item earlier or later",
    "plan.earlier": "nudge", "plan.later": "nudge", "plan.longer": "resize", "plan.shorter": "resize",
    "board.filter": "filter", "board.channel": "filter", "board.clear": "back out",
    "plan.board": "board", "capacity.board": "board", "board.switch": "board",
    "board.plan": "day plan", "plan.plan": "day plan", "capacity.plan": "day plan",
    "board.capacity": "capacity", "plan.capacity": "capacity", "capacity.capacity": "capacity",
    "board.undo": "undo", "board.redo": "redo", "board.next_up": "next up",
    "board.swimlanes": "lanes",
    "board.fold": "fold",
    "board.metrics": "metrics",
    "board.post": "write the post", "post.save": "save", "post.derive": "draft", "post.close": "back out",
    "post.quit": "quit", "board.approve": "approve", "board.reject": "reject", "post.approve": "approve",
    "post.reject": "reject",
    "app.mode_mix": "mix", "mix.range": "mix range", "mix.refresh": "recompute", "mix.board": "board",
    "app.mode_analytics": "analytics", "analytics.shorter": "range", "analytics.longer": "range",
    "analytics.refresh": "recompute", "analytics.board": "board", "analytics.experiment": "experiment",
    "board.left": "previous or next", "board.right": "previous or next", "plan.prev_day": "previous or next",
    "plan.next_day": "previous or next", "capacity.prev_day": "previous or next",
    "capacity.next_day": "previous or next",
    "board.up": "previous or next item", "board.down": "previous or next item", "plan.up": "previous or next item",
    "plan.down": "previous or next item", "board.first": "previous or next item",
    "board.last": "previous or next item", "board.page_up": "previous or next item",
    "board.page_down": "previous or next item",
    "board.role1": "role filter", "board.role2": "role filter", "board.role3": "role filter",
    "board.role4": "role filter", "board.role5": "role filter", "board.role6": "role filter",
    "board.all_roles": "role filter",
    "plan.pin": "pin", "plan.split": "split", "plan.timer": "timer", "plan.replan": "recompute",
    "capacity.refresh": "recompute", "plan.today": "today", "plan.zoom_in": "zoom", "plan.zoom_out": "zoom",
}
# Keys that mean one idea everywhere whatever the binding they share: escape backs out one level (closes the
# filter, clears it, leaves the Day plan or Capacity for the board).
KEY_IDEAS = {"escape": "back out"}
