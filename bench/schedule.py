"""Schedule benchmarks (issue 9): re-planning the one stored schedule, in-process and as whole processes.

Run `.venv/bin/python bench/schedule.py [--runs N] [--open 3000]`; see bench/README.md ("Schedule
benchmarks") for what each row means. Like bench/run.py it reports and does not gate: a missed target
prints FAIL and the exit status stays 0; it is 1 only when a figure could not be measured (a command
failed, or a run that had to re-plan did not).

1. A change to a card re-plans and commits ≤ 50 ms, 3,000 open cards, 10 working days: one
   `schedule.replan` inside `BEGIN IMMEDIATE … COMMIT` on a `sqlite3` connection (what `schedule.read`
   does when the plan is stale), right after an edit that the triggers of migration 0006 mark stale.
   In-process and warm. A breakdown shows where the time goes.
2. `organizer add --popup "…" -e 20m -P 1 --due "today 16:00"` ≤ 250 ms, whole process, 3,000 open
   cards, on a fresh copy of a database whose plan is current (so the add marks it stale and the
   placement re-plans; every run is checked).
3. `organizer plan --json` ≤ 300 ms, whole process, 10,000 cards: the plan stale (the first read after
   a change, re-plans) and current (stored, only read).

Everything lives in a temporary folder (`ORGANIZER_DB`, `ORGANIZER_CONFIG` and the XDG folders point
there); the data come from bench/dataset.py relative to the real clock, because the CLI reads it.
Results go to bench/out/schedule-results.json, full cProfile listings to bench/out/schedule-profile-*.txt.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dataset  # bench/ is sys.path[0] when this file runs as a script
from run import OUT_DIR, REPO, Env, _git_revision, checkpoint_copy, cpu_seconds, make_env, percentile, restore, run_once

from organizer.config import Config, load_config
from organizer.instants import db_text
from organizer.services import plan_inputs, schedule
from organizer.storage import quick
from organizer.storage.plain import Db

TZ = ZoneInfo(dataset.TIMEZONE)
DONE = ("Published", "Measured")
POPUP_TITLE = "Answer the café complaint on Instagram"
POPUP_ARGS = ("add", "--popup", POPUP_TITLE, "-e", "20m", "-P", "1", "--due", "today 16:00")
PLAIN_ARGS = ("add", POPUP_TITLE, "-e", "20m", "-P", "1", "--due", "today 16:00")
EDIT_MINUTES = 15
# Profiles printed by own time as well as by cumulative time.
OWN_TIME = ("profile-replan-3000", "profile-process-plan-current")


# --- Results ------------------------------------------------------------------------------------------------

@dataclass
class Row:
    """One row of the table: samples in milliseconds and what they were measured on."""

    key: str
    figure: str  # "1", "2", "3" for the targets, "" for context rows
    label: str
    target_ms: float | None = None
    samples: list[float] = field(default_factory=list)
    load: tuple[float, float, float] | None = None  # os.getloadavg() right after the row
    status: str = ""  # PASS, FAIL, ERROR, or "" for context rows
    note: str = ""
    command: list[str] = field(default_factory=list)

    def stats(self) -> dict[str, float]:
        """median, p90, min and max of the samples."""
        s = self.samples
        return {"median": statistics.median(s), "p90": percentile(s, 90), "min": min(s), "max": max(s)} if s else {}

    def judge(self) -> None:
        """PASS/FAIL against the target (the median), unless an error was recorded."""
        self.load = os.getloadavg()
        if self.status == "ERROR" or not self.figure:
            return
        self.status = "PASS" if self.stats()["median"] <= (self.target_ms or 0) else "FAIL"


class Failed(RuntimeError):
    """A figure could not be measured: a command failed, or a run did not do what it had to."""


def _step(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


# --- The data -----------------------------------------------------------------------------------------------

def open_count(cards: int) -> int:
    """Cards outside done columns that bench/dataset.py generates for `cards` (not random: the column
    counts follow from the board sizes alone)."""
    counts = [round(cards * b["share"]) for b in dataset.BOARDS]
    counts[-1] = cards - sum(counts[:-1])
    return sum(sum(1 for c in dataset._columns_for(random.Random(0), n) if c not in DONE) for n in counts)


def cards_for_open(target: int) -> int:
    """The smallest card count whose generated data hold at least `target` open cards (~38 % are open)."""
    n = max(100, int((target - 18) / 0.38) - 100)
    while open_count(n) > target and n > 100:
        n -= 50
    while open_count(n) < target:
        n += 1
    return n


def make_export(path: Path, cards: int, seed: int, now: datetime, open_popups: float) -> dict[str, int]:
    """bench/dataset.py's export for `cards`, with pop-ups among open cards cut to the share `open_popups`.

    The generator flags ~6 % of all cards as pop-ups, done or not, so ~180 of 3,000 open cards would be
    open pop-ups: more than the whole horizon's reserve and most of its working time, which leaves the
    planner a dozen work blocks to place. Open pop-ups do not pile up in a real team (bench/plan.py uses
    0.5 %), so only that share of them keeps the flag; done cards keep theirs.
    """
    doc = dataset.generate(cards, seed, now)
    rng = random.Random(seed)
    open_cards = [c for c in doc["cards"] if c["column"] not in DONE]
    popups = [c for c in open_cards if c["popup"]]
    keep = set(id(c) for c in rng.sample(popups, min(len(popups), round(len(open_cards) * open_popups))))
    for c in popups:
        c["popup"] = id(c) in keep
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return {"cards": len(doc["cards"]), "open": len(open_cards), "open_popups": len(keep),
            "open_with_estimate": sum(1 for c in open_cards if c["estimate_minutes"]),
            "open_with_due_or_publish": sum(1 for c in open_cards if c["due"] or c["publish"])}


def add_meetings(db: Path, now: datetime, per_day: int, seed: int) -> int:
    """`per_day` meetings (30–90 min) on every weekday from four weeks back to four weeks ahead, as manual
    busy blocks: what a synced work calendar puts in front of the planner."""
    rng = random.Random(seed)
    today = now.astimezone(TZ).date()
    rows = []
    for offset in range(-28, 29):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for n in range(per_day):
            minute = rng.randrange(9 * 4, 17 * 4) * 15
            start = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=TZ)
            end = start + timedelta(minutes=rng.choice((30, 30, 45, 60, 90)))
            rows.append((f"bench-{day.isoformat()}-{n}@organizer", rng.choice(
                ("Stand-up", "Client call", "Content review", "1:1", "Planning", "Agency sync")),
                db_text(start), db_text(end), db_text(now)))
    with sqlite3.connect(db) as conn:
        conn.executemany("INSERT INTO busy_event (uid, title, start_at, end_at, all_day, source, created_at) "
                         "VALUES (?, ?, ?, ?, 0, 'manual', ?)", rows)
    conn.close()
    return len(rows)


def settings(db: Path) -> dict[str, str]:
    """The plan.* settings of a database."""
    with sqlite3.connect(db) as conn:
        out = dict(conn.execute("SELECT key, value FROM setting WHERE key LIKE 'plan.%'").fetchall())
    conn.close()
    return out


def made_at(db: Path) -> str | None:
    """When the stored plan was made (None when there is none)."""
    state = settings(db).get(schedule.STATE_KEY)
    return json.loads(state)["made_at"] if state else None


@dataclass
class Prepared:
    """A benchmark database in three states, and what it holds."""

    imported: Path  # after the import and the meetings: never planned, stale
    current: Path  # planned once by `organizer plan --json`: the plan is stored and current
    stale: Path  # `current` after one edit of a planned card: the triggers marked the plan stale
    info: dict[str, Any]
    edit_cards: list[int]  # cards with a work block ahead, which the edits change


def prepare(env: Env, label: str, cards: int, args: argparse.Namespace, now: datetime) -> Prepared:
    """Generate, import, add meetings, plan once, and make the stale copy."""
    export = env.tmp / f"cards-{label}.json"
    info = make_export(export, cards, args.seed, now, args.open_popups)
    built = env.tmp / f"built-{label}.db"
    proc = subprocess.run(env.organizer("--db", str(built), "import", "json", str(export)), capture_output=True,
                          text=True, env=env.variables, stdin=subprocess.DEVNULL, cwd=env.tmp)
    if proc.returncode != 0:
        raise Failed(f"import of {label} failed: {proc.stderr.strip()[-300:]}")
    info["meetings"] = add_meetings(built, now, args.meetings, args.seed) if args.meetings else 0
    imported = env.tmp / f"imported-{label}.db"
    checkpoint_copy(built, imported)
    proc = subprocess.run(env.organizer("--db", str(built), "plan", "--json"), capture_output=True, text=True,
                          env=env.variables, stdin=subprocess.DEVNULL, cwd=env.tmp)
    if proc.returncode != 0:
        raise Failed(f"first plan of {label} failed: {proc.stderr.strip()[-300:]}")
    current = env.tmp / f"current-{label}.db"
    checkpoint_copy(built, current)
    if settings(current).get(schedule.STALE_KEY) != "0":
        raise Failed(f"{label}: the plan is not current after `organizer plan`")
    with sqlite3.connect(current) as conn:
        edit_cards = [r[0] for r in conn.execute(
            "SELECT DISTINCT pb.card_id FROM plan_block pb JOIN card c ON c.id = pb.card_id WHERE pb.kind = 'work' "
            "AND pb.start_at > ? AND c.estimate_minutes IS NOT NULL ORDER BY pb.card_id", (db_text(now),))]
        kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM plan_block GROUP BY kind").fetchall())
        info["plan_blocks"] = kinds
        info["state_bytes"] = conn.execute("SELECT length(value) FROM setting WHERE key = ?",
                                           (schedule.STATE_KEY,)).fetchone()[0]
        info["work_items"] = len(plan_inputs.work_items(Db(conn)))
    conn.close()
    if not edit_cards:
        raise Failed(f"{label}: the plan has no work block ahead to edit")
    stale = env.tmp / f"stale-{label}.db"
    shutil.copyfile(current, stale)
    with sqlite3.connect(stale) as conn:
        edit(conn, edit_cards[len(edit_cards) // 2], EDIT_MINUTES)
    conn.close()
    checkpoint_copy(stale, stale.with_suffix(".tmp"))
    shutil.move(stale.with_suffix(".tmp"), stale)
    if settings(stale).get(schedule.STALE_KEY) != "1":
        raise Failed(f"{label}: an edit did not mark the plan stale (are the triggers of migration 0006 there?)")
    info["bytes"] = current.stat().st_size
    return Prepared(imported, current, stale, info, edit_cards)


def edit(conn: sqlite3.Connection, card_id: int, delta: int) -> None:
    """What `organizer edit ID -e …` changes on the card: its estimate and updated_at (autocommit)."""
    conn.execute("UPDATE card SET estimate_minutes = estimate_minutes + ?, updated_at = ? WHERE id = ?",
                 (delta, db_text(datetime.now(UTC)), card_id))
    if conn.in_transaction:
        conn.commit()


# --- In-process figures -------------------------------------------------------------------------------------

def _connect(db: Path) -> sqlite3.Connection:
    conn = quick.connect_sqlite(str(db))  # the connection schedule.read uses: autocommit, foreign keys, NORMAL sync
    conn.row_factory = None
    return conn


def _stale(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM setting WHERE key = ?", (schedule.STALE_KEY,)).fetchone()
    return row[0] if row else None


class Edits:
    """Edits that change the plan: +15 min on a planned card, then −15 min on the same card, and so on."""

    def __init__(self, cards: Sequence[int], seed: int) -> None:
        self.cards, self.rng, self.n, self.card = list(cards), random.Random(seed), 0, cards[0]

    def next(self, conn: sqlite3.Connection) -> float:
        """Make the next edit; its wall time in ms. Checks that it marked the plan stale."""
        if self.n % 2 == 0:
            self.card = self.rng.choice(self.cards)
        delta = EDIT_MINUTES if self.n % 2 == 0 else -EDIT_MINUTES
        self.n += 1
        t0 = time.perf_counter()
        edit(conn, self.card, delta)
        ms = (time.perf_counter() - t0) * 1000
        if _stale(conn) != "1":
            raise Failed("an edit did not mark the plan stale")
        return ms


def replan_tx(conn: sqlite3.Connection, cfg: Config, db: Db | None = None) -> schedule.Schedule:
    """One re-plan as `schedule.read` does it when stale: BEGIN IMMEDIATE, replan, COMMIT."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        sched = schedule.replan(db or Db(conn), cfg, datetime.now(UTC))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return sched


