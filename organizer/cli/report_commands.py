"""CLI handler for `organizer report` (being built)."""

from __future__ import annotations

import argparse

from organizer.config import Config
from organizer.validate import InputError


def cmd_report(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """The analytics report."""
    raise InputError("report is not built yet")
