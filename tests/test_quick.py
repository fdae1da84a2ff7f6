"""The quick paths (add, list, move) write what the models read, and nothing for a schema they do not know.

On SQLite (`sqlite3`) and on PostgreSQL (libpq): the module runs on both backends (`pytest.mark.backends`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import SQLModel, select

from organizer import history
from organizer.config import Config
from organizer.demo import load_demo
from organizer.models import Board, Card, CardChannel, CardTag, HistoryEntry
from organizer.services import cards
from organizer.storage import quick
from organizer.storage.orm import Store
from organizer.validate import CardFilter, validate

pytestmark = pytest.mark.backends

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
APP = "tui:1a2b3c4d"
RAW = {
    "title": "Launch [draft] post — ünïcode",
    "role": "writer",
    "channels": ["linkedin", "x"],
    "tags": ["launch", "q4"],
    "due_at": "2026-12-01 10:00",
    "publish_at": "2026-12-02T08:30+01:00",
    "estimate_minutes": "1h30",
    "spent_minutes": "20m",
    "priority": "2",
    "popup": True,
    "campaign": "Winter Blend",
    "pillar": "product",
    "notes": "line one\nline two",
    "column": "prog",
}


def _seed(store: Store, cfg: Config) -> None:
    with store.write() as s:
        cards.add_card(s, cfg, validate({"title": "seed"}, cfg, now=NOW, require_title=True))


def test_card_columns_are_the_model_columns() -> None:
    assert set(quick._CARD_COLUMNS) == {c.name for c in SQLModel.metadata.tables["card"].columns}


def test_lean_card_reads_back_identically_through_the_models(store: Store, cfg: Config) -> None:
    _seed(store, cfg)
    fields = validate(RAW, cfg, now=NOW, require_title=True)
    conn = quick.connect(store.location)
    lean_json = quick.add(conn, cfg, fields)
    conn.close()
    with store.write() as s:
        full = cards.add_card(s, cfg, validate(RAW, cfg, now=NOW, require_title=True))
        full_ref = cards.card_ref(s, full)
    with store.read() as s:
        lean_card = s.exec(select(Card).where(Card.number == lean_json["number"])).one()
        full_card = s.exec(select(Card).where(Card.number == full.number)).one()
        varying = {"id", "number", "position", "created_at", "updated_at"}
        assert lean_card.model_dump(exclude=varying) == full_card.model_dump(exclude=varying)
        for ts in ("created_at", "updated_at", "due_at", "publish_at"):
            value = getattr(lean_card, ts)
            assert value is not None and value.utcoffset() is not None
        assert lean_card.due_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        links = s.exec(select(CardChannel.channel).where(CardChannel.card_id == lean_card.id)
                       .order_by(CardChannel.position)).all()
        assert links == ["linkedin", "x"]
        assert sorted(s.exec(select(CardTag.tag).where(CardTag.card_id == lean_card.id)).all()) == ["launch", "q4"]
        # The JSON the quick path printed is the JSON the full path shows for the same card.
        assert cards.card_view(s, cfg, lean_json["id"]) == lean_json
        assert cards.card_view(s, cfg, full_ref)["column"] == lean_json["column"] == "In progress"


def test_lean_history_entry_is_what_the_services_would_record(store: Store, cfg: Config) -> None:
    _seed(store, cfg)
    conn = quick.connect(store.location)
    added = quick.add(conn, cfg, validate(RAW, cfg, now=NOW, require_title=True))
    conn.close()
    with store.read() as s:
        entry = s.exec(select(HistoryEntry).order_by(HistoryEntry.id.desc())).first()  # type: ignore[union-attr]
        assert entry is not None and entry.summary == f"add {added['id']}"
        seed = s.exec(select(HistoryEntry).where(HistoryEntry.summary == "add MAIN-1")).one()
        assert (entry.origin, entry.place) == (seed.origin, seed.place) == ("cli", quick.shell_place())
        change = json.loads(entry.changes)[0]
        assert change["before"] is None
        assert change["after"] == history.snapshot(s, "card", change["id"])
    with store.write() as s:
        assert history.undo(s) == f"add {added['id']}"
    with store.read() as s:
        assert s.get(Card, change["id"]) is None
    with store.write() as s:
        history.redo(s)
    with store.read() as s:
        assert cards.card_view(s, cfg, added["id"])["tags"] == ["launch", "q4"]


def test_lean_writes_clear_only_their_own_places_redo(store: Store, cfg: Config) -> None:
    _seed(store, cfg)
    with store.write() as s:
        history.set_place(s, APP)
        cards.move_card(s, "MAIN-1", "Planned")
    with store.write() as s:
        history.undo(s, APP)
    with store.write() as s:
        history.undo(s)  # this shell's seed: the shell has something to redo too
    conn = quick.connect(store.location)
    quick.add(conn, cfg, validate({"title": "from the shell"}, cfg, now=NOW, require_title=True))
    conn.close()
    with store.read() as s:
        undone = s.exec(select(HistoryEntry.place).where(HistoryEntry.undone == True)).all()  # noqa: E712
    assert undone == [APP]  # the shell's own redo went, the app's stayed


@pytest.mark.parametrize("revision", ["0001", "9999"])
def test_lean_refuses_a_schema_revision_it_was_not_written_for(store: Store, cfg: Config, revision: str) -> None:
    from sqlalchemy import text

    _seed(store, cfg)
    with store.write() as s:
        current = s.connection().execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        s.connection().execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    try:
        with pytest.raises(quick.NotQuick, match=revision):
            quick.connect(store.location)
        with store.read() as s:
            assert len(s.exec(select(Card)).all()) == 1
    finally:
        with store.write() as s:
            s.connection().execute(text("UPDATE alembic_version SET version_num = :r"), {"r": current})


@pytest.mark.sqlite_only
def test_lean_needs_an_existing_database(tmp_path: Path) -> None:
    with pytest.raises(quick.NotQuick):
        quick.connect(str(tmp_path / "absent.db"))
    assert not (tmp_path / "absent.db").exists()


def test_lean_rolls_back_on_bad_column(store: Store, cfg: Config) -> None:
    _seed(store, cfg)
    conn = quick.connect(store.location)
    with pytest.raises(ValueError, match="Nope"):
        quick.add(conn, cfg, validate({"title": "x", "column": "Nope"}, cfg, now=NOW, require_title=True))
    assert conn.rows("SELECT COUNT(*) FROM card")[0][0] == 1
    assert conn.rows("SELECT next_number FROM board")[0][0] == 2
    conn.close()


FILTERS = [
    CardFilter(),
    CardFilter(include_done=True),
    CardFilter(board="CEO"),
    CardFilter(role="producer"),
    CardFilter(channel="linkedin"),
    CardFilter(column="review"),
    CardFilter(popup=True),
    CardFilter(due_before=datetime(2026, 11, 28, tzinfo=UTC)),
    CardFilter(board="NWC", role="writer", include_done=True),
]


@pytest.mark.parametrize("flt", FILTERS)
def test_lean_list_equals_the_services_list(store: Store, cfg: Config, flt: CardFilter) -> None:
    load_demo(store, cfg, now=NOW)
    conn = quick.connect(store.location)
    fast = quick.list_cards(conn, cfg, flt)
    conn.close()
    with store.read() as s:
        assert fast == cards.list_cards(s, cfg, flt)
    assert fast or flt.popup is None


@pytest.mark.parametrize(("ref", "column", "index"), [("NWC-1", "Planned", 1), ("NWC-1", "Planned", 99),
                                                      ("NWC-1", "Ideas", 0), ("NWC-20", "Published", 0)])
def test_lean_move_equals_the_services_move(store: Store, backend: str, tmp_path: Path, request: pytest.FixtureRequest,
                                           cfg: Config, ref: str, column: str, index: int) -> None:
    from organizer.storage.orm import open_store

    other = str(tmp_path / "full.db") if backend == "sqlite" else str(request.getfixturevalue("pg_fresh_url"))
    stores = [store, open_store(other)]
    for st in stores:
        load_demo(st, cfg, now=NOW)
    lean_store, full_store = stores
    with lean_store.read() as s:
        card = cards.find_card(s, ref)
        from organizer.services import boards as board_service

        target = board_service.find_column(s, s.get(Board, card.board_id), column)  # type: ignore[arg-type]
    conn = quick.connect(lean_store.location)
    quick.move(conn, card.id, target.id, index, place=APP)  # type: ignore[arg-type]
    conn.close()
    with full_store.write() as s:
        history.set_place(s, APP)
        cards.move_card(s, ref, column, index=index, origin="tui")
    views, entries = [], []
    for st in stores:
        with st.read() as s:
            v = cards.card_view(s, cfg, ref)
            # Timestamps differ between the two databases (made moments apart); everything else must not.
            views.append({k: v[k] for k in v if k not in ("created", "updated", "completed")}
                         | {"done": v["completed"] is not None})
            entry = s.exec(select(HistoryEntry).order_by(HistoryEntry.id.desc())).first()  # type: ignore[union-attr]
            change = json.loads(entry.changes)[0]  # type: ignore[union-attr]
            for snap in (change["before"], change["after"]):
                for stamp in ("created_at", "updated_at", "completed_at"):
                    snap.pop(stamp)
            entries.append((entry.summary, entry.origin, entry.place, change))  # type: ignore[union-attr]
            order = [c["id"] for c in cards.list_cards(s, cfg, CardFilter(include_done=True, column=column))]
            views[-1]["order"] = order
    assert views[0] == views[1]
    assert entries[0] == entries[1] and entries[0][2] == APP
    with lean_store.write() as s:
        assert history.undo(s, APP).startswith(f"move {ref}")
    with lean_store.read() as s:
        assert cards.card_view(s, cfg, ref)["column"] != column or (ref == "NWC-1" and column == "Ideas")
    full_store.close()
