"""The card's fields, declared once: what each is called in the database, the porcelain, the CLI and the form.

`FIELDS` lists every field of a card in the order of its JSON porcelain (`organizer show --json`, the export's
keys and CSV columns): that order is a contract, so a new field goes at the end of the porcelain fields. From it
come the quick path's column list, the export and import keys, the services' plain fields, the `add`/`edit` flags,
the form's error targets, the order of `porcelain.card_json` and the kind of validation `validate.validate` applies.
`organizer.models.Card` stays the SQLModel class (an ORM class cannot be derived cheaply); tests/test_cardspec.py
fails when its columns and `FIELDS` disagree.

Adding a field: a `FieldSpec` here, the column in `models.Card` and a migration, and the UI that shows it.

Stdlib only: the quick-add path (`organizer add`) loads this module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CliFlag:
    """How `organizer add` and `edit` take a field.

    `help` is the flag's help; on `edit` a clearable field's help says that `none` clears it, and `edit_help`
    replaces the help there when the meaning differs. `nonempty` refuses an empty value (`--board ''`); a list
    flag takes `''` on edit, which empties the list. `edit_only` flags are left off `add`; `add_positional` is the
    help of the positional argument `add` takes the field as instead (the title).
    """

    flags: tuple[str, ...]
    help: str
    metavar: str | None = None
    edit_help: str | None = None
    nonempty: bool = False
    edit_only: bool = False
    add_positional: str | None = None

    @property
    def label(self) -> str:
        """The long flag, e.g. `--due`: validation messages about a typed value start with it."""
        return self.flags[0]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a card.

    - `name`: the field's name in `validate.CardFields` and in the raw dict `validate.validate` reads (for a field
      the user cannot set, a name of its own).
    - `column`: its column in the `card` table, or None (channels and tags live in tables of their own; the
      porcelain's `id` is made from the board key and number).
    - `json`: its key in the JSON porcelain, the export and the CSV header, or None when it is not shown.
    - `kind`: how typed input is validated (`validate.validate` has one reader per kind), or None when the field
      is not typed by users. `shown`: how the porcelain writes it (`value`, `instant`, `bool`, or one of the
      values `card_json` is given: `ref`, `board`, `column`, `channels`, `tags`, `parent`, `variants`).
    - `clearable`: `edit --flag none` (and the form's emptied box) clears it. `limit`: the longest text accepted.
    - `cli`: its `add`/`edit` flag. `form`: the card form's widget id (`#form-<form>`), where an error about it
      puts the focus.
    """

    name: str
    column: str | None = None
    json: str | None = None
    kind: str | None = None
    shown: str = "value"
    clearable: bool = False
    limit: int | None = None
    cli: CliFlag | None = None
    form: str | None = None

    @property
    def plain(self) -> bool:
        """Typed by users and stored as typed in its own column: the services copy it onto the card row."""
        return self.kind is not None and self.column == self.name


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("id", column="id"),
    FieldSpec("ref", json="id", shown="ref"),
    FieldSpec("board", column="board_id", json="board", kind="board", shown="board",
              cli=CliFlag(("--board", "-b"), "board key, e.g. NWC (default: the default board)", metavar="KEY",
                          nonempty=True)),
    FieldSpec("number", column="number", json="number"),
    FieldSpec("title", column="title", json="title", kind="title", form="title",
              cli=CliFlag(("--title",), "new title", edit_only=True, add_positional="the card's title (quote it)")),
    FieldSpec("column", column="column_id", json="column", kind="column", shown="column", form="column",
              cli=CliFlag(("--column",), "workflow column (a unique prefix will do)", metavar="COL", nonempty=True)),
    FieldSpec("position", column="position"),
    FieldSpec("role", column="role", json="role", kind="role", clearable=True, form="role",
              cli=CliFlag(("--role", "-r"), "role: strategist, writer, producer, planner, community, analyst",
                          nonempty=True)),
    FieldSpec("channels", json="channels", kind="channels", shown="channels", form="channels",
              cli=CliFlag(("--channel", "-c"), "network, repeatable or comma-separated: x, linkedin, instagram, "
                          "facebook, tiktok, youtube, mastodon, bluesky, threads", metavar="CHANNEL",
                          edit_help="network, repeatable or comma-separated: x, linkedin, instagram, facebook, "
                          "tiktok, youtube, mastodon, bluesky, threads (replaces the list; '' empties it)",
                          nonempty=True)),
    FieldSpec("tags", json="tags", kind="tags", shown="tags", form="tags",
              cli=CliFlag(("--tag", "-t"), "tag, repeatable", metavar="TAG")),
    FieldSpec("estimate_minutes", column="estimate_minutes", json="estimate_minutes", kind="duration",
              clearable=True, form="estimate",
              cli=CliFlag(("--estimate", "-e"), "estimate, e.g. 45m, 1h30, 90", metavar="DUR")),
    FieldSpec("spent_minutes", column="spent_minutes", json="spent_minutes", kind="duration", clearable=True,
              form="spent", cli=CliFlag(("--spent",), "time already spent", metavar="DUR")),
    FieldSpec("due_at", column="due_at", json="due", kind="when", shown="instant", clearable=True, form="due",
              cli=CliFlag(("--due", "-d"), "due time, e.g. 'tomorrow 10:00', fri, eod, +2d", metavar="WHEN")),
    FieldSpec("publish_at", column="publish_at", json="publish", kind="when", shown="instant", clearable=True,
              form="publish", cli=CliFlag(("--publish", "-p"), "when the content goes live", metavar="WHEN")),
    FieldSpec("campaign", column="campaign", json="campaign", kind="text", clearable=True, limit=200,
              form="campaign", cli=CliFlag(("--campaign",), "campaign", metavar="NAME")),
    FieldSpec("pillar", column="pillar", json="pillar", kind="text", clearable=True, limit=80, form="pillar",
              cli=CliFlag(("--pillar",), "content-mix pillar, e.g. education", metavar="NAME")),
    FieldSpec("priority", column="priority", json="priority", kind="priority", form="priority",
              cli=CliFlag(("--priority", "-P"), "1 urgent, 2 high, 3 normal (default), 4 low", metavar="N")),
    FieldSpec("popup", column="popup", json="popup", kind="flag", shown="bool", form="popup",
              cli=CliFlag(("--popup",), "an unplanned pop-up task",
                          edit_help="mark (or --no-popup unmark) as a pop-up")),
    FieldSpec("parent", column="parent_id", json="parent", kind="ref", shown="parent", clearable=True,
              form="parent", cli=CliFlag(("--parent",), "make this card a step of card ID", metavar="ID")),
    FieldSpec("step", column="step", json="step"),
    FieldSpec("notes", column="notes", json="notes", kind="notes", form="notes",
              cli=CliFlag(("--notes", "-n"), "notes", metavar="TEXT")),
    FieldSpec("created_at", column="created_at", json="created", shown="instant"),
    FieldSpec("updated_at", column="updated_at", json="updated", shown="instant"),
    FieldSpec("completed_at", column="completed_at", json="completed", shown="instant"),
    # Added by issue 12 (the porcelain grows at its end: nothing before moves).
    FieldSpec("post", column="post", json="post", kind="notes",
              cli=CliFlag(("--post",), "the post's master text: the message, before any network's variant "
                          "(organizer variant sets those)", metavar="TEXT")),
    FieldSpec("variants", json="variants", shown="variants"),
    # Added by issue 13.
    FieldSpec("approvals", json="approvals", shown="approvals"),
)

