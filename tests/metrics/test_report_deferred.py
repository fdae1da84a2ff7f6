"""The app shows a report before counting its posts' features, then adds them: the result is the same report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from organizer.metrics.report import add_features, build
from organizer.storage.adapters import open_storage

pytestmark = pytest.mark.backends

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))


def test_features_added_later_give_the_report_built_at_once(cli: Any, db_location: str) -> None:
    with time_machine.travel(NOW, tick=False):
        assert cli("demo", "--keep", db_location, "--no-app").code == 0
    storage = open_storage(db_location, create=False)
    try:
        with storage.reading() as db:
            kwargs: dict[str, Any] = {"start": NOW - timedelta(days=90), "end": NOW, "timezone": "Europe/Paris",
                                      "board": "NWC"}
            whole = build(db, **kwargs)
            first = build(db, **kwargs, with_features=False)
            assert first.features == () and all(p.features is None for p in first.posts)
            assert first.heatmap == whole.heatmap and first.top == whole.top and first.channels == whole.channels
            later = add_features(db, first)
    finally:
        storage.close()
    assert later == whole and len(whole.features) == 5
