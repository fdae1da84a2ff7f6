"""The storage contract (organizer.storage.contract) on SQLite and PostgreSQL: one behaviour, two adapters.

Every test here runs on both backends (`pytest.mark.backends`). It drives the adapter `open_storage` picks, as
the CLI and the app do: the plain paths (`sqlite3`, libpq) where the database is at this code's revision, the
ORM where it is not, the change feed that live refresh waits on, and libpq's text conversions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from organizer.config import Config
from organizer.demo import load_demo
from organizer.services import cards
from organizer.storage import quick
from organizer.storage.adapters import open_storage
from organizer.storage.contract import Storage
from organizer.storage.orm import Store
from organizer.validate import CardFilter, validate

pytestmark = pytest.mark.backends

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def storage(store: Store) -> Iterator[Storage]:
    """The adapter for the test's (migrated) database."""
    s = open_storage(store.location)
    yield s
    s.close()


def _fields(cfg: Config, **raw: object) -> object:
    return validate({"title": "A card", **raw}, cfg, now=NOW, require_title=True)


def test_the_adapter_is_the_one_for_the_database(storage: Storage, backend: str) -> None:
    assert storage.dialect == backend
    assert type(storage).__name__ == {"sqlite": "SQLiteStorage", "postgresql": "PostgresStorage"}[backend]


def test_add_list_move_and_the_board_agree_with_the_services(storage: Storage, store: Store, cfg: Config) -> None:
    load_demo(store, cfg, now=NOW)
    added = storage.add_card(cfg, _fields(cfg, board="NWC", tags=["x"], channels=["linkedin"],  # type: ignore[arg-type]
                                          due_at="2026-12-01 10:00"), place="cli:test")
    with store.read() as s:
        assert cards.card_view(s, cfg, added["id"]) == added
        assert storage.list_cards(cfg, CardFilter(board="NWC")) == cards.list_cards(s, cfg, CardFilter(board="NWC"))
    board = storage.load_board(cfg, "NWC")
    assert board is not None
    card = next(c for col in board.columns for c in col.cards if c.ref == added["id"])
    target = board.columns[2]
    storage.move_card(card.id, target.id, 0, place="tui:test")
    moved = storage.load_board(cfg, "NWC")
    assert moved is not None and moved.columns[2].cards[0].ref == added["id"]
    assert [hit.ref for hit in storage.search_cards(added["id"])][:1] == [added["id"]]


