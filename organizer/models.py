"""The domain model: SQLModel tables for boards, columns, cards, events, plan blocks and history.

This module is the schema's one source of truth: the alembic migrations are checked against
it in tests, and the quick quick-add path (`organizer.storage.quick`) is tested to write rows that read
back identically through these classes. Column names are part of that contract.
"""

# No `from __future__ import annotations` here: SQLModel reads the annotations at class creation.
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, DateTime, ForeignKey, ForeignKeyConstraint, Index, Integer, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from organizer.instants import readable, to_storage


class AwareDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every dialect.

    SQLite has no zone-aware type, so instants are stored there as naive UTC text in
    SQLAlchemy's usual format; PostgreSQL gets `timestamptz`. A naive value is refused:
    every stored datetime must say which instant it means.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC through the one storage encoding; drop the zone on SQLite, which cannot store it."""
        if value is None:
            return None
        value = to_storage(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """On SQLite, read the stored text leniently: an unreadable value becomes None, not a crash.

        SQLAlchemy's own SQLite parser raises on text it cannot read, which would make one bad row
        (edited by hand, or written by an older bug) break every command that loads its table;
        `organizer.integrity` reports such rows by card and field instead.
        """
        if dialect.name == "sqlite":
            return readable
        return super().result_processor(dialect, coltype)


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def _ts(nullable: bool = True, **kw: Any) -> Any:
    return Field(default=None, sa_column=Column(AwareDateTime(), nullable=nullable, **kw))


class Board(SQLModel, table=True):
    """A board: a brand, a client, an executive's ghost-written voice."""

    __tablename__ = "board"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=12, unique=True, description="short key used in card IDs, e.g. ACME")
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    # The number the next card gets (ACME-<n>); bumped inside the adding transaction.
    next_number: int = Field(default=1)
    created_at: datetime | None = _ts(nullable=False)


class BoardColumn(SQLModel, table=True):
    """One workflow column of a board, in order, with an optional WIP limit."""

    __tablename__ = "board_column"
    __table_args__ = (UniqueConstraint("board_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(sa_column=Column(Integer, ForeignKey("board.id", ondelete="CASCADE"), nullable=False))
    name: str = Field(max_length=80)
    position: int
    wip_limit: int | None = None
    # Cards in a done column count as complete (Published, Measured).
    is_done: bool = False


class Card(SQLModel, table=True):
    """A content task: a post, a step of a video, a reply session, a report."""

    __tablename__ = "card"
    __table_args__ = (
        UniqueConstraint("board_id", "number"),
        Index("ix_card_column_position", "column_id", "position"),
        Index("ix_card_parent", "parent_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(sa_column=Column(Integer, ForeignKey("board.id", ondelete="CASCADE"), nullable=False))
    number: int
    column_id: int = Field(sa_column=Column(Integer, ForeignKey("board_column.id"), nullable=False))
    # Order within the column; floats so a move writes one row instead of renumbering a column.
    position: float
    title: str = Field(sa_type=Text)
    notes: str = Field(default="", sa_type=Text)
    # The post's master text: the message, told once; each network's variant is a PostVariant.
    post: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})
    role: str | None = Field(default=None, max_length=24)
    estimate_minutes: int | None = None
    spent_minutes: int = 0
    due_at: datetime | None = _ts()
    publish_at: datetime | None = _ts()
    campaign: str | None = Field(default=None, max_length=200)
    pillar: str | None = Field(default=None, max_length=80)
    priority: int = 3
    popup: bool = False
    parent_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("card.id", ondelete="CASCADE"), nullable=True)
    )
    # Order of a step within its parent piece (1, 2, 3 …); None for a top-level card.
    step: int | None = None
    created_at: datetime | None = _ts(nullable=False)
    updated_at: datetime | None = _ts(nullable=False)
    completed_at: datetime | None = _ts()


class CardChannel(SQLModel, table=True):
    """A network a card's content goes out on (later: that network's variant of the post)."""

    __tablename__ = "card_channel"

    card_id: int = Field(
        sa_column=Column(Integer, ForeignKey("card.id", ondelete="CASCADE"), primary_key=True)
    )
    channel: str = Field(primary_key=True, max_length=24)
    position: int = 0


