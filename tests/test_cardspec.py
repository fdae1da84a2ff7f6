"""The card declared once (organizer.cardspec): what is derived from it equals what was written out by hand.

The expected lists below are the literal ones the modules held before the spec: a reviewer can see nothing
changed. A field added to `models.Card` and not the spec (or the other way round) fails here.
"""

from __future__ import annotations

import argparse
import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from organizer import boardview, cardspec, exchange
from organizer import validate as validation
from organizer.cli.main import build_parser
from organizer.config import Config
from organizer.models import Card
from organizer.porcelain import card_json
from organizer.services import cards
from organizer.storage import quick
from organizer.validate import CardFields, InputError, validate


def test_json_keys_are_the_porcelain_order() -> None:
    expected = ("id", "board", "number", "title", "column", "role", "channels", "tags", "estimate_minutes",
                "spent_minutes", "due", "publish", "campaign", "pillar", "priority", "popup", "parent", "step",
                "notes", "created", "updated", "completed", "post", "variants", "approvals")
    assert expected == cardspec.JSON_KEYS
    assert expected == exchange.CARD_KEYS


def test_card_json_writes_the_keys_in_spec_order() -> None:
    row = {c: None for c in cardspec.CARD_COLUMNS} | {"number": 7, "title": "t", "popup": 0, "priority": 3,
                                                      "notes": "", "spent_minutes": 0}
    out = card_json(row, board_key="NWC", column="Ideas", channels=["x"], tags=["a"], parent_ref=None,
                    tz=ZoneInfo("UTC"))
    assert tuple(out) == cardspec.JSON_KEYS
    assert out["id"] == "NWC-7" and out["board"] == "NWC" and out["column"] == "Ideas" and out["popup"] is False
    assert out["channels"] == ["x"] and out["tags"] == ["a"] and out["due"] is None


def test_card_columns_agree_with_the_model_exactly() -> None:
    model = {c.name for c in Card.__table__.columns}  # type: ignore[attr-defined]
    assert set(cardspec.CARD_COLUMNS) == model
    assert len(cardspec.CARD_COLUMNS) == len(model)  # no column declared twice
    assert set(quick._CARD_COLUMNS) == {"id", "board_id", "number", "column_id", "position", "title", "notes", "post",
                                       "role",
                                       "estimate_minutes", "spent_minutes", "due_at", "publish_at", "campaign",
                                       "pillar", "priority", "popup", "parent_id", "step", "created_at",
                                       "updated_at", "completed_at"}


def test_instant_columns_are_the_models_datetimes() -> None:
    from organizer.models import AwareDateTime

    model = tuple(c.name for c in Card.__table__.columns if isinstance(c.type, AwareDateTime))  # type: ignore[attr-defined]
    assert set(cardspec.INSTANT_COLUMNS) == set(model)
    assert exchange._TIMES == ("due_at", "publish_at", "created_at", "updated_at", "completed_at")


def test_plain_fields_are_the_services_old_list() -> None:
    old = ("title", "role", "due_at", "publish_at", "estimate_minutes", "spent_minutes", "priority", "popup",
           "campaign", "pillar", "notes", "post")
    assert set(cardspec.PLAIN) == set(old) and len(cardspec.PLAIN) == len(old)
    assert cards._PLAIN == cardspec.PLAIN


def test_inputs_are_card_fields() -> None:
    names = [f.name for f in dataclasses.fields(CardFields) if f.name != "cleared"]
    assert sorted(names) == sorted(f.name for f in cardspec.INPUTS)
    assert all(f.kind in validation._READERS for f in cardspec.INPUTS)


def test_clearable_fields_are_the_old_ones() -> None:
    assert {f.name for f in cardspec.FIELDS if f.clearable} == {
        "role", "due_at", "publish_at", "estimate_minutes", "spent_minutes", "campaign", "pillar", "parent"}


def test_every_text_field_has_a_limit_the_model_keeps() -> None:
    for f in cardspec.FIELDS:
        if f.kind == "text":
            assert f.limit == Card.__table__.columns[f.column].type.length  # type: ignore[attr-defined]


