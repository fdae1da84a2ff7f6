"""CLI handler for `organizer experiment` (being built)."""

from __future__ import annotations

import argparse

from organizer.config import Config
from organizer.validate import InputError


def cmd_experiment(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Experiments."""
    raise InputError("experiment is not built yet")