class PostVariant(SQLModel, table=True):
    """The card's post as it goes out on one network: its own text, first comment, alt text, time and status."""

    __tablename__ = "post_variant"

    card_id: int = Field(
        sa_column=Column(Integer, ForeignKey("card.id", ondelete="CASCADE"), primary_key=True)
    )
    channel: str = Field(primary_key=True, max_length=24)
    position: int = 0
    text: str = Field(default="", sa_type=Text)
    first_comment: str = Field(default="", sa_type=Text)
    alt_text: str = Field(default="", sa_type=Text)
    # None: the card's publish time.
    publish_at: datetime | None = _ts()
    status: str = Field(default="draft", max_length=12)  # draft, ready, scheduled, published
    url: str | None = Field(default=None, sa_type=Text)  # the published post's address


class Approval(SQLModel, table=True):
    """A reviewer's verdict on a card: approved, or rejected with a note (the approval gate, per board)."""

    __tablename__ = "approval"

    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(sa_column=Column(Integer, ForeignKey("card.id", ondelete="CASCADE"), nullable=False,
                                          index=True))
    at: datetime | None = _ts(nullable=False)
    by: str = Field(max_length=80)
    verdict: str = Field(max_length=8)  # approve | reject
    note: str = Field(default="", sa_type=Text)


class MetricSnapshot(SQLModel, table=True):
    """A published variant's numbers at one moment, from one source (manual, csv, mastodon, bluesky).

    Several per post over time: the latest is the current one, and comparisons at an age (48 h after
    publishing) take the one closest to it. A source's reading at the same moment replaces its earlier one.
    """

    __tablename__ = "metric_snapshot"
    __table_args__ = (
        ForeignKeyConstraint(["card_id", "channel"], ["post_variant.card_id", "post_variant.channel"],
                             ondelete="CASCADE"),
        UniqueConstraint("card_id", "channel", "taken_at", "source", name="uq_metric_snapshot_reading"),
        Index("ix_metric_snapshot_variant", "card_id", "channel", "taken_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    card_id: int
    channel: str = Field(max_length=24)
    taken_at: datetime | None = _ts(nullable=False)
    source: str = Field(max_length=12)
    impressions: int | None = None
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    quotes: int | None = None
    bookmarks: int | None = None
    link_clicks: int | None = None
    saves: int | None = None
    follows: int | None = None


class Experiment(SQLModel, table=True):
    """An organic A/B test: a hypothesis, the one variable it changes, its arms, metric and evaluation age."""

    __tablename__ = "experiment"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True)
    hypothesis: str = Field(default="", sa_type=Text)
    variable: str = Field(max_length=24)
    metric: str = Field(default="engagement_rate", max_length=24)
    eval_hours: int = 48
    min_posts: int = 8
    status: str = Field(default="open", max_length=8)  # open | closed
    conclusion: str = Field(default="", sa_type=Text)
    created_at: datetime | None = _ts(nullable=False)
    closed_at: datetime | None = _ts()


class ExperimentArm(SQLModel, table=True):
    """One arm of an experiment (A, B, …) and what its posts do differently."""

    __tablename__ = "experiment_arm"
    __table_args__ = (UniqueConstraint("experiment_id", "label", name="uq_experiment_arm_label"),)

    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int = Field(sa_column=Column(Integer, ForeignKey("experiment.id", ondelete="CASCADE"),
                                                nullable=False))
    label: str = Field(max_length=24)
    description: str = Field(default="", sa_type=Text)
    position: int = 0


class ExperimentPost(SQLModel, table=True):
    """A post (one variant) assigned to an arm: a variant is in an experiment once."""

    __tablename__ = "experiment_post"
    __table_args__ = (
        ForeignKeyConstraint(["card_id", "channel"], ["post_variant.card_id", "post_variant.channel"],
                             ondelete="CASCADE"),
    )

    experiment_id: int = Field(sa_column=Column(Integer, ForeignKey("experiment.id", ondelete="CASCADE"),
                                                primary_key=True))
    card_id: int = Field(primary_key=True)
    channel: str = Field(primary_key=True, max_length=24)
    arm_id: int = Field(sa_column=Column(Integer, ForeignKey("experiment_arm.id", ondelete="CASCADE"),
                                         nullable=False))


class CardTag(SQLModel, table=True):
    """A free-form tag on a card."""

    __tablename__ = "card_tag"

    card_id: int = Field(
        sa_column=Column(Integer, ForeignKey("card.id", ondelete="CASCADE"), primary_key=True)
    )
    tag: str = Field(primary_key=True, max_length=60)


class BusyEvent(SQLModel, table=True):
    """Fixed time: a meeting typed in by hand or an occurrence from an imported calendar."""

    __tablename__ = "busy_event"
    __table_args__ = (Index("ix_busy_event_start", "start_at"), Index("ix_busy_event_source", "source"))

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=500)
    title: str = Field(default="", sa_type=Text)
    start_at: datetime | None = _ts(nullable=False)
    end_at: datetime | None = _ts(nullable=False)
    all_day: bool = False
    # "manual", or the name of the imported calendar the event came from.
    source: str = Field(default="manual", max_length=200)
    created_at: datetime | None = _ts(nullable=False)


