"""Organizer benchmarks: the figures the performance issue asks for, against a 10,000-card database.

Run `.venv/bin/python bench/run.py` (or `make bench`); see bench/README.md for what each figure means.
Every command runs as its own process with the bench's own config and database in a temporary
folder (never the user's). Wall time is measured around the process with `time.perf_counter`; peak
memory is the process's own maximum RSS as reported by GNU time (`/usr/bin/time -f %M`), because
`os.wait4` on a direct child reports at least this harness's own peak: Linux carries the parent's
RSS high-water mark across fork and exec. Results go to bench/out/results.json.

Benchmarks inform, they do not gate: the exit status is 0 when every figure was measured, whether or
not it met its target, and 1 only when a command failed and a figure could not be measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
# The venv's own bin folder, not resolved: .venv/bin/python is a symlink out of the venv.
BIN = Path(sys.executable).parent
GNU_TIME = "/usr/bin/time"
ADD_ARGS = ("add", "Write launch post", "--role", "writer", "--due", "tomorrow 10:00", "--estimate", "45m")
MIB = 1024.0


@dataclass
class Target:
    """A figure's target: median wall time and, optionally, peak memory."""

    median_ms: float | None = None
    max_rss_mib: float | None = None

    def describe(self) -> str:
        """The target as the table shows it."""
        parts = []
        if self.median_ms is not None:
            parts.append(f"≤{self.median_ms / 1000:g} s" if self.median_ms >= 1000 else f"≤{self.median_ms:g} ms")
        if self.max_rss_mib is not None:
            parts.append(f"≤{self.max_rss_mib:g} MiB")
        return ", ".join(parts) or "—"


@dataclass
class Bench:
    """One row of the table: a command, how often to run it, and what to do before each run."""

    key: str
    label: str
    argv: list[str]
    runs: int
    warmup: int
    figure: str = ""  # "1", "2", "3" for the figures; "" for context rows
    target: Target = field(default_factory=Target)
    prepare: Callable[[], None] | None = None  # untimed, before every run (warm-ups included)
    check: Callable[[str], str] | None = None  # reads the first run's stdout, returns a note or raises
    extra_env: dict[str, str] = field(default_factory=dict)  # on top of the bench environment


@dataclass
class Result:
    """What measuring one Bench produced."""

    key: str
    figure: str
    label: str
    command: list[str]
    target: str
    runs: int
    warmup: int
    wall_ms: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    median_ms: float | None = None
    p90_ms: float | None = None
    min_ms: float | None = None
    max_ms: float | None = None
    max_rss_mib: float | None = None
    status: str = ""  # PASS, FAIL, ERROR, or "" for context rows
    note: str = ""


@dataclass
class Env:
    """Where this bench run keeps its files, and the environment every measured process gets."""

    tmp: Path
    db: Path
    config: Path
    variables: dict[str, str]
    rss_method: str

    def organizer(self, *args: str) -> list[str]:
        """The installed `organizer` entry point with these arguments."""
        entry = BIN / "organizer"
        if entry.exists():
            return [str(entry), *args]
        return [sys.executable, "-m", "organizer", *args]


class CommandFailed(RuntimeError):
    """A measured command exited non-zero or printed something unexpected."""


def make_env(tmp: Path) -> Env:
    """A clean environment: bench config and database, XDG dirs inside `tmp`, no PYTHON*/ORGANIZER_* leaks."""
    config = tmp / "config.toml"
    config.write_text('timezone = "Europe/Paris"\n', encoding="utf-8")
    db = tmp / "bench.db"
    # PYTHONUNBUFFERED alone makes `list --json` several times slower (one write per JSON token), and
    # PYTHONDONTWRITEBYTECODE would recompile every module on every run: measure without either.
    variables = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "ORGANIZER_"))}
    variables.update({
        # Bytecode caches go under bench/out/, not into the source tree; warm-ups fill them.
        "PYTHONPYCACHEPREFIX": str(OUT_DIR / "pycache"),
        "ORGANIZER_DB": str(db),
        "ORGANIZER_CONFIG": str(config),
        "XDG_CONFIG_HOME": str(tmp / "xdg" / "config"),
        "XDG_DATA_HOME": str(tmp / "xdg" / "data"),
        "XDG_CACHE_HOME": str(tmp / "xdg" / "cache"),
        "XDG_STATE_HOME": str(tmp / "xdg" / "state"),
        "TZ": "Europe/Paris",
    })
    method = "GNU time" if _gnu_time_works() else "os.wait4"
    return Env(tmp, db, config, variables, method)