def timed_runs(fn: Callable[[], Any], before: Callable[[], Any] | None, runs: int, warmup: int) -> list[float]:
    """ms per call of `fn` after `warmup` uncounted calls; `before` runs untimed before each call."""
    out = []
    for i in range(warmup + runs):
        if before:
            before()
        t0 = time.perf_counter()
        fn()
        ms = (time.perf_counter() - t0) * 1000
        if i >= warmup:
            out.append(ms)
    return out


class TimedDb(Db):
    """A Db that times each statement by kind (first words of the SQL) and counts plan_block rows written."""

    def __init__(self, conn: sqlite3.Connection, sink: dict[str, list[float]], counts: dict[str, int]) -> None:
        super().__init__(conn)
        self.sink, self.counts = sink, counts

    @staticmethod
    def kind(sql: str) -> str:
        words = sql.split()
        verb = words[0].upper()
        table = next((w for w, prev in zip(words[1:], words, strict=False) if prev.upper() in ("FROM", "INTO")), "?")
        if verb == "SELECT" and "plan_block" in sql:
            table = "plan_block"
        elif verb == "SELECT" and "bc.is_done" in sql:
            table = "card (work_items)"
        elif verb == "SELECT" and "MIN(position)" in sql:
            table = "board_column (first columns)"
        return f"SQL {verb} {table}"

    def rows(self, sql: str, params: Any = None, *, fetch: bool = True) -> list[Any]:
        t0 = time.perf_counter()
        out = super().rows(sql, params, fetch=fetch)
        self.sink[self.kind(sql)].append((time.perf_counter() - t0) * 1000)
        if sql.lstrip().upper().startswith("DELETE FROM PLAN_BLOCK"):
            self.counts["deleted"] += sql.count(",") + 1
        return out

    def many(self, sql: str, params: Any) -> None:
        batch = list(params)
        t0 = time.perf_counter()
        super().many(sql, batch)
        self.sink[self.kind(sql) + " (executemany)"].append((time.perf_counter() - t0) * 1000)
        self.counts["inserted"] += len(batch)