BY_NAME: dict[str, FieldSpec] = {f.name: f for f in FIELDS}
# The `card` table's columns (what the quick path reads and snapshots for history).
CARD_COLUMNS: tuple[str, ...] = tuple(f.column for f in FIELDS if f.column)
# The `post_variant` table's columns, in the model's order (a card's history snapshot keeps its variants so).
VARIANT_COLUMNS: tuple[str, ...] = ("card_id", "channel", "position", "text", "first_comment", "alt_text", "publish_at",
                                    "status", "url")
VARIANT_STATUSES: tuple[str, ...] = ("draft", "ready", "scheduled", "published")
# The `approval` table's columns (a card's history snapshot keeps its verdicts so).
APPROVAL_COLUMNS: tuple[str, ...] = ("id", "card_id", "at", "by", "verdict", "note")
# The JSON porcelain's keys in order: `card_json`, the export's keys and CSV columns, what an import accepts.
JSON_KEYS: tuple[str, ...] = tuple(f.json for f in FIELDS if f.json)
# Fields users type (`validate.validate` reads them, in this order, and `validate.CardFields` holds them).
INPUTS: tuple[FieldSpec, ...] = tuple(f for f in FIELDS if f.kind)
# Typed fields copied as they are onto the card row (on edit, and cleared to None by `none`).
PLAIN: tuple[str, ...] = tuple(f.name for f in FIELDS if f.plain)
# Stored instants: columns holding datetimes (stored as text by the quick path and in history snapshots).
INSTANT_COLUMNS: tuple[str, ...] = tuple(f.column for f in FIELDS if f.column and f.shown == "instant")
# The `add`/`edit` flags, in porcelain order.
CLI_FIELDS: tuple[FieldSpec, ...] = tuple(f for f in FIELDS if f.cli)
# Field name → the card form's widget id an error about it focuses.
FORM_TARGETS: dict[str, str] = {f.name: f.form for f in FIELDS if f.form}
