"""organizer.config: shipped defaults, every key overridable, every bad value a ConfigError naming key and value."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from organizer.config import Config, ConfigError, build_config, load_config, system_timezone

SIX_ROLES = ["strategist", "writer", "producer", "planner", "community", "analyst"]
NINE_CHANNELS = ["x", "linkedin", "instagram", "facebook", "tiktok", "youtube", "mastodon", "bluesky", "threads"]
SEVEN_COLUMNS = ["Ideas", "Planned", "In progress", "Review", "Scheduled", "Published", "Measured"]
WORKDAY = ((time(9, 0), time(12, 30)), (time(13, 30), time(17, 30)))


def config_file(tmp_path: Path, text: str) -> Path:
    """Write a config.toml and return its path."""
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> Config:
    """Load a config written from `text`."""
    return load_config(config_file(tmp_path, text))


# --- defaults -----------------------------------------------------------------------------------

def assert_defaults(cfg: Config) -> None:
    assert cfg.reserve_ratio == pytest.approx(0.2)
    assert cfg.min_block_minutes == 25
    assert cfg.default_priority == 3
    assert cfg.default_board is None
    assert cfg.theme == "textual-dark"
    assert cfg.keys == {}
    assert cfg.hours == {day: WORKDAY for day in ("mon", "tue", "wed", "thu", "fri")} | {"sat": (), "sun": ()}
    assert cfg.day_end == time(17, 30)
    assert cfg.role_keys() == SIX_ROLES
    assert cfg.channel_keys() == NINE_CHANNELS
    assert [c.name for c in cfg.columns] == SEVEN_COLUMNS
    assert {c.name: c.wip for c in cfg.columns if c.wip is not None} == {"In progress": 5, "Review": 4}
    assert [c.name for c in cfg.columns if c.done] == ["Published", "Measured"]


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    cfg = load_config(tmp_path / "absent.toml")
    assert_defaults(cfg)
    assert cfg.timezone == system_timezone()
    assert cfg.source is None


def test_default_path_comes_from_organizer_config(isolated_paths: Path) -> None:
    assert not (isolated_paths / "config.toml").exists()
    assert_defaults(load_config())
    (isolated_paths / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    (isolated_paths / "config.toml").write_text('timezone = "Asia/Tokyo"\n', encoding="utf-8")
    cfg = load_config()
    assert cfg.timezone == "Asia/Tokyo"
    assert cfg.source == isolated_paths / "config.toml"


@pytest.mark.parametrize("text", ["", "# nothing but a comment\n"])
def test_empty_file_means_defaults(tmp_path: Path, text: str) -> None:
    cfg = load(tmp_path, text)
    assert_defaults(cfg)
    assert cfg.source is None


def test_roles_have_names_badges_and_colours() -> None:
    cfg = build_config({"timezone": "UTC"})
    for role in cfg.roles:
        assert role.name
        assert role.badge
        assert role.colour.startswith("#")
    assert len({r.badge for r in cfg.roles}) == 6


def test_channels_have_codes() -> None:
    cfg = build_config({"timezone": "UTC"})
    assert {c.key: c.code for c in cfg.channels}["linkedin"] == "LI"


# --- overrides ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, attr, value", [
    ('timezone = "America/New_York"', "timezone", "America/New_York"),
    ("reserve_ratio = 0.5", "reserve_ratio", 0.5),
    ("reserve_ratio = 0", "reserve_ratio", 0.0),
    ("reserve_ratio = 0.9", "reserve_ratio", 0.9),
    ("min_block_minutes = 30", "min_block_minutes", 30),
    ("min_block_minutes = 5", "min_block_minutes", 5),
    ("min_block_minutes = 240", "min_block_minutes", 240),
    ('default_board = "ACME"', "default_board", "ACME"),
    ("default_priority = 1", "default_priority", 1),
    ("default_priority = 4", "default_priority", 4),
    ('theme = "nord"', "theme", "nord"),
    ('[keys]\n"board.left" = "h,left"', "keys", {"board.left": "h,left"}),
])
def test_each_key_is_overridable(tmp_path: Path, text: str, attr: str, value: object) -> None:
    path = config_file(tmp_path, text + "\n")
    cfg = load_config(path)
    assert getattr(cfg, attr) == value
    assert cfg.source == path
    # Everything else keeps its default.
    assert cfg.role_keys() == SIX_ROLES
    assert [c.name for c in cfg.columns] == SEVEN_COLUMNS


def test_reserve_ratio_is_a_float(tmp_path: Path) -> None:
    assert isinstance(load(tmp_path, "reserve_ratio = 0\n").reserve_ratio, float)


def test_hours_override_only_the_days_given(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[hours]\nmon = ["08:00-12:00"]\nsat = ["10:00-12:00"]\nfri = []\n')
    assert cfg.hours["mon"] == ((time(8, 0), time(12, 0)),)
    assert cfg.hours["sat"] == ((time(10, 0), time(12, 0)),)
    assert cfg.hours["fri"] == ()
    assert cfg.hours["tue"] == WORKDAY
    assert cfg.hours["sun"] == ()


def test_hours_intervals_are_sorted_and_may_touch(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[hours]\nmon = ["14:00-18:00", "9:00-12:00", "12:00-14:00"]\n')
    assert cfg.hours["mon"] == ((time(9), time(12)), (time(12), time(14)), (time(14), time(18)))


def test_hours_24_00_means_end_of_day(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[hours]\nsun = ["20:00-24:00"]\n')
    assert cfg.hours["sun"] == ((time(20), time(23, 59)),)


def test_role_override_keeps_order_and_other_fields(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[roles.writer]\ncolour = "#ffffff"\nname = "Copywriter"\n')
    assert cfg.role_keys() == SIX_ROLES
    writer = cfg.roles[1]
    assert (writer.key, writer.name, writer.colour, writer.badge) == ("writer", "Copywriter", "#ffffff", "WRITE")


def test_custom_role_comes_after_the_six(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[roles.photographer]\nname = "Photographer"\ncolour = "#112233"\n'
                         'description = "Shoots the beans."\n')
    assert cfg.role_keys() == [*SIX_ROLES, "photographer"]
    role = cfg.roles[-1]
    assert (role.name, role.colour, role.badge, role.description) == (
        "Photographer", "#112233", "PHOTO", "Shoots the beans.")


def test_custom_role_with_defaults_only(tmp_path: Path) -> None:
    cfg = load(tmp_path, "[roles.video-editor]\n")
    role = cfg.roles[-1]
    assert (role.key, role.name, role.badge) == ("video-editor", "Video-Editor", "VIDEO")
    assert role.colour.startswith("#")


def test_whole_file(tmp_path: Path) -> None:
    cfg = load(tmp_path, """