# Parts of replan, by the module-level names it calls; absent names are skipped (the module may change).
PARTS = {
    "read inputs": ("work_items", "stored_blocks", "busy_between", "settings_from_config", "horizon", "day_bounds"),
    "planner.plan_range": ("plan_range",),
    "user pins + moved": ("_user_pins", "_moved"),
    "encode state (JSON)": ("_encode",),
    "store state (setting rows)": ("_put",),
}


_TOP_LEVEL = {name for names in PARTS.values() for name in names} | {"COMMIT"}
_WRITES = ("SQL DELETE plan_block", "SQL INSERT plan_block")


@contextmanager
def instrumented(sink: dict[str, list[float]]) -> Iterator[None]:
    """Wrap schedule's module-level helpers so that each call's time lands in sink[name]."""
    saved = {}
    for names in PARTS.values():
        for name in names:
            fn = getattr(schedule, name, None)
            if fn is None or not callable(fn):
                continue
            saved[name] = fn

            def wrapper(*a: Any, _fn: Callable[..., Any] = fn, _name: str = name, **kw: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return _fn(*a, **kw)
                finally:
                    sink[_name].append((time.perf_counter() - t0) * 1000)

            setattr(schedule, name, wrapper)
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(schedule, name, fn)


def breakdown(conn: sqlite3.Connection, cfg: Config, edits: Edits, runs: int) -> dict[str, Any]:
    """Median ms per part of replan (and per SQL statement kind) over `runs` instrumented re-plans."""
    per_run: list[dict[str, float]] = []
    rows_written: list[tuple[int, int]] = []
    moved: list[int] = []
    pauses: list[float] = []
    gc_start: list[float] = []

    def on_gc(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            gc_start.append(time.perf_counter())
        elif gc_start:
            pauses.append((time.perf_counter() - gc_start.pop()) * 1000)

    gc_per_run: list[float] = []
    for _ in range(runs):
        edits.next(conn)
        sink: dict[str, list[float]] = defaultdict(list)
        counts: dict[str, int] = defaultdict(int)
        db = TimedDb(conn, sink, counts)
        pauses.clear()
        gc.callbacks.append(on_gc)
        try:
            with instrumented(sink):
                t0 = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                sched = schedule.replan(db, cfg, datetime.now(UTC))
                t1 = time.perf_counter()
                conn.execute("COMMIT")
                t2 = time.perf_counter()
        finally:
            gc.callbacks.remove(on_gc)
        gc_per_run.append(sum(pauses))
        run = {name: sum(v) for name, v in sink.items()}
        run["COMMIT"] = (t2 - t1) * 1000
        run["total"] = (t2 - t0) * 1000
        timed = [v for k, v in run.items() if k in _TOP_LEVEL or k.startswith(_WRITES)]
        run["other"] = run["total"] - sum(timed)
        per_run.append(run)
        rows_written.append((counts["deleted"], counts["inserted"]))
        moved.append(len(sched.moved))
    names = sorted({k for r in per_run for k in r})
    med = {k: statistics.median(r.get(k, 0.0) for r in per_run) for k in names}
    parts: dict[str, float] = {}
    for part, fns in PARTS.items():
        parts[part] = sum(med.get(f, 0.0) for f in fns)
    write_keys = [k for k in names if k.startswith(_WRITES)]
    parts["write blocks (DELETE + INSERT plan_block)"] = sum(med[k] for k in write_keys)
    parts["COMMIT"] = med["COMMIT"]
    parts["other (diffing kept blocks, BEGIN, residual)"] = med["other"]
    sql = {k: med[k] for k in names if k.startswith("SQL")}
    funcs = {k: med[k] for k in names if not k.startswith("SQL") and k not in ("COMMIT", "total", "other")}
    return {"total_median_ms": med["total"], "parts_ms": parts, "functions_ms": funcs, "sql_ms": sql,
            "note": "each part is the median over the runs, so the parts need not add up to the total",
            "rows_deleted_median": statistics.median(d for d, _ in rows_written),
            "rows_inserted_median": statistics.median(i for _, i in rows_written),
            "moved_median": statistics.median(moved), "gc_median_ms": statistics.median(gc_per_run),
            "gc_max_ms": max(gc_per_run), "runs": runs}


def profile_calls(fn: Callable[[], Any], before: Callable[[], Any] | None, runs: int, out: Path,
                  top: int) -> dict[str, list[dict[str, Any]]]:
    """cProfile `runs` calls of `fn`; save the full listing, return the top functions by cumulative time."""
    prof = cProfile.Profile()
    for _ in range(runs):
        if before:
            before()
        prof.enable()
        fn()
        prof.disable()
    return _profile_top(pstats.Stats(prof), out, top, per=runs)


def _profile_top(stats: pstats.Stats, out: Path, top: int, per: int = 1,
                 skip: Callable[[str], bool] | None = None) -> dict[str, list[dict[str, Any]]]:
    """The top functions by cumulative and by own time, per call of the profiled code; the harness's own
    frames (and `skip`) left out. The full listing (80 lines each way) goes to `out`."""
    buf = io.StringIO()
    stats.stream = buf  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(80)
    stats.sort_stats("tottime").print_stats(80)
    out.write_text(buf.getvalue(), encoding="utf-8")
    entries = stats.stats  # type: ignore[attr-defined]
    result: dict[str, list[dict[str, Any]]] = {}
    for order, index in (("cumulative", 3), ("own", 2)):
        rows: list[dict[str, Any]] = []
        for (file, line, name), values in sorted(entries.items(), key=lambda kv: -kv[1][index]):
            _cc, nc, tt, ct, _callers = values
            where = f"{_short(file)}:{line}({name})" if line else name
            if where.startswith("bench/") or (skip and skip(where)):
                continue
            rows.append({"function": where, "calls": nc / per, "cumulative_ms": ct * 1000 / per,
                         "own_ms": tt * 1000 / per})
            if len(rows) == top:
                break
        result[order] = rows
    return result


def _short(file: str) -> str:
    if file.startswith(str(REPO) + "/"):
        return file[len(str(REPO)) + 1:]
    if "site-packages/" in file:
        return file.split("site-packages/", 1)[1]
    if "/lib/python3" in file:
        return "stdlib/" + file.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return file


def _skip_process(where: str) -> bool:
    """Entries of a whole-process profile that only say "something was run or imported"."""
    return (where.startswith(("<frozen", "{built-in method builtins.exec}", "stdlib/runpy.py", "stdlib/cProfile.py",
                              "{method 'enable' of '_lsprof.Profiler'"))
            or "<module>" in where or "_call_with_frames_removed" in where or where.startswith("<string>"))


def inprocess(label: str, prepared: Prepared, cfg: Config, args: argparse.Namespace, figure: str,
              detail: bool) -> tuple[list[Row], dict[str, Any]]:
    """In-process rows on a working copy of the current database: replan after an edit, read() stale and current."""
    work = prepared.current.with_name(f"inproc-{label}.db")
    checkpoint_copy(prepared.current, work)
    conn = _connect(work)
    edits = Edits(prepared.edit_cards, args.seed)
    extra: dict[str, Any] = {}
    rows: list[Row] = []
    try:
        edit_ms: list[float] = []

        def before() -> None:
            edit_ms.append(edits.next(conn))

        def replan() -> None:
            sched = replan_tx(conn, cfg)
            if not sched.replanned or _stale(conn) != "0":
                raise Failed("replan left the plan stale")

        row = Row(f"replan-{label}", figure, f"replan + commit after an edit, in-process "
                  f"({prepared.info['open']:,} open)", 50.0 if figure else None)
        row.samples = timed_runs(replan, before, max(args.runs, 20) if figure else args.runs, args.warmup)
        row.note = (f"{prepared.info['work_items']:,} work items, {len(prepared.edit_cards)} cards with work blocks "
                    f"ahead; the edit itself (UPDATE + trigger, autocommit) median {statistics.median(edit_ms):.2f} ms")
        row.judge()
        rows.append(row)

        def read_stale() -> None:
            sched = schedule.read(str(work), cfg, datetime.now(UTC))
            if not sched.replanned:
                raise Failed("schedule.read did not re-plan after an edit")

        row = Row(f"read-stale-{label}", "", f"schedule.read, stale (connect, check, replan, commit) ({label})")
        row.samples = timed_runs(read_stale, lambda: edits.next(conn), args.runs, args.warmup)
        row.judge()
        rows.append(row)

        def read_current() -> None:
            sched = schedule.read(str(work), cfg, datetime.now(UTC))
            if sched.replanned:
                raise Failed("schedule.read re-planned a current plan")

        row = Row(f"read-current-{label}", "", f"schedule.read, current (connect, check, decode state) ({label})")
        row.samples = timed_runs(read_current, None, args.runs, args.warmup)
        row.judge()
        rows.append(row)

        if detail:
            _step(f"breakdown and cProfile of replan ({label})")
            extra["breakdown"] = breakdown(conn, cfg, edits, max(args.runs, 20))
            extra["profile_replan"] = profile_calls(
                lambda: replan_tx(conn, cfg), lambda: edits.next(conn), args.profile_runs,
                OUT_DIR / f"schedule-profile-replan-{label}.txt", args.top)
            extra["profile_read_current"] = profile_calls(
                lambda: schedule.read(str(work), cfg, datetime.now(UTC)), None, args.profile_runs,
                OUT_DIR / f"schedule-profile-read-current-{label}.txt", args.top)
    finally:
        conn.close()
    return rows, extra


# --- Whole-process figures ----------------------------------------------------------------------------------

def process_row(env: Env, row: Row, argv: list[str], runs: int, warmup: int, before: Callable[[], None] | None,
                after: Callable[[int, str, str], None] | None) -> Row:
    """Time `argv` as its own process; `before` runs untimed before every run, `after(i, stdout, stderr)`
    checks every run (warm-ups included) and raises Failed when it did not do what it had to."""
    row.command = list(argv)
    out = env.tmp / f"stdout-{row.key}.txt"
    try:
        for i in range(warmup + runs):
            if before:
                before()
            wall, _rss, code, err = run_once(env, argv, out)
            if code != 0:
                raise Failed(f"exit {code}: {err.strip()[-300:] or '(no stderr)'}")
            if after:
                after(i, out.read_text(encoding="utf-8"), err)
            if i >= warmup:
                row.samples.append(wall * 1000)
    except Failed as exc:
        row.status, row.note = "ERROR", str(exc)
    row.judge()
    return row


def profile_process(env: Env, argv: Sequence[str], before: Callable[[], None] | None, out: Path,
                    top: int) -> dict[str, list[dict[str, Any]]]:
    """`python -m cProfile -m organizer …` once (after a warm run), with import machinery left out of the top."""
    prof = env.tmp / "process.prof"
    for _ in range(2):
        if before:
            before()
        proc = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "organizer", *argv],
                              capture_output=True, text=True, env=env.variables, stdin=subprocess.DEVNULL,
                              cwd=env.tmp)
        if proc.returncode != 0:
            raise Failed(f"profiled run failed: {proc.stderr.strip()[-300:]}")
    return _profile_top(pstats.Stats(str(prof)), out, top, skip=_skip_process)