def _gnu_time_works() -> bool:
    if not os.access(GNU_TIME, os.X_OK):
        return False
    try:
        probe = subprocess.run([GNU_TIME, "-f", "%M", "true"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0 and probe.stderr.strip().isdigit()


def _reset_own_peak_rss() -> None:
    # Linux ≥ 4.0: reset this process's RSS high-water mark, so that a child reaped with
    # os.wait4 inherits only the harness's current RSS, not its peak (fallback method only).
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def run_once(env: Env, argv: Sequence[str], stdout: Path, extra_env: dict[str, str] | None = None,
             ) -> tuple[float, int, int, str]:
    """Run a command once: (wall seconds, max RSS KiB, exit code, stderr)."""
    err_path, rss_path = env.tmp / "stderr.txt", env.tmp / "rss.txt"
    variables = env.variables | (extra_env or {})
    with stdout.open("wb") as out, err_path.open("wb") as err:
        if env.rss_method == "GNU time":
            cmd = [GNU_TIME, "-f", "%M", "-o", str(rss_path), *argv]
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=variables,
                                    cwd=env.tmp)
            code = proc.wait()
            wall = time.perf_counter() - start
            # With -o, GNU time writes "Command exited with non-zero status N" before the figure.
            lines = rss_path.read_text().split()
            rss = int(lines[-1]) if lines and lines[-1].isdigit() else 0
        else:
            _reset_own_peak_rss()
            start = time.perf_counter()
            proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=variables,
                                    cwd=env.tmp)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            code = proc.returncode = os.waitstatus_to_exitcode(status)
            rss = usage.ru_maxrss  # KiB on Linux
    return wall, rss, code, err_path.read_text(encoding="utf-8", errors="replace")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def measure(env: Env, bench: Bench) -> Result:
    """Run a Bench's warm-ups and measured runs; summarise and judge them against the target."""
    res = Result(bench.key, bench.figure, bench.label, list(bench.argv), bench.target.describe(), bench.runs,
                 bench.warmup)
    stdout = env.tmp / f"stdout-{bench.key}.txt"
    for i in range(bench.warmup + bench.runs):
        if bench.prepare:
            bench.prepare()
        wall, rss, code, err = run_once(env, bench.argv, stdout, bench.extra_env)
        if code != 0:
            res.status, res.note = "ERROR", f"exit {code}: {err.strip()[-300:] or '(no stderr)'}"
            return res
        if i == 0 and bench.check:
            try:
                res.note = bench.check(stdout.read_text(encoding="utf-8"))
            except (CommandFailed, ValueError) as exc:
                res.status, res.note = "ERROR", f"unexpected output: {exc}"
                return res
        if i >= bench.warmup:
            res.wall_ms.append(wall * 1000)
            res.rss_kib.append(rss)
    ms = res.wall_ms
    res.median_ms, res.p90_ms = statistics.median(ms), percentile(ms, 90)
    res.min_ms, res.max_ms = min(ms), max(ms)
    res.max_rss_mib = max(res.rss_kib) / MIB
    if bench.figure:
        ok = (bench.target.median_ms is None or res.median_ms <= bench.target.median_ms) and (
            bench.target.max_rss_mib is None or res.max_rss_mib <= bench.target.max_rss_mib)
        res.status = "PASS" if ok else "FAIL"
    return res


# --- The database ------------------------------------------------------------------------------------------