timezone = "Europe/Paris"
reserve_ratio = 0.3
min_block_minutes = 45
default_board = "NWC"
default_priority = 2
theme = "gruvbox"

[hours]
wed = ["10:00-16:00"]

[roles.photographer]
badge = "PHOTO"

[keys]
"app.quit" = "q"
""")
    assert (cfg.timezone, cfg.reserve_ratio, cfg.min_block_minutes, cfg.default_board, cfg.default_priority,
            cfg.theme) == ("Europe/Paris", 0.3, 45, "NWC", 2, "gruvbox")
    assert cfg.hours["wed"] == ((time(10), time(16)),)
    assert cfg.role_keys()[-1] == "photographer"
    assert cfg.keys == {"app.quit": "q"}


# --- day_end ------------------------------------------------------------------------------------

@pytest.mark.parametrize("hours, end", [
    ("", time(17, 30)),
    ('fri = ["09:00-19:00"]', time(19, 0)),
    ('sat = ["10:00-20:15"]', time(20, 15)),
    ('mon = ["08:00-12:00"]\ntue = ["08:00-12:00"]\nwed = ["08:00-12:00"]\nthu = ["08:00-12:00"]\n'
     'fri = ["08:00-16:00"]', time(16, 0)),
    ('sun = ["20:00-24:00"]', time(23, 59)),
    ("mon = []\ntue = []\nwed = []\nthu = []\nfri = []", time(17, 30)),
])
def test_day_end_is_the_latest_end_over_the_week(tmp_path: Path, hours: str, end: time) -> None:
    assert load(tmp_path, f"[hours]\n{hours}\n").day_end == end


# --- bad values ---------------------------------------------------------------------------------

BAD = [
    ('timezone = "Mars/Olympus"', "timezone", "'Mars/Olympus'"),
    ('timezone = "../../etc/passwd"', "timezone", "'../../etc/passwd'"),
    ("timezone = 5", "timezone", "5"),
    ("reserve_ratio = 2", "reserve_ratio", "2"),
    ('reserve_ratio = "x"', "reserve_ratio", "'x'"),
    ("reserve_ratio = true", "reserve_ratio", "True"),
    ("reserve_ratio = -0.1", "reserve_ratio", "-0.1"),
    ("reserve_ratio = 0.95", "reserve_ratio", "0.95"),
    ("min_block_minutes = 0", "min_block_minutes", "0"),
    ("min_block_minutes = 241", "min_block_minutes", "241"),
    ("min_block_minutes = 25.5", "min_block_minutes", "25.5"),
    ('min_block_minutes = "25"', "min_block_minutes", "'25'"),
    ("default_priority = 7", "default_priority", "7"),
    ("default_priority = 0", "default_priority", "0"),
    ("default_priority = false", "default_priority", "False"),
    ("default_board = 3", "default_board", "3"),
    ("theme = 3", "theme", "3"),
    ("hours = 5", "hours", "5"),
    ('[hours]\nmon = ["9-5"]', "hours.mon", "'9-5'"),
    ('[hours]\nmon = ["09:00"]', "hours.mon", "'09:00'"),
    ('[hours]\nmon = ["17:00-09:00"]', "hours.mon", "'17:00-09:00'"),
    ('[hours]\nmon = ["09:00-09:00"]', "hours.mon", "'09:00-09:00'"),
    ('[hours]\nmon = ["25:00-26:00"]', "hours.mon", "'25:00-26:00'"),
    ('[hours]\nmon = ["09:60-10:00"]', "hours.mon", "'09:60-10:00'"),
    ('[hours]\nmon = ["23:00-24:30"]', "hours.mon", "'23:00-24:30'"),
    ('[hours]\nmon = ["09:00-12:00", "11:00-13:00"]', "hours.mon", "'11:00-13:00'"),
    ('[hours]\ntue = ["13:00-18:00", "08:00-14:00"]', "hours.tue", "'08:00-14:00'"),
    ('[hours]\nmon = "09:00-12:00"', "hours.mon", "'09:00-12:00'"),
    ("[hours]\nmon = [900]", "hours.mon", "900"),
    ("[hours]\nfunday = []", "hours.funday", "[]"),
    ('[hours]\nMonday = ["09:00-12:00"]', "hours.Monday", "'09:00-12:00'"),
    ("colour = 1", "colour", "1"),
    ('timezon = "Europe/Paris"', "timezon", "'Europe/Paris'"),
    ('[roles.writer]\ncolour = "red"', "roles.writer.colour", "'red'"),
    ('[roles.writer]\ncolour = "#12345"', "roles.writer.colour", "'#12345'"),
    ('[roles.writer]\ncolor = "#ffffff"', "roles.writer.color", "'#ffffff'"),
    ("[roles.writer]\nname = 3", "roles.writer.name", "3"),
    ('[roles.Writer]\nname = "W"', "roles.Writer", "'name': 'W'"),
    ('roles = "writer"', "roles", "'writer'"),
    ('roles = ["writer"]', "roles", "['writer']"),
    ('[keys]\n"board.left" = 3', "keys", "'board.left': 3"),
    ('keys = "h"', "keys", "'h'"),
]


@pytest.mark.parametrize("text, key, value", BAD, ids=[t.replace("\n", " ") for t, _, _ in BAD])
def test_bad_value_raises_config_error_naming_key_and_value(tmp_path: Path, text: str, key: str,
                                                             value: str) -> None:
    path = config_file(tmp_path, text + "\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    message = str(exc.value)
    assert exc.value.key == key
    assert f"config key '{key}'" in message
    assert value in message
    assert str(path) in message
    assert "\n" not in message


@pytest.mark.parametrize("text", ['timezone = "Europe/Paris', "reserve_ratio = ", "[hours\n", "a = 1\na = 2"])
def test_invalid_toml_raises_config_error_naming_the_file(tmp_path: Path, text: str) -> None:
    path = config_file(tmp_path, text + "\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert exc.value.key == "(file)"
    assert str(path) in str(exc.value)
    assert "TOML" in str(exc.value)
    assert "\n" not in str(exc.value)


def test_config_file_that_is_not_utf8_raises_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'theme = "caf\xe9"\n')
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(path) in str(exc.value)


def test_build_config_error_without_a_source_has_no_path() -> None:
    with pytest.raises(ConfigError) as exc:
        build_config({"timezone": "Mars/Olympus"})
    assert str(exc.value).startswith("config key 'timezone' has bad value 'Mars/Olympus': ")


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


@pytest.mark.parametrize("text", ['timezone = ""', "timezone = false", "timezone = 0"])
def test_falsy_timezone_is_rejected(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, text + "\n")
    assert exc.value.key == "timezone"


def test_config_is_immutable() -> None:
    cfg = build_config({"timezone": "UTC"})
    with pytest.raises(AttributeError):
        cfg.timezone = "Europe/Paris"  # type: ignore[misc]