# --- Report -------------------------------------------------------------------------------------------------

def table(rows: Sequence[Row]) -> str:
    """The rows as a plain-text table (milliseconds)."""
    head = ("#", "figure", "target", "runs", "median", "p90", "min", "max", "result", "load 1m")
    lines = [head]
    for r in rows:
        s = r.stats()
        lines.append((r.figure or "·", r.label, f"≤{r.target_ms:g} ms" if r.target_ms else "—", str(len(r.samples)),
                      _ms(s.get("median")), _ms(s.get("p90")), _ms(s.get("min")), _ms(s.get("max")),
                      r.status or "context", f"{r.load[0]:.2f}" if r.load else "—"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    right = {3, 4, 5, 6, 7, 9}
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(c.rjust(w) if i in right else c.ljust(w)
                             for i, (c, w) in enumerate(zip(line, widths, strict=True))).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def print_breakdown(title: str, b: dict[str, Any]) -> None:
    """The parts of one replan, medians over the instrumented runs."""
    print(f"\n{title}: medians of {b['runs']} instrumented re-plans (parts need not add up), "
          f"total {b['total_median_ms']:.1f} ms; "
          f"plan_block rows deleted {b['rows_deleted_median']:.0f}, inserted {b['rows_inserted_median']:.0f}; "
          f"{b['moved_median']:.0f} cards reported moved")
    for name, ms in b["parts_ms"].items():
        print(f"  {ms:7.1f} ms  {name}")
    print(f"  garbage-collector pauses, spread over the parts above: median {b['gc_median_ms']:.1f} ms, "
          f"max {b['gc_max_ms']:.1f} ms per re-plan")
    print("  by function:  " + ", ".join(f"{k} {v:.1f}" for k, v in b["functions_ms"].items()))
    print("  SQL statements:  " + ", ".join(f"{k[4:]} {v:.2f}" for k, v in sorted(b["sql_ms"].items(),
                                                                                  key=lambda kv: -kv[1])))


def print_profile(title: str, top: dict[str, list[dict[str, Any]]], own: bool) -> None:
    """Top functions by cumulative time (and by own time when `own`)."""
    for order in ("cumulative", "own") if own else ("cumulative",):
        print(f"\n{title}, top {len(top[order])} by {order} time")
        print(f"  {'cumul ms':>9} {'own ms':>8} {'calls':>8}  function")
        for r in top[order]:
            print(f"  {r['cumulative_ms']:9.1f} {r['own_ms']:8.1f} {r['calls']:8.0f}  {r['function']}")


# --- Main ---------------------------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description="Organizer schedule benchmarks, issue 9 (see bench/README.md).")
    p.add_argument("--runs", type=int, default=20, help="measured runs per row (default 20; figure 1 takes ≥ 20)")
    p.add_argument("--warmup", type=int, default=2, help="uncounted runs before each row (default 2)")
    p.add_argument("--open", type=int, default=3000, help="open cards for figures 1 and 2 (default 3000)")
    p.add_argument("--cards", type=int, default=10_000, help="cards for figure 3 (default 10000)")
    p.add_argument("--seed", type=int, default=42, help="seed of the generated data (default 42)")
    p.add_argument("--open-popups", type=float, default=0.005,
                   help="share of open cards that stay pop-ups (default 0.005; the generator makes ~0.06)")
    p.add_argument("--meetings", type=int, default=3, help="meetings per weekday, ±4 weeks (default 3; 0: none)")
    p.add_argument("--profile-runs", type=int, default=10, help="in-process re-plans under cProfile (default 10)")
    p.add_argument("--top", type=int, default=10, help="functions shown per profile (default 10; 0 skips profiles)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = p.parse_args(argv)
    if args.runs < 1 or args.warmup < 0 or args.open < 50 or args.cards < 100 or not 0 <= args.open_popups <= 1:
        p.error("--runs ≥ 1, --warmup ≥ 0, --open ≥ 50, --cards ≥ 100, 0 ≤ --open-popups ≤ 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Prepare the databases, measure, print the table, the breakdown and the profiles."""
    args = parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="organizer-schedule-bench-"))
    started, load_before = time.perf_counter(), os.getloadavg()
    busy_before, own_before = cpu_seconds()
    try:
        env = make_env(tmp)
        rows, extra = _run_all(env, args)
    finally:
        if args.keep:
            print(f"temporary folder kept: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    elapsed, load_after = time.perf_counter() - started, os.getloadavg()
    busy_after, own_after = cpu_seconds()
    others = None if busy_before is None or busy_after is None else max(
        0.0, (busy_after - busy_before - (own_after - own_before)) / elapsed)
    cpus = os.cpu_count() or 1
    meta = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "git": _git_revision(),
            "python": platform.python_version(), "machine": f"{platform.system()} {platform.release()}",
            "cpus": cpus, "loadavg_before": load_before, "loadavg_after": load_after,
            "other_processes_cpu_cores": None if others is None else round(others, 2),
            "local_time": datetime.now(TZ).isoformat(timespec="minutes"), "args": vars(args),
            "elapsed_s": round(elapsed, 1)}
    print(f"Organizer schedule benchmarks · {meta['date']} ({meta['local_time']} Europe/Paris) · git {meta['git']} · "
          f"Python {meta['python']} · {cpus} CPUs")
    print(f"load average before {' '.join(f'{x:.2f}' for x in load_before)}, after "
          f"{' '.join(f'{x:.2f}' for x in load_after)}; other processes used "
          f"{'?' if others is None else f'{others:.2f}'} CPUs during the run. All times in ms.")
    for label, info in extra.get("databases", {}).items():
        print(f"  {label}: " + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in info.items()))
    print()
    print(table(rows))
    print()
    for r in rows:
        if r.note:
            print(f"  {r.figure or '·'} {r.label}: {r.note}")
    if others is not None and others > 0.25:
        print(f"  note: other processes kept {others:.2f} of {cpus} CPUs busy; figures may be high.")
    for key, title in (("breakdown-3000", "Figure 1 breakdown"), ("breakdown-10000", "Breakdown at 10,000 cards")):
        if key in extra:
            print_breakdown(title, extra[key])
    for key, title in extra.get("profile_titles", {}).items():
        if extra.get(key):
            print_profile(title, extra[key], own=key in OWN_TIME)
    for r in rows:
        if r.status in ("FAIL", "ERROR"):
            s = r.stats()
            print(f"{r.status}: {r.figure or '·'} {r.label}: " + (f"median {s['median']:.1f} ms (target ≤ "
                                                                   f"{r.target_ms:g} ms)" if r.status == "FAIL"
                                                                   else r.note))
    payload = {"meta": meta, "rows": [asdict(r) | {"stats": r.stats()} for r in rows],
               **{k: v for k, v in extra.items() if k != "profile_titles"}}
    out = OUT_DIR / "schedule-results.json"
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(f"\nwritten: {out}, profiles in {OUT_DIR}/schedule-profile-*.txt ({elapsed:.0f} s)")
    return 1 if any(r.status == "ERROR" for r in rows) else 0


def _run_all(env: Env, args: argparse.Namespace) -> tuple[list[Row], dict[str, Any]]:
    now = datetime.now(UTC)
    cfg = load_config(env.config)
    rows: list[Row] = []
    extra: dict[str, Any] = {"databases": {}, "profile_titles": {}}
    small_cards = cards_for_open(args.open)
    _step(f"preparing {small_cards:,} cards ({open_count(small_cards):,} open) and {args.cards:,} cards")
    small = prepare(env, "3000", small_cards, args, now)
    large = prepare(env, "10000", args.cards, args, now)
    extra["databases"] = {f"{small.info['cards']:,} cards": small.info, f"{large.info['cards']:,} cards": large.info}
    profiles = args.top > 0

    _step("figure 1: replan in-process")
    try:
        got, more = inprocess("3000", small, cfg, args, "1", detail=profiles)
    except Failed as exc:
        got, more = [Row("replan-3000", "1", "replan + commit after an edit, in-process", 50.0, status="ERROR",
                         note=str(exc))], {}
        profiles_small = False
    else:
        profiles_small = profiles
    rows += got
    if profiles_small:
        extra["breakdown-3000"] = more["breakdown"]
        extra["profile-replan-3000"] = more["profile_replan"]
        extra["profile-read-current-3000"] = more["profile_read_current"]
        extra["profile_titles"]["profile-replan-3000"] = (
            f"cProfile, replan + commit in-process at {small.info['open']:,} open cards (per re-plan, "
            f"{args.profile_runs} runs)")
    try:
        got, more = inprocess("10000", large, cfg, args, "", detail=profiles)
    except Failed as exc:
        got, more = [Row("replan-10000", "", "replan + commit after an edit, in-process", status="ERROR",
                         note=str(exc))], {}
    rows += got
    if more:
        extra["breakdown-10000"] = more["breakdown"]
        extra["profile-replan-10000"] = more["profile_replan"]
        extra["profile-read-current-10000"] = more["profile_read_current"]
        extra["profile_titles"]["profile-replan-10000"] = (
            f"cProfile, replan + commit in-process at {args.cards:,} cards, {large.info['open']:,} open (per re-plan)")
        extra["profile_titles"]["profile-read-current-10000"] = (
            f"cProfile, schedule.read of a current plan in-process at {args.cards:,} cards (per read)")

    runs, warm = max(args.runs, 15), args.warmup
    _step("figure 2: add --popup, whole process")
    small_made = made_at(small.current)
    local = datetime.now(TZ)

    def check_popup(i: int, out: str, err: str) -> None:
        ref = out.strip()
        s = settings(env.db)
        if s.get(schedule.STALE_KEY) != "0" or made_at(env.db) == small_made:
            raise Failed(f"run {i}: the add did not re-plan (plan.stale={s.get(schedule.STALE_KEY)!r})")
        if not err.startswith(f"{ref} planned") and not err.startswith(f"{ref} not planned"):
            raise Failed(f"run {i}: unexpected report {err.strip()[:120]!r}")
        if i == 0:
            lines = err.strip().splitlines()
            popup.note = (f"prints {lines[0]!r} and {len(lines) - 1} moved cards; every run checked: plan re-made, "
                          f"stale flag 0" + ("; NB: after 16:00 local, so the pop-up is overdue" if local.hour >= 16
                                             else ""))

    popup = Row("add-popup", "2", f"add --popup -e 20m -P 1 --due 'today 16:00' ({small.info['open']:,} open)", 250.0)
    rows.append(process_row(env, popup, env.organizer(*POPUP_ARGS), runs, warm,
                            lambda: restore(small.current, env.db), check_popup))

    def check_plain(i: int, out: str, err: str) -> None:
        if settings(env.db).get(schedule.STALE_KEY) != "1":
            raise Failed(f"run {i}: the add did not mark the plan stale")

    plain = Row("add-plain", "", f"the same add without --popup (no placement) ({small.info['open']:,} open)")
    rows.append(process_row(env, plain, env.organizer(*PLAIN_ARGS), runs, warm,
                            lambda: restore(small.current, env.db), check_plain))
    plain.note = "the card is added (quick path) and the plan left stale: the difference to figure 2 is the placement"

    _step("figure 3: plan --json, whole process")
    large_made = made_at(large.current)

    def check_replanned(i: int, out: str, err: str) -> None:
        if settings(env.db).get(schedule.STALE_KEY) != "0" or made_at(env.db) == large_made:
            raise Failed(f"run {i}: plan --json did not re-plan a stale plan")
        json.loads(out)

    stale = Row("plan-stale", "3", f"plan --json, stale: first read after a change ({args.cards:,} cards)", 300.0)
    rows.append(process_row(env, stale, env.organizer("plan", "--json"), runs, warm,
                            lambda: restore(large.stale, env.db), check_replanned))

    def check_current(i: int, out: str, err: str) -> None:
        if made_at(env.db) != large_made or settings(env.db).get(schedule.STALE_KEY) != "0":
            raise Failed(f"run {i}: plan --json re-planned a current plan (the day may have changed)")
        json.loads(out)

    restore(large.current, env.db)
    current = Row("plan-current", "3", f"plan --json, current: plan stored ({args.cards:,} cards)", 300.0)
    rows.append(process_row(env, current, env.organizer("plan", "--json"), runs, warm, None, check_current))

    def check_first(i: int, out: str, err: str) -> None:
        if settings(env.db).get(schedule.STALE_KEY) != "0":
            raise Failed(f"run {i}: plan --json left the plan stale")

    first = Row("plan-first", "", f"plan --json, never planned: right after the import ({args.cards:,} cards)")
    rows.append(process_row(env, first, env.organizer("plan", "--json"), args.runs, warm,
                            lambda: restore(large.imported, env.db), check_first))
    first.note = first.note or "no stored blocks: every block is inserted"
    version = Row("version", "", "organizer --version (interpreter + CLI start)")
    rows.append(process_row(env, version, env.organizer("--version"), args.runs, warm, None, None))
    bare = Row("python", "", "python -c pass (the floor; ~11 ms on a quiet machine)")
    rows.append(process_row(env, bare, [sys.executable, "-c", "pass"], args.runs, warm, None, None))

    if profiles:
        _step("cProfile of whole processes")
        for key, argv, before, title in (
                ("add-popup", POPUP_ARGS, lambda: restore(small.current, env.db),
                 f"cProfile, whole process: add --popup at {small.info['open']:,} open cards"),
                ("plan-stale", ("plan", "--json"), lambda: restore(large.stale, env.db),
                 f"cProfile, whole process: plan --json, stale, {args.cards:,} cards"),
                ("plan-current", ("plan", "--json"), lambda: restore(large.current, env.db),
                 f"cProfile, whole process: plan --json, current, {args.cards:,} cards")):
            try:
                extra[f"profile-process-{key}"] = profile_process(
                    env, argv, before, OUT_DIR / f"schedule-profile-process-{key}.txt", args.top)
                extra["profile_titles"][f"profile-process-{key}"] = title + " (import machinery and <module> left out)"
            except Failed as exc:
                extra[f"profile-process-{key}-error"] = str(exc)
    return rows, extra


if __name__ == "__main__":
    raise SystemExit(main())
