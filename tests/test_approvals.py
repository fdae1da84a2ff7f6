"""The approval gate on SQLite and PostgreSQL: a refused move, approve then move, reject with a note, undo of an
approval; the quick move path (the board's) is gated as the services are."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.backends


@pytest.fixture
def gated(cli: Any, isolated_paths: Any) -> Any:
    config = isolated_paths / "config.toml"
    config.write_text(config.read_text() + 'user = "Sam"\n[approval.MAIN]\nrequired = 1\napprover = "Dana"\n')
    assert cli("add", "Exec post", "--column", "review").code == 0
    return cli


def test_an_unapproved_card_stops_at_review(gated: Any) -> None:
    r = gated("move", "MAIN-1", "scheduled")
    assert r.code == 2 and "needs approval by Dana before it moves to Scheduled" in r.err
    assert gated("done", "MAIN-1").code == 2  # a done column is past Review too
    assert gated("move", "MAIN-1", "in progress").code == 0  # back is always fine


def test_approve_then_move_and_who_approved_is_shown(gated: Any) -> None:
    r = gated("approve", "MAIN-1")
    assert r.code == 0 and "counts only Dana's approval (0 of 1)" in r.out  # Sam is not the approver
    assert gated("move", "MAIN-1", "scheduled").code == 2
    assert gated("approve", "MAIN-1", "--as", "Dana", "--note", "Ship it").code == 0
    assert gated("move", "MAIN-1", "scheduled").code == 0
    approvals = json.loads(gated("show", "MAIN-1", "--json").out)["approvals"]
    assert [(a["by"], a["verdict"], a["note"]) for a in approvals] == [("Sam", "approve", ""),
                                                                       ("Dana", "approve", "Ship it")]
    assert approvals[1]["at"] is not None


def test_reject_sends_it_back_with_the_note_and_resets_the_approvals(gated: Any) -> None:
    assert gated("approve", "MAIN-1", "--as", "Dana").code == 0
    r = gated("reject", "MAIN-1", "--note", "Wrong figures", "--as", "Dana")
    assert r.code == 0 and "back in In progress" in r.out
    card = json.loads(gated("show", "MAIN-1", "--json").out)
    assert card["column"] == "In progress" and card["approvals"][-1]["note"] == "Wrong figures"
    assert gated("move", "MAIN-1", "scheduled").code == 2  # the rejection voided the approval
    assert gated("reject", "MAIN-1").code == 2  # a rejection needs a note


def test_undo_takes_an_approval_back(gated: Any) -> None:
    assert gated("approve", "MAIN-1", "--as", "Dana").code == 0
    assert gated("undo").code == 0
    assert json.loads(gated("show", "MAIN-1", "--json").out)["approvals"] == []
    assert gated("move", "MAIN-1", "scheduled").code == 2


def test_the_boards_quick_move_is_gated_too(gated: Any, db_location: str) -> None:
    from organizer.config import load_config
    from organizer.storage.adapters import open_storage
    from organizer.validate import InputError

    cfg = load_config()
    storage = open_storage(db_location)
    try:
        board = storage.load_board(cfg, "MAIN")
        assert board is not None
        card = board.columns[3].cards[0]
        with pytest.raises(InputError, match="needs approval by Dana"):
            storage.move_card(card.id, board.columns[4].id, 0, place="tui:test", cfg=cfg)
        gated("approve", "MAIN-1", "--as", "Dana")
        storage.move_card(card.id, board.columns[4].id, 0, place="tui:test", cfg=cfg)
    finally:
        storage.close()
    assert json.loads(gated("show", "MAIN-1", "--json").out)["column"] == "Scheduled"


def test_export_and_import_keep_the_verdicts(gated: Any, tmp_path: Any) -> None:
    assert gated("approve", "MAIN-1", "--as", "Dana", "--note", "ok").code == 0
    out = tmp_path / "all.json"
    assert gated("export", "json", "-o", str(out)).code == 0
    assert gated("import", "json", str(out), "--renumber").code == 0
    copy = json.loads(gated("list", "--json").out)[-1]
    assert [(a["by"], a["verdict"], a["note"]) for a in copy["approvals"]] == [("Dana", "approve", "ok")]
    assert gated("undo").code == 0 and len(json.loads(gated("list", "--json").out)) == 1


def test_a_gate_kept_with_the_board_applies_to_every_move_path(cli: Any, db_location: str) -> None:
    from organizer.config import load_config
    from organizer.storage.adapters import open_storage
    from organizer.validate import InputError

    assert cli("add", "Exec post", "--column", "review").code == 0
    assert cli("move", "MAIN-1", "in progress").code == 0  # no gate yet
    assert cli("move", "MAIN-1", "review").code == 0
    r = cli("boards", "approval", "MAIN", "--required", "1", "--approver", "Dana", "--json")
    assert r.code == 0 and json.loads(r.out) == {"board": "MAIN", "required": 1, "approver": "Dana",
                                                 "source": "database"}
    r = cli("move", "MAIN-1", "scheduled")  # the quick path
    assert r.code == 2 and "needs approval by Dana" in r.err
    cfg = load_config()
    storage = open_storage(db_location)
    try:  # the board's own move (the TUI's storage contract)
        board = storage.load_board(cfg, "MAIN")
        assert board is not None
        card = board.columns[3].cards[0]
        assert card.approval == "needed"  # the card says so in text
        with pytest.raises(InputError, match="needs approval by Dana"):
            storage.move_card(card.id, board.columns[4].id, 0, place="tui:test", cfg=cfg)
    finally:
        storage.close()
    assert cli("approve", "MAIN-1", "--as", "Dana").code == 0
    assert cli("done", "MAIN-1").code == 0  # the services' path, once approved
    r = cli("boards", "approval", "MAIN", "--required", "3")
    assert r.code == 2 and "invalid choice: 3" in r.err
    assert cli("boards", "approval", "MAIN", "--required", "0").code == 0
    assert "no approval needed" in cli("boards", "approval", "MAIN").out


def test_the_configs_gate_wins_over_the_one_kept_with_the_board(cli: Any, isolated_paths: Any) -> None:
    assert cli("add", "Exec post", "--column", "review").code == 0
    assert cli("boards", "approval", "MAIN", "--required", "2").code == 0
    config = isolated_paths / "config.toml"
    config.write_text(config.read_text() + "[approval.MAIN]\nrequired = 0\n")
    assert cli("move", "MAIN-1", "scheduled").code == 0
    r = cli("boards", "approval", "MAIN", "--required", "1")
    assert r.code == 2 and "set in the config" in r.err


def test_the_demos_exec_board_refuses_to_schedule_an_unapproved_post(cli: Any, db_location: str) -> None:
    assert cli("demo", "--keep", db_location, "--no-app").code == 0
    r = cli("move", "CEO-10", "scheduled")
    assert r.code == 2 and "needs approval by Maya Okafor" in r.err
    assert cli("approve", "CEO-10", "--as", "Maya Okafor").code == 0
    assert cli("move", "CEO-10", "scheduled").code == 0


def test_a_gate_kept_with_the_board_follows_it_when_its_key_changes(cli: Any) -> None:
    assert cli("add", "Exec post", "--column", "review").code == 0
    assert cli("boards", "approval", "MAIN", "--required", "1", "--approver", "Dana").code == 0
    assert cli("boards", "rename", "MAIN", "--key", "EXEC").code == 0
    r = cli("move", "EXEC-1", "scheduled")
    assert r.code == 2 and "needs approval by Dana" in r.err
    assert cli("boards", "add", "MAIN", "A new main").code == 0
    assert "no approval needed" in cli("boards", "approval", "MAIN").out  # the old key does not keep it
