"""CLI handler for `organizer metrics import` (being built: see organizer.metrics.csvimport)."""

from __future__ import annotations

import argparse

from organizer.config import Config
from organizer.validate import InputError


def cmd_metrics_import(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Import a network's analytics export."""
    raise InputError("metrics import is not built yet")