def checkpoint_copy(src: Path, dst: Path) -> None:
    """A consistent single-file copy of a SQLite database (backup API), with no -wal/-shm beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    source, target = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    with sqlite3.connect(dst) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    Path(f"{dst}-wal").unlink(missing_ok=True)
    Path(f"{dst}-shm").unlink(missing_ok=True)


def restore(pristine: Path, dst: Path) -> None:
    """Replace `dst` (and any -wal/-shm) with a byte copy of a checkpointed pristine database."""
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(pristine, dst)


def db_counts(db: Path) -> dict[str, int]:
    """Row counts that prove what a database holds."""
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("board", "card", "card_channel", "card_tag", "history")}


def add_card_history(db: Path) -> int:
    """Give every card the history entry `organizer add` would have written, as if added one by one.

    Replaces the import's single entry, so the database looks like one that grew card by card
    (a lower bound: moves and edits would add more entries). Returns the number of entries.
    """
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        cols = [r[1] for r in conn.execute("PRAGMA table_info(card)")]
        channels: dict[int, list[str]] = {}
        for cid, ch in conn.execute("SELECT card_id, channel FROM card_channel ORDER BY card_id, position"):
            channels.setdefault(cid, []).append(ch)
        tags: dict[int, list[str]] = {}
        for cid, tag in conn.execute("SELECT card_id, tag FROM card_tag ORDER BY card_id, tag"):
            tags.setdefault(cid, []).append(tag)
        rows = []
        for r in conn.execute("SELECT c.*, b.key AS board_key FROM card c JOIN board b ON b.id = c.board_id "
                              "ORDER BY c.created_at"):
            snap = {c: r[c] for c in cols} | {"channels": channels.get(r["id"], []), "tags": tags.get(r["id"], [])}
            change = [{"table": "card", "id": r["id"], "before": None, "after": snap}]
            rows.append((r["created_at"], f"add {r['board_key']}-{r['number']}", json.dumps(change)))
        conn.execute("DELETE FROM history")
        conn.executemany("INSERT INTO history (at, origin, summary, changes, undone) VALUES (?, 'cli', ?, ?, 0)",
                         rows)
    return len(rows)


# --- Output checks -----------------------------------------------------------------------------------------

def expect_card_id(text: str) -> str:
    """`organizer add` prints the new card's ID."""
    out = text.strip()
    if not re.fullmatch(r"[A-Z][A-Z0-9]*-\d+", out):
        raise CommandFailed(f"expected a card ID, got {out[:80]!r}")
    return f"new card {out}"


def expect_cards(count: int) -> Callable[[str], str]:
    """`organizer list --json` prints a JSON array of `count` cards."""

    def check(text: str) -> str:
        found = json.loads(text)
        if not isinstance(found, list) or len(found) != count:
            raise CommandFailed(f"expected {count} cards, got {len(found) if isinstance(found, list) else found!r}")
        return f"{count:,} cards printed"

    return check


def expect_import(count: int) -> Callable[[str], str]:
    """`organizer import` reports how many cards it imported."""

    def check(text: str) -> str:
        if f"imported {count} cards" not in text:
            raise CommandFailed(f"expected 'imported {count} cards', got {text.strip()[:80]!r}")
        return f"{count:,} cards into an empty, migrated database"

    return check


def expect_output(pattern: str) -> Callable[[str], str]:
    """Stdout matches a regular expression."""

    def check(text: str) -> str:
        if not re.search(pattern, text):
            raise CommandFailed(f"expected /{pattern}/, got {text.strip()[:80]!r}")
        return ""

    return check


# --- Import-time profile -----------------------------------------------------------------------------------