def test_a_refused_add_leaves_nothing_behind(storage: Storage, store: Store, cfg: Config) -> None:
    storage.add_card(cfg, _fields(cfg))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Nope"):
        storage.add_card(cfg, _fields(cfg, column="Nope"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ZZZ"):
        storage.add_card(cfg, _fields(cfg, board="ZZZ"))  # type: ignore[arg-type]
    assert [c["id"] for c in storage.list_cards(cfg, CardFilter())] == ["MAIN-1"]
    added = storage.add_card(cfg, _fields(cfg))  # type: ignore[arg-type]
    assert added["id"] == "MAIN-2"  # the refused adds took no number


def test_concurrent_adds_never_share_a_number(storage: Storage, store: Store, cfg: Config) -> None:
    storage.add_card(cfg, _fields(cfg))  # type: ignore[arg-type]  # the default board, made once
    errors: list[BaseException] = []

    def adder() -> None:
        mine = open_storage(store.location)
        try:
            for _ in range(10):
                mine.add_card(cfg, _fields(cfg))  # type: ignore[arg-type]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            mine.close()

    threads = [threading.Thread(target=adder) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    numbers = sorted(c["number"] for c in storage.list_cards(cfg, CardFilter()))
    assert numbers == list(range(1, 42))


def test_the_change_feed_hears_other_writers_and_not_what_was_seen(storage: Storage, store: Store,
                                                                   cfg: Config) -> None:
    storage.add_card(cfg, _fields(cfg))  # type: ignore[arg-type]
    feed = storage.changes()
    try:
        assert feed.wait(0.05) is False  # nothing new
        other = open_storage(store.location)
        try:
            other.add_card(cfg, _fields(cfg))  # type: ignore[arg-type]
        finally:
            other.close()
        assert feed.wait(0.05) is True
        assert feed.wait(0.05) is False  # told once
        storage.add_card(cfg, _fields(cfg))  # type: ignore[arg-type]
        feed.seen()  # this app's own write
        assert feed.wait(0.05) is False
    finally:
        feed.close()


@pytest.mark.postgresql_only
def test_postgresql_wakes_the_feed_at_the_commit_not_at_the_next_look(storage: Storage, store: Store,
                                                                      cfg: Config) -> None:
    storage.add_card(cfg, _fields(cfg))  # type: ignore[arg-type]
    feed = storage.changes()
    assert type(feed).__name__ == "PgChanges"
    woke: list[float] = []

    def waiter() -> None:
        start = time.monotonic()
        if feed.wait(20):
            woke.append(time.monotonic() - start)

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.2)
    with store.write() as s:  # another client, through the ORM
        cards.add_card(s, cfg, _fields(cfg))  # type: ignore[arg-type]
    t.join(10)
    feed.close()
    assert woke and woke[0] < 5, "the NOTIFY of migration 0008 should wake the feed at once"


def test_an_older_database_is_served_through_the_orm(storage: Storage, store: Store, cfg: Config,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(location: str) -> object:
        raise quick.NotQuick("as if the database were at another revision")

    monkeypatch.setattr(quick, "connect", refuse)
    monkeypatch.setattr(quick, "connect_sqlite", refuse)
    added = storage.add_card(cfg, _fields(cfg, tags=["t"]))  # type: ignore[arg-type]
    assert [c["id"] for c in storage.list_cards(cfg, CardFilter(), lambda card: "t" in card.tags)] == [added["id"]]
    board = storage.load_board(cfg, None)
    assert board is not None and board.columns[0].cards[0].ref == added["id"]
    storage.move_card(board.columns[0].cards[0].id, board.columns[1].id, 0, place="tui:test")
    moved = storage.load_board(cfg, None)
    assert moved is not None and moved.columns[1].cards[0].ref == added["id"]


@pytest.mark.postgresql_only
def test_libpq_reads_back_what_it_writes(store: Store) -> None:
    from organizer.storage import libpq

    conn = libpq.Connection(store.location)
    try:
        names, rows = conn.execute(
            "SELECT $1::int AS i, $2::bool AS b, $3::float8 AS f, $4::timestamptz AS t, $5::date AS d, "
            "$6::text AS s, $7::text AS n",
            [42, True, 1.5, datetime(2026, 3, 29, 0, 30, tzinfo=UTC), date(2026, 2, 28), "ünï'; --", None])
        assert names == ["i", "b", "f", "t", "d", "s", "n"]
        assert rows == [(42, True, 1.5, datetime(2026, 3, 29, 0, 30, tzinfo=UTC), date(2026, 2, 28), "ünï'; --",
                         None)]
        with pytest.raises(libpq.PqError) as refused:
            conn.execute("SELECT * FROM no_such_table")
        assert refused.value.sqlstate == "42P01"
        with pytest.raises(ValueError, match="naive"):
            conn.execute("SELECT $1::timestamptz", [datetime(2026, 1, 1)])
    finally:
        conn.close()
    with pytest.raises(libpq.PqError):
        libpq.Connection("postgresql://postgres@127.0.0.1/organizer_no_such_database")


@pytest.mark.postgresql_only
def test_without_libpq_postgresql_is_served_through_the_orm(storage: Storage, cfg: Config,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGANIZER_NO_LIBPQ", "1")
    with pytest.raises(quick.NotQuick):
        quick.connect(storage.location)
    added = storage.add_card(cfg, _fields(cfg))  # type: ignore[arg-type]
    assert [c["id"] for c in storage.list_cards(cfg, CardFilter())] == [added["id"]]
    feed = storage.changes()
    try:
        assert type(feed).__name__ == "PollingFeed" and feed.wait(0.01) is False
    finally:
        feed.close()


@pytest.mark.postgresql_only
def test_libpq_bulk_reads_give_the_rows_cell_by_cell_reads_give(store: Store) -> None:
    from organizer.storage import libpq

    sql = ("SELECT * FROM (VALUES (1, 'tab\there', true, 1.0::float8, '2026-03-29 00:30:00.000001+00'::timestamptz, "
           "'2026-02-28'::date, NULL::text), "
           "(2, E'line\\nbreak \"quoted\" \\\\ ünï 🙂', false, 2.5::float8, NULL, NULL, 'x')"
           ") AS v(n, s, b, f, t, d, z) WHERE n >= $1 ORDER BY n DESC")
    conn = libpq.Connection(store.location)
    try:
        plain = conn.execute(sql, [0])
        bulk = conn.execute_bulk(sql, [0])
        assert bulk == plain
        assert bulk[1][1][4] == datetime(2026, 3, 29, 0, 30, 0, 1, tzinfo=UTC)
        assert isinstance(bulk[1][0][3], float) and bulk[1][0][0] == 2  # the query's order, floats as floats
        assert conn.execute_bulk(sql, [9]) == (plain[0], [])
    finally:
        conn.close()
