"""The Analytics screen (F5) on the demo's quarter of published posts: the chart, the heatmap with its post
counts, the tables, the features and the emoji experiment's honest status; an empty database says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Static

from organizer.config import Config
from organizer.experiments import service
from organizer.storage.orm import Store
from organizer.storage.plain import Db
from screens.analytics import AnalyticsScreen
from tests.screens.conftest import NOW, settle


def _emoji_experiment(store: Store) -> None:
    """The experiment the demo's material is for: its low- and high-emoji LinkedIn posts in two arms."""
    with store.write() as session:
        db = Db(session)
        service.create(db, "emoji-count", variable="emoji", arms=["low", "high"], now=NOW, min_posts=8,
                       hypothesis="Posts with at most one emoji get more engagement on LinkedIn")
        for arm, tag in (("low", "exp-emoji-low"), ("high", "exp-emoji-high")):
            refs = [f"{key}-{number}" for key, number in db.rows(
                "SELECT b.key, c.number FROM card c JOIN board b ON b.id = c.board_id JOIN card_tag t "
                "ON t.card_id = c.id WHERE t.tag = :tag ORDER BY c.id", {"tag": tag})]
            assert len(refs) >= 8
            service.assign(db, "emoji-count", arm, refs, "linkedin")


def _text(screen: AnalyticsScreen, part: str) -> str:
    return str(screen.query_one(f"#analytics-{part}", Static).render())


async def test_f5_shows_what_worked_and_the_experiment(demo_store: Store, make_app: Any) -> None:
    _emoji_experiment(demo_store)
    app = make_app(watch_seconds=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AnalyticsScreen) and screen.report is not None
        assert not screen.report.empty and screen.report.board == "NWC"
        assert "posts" in _text(screen, "heatmap") and "best:" in _text(screen, "heatmap")
        assert "linkedin" in _text(screen, "channels") and "instagram" in _text(screen, "channels")
        assert "Top posts" in _text(screen, "top") and "emoji" in _text(screen, "features")
        experiments = _text(screen, "experiments")
        assert "emoji-count" in experiments and "low: n 10" in experiments, experiments
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "last 30 days" in str(screen.query_one("#analytics-title", Static).render())
        await pilot.press("b")
        await settle(pilot)
        assert not isinstance(app.screen, AnalyticsScreen)
    assert app.crash is None


async def test_a_new_empty_database_says_there_is_nothing_yet(db_path: Path, cfg: Config) -> None:
    from screens.app import OrganizerApp

    app = OrganizerApp(str(db_path), cfg, clock=lambda: NOW, watch_seconds=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AnalyticsScreen)
        assert "no published posts in this range" in _text(screen, "empty")
        assert "none yet" in _text(screen, "experiments")
    assert app.crash is None


def test_experiment_view_snapshot(snap_compare: Any, demo_store: Store, make_app: Any) -> None:
    _emoji_experiment(demo_store)

    async def open_experiment(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)

    assert snap_compare(make_app(watch_seconds=3600), terminal_size=(120, 40), run_before=open_experiment)


def test_analytics_snapshot(snap_compare: Any, demo_store: Store, make_app: Any) -> None:
    _emoji_experiment(demo_store)

    async def open_analytics(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)

    assert snap_compare(make_app(watch_seconds=3600), terminal_size=(120, 40), run_before=open_analytics)


async def test_m_on_a_card_types_in_its_numbers_a_bad_value_keeps_the_form(demo_store: Store, make_app: Any) -> None:
    from textual.widgets import Input

    from organizer.metrics import store as metrics_store
    from screens.metricsform import MetricsForm
    from tests.screens.conftest import board_screen

    with demo_store.write() as session:  # a published post of the demo's, focused on the board below
        ref = "NWC-{}".format(*Db(session).rows(
            "SELECT MAX(c.number) FROM card c JOIN board b ON b.id = c.board_id JOIN post_variant v "
            "ON v.card_id = c.id WHERE b.key = 'NWC'")[0])
    app = make_app(watch_seconds=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board_screen(app).focus_card_ref(ref)
        await settle(pilot)
        await pilot.press("M")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, MetricsForm) and form.channels
        form.query_one("#metrics-likes", Input).value = "12"
        form.query_one("#metrics-at", Input).value = "next year"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and "read at" in str(form.query_one("#metrics-error", Static).render())
        assert form.query_one("#metrics-likes", Input).value == "12"  # kept as typed
        form.query_one("#metrics-at", Input).value = "now"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, MetricsForm)
    with demo_store.read() as session:
        found = metrics_store.snapshots(Db(session))
    assert [(s.source, s.counts["likes"]) for s in found if s.ref == ref and s.source == "manual"
            and s.taken_at == NOW] == [("manual", 12)]


def test_tables_take_names_shorter_than_their_heading() -> None:
    """A board that posts only on X: the channel column is narrower than its heading (was a ValueError)."""
    from organizer.metrics.insights import GroupStats
    from screens.analytics import group_lines

    lines = str(group_lines("Channel", (GroupStats("x", 3, 3, 3, 0.02, 0.02, 5.0, ()),), "engagement_rate"))
    assert lines.splitlines()[1].startswith("x        ") and "2.0%" in lines
