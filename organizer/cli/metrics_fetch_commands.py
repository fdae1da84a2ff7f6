"""CLI handler for `organizer metrics fetch` (being built: see organizer.metrics.fetch)."""

from __future__ import annotations

import argparse

from organizer.config import Config
from organizer.validate import InputError


def cmd_metrics_fetch(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Refresh numbers from the public APIs."""
    raise InputError("metrics fetch is not built yet")
