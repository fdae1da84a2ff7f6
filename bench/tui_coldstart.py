"""TUI benchmark, figure 1: the data for the cold starts (one 10,000-card board, kanban-tui's board) and
the cold starts themselves, alternating between the apps so that machine noise hits both.
"""


import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import dataset
from run import (
    MIB,
    OUT_DIR,
    Env,
    Result,
    checkpoint_copy,
    percentile,
)
from tui_harness import KANBAN_COLUMNS, KANBAN_VENV, Paint, PaintFailed, Tmux, TmuxError, paint, step

# --- Data --------------------------------------------------------------------------------------------------

def one_board_export(cards: int, seed: int, path: Path) -> dict[str, int]:
    """bench/dataset.py's cards, all on its first board (NWC), renumbered 1…N in creation order."""
    doc = dataset.generate(cards, seed)
    board = doc["boards"][0]
    doc["boards"] = [board]
    doc["cards"].sort(key=lambda c: datetime.fromisoformat(c["created"]))
    for number, card in enumerate(doc["cards"], start=1):
        card.update(board=board["key"], number=number, id=f"{board['key']}-{number}")
    counts: dict[str, int] = defaultdict(int)
    for card in doc["cards"]:
        counts[card["column"]] += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return dict(counts)


def build_databases(env: Env, args: argparse.Namespace) -> tuple[Path, Path, dict[str, Any]]:
    """The 10,000-card one-board database and the demo database, both checkpointed single files."""
    data = OUT_DIR / f"cards-{args.cards}-one-board.json"
    columns = one_board_export(args.cards, args.seed, data)
    built, pristine = env.tmp / "built.db", env.tmp / "pristine.db"
    proc = subprocess.run(env.organizer("--db", str(built), "import", "json", str(data)), capture_output=True,
                          text=True, env=env.variables, stdin=subprocess.DEVNULL, cwd=env.tmp)
    if proc.returncode != 0 or f"imported {args.cards} cards" not in proc.stdout:
        raise SystemExit(f"import failed: {(proc.stdout + proc.stderr).strip()[-300:]}")
    checkpoint_copy(built, pristine)
    demo_built, demo = env.tmp / "demo-built.db", env.tmp / "demo.db"
    proc = subprocess.run(env.organizer("demo", "--keep", str(demo_built), "--no-app"), capture_output=True,
                          text=True, env=env.variables, stdin=subprocess.DEVNULL, cwd=env.tmp)
    if proc.returncode != 0:
        raise SystemExit(f"organizer demo failed: {proc.stderr.strip()[-300:]}")
    checkpoint_copy(demo_built, demo)
    with sqlite3.connect(pristine) as conn:
        boards = conn.execute("SELECT COUNT(*) FROM board").fetchone()[0]
        total = conn.execute("SELECT COUNT(*) FROM card").fetchone()[0]
    with sqlite3.connect(demo) as conn:
        demo_cards = conn.execute("SELECT COUNT(*) FROM card").fetchone()[0]
    if boards != 1 or total != args.cards:
        raise SystemExit(f"the database holds {total} cards on {boards} boards, not {args.cards} on 1")
    info = {"file": str(data.relative_to(OUT_DIR.parent.parent)), "boards": boards, "cards": total,
            "columns": columns, "bytes": pristine.stat().st_size, "demo_cards": demo_cards}
    return pristine, demo, info


def kanban_setup(env: Env, tasks: int) -> tuple[list[str], str]:
    """kanban-tui in its own venv (installed from PyPI once), a board with `tasks` tasks made through its CLI.

    Its config and database go to the bench's temporary XDG folders. Returns (argv, version).
    """
    python = KANBAN_VENV / "bin" / "python"
    if not (KANBAN_VENV / "bin" / "ktui").exists():
        step("installing kanban-tui into bench/out/kanban-tui-venv")
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(KANBAN_VENV)], check=True, capture_output=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "kanban-tui"], check=True,
                       capture_output=True)
    # One process runs the CLI once per command (click's `main`, as `ktui` would), instead of 36 interpreter
    # starts; the board and tasks are the ones `ktui board create` / `ktui task create` write.
    script = (
        "import sys\n"
        "from kanban_tui.cli import cli\n"
        "def run(args):\n"
        "    try:\n"
        "        cli.main(args, standalone_mode=False, prog_name='ktui')\n"
        "    except SystemExit as exc:\n"
        "        if exc.code:\n"
        "            raise\n"
        "run(['board', 'create', 'Bench', '--set-active'])\n"
        f"for i in range(1, {tasks} + 1):\n"
        "    run(['task', 'create', f'Task {i}', '--description', f'Benchmark task number {i}',\n"
        f"         '--column', str((i - 1) % {KANBAN_COLUMNS} + 1)])\n"
    )
    made = subprocess.run([str(python), "-c", script], capture_output=True, text=True, env=env.variables,
                          cwd=env.tmp, stdin=subprocess.DEVNULL)
    if made.returncode != 0:
        raise RuntimeError(f"creating kanban-tui tasks failed: {made.stderr.strip()[-300:]}")
    ktui = str(KANBAN_VENV / "bin" / "ktui")
    listed = subprocess.run([ktui, "task", "list", "--json"], capture_output=True, text=True, env=env.variables,
                            cwd=env.tmp, stdin=subprocess.DEVNULL)
    found = json.loads(listed.stdout) if listed.returncode == 0 else []
    if len(found) != tasks:
        raise RuntimeError(f"kanban-tui lists {len(found)} tasks, not {tasks}")
    version = subprocess.run([ktui, "--version"], capture_output=True, text=True, env=env.variables,
                             cwd=env.tmp).stdout.strip()
    return [ktui], version


# --- Figure 1: cold start ----------------------------------------------------------------------------------

@dataclass
class Contender:
    """An app to cold-start: its command, its marker, what to do before each run."""

    key: str
    label: str
    argv: list[str]
    marker: Callable[[list[str]], bool]
    marker_text: str
    prepare: Callable[[], None] | None = None
    samples: list[Paint] = field(default_factory=list)
    error: str = ""


def cold_starts(tmux: Tmux, contenders: list[Contender], runs: int, warmup: int, settle: float,
                timeout: float) -> None:
    """Warm-ups, then measured runs, each round starting every contender once, in turn."""
    for i in range(warmup + runs):
        measured = i >= warmup
        for c in contenders:
            if c.error:
                continue
            if c.prepare:
                c.prepare()
            try:
                p = paint(tmux, f"r{i}-{c.key}", c.argv, c.marker, settle=settle if measured else 0,
                          timeout=timeout)
            except (PaintFailed, TmuxError) as exc:
                c.error = str(exc)
                continue
            if measured:
                c.samples.append(p)
        step(f"cold start round {i + 1}/{warmup + runs}" + ("" if measured else " (warm-up)"))


def summarise_paint(c: Contender, figure: str, target: str) -> Result:
    """A table row: wall times, and the largest settled VmHWM as the memory figure."""
    res = Result(c.key, figure, c.label, c.argv, target, len(c.samples), 0)
    if c.error:
        res.status, res.note = "ERROR", c.error
        return res
    res.wall_ms = [p.wall_ms for p in c.samples]
    res.rss_kib = [p.hwm_settled_kib or p.hwm_paint_kib for p in c.samples]
    ms = res.wall_ms
    res.median_ms, res.p90_ms, res.min_ms, res.max_ms = statistics.median(ms), percentile(ms, 90), min(ms), max(ms)
    res.max_rss_mib = max(res.rss_kib) / MIB
    return res


