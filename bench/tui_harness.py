"""TUI benchmark harness: a private tmux server driven by one control-mode client, timing an app from
start to a painted screen, and the markers that say what "painted" means for each app.

Used by bench/tui.py (see its docstring and bench/README.md, "TUI benchmarks").
"""


import os
import re
import shlex
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from run import (
    OUT_DIR,
)

WIDTH, HEIGHT = 120, 40
RSS_TARGET_MIB = 120.0
MOVE_TARGET_MS = 16.0
KANBAN_ISSUE_MS = 870.0  # what the issue measured for kanban-tui with 35 tasks, used when it cannot run here
KANBAN_VENV = OUT_DIR / "kanban-tui-venv"
KANBAN_COLUMNS = 3  # tasks go round-robin into Ready, Doing, Done
POLL_S = 0.005
STABLE_S = 0.5


def step(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


# --- A private tmux server, one control-mode client --------------------------------------------------------

class TmuxError(RuntimeError):
    """tmux answered a command with %error, or went away."""


class Tmux:
    """A tmux server of our own (`-L`), driven through one control-mode client (`-C`).

    Every command is a line on the client's stdin and its answer a `%begin … %end` block on stdout,
    so polling `capture-pane` costs about 0.1 ms and spawns no process. The server's global
    environment is the one it was started with: the bench environment from `run.make_env`.
    """

    def __init__(self, variables: dict[str, str]) -> None:
        self.socket = f"organizer-bench-{os.getpid()}"
        self.proc = subprocess.Popen(
            ["tmux", "-u", "-L", self.socket, "-f", "/dev/null", "-C", "new-session", "-s", "keepalive",
             "-x", str(WIDTH), "-y", str(HEIGHT), "sleep", "86400"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            encoding="utf-8", errors="replace", env=variables)
        # The attach itself answers with a block first: skip blocks until our own token comes back.
        self._send("display-message -p bench-sync")
        while self._block()[1] != ["bench-sync"]:
            pass
        self.command("set-option -g remain-on-exit on")  # a crashed app leaves its traceback to read
        self.command(f"set-option -g default-size {WIDTH}x{HEIGHT}")
        # The server and the apps in it are not our children: their CPU time is read from /proc, so the
        # noise estimate does not count them as other people's work.
        self.server_pid = int(self.command("display-message -p '#{pid}'")[0])
        self.server_cpu_s = 0.0
        self.apps_cpu_s = 0.0

    def _send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def _block(self) -> tuple[bool, list[str]]:
        assert self.proc.stdout is not None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise TmuxError("the tmux control client exited")
            if line.startswith("%begin "):
                tag = line.split()[1:3]
                out: list[str] = []
                while True:
                    line = self.proc.stdout.readline()
                    if not line:
                        raise TmuxError("the tmux control client exited")
                    if line.startswith(("%end ", "%error ")) and line.split()[1:3] == tag:
                        return line.startswith("%end "), out
                    out.append(line.rstrip("\n"))

    def command(self, line: str) -> list[str]:
        """Run one tmux command; its output lines."""
        self._send(line)
        ok, out = self._block()
        if not ok:
            raise TmuxError(f"{line.split()[0]}: {' '.join(out)}")
        return out

    def close(self) -> None:
        """Kill our server (only ours: it has its own socket) and reap the client."""
        self.server_cpu_s = cpu_of(self.server_pid)
        with suppress(OSError, ValueError):
            self._send("kill-server")
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB (empty if it is gone)."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    out[name] = int(value.split()[0])
    except (OSError, ValueError):
        return {}
    return out


def cpu_of(pid: int) -> float:
    """CPU seconds a process and its reaped children used (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


@dataclass
class Paint:
    """One cold start: wall time to the marker, and memory at paint and after settling."""

    wall_ms: float
    rss_paint_kib: int
    hwm_paint_kib: int
    rss_settled_kib: int = 0
    hwm_settled_kib: int = 0
    polls: int = 0
    settled_after_ms: float = 0.0


class PaintFailed(RuntimeError):
    """The app exited or never showed its marker."""


def paint(tmux: Tmux, name: str, argv: Sequence[str], marker: Callable[[list[str]], bool], *, settle: float,
          timeout: float) -> Paint:
    """Start `argv` in a new tmux session and time it until `marker(screen lines)` holds."""
    command = " ".join(shlex.quote(a) for a in argv)
    start = time.perf_counter()
    tmux.command(f"new-session -d -s {name} -x {WIDTH} -y {HEIGHT} -- {command}")
    try:
        pid = int(tmux.command(f"list-panes -t {name} -F '#{{pane_pid}}'")[0])
    except (TmuxError, IndexError, ValueError):
        tmux.command(f"kill-session -t {name}")
        raise
    try:
        polls = 0
        while True:
            lines = tmux.command(f"capture-pane -p -t {name}")
            polls += 1
            if marker(lines):
                wall = time.perf_counter() - start
                break
            if not _alive(pid) or time.perf_counter() - start > timeout:
                screen = "\n".join(line.rstrip() for line in lines).strip()
                why = "exited" if not _alive(pid) else f"showed no marker within {timeout:g} s"
                raise PaintFailed(f"{argv[0]} {why}; screen:\n{screen[-1500:]}")
            time.sleep(POLL_S)
        at_paint = proc_status(pid)
        result = Paint(wall * 1000, at_paint.get("VmRSS", 0), at_paint.get("VmHWM", 0), polls=polls)
        if settle > 0:
            # At least `settle` seconds (Organizer opens SQLAlchemy in a worker after its first paint), then
            # until VmRSS has not moved for STABLE_S (at most 5 s more).
            time.sleep(settle)
            settled, steady, give_up = proc_status(pid), time.perf_counter(), time.perf_counter() + 5
            while time.perf_counter() - steady < STABLE_S and time.perf_counter() < give_up:
                time.sleep(0.05)
                now = proc_status(pid)
                if now.get("VmRSS") != settled.get("VmRSS"):
                    settled, steady = now, time.perf_counter()
            settled = proc_status(pid)
            result.rss_settled_kib, result.hwm_settled_kib = settled.get("VmRSS", 0), settled.get("VmHWM", 0)
            result.settled_after_ms = (time.perf_counter() - start) * 1000 - result.wall_ms
        return result
    finally:
        tmux.apps_cpu_s += cpu_of(pid)
        tmux.command(f"kill-session -t {name}")  # SIGHUP to the app
        deadline = time.perf_counter() + 5
        while _alive(pid) and time.perf_counter() < deadline:
            time.sleep(0.01)
        if _alive(pid):
            os.kill(pid, 9)


# --- Markers: what "painted" means for each app ------------------------------------------------------------

def organizer_marker(db: Path) -> tuple[Callable[[list[str]], bool], str]:
    """The title line with the card count, and the first card of each of the first three columns.

    Read from the database the way `organizer.boardview.load_board` orders it (first board by id, the
    default since the bench config names no default board).
    """
    with sqlite3.connect(db) as conn:
        board_id, key, name = conn.execute("SELECT id, key, name FROM board ORDER BY id LIMIT 1").fetchone()
        count = conn.execute("SELECT COUNT(*) FROM card WHERE board_id = ?", (board_id,)).fetchone()[0]
        firsts = []
        for (column_id,) in conn.execute("SELECT id FROM board_column WHERE board_id = ? ORDER BY position LIMIT 3",
                                         (board_id,)).fetchall():
            row = conn.execute("SELECT number FROM card WHERE column_id = ? ORDER BY position LIMIT 1",
                               (column_id,)).fetchone()
            if row:
                firsts.append(f"{key}-{row[0]}")
    title = f"{key} · {name}   {count} cards"
    # A card's first line starts a column: at the left edge, or after the previous column's border.
    cards = [re.compile(rf"(?:^|[│▕]) {re.escape(ref)}\b") for ref in firsts]

    def painted(lines: list[str]) -> bool:
        return bool(lines) and title in lines[0] and all(any(p.search(line) for line in lines) for p in cards)

    return painted, f"title “{title}” and {', '.join(firsts)} drawn"


def kanban_marker() -> tuple[Callable[[list[str]], bool], str]:
    """The active board's frame and the first task of each column (tasks 1, 2, 3) drawn in its card."""
    tasks = [re.compile(rf"▊\s+Task {n}\s+▎") for n in range(1, KANBAN_COLUMNS + 1)]

    def painted(lines: list[str]) -> bool:
        return any("Active Board:" in line for line in lines) and all(
            any(p.search(line) for line in lines) for p in tasks)

    return painted, "“Active Board:” and Task 1, 2, 3 drawn in their columns"


