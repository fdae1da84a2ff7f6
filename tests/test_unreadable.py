"""Dates outside the stored range are refused; a row that cannot be read never takes the workspace down."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from organizer import instants
from organizer.instants import EARLIEST, LATEST, UnstorableInstant
from organizer.models import Card
from organizer.storage.orm import open_store

ZONES = ["UTC", "Europe/Paris", "Asia/Tokyo", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Los_Angeles"]


@pytest.mark.parametrize("when", ["0226-01-15", "0001-01-01 09:00", "9999-12-31 23:59", "1 dec 2300",
                                  "1969-12-31T12:00Z"])
def test_add_refuses_a_date_outside_the_range_and_saves_nothing(cli, when: str) -> None:  # type: ignore[no-untyped-def]
    cli("add", "First card")
    r = cli("add", "Plan Q1 recap", "--due", when)
    assert r.code == 2
    assert "outside the accepted range: dates from 1970-01-01 to 2200-12-31" in r.err
    assert json.loads(cli("list", "--json").out)[-1]["title"] == "First card"  # nothing half-written


def test_the_same_refusal_on_edit_and_publish(cli) -> None:  # type: ignore[no-untyped-def]
    cli("add", "A card")
    r = cli("edit", "1", "--publish", "0226-01-15 10:00")
    assert r.code == 2 and "--publish" in r.err and "0226-01-15" in r.err
    assert json.loads(cli("show", "1", "--json").out)["publish"] is None


def test_the_range_edges_are_accepted_in_every_zone(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("add", "Early", "--due", "1970-01-02 09:00").code == 0
    assert cli("add", "Late", "--due", "2200-12-30 09:00").code == 0
    dues = [c["due"] for c in json.loads(cli("list", "--json").out)]
    assert dues == ["1970-01-02T09:00:00+01:00", "2200-12-30T09:00:00+01:00"]


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 12, 30)), st.sampled_from(ZONES))
def test_storage_text_round_trips_through_both_read_paths(moment: datetime, zone: str) -> None:
    aware = moment.replace(tzinfo=ZoneInfo(zone))
    stored = instants.db_text(aware)
    assert stored is not None and len(stored) == 26 and stored[4] == "-"
    assert instants.db_datetime(stored) == aware  # the quick path's reader
    assert instants.readable(stored) == aware  # the lenient reader the ORM uses on SQLite
    assert instants.to_storage(aware) == aware


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), st.sampled_from(ZONES))
def test_storage_refuses_exactly_what_it_could_not_read_back(moment: datetime, zone: str) -> None:
    aware = moment.replace(tzinfo=ZoneInfo(zone))
    try:
        in_range = EARLIEST <= aware.date() <= LATEST and EARLIEST <= aware.astimezone(UTC).date() <= LATEST
    except OverflowError:
        in_range = False
    if in_range:
        assert instants.readable(instants.db_text(aware)) == aware
    else:
        with pytest.raises(UnstorableInstant):
            instants.db_text(aware)


def test_the_orm_refuses_to_store_an_out_of_range_instant(store) -> None:  # type: ignore[no-untyped-def]
    from organizer.models import AwareDateTime

    with pytest.raises(UnstorableInstant):
        AwareDateTime().process_bind_param(datetime(9999, 12, 31, 23, 59, tzinfo=ZoneInfo("Asia/Tokyo")) +
                                           timedelta(0), store.engine.dialect)


def _break(db: Path, sql: str) -> None:
    conn = sqlite3.connect(db)
    conn.execute(sql)
    conn.commit()
    conn.close()


BROKEN = [
    ("due_at", "226-01-15 09:00:00.000000"),  # the old quick-add bug: a year without zero padding
    ("due_at", "9999-12-31 23:59:00.000000"),  # overflows once shifted to Asia/Tokyo
    ("publish_at", "2026-02-31"),
    ("created_at", "garbage"),
]


@pytest.mark.parametrize(("column", "raw"), BROKEN)
def test_a_broken_value_names_the_card_and_the_rest_works(cli, db_path: Path, isolated_paths: Path,
                                                         column: str, raw: str) -> None:  # type: ignore[no-untyped-def]
    (isolated_paths / "config.toml").write_text('timezone = "Asia/Tokyo"\n')
    cli("add", "Fine card", "--due", "tomorrow 10:00", "-e", "30m", "--column", "planned")
    cli("add", "Broken card", "--due", "tomorrow 11:00", "-e", "30m", "--column", "planned")
    _break(db_path, f"UPDATE card SET {column} = '{raw}' WHERE number = 2")
    for args in (["list"], ["list", "--json"], ["show", "2"], ["show", "1"], ["plan"], ["capacity"],
                 ["export", "ics", "-o", str(isolated_paths / "x.ics")],
                 ["export", "csv", "-o", str(isolated_paths / "x.csv")]):
        r = cli(*args)
        assert r.code == 0, (args, r.err)
        assert f"MAIN-2: its {column} {raw!r} cannot be read and is shown empty" in r.err, args
    r = cli("export", "json", "-o", str(isolated_paths / "x.json"))
    assert r.code == 0 and "exported 2 cards" in r.err and "MAIN-2" in r.err
    cards = json.loads((isolated_paths / "x.json").read_text())["cards"]
    assert [c["title"] for c in cards] == ["Fine card", "Broken card"]
    assert cli("rm", "2").code == 0 and cli("undo").code == 0  # the card can still be removed and restored


def test_editing_the_broken_field_repairs_it(cli, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("add", "Broken card", "--due", "tomorrow 11:00")
    _break(db_path, "UPDATE card SET due_at = '226-01-15 09:00:00.000000'")
    assert cli("edit", "1", "--due", "fri 10:00").code == 0
    r = cli("list")
    assert r.code == 0 and "cannot be read" not in r.err


def test_the_orm_reads_a_broken_row_as_empty(store, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    from organizer.config import build_config
    from organizer.services import cards
    from organizer.validate import validate

    cfg = build_config({"timezone": "Europe/Paris"})
    with store.write() as s:
        cards.add_card(s, cfg, validate({"title": "x"}, cfg, now=datetime.now(UTC), require_title=True))
    _break(db_path, "UPDATE card SET due_at = '226-01-15 09:00:00.000000', updated_at = 'x'")
    with store.read() as s:
        card = s.get(Card, 1)
        assert card is not None and card.due_at is None and card.updated_at is None
        assert s.connection().execute(text("SELECT due_at FROM card")).scalar() == "226-01-15 09:00:00.000000"


def test_a_postgres_style_dialect_skips_the_scan() -> None:
    from organizer import integrity

    assert integrity.unreadable_cards(lambda sql: [("X", 1, "due_at", "bad")], dialect="postgresql") == []


def test_open_store_still_opens_a_database_with_broken_rows(db_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    cli("add", "x")
    _break(db_path, "UPDATE card SET completed_at = '12345'")
    open_store(str(db_path)).close()