def importtime_top(env: Env, pristine: Path, top: int) -> tuple[list[tuple[int, int, str]], int, int]:
    """`python -X importtime -m organizer add …` on a fresh 10k copy.

    Returns the `top` imports by cumulative µs, the number of modules imported and their total self µs.
    """
    lines: list[str] = []
    for _ in range(2):  # the first run only warms caches
        restore(pristine, env.db)
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "organizer", *ADD_ARGS],
                              capture_output=True, text=True, env=env.variables, stdin=subprocess.DEVNULL,
                              cwd=env.tmp)
        if proc.returncode != 0:
            raise CommandFailed(f"importtime run failed: {proc.stderr.strip()[-300:]}")
        lines = proc.stderr.splitlines()
    (OUT_DIR / "importtime_add.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = []
    for line in lines:
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(.*)$", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), m.group(3).rstrip()))
    return sorted(rows, key=lambda r: r[1], reverse=True)[:top], len(rows), sum(r[0] for r in rows)


# --- Reporting ---------------------------------------------------------------------------------------------

def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms"


def table(results: Sequence[Result]) -> str:
    """The results as a plain-text table, figures first."""
    head = ("#", "figure", "target", "runs", "median", "p90", "min", "max RSS", "result")
    rows = [head]
    for r in results:
        rss = f"{r.max_rss_mib:.1f} MiB" if r.max_rss_mib is not None else "—"
        rows.append((r.figure or "·", r.label, r.target, str(len(r.wall_ms)), _ms(r.median_ms), _ms(r.p90_ms),
                     _ms(r.min_ms), rss, r.status or "context"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    right = {3, 4, 5, 6, 7}
    out = []
    for n, row in enumerate(rows):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _git_revision() -> str:
    try:
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{rev}{'+dirty' if dirty else ''}" if rev else "unknown"


# --- The plan ----------------------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description="Organizer benchmarks (see bench/README.md).")
    p.add_argument("--runs", type=int, default=30, help="measured runs per quick command (default 30)")
    p.add_argument("--warmup", type=int, default=3, help="uncounted runs before each quick command (default 3)")
    p.add_argument("--heavy-runs", type=int, default=5,
                   help="measured runs of the second-long commands: import, list --all (default 5)")
    p.add_argument("--cards", type=int, default=10_000, help="cards in the benchmark database (default 10000)")
    p.add_argument("--seed", type=int, default=42, help="seed of the generated data (default 42)")
    p.add_argument("--top", type=int, default=15, help="imports shown from -X importtime (0 skips it)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = p.parse_args(argv)
    if args.runs < 1 or args.heavy_runs < 1 or args.warmup < 0 or args.cards < 100:
        p.error("--runs and --heavy-runs must be ≥ 1, --warmup ≥ 0, --cards ≥ 100")
    return args


def cpu_seconds() -> tuple[float | None, float]:
    """(CPU seconds the whole machine has been busy, CPU seconds this harness and its children used)."""
    own = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for f in ("ru_utime", "ru_stime"))
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None, own
    # user nice system idle iowait irq softirq steal …: busy is everything but idle and iowait.
    busy = sum(fields[:8]) - fields[3] - fields[4]
    return busy / os.sysconf("SC_CLK_TCK"), own


def others_cpu(before: tuple[float | None, float], started: float, ours_extra: float = 0.0) -> float | None:
    """The CPU (in cores) the rest of the machine used since `before = cpu_seconds()` at `started`
    (other people's tests, builds…): what a figure's noise is judged by. `ours_extra`: our own CPU time that is
    not our children's (processes read from /proc). None where the machine's CPU time cannot be read."""
    busy_before, own_before = before
    busy_after, own_after = cpu_seconds()
    if busy_before is None or busy_after is None:
        return None
    ours = own_after - own_before + ours_extra
    return max(0.0, (busy_after - busy_before - ours) / (time.perf_counter() - started))


def _step(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the database, measure every figure, print the table and write bench/out/results.json."""
    args = parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="organizer-bench-"))
    started = time.perf_counter()
    before = cpu_seconds()
    try:
        env = make_env(tmp)
        results, extra = _run_all(env, args)
    finally:
        if args.keep:
            print(f"temporary folder kept: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - started
    others = others_cpu(before, started)
    cpus = os.cpu_count() or 1
    meta = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": _git_revision(),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}",
        "cpus": cpus,
        "other_processes_cpu_cores": None if others is None else round(others, 2),
        "rss_method": env.rss_method,
        "cards": args.cards,
        "runs": args.runs,
        "warmup": args.warmup,
        "heavy_runs": args.heavy_runs,
        "elapsed_s": round(elapsed, 1),
    }
    busy = "?" if others is None else f"{others:.2f}"
    print(f"Organizer benchmarks · {meta['date']} · git {meta['git']} · Python {meta['python']} · "
          f"{cpus} CPUs, other processes used {busy} of them · {args.cards:,} cards · peak RSS via {env.rss_method}")
    print()
    print(table(results))
    print()
    for r in results:
        if r.note:
            print(f"  {r.figure or '·'} {r.label}: {r.note}")
    if env.rss_method != "GNU time":
        print("  note: GNU time is missing, so max RSS comes from os.wait4 and includes the harness's own RSS "
              "at spawn (an upper bound).")
    if others is not None and others > 0.25:
        print(f"  note: other processes kept {others:.2f} of {cpus} CPUs busy during the run; figures may be high "
              "(rerun on a quiet machine).")
    failed = [r for r in results if r.status == "FAIL"]
    errors = [r for r in results if r.status == "ERROR"]
    for r in failed:
        print(f"FAIL: figure {r.figure} {r.label}: median {_ms(r.median_ms)}, max RSS {r.max_rss_mib:.1f} MiB "
              f"(target {r.target})")
    for r in errors:
        print(f"ERROR: {r.figure or '·'} {r.label}: {r.note}")
    top = extra.get("importtime_top")
    if top:
        print()
        print(f"Slowest imports of `organizer add` (python -X importtime, top {len(top)} by cumulative time; "
              "full log in bench/out/importtime_add.txt).")
        print(f"{extra['importtime_modules']} modules, {extra['importtime_total_us'] / 1000:.1f} ms of import time "
              "in all (importtime itself inflates it):")
        print(f"{'self ms':>8} {'cumul ms':>9}  module")
        for self_us, cum_us, name in top:
            print(f"{self_us / 1000:8.1f} {cum_us / 1000:9.1f}  {name}")
    elif extra.get("importtime_error"):
        print(f"importtime: {extra['importtime_error']}")
    payload = {"meta": meta, "results": [asdict(r) for r in results],
               "importtime_top": [{"self_us": s, "cumulative_us": c, "module": n.strip()} for s, c, n in top or []],
               "importtime_modules": extra.get("importtime_modules"),
               "importtime_total_us": extra.get("importtime_total_us"),
               "database": extra.get("database", {})}
    (OUT_DIR / "results.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten: {OUT_DIR / 'results.json'} ({elapsed:.0f} s)")
    return 1 if errors else 0


def _run_all(env: Env, args: argparse.Namespace) -> tuple[list[Result], dict[str, Any]]:
    py = sys.executable
    quick = {"runs": args.runs, "warmup": args.warmup}
    heavy = {"runs": args.heavy_runs, "warmup": 1}
    results: list[Result] = []
    extra: dict[str, Any] = {}

    _step("context: interpreter and imports")
    for bench in (
        Bench("python", "python -c pass", [py, "-c", "pass"], **quick),
        Bench("sqlmodel", 'python -c "import sqlmodel"', [py, "-c", "import sqlmodel"], **quick),
        Bench("version", "organizer --version", env.organizer("--version"), check=expect_output(r"organizer \S+"),
              **quick),
    ):
        results.append(measure(env, bench))

    _step(f"generating {args.cards:,} cards")
    data = OUT_DIR / f"cards-{args.cards}.json"
    gen = subprocess.run([py, str(BENCH_DIR / "dataset.py"), str(data), "--cards", str(args.cards),
                          "--seed", str(args.seed)], capture_output=True, text=True, env=env.variables)
    if gen.returncode != 0:
        raise SystemExit(f"bench/dataset.py failed: {gen.stderr.strip()}")
    open_cards = sum(1 for c in json.loads(data.read_text(encoding="utf-8"))["cards"] if c["completed"] is None)

    # An empty database at the current schema revision, to import into.
    empty, pristine, built = env.tmp / "empty.db", env.tmp / "pristine.db", env.tmp / "built.db"
    made = subprocess.run(env.organizer("--db", str(built), "boards"), capture_output=True, text=True,
                          env=env.variables, stdin=subprocess.DEVNULL)
    if made.returncode != 0:
        raise SystemExit(f"cannot create an empty database: {made.stderr.strip()}")
    checkpoint_copy(built, empty)

    _step("importing (figure 3), which also builds the benchmark database")
    target_db = env.tmp / "import.db"
    imp = measure(env, Bench(
        "import", f"import json ({args.cards:,} cards)", env.organizer("--db", str(target_db), "import", "json",
                                                                        str(data)),
        figure="3", target=Target(median_ms=3000), prepare=lambda: restore(empty, target_db),
        check=expect_import(args.cards), **heavy))
    if imp.status != "ERROR":
        checkpoint_copy(target_db, pristine)
        counts = db_counts(pristine)
        extra["database"] = counts | {"open_cards": open_cards, "bytes": pristine.stat().st_size}
        if counts["card"] != args.cards:
            imp.status, imp.note = "ERROR", f"the database holds {counts['card']} cards, not {args.cards}"
    if imp.status == "ERROR":
        unmeasured = [Result(key, fig, label, [], target, 0, 0, status="ERROR",
                             note="not measured: the import that builds the database failed")
                      for key, fig, label, target in (("add", "1", "add", "≤130 ms, ≤40 MiB"),
                                                      ("list", "2", "list --json", "≤300 ms"))]
        return [*unmeasured, imp, *results], extra
    imp.note += f"; database {pristine.stat().st_size / 2**20:.1f} MiB"

    _step("add (figure 1)")
    add = measure(env, Bench(
        "add", f"add ({args.cards:,} cards)", env.organizer(*ADD_ARGS), figure="1",
        target=Target(median_ms=130, max_rss_mib=40), prepare=lambda: restore(pristine, env.db),
        check=expect_card_id, **quick))
    add.note += f"; a fresh copy of the {args.cards:,}-card database before every run"

    _step("list --json (figure 2)")
    restore(pristine, env.db)
    lst = measure(env, Bench("list", f"list --json ({args.cards:,} cards)", env.organizer("list", "--json"),
                             figure="2", target=Target(median_ms=300), check=expect_cards(open_cards), **quick))
    lst.note += " (open cards; done columns are hidden without --all)"
    results[:0] = [add, lst, imp]

    _step("context: list --all, a first import, add with a card-by-card history")
    unbuffered = measure(env, Bench("list_unbuffered", "list --json, PYTHONUNBUFFERED=1",
                                    env.organizer("list", "--json"), check=expect_cards(open_cards),
                                    extra_env={"PYTHONUNBUFFERED": "1"}, **heavy))
    unbuffered.note = "as in Docker images and CI jobs that set it: every small write becomes a system call"
    results.append(unbuffered)
    results.append(measure(env, Bench("list_all", f"list --all --json ({args.cards:,} cards)",
                                      env.organizer("list", "--all", "--json"), check=expect_cards(args.cards),
                                      **heavy)))
    fresh_db = env.tmp / "fresh.db"

    def remove_fresh() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{fresh_db}{suffix}").unlink(missing_ok=True)

    first = measure(env, Bench("import_new", "import json into a new file", env.organizer(
        "--db", str(fresh_db), "import", "json", str(data)), prepare=remove_fresh, check=expect_import(args.cards),
        runs=1, warmup=0))
    first.note = "creates and migrates the database first"
    results.append(first)
    historied = env.tmp / "history.db"
    checkpoint_copy(pristine, historied)
    entries = add_card_history(historied)
    checkpoint_copy(historied, historied.with_suffix(".pristine"))
    hist = measure(env, Bench("add_history", f"add ({args.cards:,} cards, {entries:,} history entries)",
                              env.organizer(*ADD_ARGS), prepare=lambda: restore(historied.with_suffix(".pristine"),
                                                                                env.db),
                              check=expect_card_id, **quick))
    hist.note = "as if every card had been added with `organizer add` (one history entry each)"
    results.append(hist)

    if args.top > 0:
        _step("python -X importtime on add")
        try:
            extra["importtime_top"], extra["importtime_modules"], extra["importtime_total_us"] = importtime_top(
                env, pristine, args.top)
        except CommandFailed as exc:
            extra["importtime_error"] = str(exc)
    return results, extra


if __name__ == "__main__":
    raise SystemExit(main())
