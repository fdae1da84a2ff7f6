"""Shipped reference data from `data/`: roles, channels, default workflow and hours, the demo.

In a source checkout the files sit in `data/` at the repository root; in an installed wheel
they travel inside the package as `organizer/_data`. Only stdlib `tomllib` is used, so the
quick-add path can read them cheaply.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent


def reference_dir() -> Path:
    """The folder holding the shipped data files."""
    installed = _PACKAGE / "_data"
    return installed if installed.is_dir() else _PACKAGE.parent / "data"


@cache
def load(name: str) -> dict[str, Any]:
    """Parse one shipped TOML file (`roles`, `channels`, `defaults`, `demo`)."""
    with (reference_dir() / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True)
class Role:
    """One of the hats a social media manager wears."""

    key: str
    name: str
    badge: str
    colour: str
    description: str


@dataclass(frozen=True)
class Channel:
    """A network a post goes out on."""

    key: str
    name: str
    code: str


@dataclass(frozen=True)
class ColumnSpec:
    """A workflow column as configured: its name, optional WIP limit, and whether it means done."""

    name: str
    wip: int | None = None
    done: bool = False


def roles() -> list[Role]:
    """The shipped roles, in their canonical order."""
    return [Role(**r) for r in load("roles")["role"]]


def channels() -> list[Channel]:
    """The shipped channels."""
    return [Channel(**c) for c in load("channels")["channel"]]


def default_columns() -> list[ColumnSpec]:
    """The default editorial workflow every new board starts with."""
    return [ColumnSpec(**c) for c in load("defaults")["column"]]