class PlanBlock(SQLModel, table=True):
    """A placed span of a day plan: work on a card, reserve, a pop-up, or a busy event."""

    __tablename__ = "plan_block"
    __table_args__ = (Index("ix_plan_block_day", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    start_at: datetime | None = _ts(nullable=False)
    end_at: datetime | None = _ts(nullable=False)
    kind: str = Field(max_length=12, description="work, reserve, popup or busy")
    card_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("card.id", ondelete="CASCADE"), nullable=True)
    )
    event_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("busy_event.id", ondelete="CASCADE"), nullable=True)
    )
    pinned: bool = False
    # When the block got its place: a re-plan keeps unchanged blocks (and this), so calendar clients see
    # a new SEQUENCE only for events that moved.
    changed_at: datetime | None = _ts()


class HistoryEntry(SQLModel, table=True):
    """One user action, with row snapshots before and after, so undo/redo work across processes."""

    __tablename__ = "history"
    # Undo takes a place's newest entry and a new action clears the place's redo stack: both by place.
    __table_args__ = (Index("ix_history_place", "place", "undone"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = _ts(nullable=False)
    origin: str = Field(default="cli", max_length=12)
    # Where the change was made: "cli:<terminal session>" or "tui:<app session>"; undo looks here.
    # Entries written before places were kept have their origin ("cli", "tui") as place.
    place: str = Field(default="cli", max_length=40, sa_column_kwargs={"server_default": "cli"})
    summary: str = Field(sa_type=Text)
    # JSON list of {"table", "id", "before", "after"}; see organizer.history.
    changes: str = Field(sa_type=Text)
    undone: bool = False
    # When it was undone: `redo --any` takes the most recently undone entry.
    undone_at: datetime | None = _ts()


class TimeEntry(SQLModel, table=True):
    """Time tracked on a card: a running timer has no end yet (one at a time)."""

    __tablename__ = "time_entry"
    __table_args__ = (Index("ix_time_entry_card", "card_id"), Index("ix_time_entry_running", "ended_at"))

    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(sa_column=Column(Integer, ForeignKey("card.id", ondelete="CASCADE"), nullable=False))
    started_at: datetime | None = _ts(nullable=False)
    ended_at: datetime | None = _ts()
    minutes: int | None = None


class CalendarSource(SQLModel, table=True):
    """An imported calendar (a file or a subscribed URL); its events are busy time named after it."""

    __tablename__ = "calendar_source"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    url: str | None = Field(default=None, sa_type=Text)
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    refreshed_at: datetime | None = _ts()
    event_count: int = 0


class Setting(SQLModel, table=True):
    """Workspace-wide values the app keeps for itself (an id for calendar UIDs, the feed token)."""

    __tablename__ = "setting"

    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(sa_type=Text)