def _options(command: str) -> dict[str, argparse.Action]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: a for a in sub.choices[command]._actions}


@pytest.mark.parametrize("command", ["add", "edit"])
def test_every_cli_flag_in_the_spec_exists(command: str) -> None:
    actions = _options(command)
    for spec in cardspec.CLI_FIELDS:
        assert spec.cli is not None
        if spec.cli.edit_only and command == "add":
            assert spec.cli.add_positional is not None
            assert actions[spec.name].option_strings == []  # `add TITLE`
            continue
        assert actions[spec.name].option_strings[:len(spec.cli.flags)] == list(spec.cli.flags)  # and --no-popup


def test_cli_flags_are_the_old_ones() -> None:
    add = {flag for a in _options("add").values() for flag in a.option_strings}
    edit = {flag for a in _options("edit").values() for flag in a.option_strings}
    old = {"-h", "--help", "--board", "-b", "--role", "-r", "--channel", "-c", "--due", "-d", "--publish", "-p",
           "--estimate", "-e", "--spent", "--priority", "-P", "--popup", "--campaign", "--pillar", "--column",
           "--tag", "-t", "--notes", "-n", "--parent", "--json", "--db", "--post"}
    assert add == old
    assert edit == old | {"--no-popup", "--title"}


def test_cli_help_says_which_flags_clear() -> None:
    edit = _options("edit")
    for spec in cardspec.CLI_FIELDS:
        assert ("'none' clears it" in (edit[spec.name].help or "")) == spec.clearable


def test_form_targets_are_the_old_ones() -> None:
    # The widget each field's error focused before, when the form read the message's first words.
    assert cardspec.FORM_TARGETS == {
        "title": "title", "column": "column", "role": "role", "channels": "channels", "tags": "tags",
        "estimate_minutes": "estimate", "spent_minutes": "spent", "due_at": "due", "publish_at": "publish",
        "campaign": "campaign", "pillar": "pillar", "priority": "priority", "popup": "popup", "parent": "parent",
        "notes": "notes"}


def test_every_form_target_exists() -> None:
    import inspect

    from screens import forms

    source = inspect.getsource(forms.CardForm.compose)
    for target in cardspec.FORM_TARGETS.values():
        assert f'"{target}"' in source or f'id="form-{target}"' in source, target


@pytest.mark.parametrize(("raw", "field"), [
    ({"title": ""}, "title"), ({}, "title"), ({"title": "t", "role": "nope"}, "role"),
    ({"title": "t", "channels": ["nope"]}, "channels"), ({"title": "t", "due_at": "fryday"}, "due_at"),
    ({"title": "t", "publish_at": "fryday"}, "publish_at"),
    ({"title": "t", "estimate_minutes": "x"}, "estimate_minutes"),
    ({"title": "t", "spent_minutes": "x"}, "spent_minutes"), ({"title": "t", "priority": "9"}, "priority"),
    ({"title": "t", "popup": "maybe"}, "popup"), ({"title": "t", "campaign": "c" * 201}, "campaign"),
    ({"title": "t", "pillar": "p" * 81}, "pillar"), ({"title": "t", "tags": ["a b"]}, "tags"),
    ({"title": "t", "parent": "x-y"}, "parent"), ({"title": "t", "board": "1x"}, "board"),
])
def test_input_error_names_its_field(raw: dict[str, object], field: str, cfg: Config) -> None:
    with pytest.raises(InputError) as caught:
        validate(raw, cfg, now=datetime.now(UTC), require_title=True)
    assert caught.value.field == field


def test_input_error_field_defaults_to_none() -> None:
    assert InputError("x").field is None
    assert str(InputError("x", field="due_at")) == "x"


def test_board_rows_show_only_spec_fields() -> None:
    # CardRow is the board's typed row (hand-written, for speed); what it shows of a card is a spec field.
    names = {f.name for f in cardspec.FIELDS} | {"parent_ref", "done", "haystack", "approval"}  # the last: derived
    assert {f.name for f in dataclasses.fields(boardview.CardRow)} <= names
