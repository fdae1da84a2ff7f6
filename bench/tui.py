"""Organizer TUI benchmarks: cold start to a painted 10,000-card board, and moving a card.

Run `.venv/bin/python bench/tui.py`; see the "TUI benchmarks" section of bench/README.md for what each
figure means. The helpers (isolated environment, database copies, statistics, the table) come from
bench/run.py and the data from bench/dataset.py.

Cold start runs each app in a private tmux server (`tmux -L`) driven by one control-mode client, so
starting a session and polling `capture-pane` (every ~5 ms) cost no process per poll. Organizer and
kanban-tui runs alternate, so machine noise hits both. Resident memory comes from /proc/PID/status of
the pane's process (the app itself: tmux executes the command without a shell).

Moving a card runs the real app headlessly in this process (`App.run_test`), with hooks that timestamp
the key's action, every frame the screen composes, the write transaction's commit and each board
reload. A second pass calls the same service (`services.cards.move_card`) without the app, to split
the write into its parts, and runs it under cProfile. Results go to bench/out/tui-results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from run import (
    MIB,
    OUT_DIR,
    Env,
    Result,
    _git_revision,
    cpu_seconds,
    make_env,
    others_cpu,
    percentile,
    restore,
    table,
)
from tui_coldstart import Contender, build_databases, cold_starts, kanban_setup, summarise_paint
from tui_harness import (
    HEIGHT,
    KANBAN_ISSUE_MS,
    MOVE_TARGET_MS,
    RSS_TARGET_MIB,
    STABLE_S,
    WIDTH,
    Tmux,
    kanban_marker,
    organizer_marker,
    step,
)
from tui_move import Move, app_moves, profile_service, summarise_moves

PG_SERVER = os.environ.get("ORGANIZER_TEST_PG", "postgresql://postgres@127.0.0.1/postgres")


def _med(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.1f} ms"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description="Organizer TUI benchmarks (see bench/README.md).")
    p.add_argument("--runs", type=int, default=10, help="measured cold starts per app (default 10)")
    p.add_argument("--warmup", type=int, default=2, help="uncounted cold starts per app first (default 2)")
    p.add_argument("--moves", type=int, default=30, help="measured card moves (default 30)")
    p.add_argument("--move-warmup", type=int, default=2, help="uncounted moves first (default 2)")
    p.add_argument("--cards", type=int, default=10_000, help="cards on the one benchmark board (default 10000)")
    p.add_argument("--seed", type=int, default=42, help="seed of the generated data (default 42)")
    p.add_argument("--kanban-tasks", type=int, default=35, help="tasks on kanban-tui's board (default 35)")
    p.add_argument("--no-kanban", action="store_true", help="skip kanban-tui (figure 1 then uses the issue's 870 ms)")
    p.add_argument("--postgresql", metavar="URL", nargs="?", const=PG_SERVER, default=None,
                   help="also cold-start the same board on PostgreSQL (figure 1pg, ≤1.2× figure 1): a new database "
                        f"is made on this server and dropped after (default {PG_SERVER})")
    p.add_argument("--settle", type=float, default=1.0,
                   help="seconds to wait after the paint before reading memory again, then until VmRSS has not "
                        "moved for 0.5 s (default 1.0)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a paint (default 30)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = p.parse_args(argv)
    if args.runs < 1 or args.moves < 1 or args.warmup < 0 or args.move_warmup < 0 or args.cards < 100:
        p.error("--runs and --moves must be ≥ 1, warm-ups ≥ 0, --cards ≥ 100")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print the table and the findings, write bench/out/tui-results.json."""
    args = parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="organizer-tui-bench-"))
    started = time.perf_counter()
    before = cpu_seconds()
    try:
        env = make_env(tmp)
        # The in-process app (figure 2) reads the same config and XDG folders as the measured processes.
        os.environ.update({k: v for k, v in env.variables.items() if k.startswith(("XDG_", "ORGANIZER_", "TZ"))})
        payload = run_all(env, args)
    finally:
        if args.keep:
            print(f"temporary folder kept: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - started
    # The tmux server and the apps it ran are not our children; their CPU time was read from /proc.
    others = others_cpu(before, started, payload["meta"].get("tmux_and_apps_cpu_s", 0.0))
    payload["meta"].update({"elapsed_s": round(elapsed, 1),
                            "other_processes_cpu_cores": None if others is None else round(others, 2)})
    report(payload, others)
    (OUT_DIR / "tui-results.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
    print(f"\nwritten: {OUT_DIR / 'tui-results.json'} ({elapsed:.0f} s)")
    return 1 if any(r["status"] == "ERROR" for r in payload["results"]) else 0


def run_all(env: Env, args: argparse.Namespace) -> dict[str, Any]:
    """Build the data, run figure 1 (tmux) then figure 2 (in process); everything the report needs."""
    meta: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "git": _git_revision(),
        "python": platform.python_version(), "machine": f"{platform.system()} {platform.release()} "
                                                        f"{platform.machine()}",
        "cpus": os.cpu_count(), "tmux": subprocess.run(["tmux", "-V"], capture_output=True, text=True).stdout.strip(),
        "terminal": f"{WIDTH}x{HEIGHT}", "runs": args.runs, "warmup": args.warmup, "moves": args.moves,
        "settle_s": args.settle,
    }
    step(f"building the {args.cards:,}-card one-board database and the demo database")
    pristine, demo_pristine, database = build_databases(env, args)
    big, demo = env.tmp / "board.db", env.tmp / "demo-run.db"
    big_marker, big_marker_text = organizer_marker(pristine)
    demo_marker, demo_marker_text = organizer_marker(demo_pristine)
    organizer = Contender("organizer", f"organizer cold start → painted ({args.cards:,} cards, 1 board)",
                          env.organizer("--db", str(big)), big_marker, big_marker_text,
                          prepare=lambda: restore(pristine, big))
    demo_run = Contender("organizer_demo", f"organizer cold start → painted (demo, {database['demo_cards']} cards)",
                         env.organizer("--db", str(demo)), demo_marker, demo_marker_text,
                         prepare=lambda: restore(demo_pristine, demo))
    contenders = [organizer]
    kanban: Contender | None = None
    if not args.no_kanban:
        step(f"kanban-tui with {args.kanban_tasks} tasks")
        marker, marker_text = kanban_marker()
        try:
            argv, version = kanban_setup(env, args.kanban_tasks)
            meta["kanban_tui"] = version
            kanban = Contender("kanban_tui", f"kanban-tui cold start → painted ({args.kanban_tasks} tasks)", argv,
                               marker, marker_text)
        except (RuntimeError, subprocess.CalledProcessError, OSError, ValueError) as exc:
            kanban = Contender("kanban_tui", f"kanban-tui ({args.kanban_tasks} tasks)", [], marker, marker_text,
                               error=f"not measured: {exc}")
        contenders.append(kanban)
    contenders.append(demo_run)
    pg: Contender | None = None
    pg_name = ""
    if args.postgresql:
        step("the same board in a new PostgreSQL database (import of the same export)")
        pg_name = f"org_tui_bench_{os.getpid()}"
        try:
            url = make_pg_copy(env, args.postgresql, pg_name, OUT_DIR / f"cards-{args.cards}-one-board.json")
            pg = Contender("organizer_pg", f"organizer cold start → painted on PostgreSQL ({args.cards:,} cards)",
                           env.organizer("--db", url), big_marker, big_marker_text)
        except (RuntimeError, OSError) as exc:
            pg = Contender("organizer_pg", "organizer on PostgreSQL", [], big_marker, big_marker_text,
                           error=f"not measured: {exc}")
        contenders.insert(1, pg)

    step("cold starts in tmux (figure 1)")
    tmux = Tmux(env.variables)
    try:
        cold_starts(tmux, contenders, args.runs, args.warmup, args.settle, args.timeout)
    finally:
        tmux.close()
        meta["tmux_and_apps_cpu_s"] = round(tmux.server_cpu_s + tmux.apps_cpu_s, 2)
        if pg_name:
            drop_pg(args.postgresql, pg_name)

    step(f"moving a card {args.moves} times in the app (figure 2)")
    moves_db = env.tmp / "moves.db"
    restore(pristine, moves_db)
    move_error = ""
    moves: list[Move] = []
    move_info: dict[str, Any] = {}
    try:
        moves, move_info = asyncio.run(app_moves(moves_db, args.moves, args.move_warmup))
    except Exception as exc:  # reported as an ERROR row; the other figures still count
        move_error = f"{type(exc).__name__}: {exc}"
    step("the move service alone, part by part and under cProfile")
    profile_db = env.tmp / "profile.db"
    restore(pristine, profile_db)
    profile = profile_service(profile_db, args.moves, args.move_warmup)

    # --- rows -----------------------------------------------------------------------------------------
    kanban_ok = kanban is not None and not kanban.error and bool(kanban.samples)
    reference = statistics.median(p.wall_ms for p in kanban.samples) if kanban_ok and kanban else KANBAN_ISSUE_MS
    ref_name = "kanban-tui" if kanban_ok else "the issue's kanban-tui"
    org_row = summarise_paint(organizer, "1", f"≤{ref_name} ({reference:.0f} ms), ≤{RSS_TARGET_MIB:g} MiB")
    if org_row.status != "ERROR":
        assert org_row.median_ms is not None and org_row.max_rss_mib is not None
        ok = org_row.median_ms <= reference and org_row.max_rss_mib <= RSS_TARGET_MIB
        org_row.status = "PASS" if ok else "FAIL"
        ratio = org_row.median_ms / reference
        org_row.note = (f"{ratio:.2f}× {ref_name}'s median (stretch goal 0.75×: "
                        f"{'met' if ratio <= 0.75 else 'missed'}); marker: {organizer.marker_text}")
    results = [org_row]
    if pg is not None:
        pg_row = summarise_paint(pg, "1pg", "≤1.2× figure 1")
        if pg_row.status != "ERROR" and org_row.median_ms and pg_row.median_ms is not None:
            ratio = pg_row.median_ms / org_row.median_ms
            pg_row.status = "PASS" if ratio <= 1.2 else "FAIL"
            pg_row.note = f"{ratio:.2f}× the SQLite cold start (figure 1); marker: {pg.marker_text}"
        results.append(pg_row)
    if move_error:
        results.append(Result("move", "2", "move a card", [], f"≤{MOVE_TARGET_MS:g} ms", 0, 0, status="ERROR",
                              note=move_error))
    else:
        results.extend(summarise_moves(moves))
    if kanban is not None:
        k_row = summarise_paint(kanban, "", "—")
        if not k_row.status:
            k_row.note = f"marker: {kanban.marker_text}"
        results.append(k_row)
    d_row = summarise_paint(demo_run, "", "—")
    if not d_row.status:
        d_row.note = f"marker: {demo_run.marker_text}"
    results.append(d_row)

    def samples(c: Contender) -> list[dict[str, Any]]:
        return [asdict(p) for p in c.samples]

    return {"meta": meta, "database": database, "results": [asdict(r) for r in results],
            "cold_start_samples": {c.key: samples(c) for c in contenders},
            "kanban_reference_ms": reference, "kanban_measured": kanban_ok,
            "moves": [asdict(m) for m in moves], "move_info": move_info, "move_error": move_error,
            "service_profile": profile}


def make_pg_copy(env: Env, server: str, name: str, export: Path) -> str:
    """A new PostgreSQL database holding the benchmark board (`organizer import json` of the same export)."""
    _pg_admin(server, f'CREATE DATABASE "{name}"')
    url = f"{server.rpartition('/')[0]}/{name}"
    proc = subprocess.run(env.organizer("--db", url, "import", "json", str(export)), capture_output=True, text=True,
                          env=env.variables, stdin=subprocess.DEVNULL, cwd=env.tmp)
    if proc.returncode != 0:
        drop_pg(server, name)
        raise RuntimeError(f"import into PostgreSQL failed: {(proc.stdout + proc.stderr).strip()[-300:]}")
    return url


def drop_pg(server: str, name: str) -> None:
    """Drop the benchmark's PostgreSQL database."""
    _pg_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_admin(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(server.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def print_profile(heading: str, prof: dict[str, Any], rows: int = 8) -> None:
    """The top functions of a summarised profile, by cumulative and by own time."""
    print(f"{heading} (full listing in {prof['cprofile_file']}); project code by cumulative time:")
    for order in ("project_by_cumtime", "by_tottime"):
        if order == "by_tottime":
            print("  everything, by own time:")
        for row in prof[f"cprofile_{order}"][:rows]:
            print(f"    {row['cumtime_ms']:7.2f} cum {row['tottime_ms']:6.2f} own {row['calls']:7.1f}×  "
                  f"{row['function']}")


def report(payload: dict[str, Any], others: float | None) -> None:
    """The table, then what it means."""
    meta = payload["meta"]
    results = [Result(**r) for r in payload["results"]]
    busy = "?" if others is None else f"{others:.2f}"
    print(f"Organizer TUI benchmarks · {meta['date']} · git {meta['git']} · Python {meta['python']} · "
          f"{meta['cpus']} CPUs, other processes used {busy} of them · {meta['tmux']} {meta['terminal']}"
          + (f" · {meta['kanban_tui']}" if meta.get("kanban_tui") else ""))
    print()
    print(table(results))
    print()
    for r in results:
        if r.note:
            print(f"  {r.figure or '·'} {r.label}: {r.note}")
    print()
    print("Memory (VmRSS / VmHWM from /proc, median of the measured runs; 'settled' is at least "
          f"{meta['settle_s']:g} s after the paint, once VmRSS has not moved for {STABLE_S:g} s):")
    for key, rows in payload["cold_start_samples"].items():
        if rows:
            def med(name: str, rows: list[dict[str, Any]] = rows) -> str:
                return f"{statistics.median(r[name] for r in rows) / MIB:.1f}"
            print(f"  {key:<15} at paint RSS {med('rss_paint_kib')} MiB (peak {med('hwm_paint_kib')}); "
                  f"settled RSS {med('rss_settled_kib')} MiB (peak {med('hwm_settled_kib')})")
    moves = [Move(**m) for m in payload["moves"]]
    if moves:
        print()
        print(f"Moving {moves[0].ref} between {moves[0].to} and back, {len(moves)} times (median ms after the key):")
        parts = [
            ("key dispatched to action_move_card", [m.action_start for m in moves]),
            ("action: optimistic redraw of every column", [m.action_end - m.action_start for m in moves]),
            ("action end → screen update begins", [m.update_start - m.action_end for m in moves]),
            ("screen update: layout, compositing, output", [m.optimistic_frame - m.update_start for m in moves]),
            ("(a) minus garbage-collector pauses in it", [m.optimistic_frame - m.gc_to_optimistic_ms for m in moves]),
            ("action end → write worker in store.write", [m.write_start - m.action_end for m in moves]),
            ("move_card inside the transaction", [m.write_body_end - m.write_start for m in moves]),
            ("commit", [m.committed - m.write_body_end for m in moves]),
            ("(b) minus garbage-collector pauses in it", [m.committed - m.gc_to_commit_ms for m in moves]),
            ("reload: read_board (worker thread)", [m.reload_read_ms for m in moves]),
            ("reload: _loaded redraw (UI thread)", [m.reload_redraw_ms for m in moves]),
            ("pilot.press returned", [m.press_returned for m in moves]),
        ]
        for label, values in parts:
            print(f"  {label:<45} {_med(values):>10}   (p90 {percentile(values, 90):.1f})")
        print(f"  garbage-collector pauses, key → (a) / (b) / (c)          "
              f"{_med([m.gc_to_optimistic_ms for m in moves])} / {_med([m.gc_to_commit_ms for m in moves])} / "
              f"{_med([m.gc_to_reload_ms for m in moves])}   (max {max(m.gc_to_reload_ms for m in moves):.1f}; "
              f"{sum(m.gc2 for m in moves)} full collections in {len(moves)} moves)")
        info = payload["move_info"]
        if "idle_redraw_ms" in info:
            print(f"  the same redraw with nothing else running: redraw {info['idle_redraw_ms']:.1f} ms, frame "
                  f"composed {info['idle_redraw_to_frame_ms']:.1f} ms after it started")
            if "write_alone_body_ms" in info:
                print("  the same write from app.data.write() with the UI idle: move_card "
                      f"{info['write_alone_body_ms']:.1f} ms, call → committed {info['write_alone_commit_ms']:.1f} ms "
                      f"(garbage-collector pauses {info['write_alone_gc_ms']:.1f} ms)")
            print(f"  heap: {info['gc_tracked_objects']:,} objects tracked by the collector; a full collection takes "
                  f"{info['gc_full_collection_ms']:.0f} ms (thresholds {tuple(info['gc_threshold'])})")
        loads = sorted({m.loads for m in moves})
        print(f"  board reloads per move: {', '.join(map(str, loads))} (the write's own reload and, when PRAGMA "
              "data_version sees the app's own commit, the live-refresh poll's)")
    elif payload["move_error"]:
        print(f"\nmove: {payload['move_error']}")
    prof = payload["service_profile"]
    print()
    print(f"services.cards.move_card without the app ({prof['moves']} moves of {prof['ref']}, "
          f"{prof['columns'][0]} {prof['column_sizes'][0]} cards ↔ {prof['columns'][1]} {prof['column_sizes'][1]} "
          f"cards, index 0; median ms per move, nested parts indented):")
    nest = {"session + BEGIN until the body": 1, "move_card": 1, "commit (leaving store.write)": 1, "find_card": 2,
            "_snap (flush + history.snapshot)": 2, "history.snapshot": 3, "_move": 2, "boards.find_column": 3,
            "_position_at": 3, "card_ref": 2, "history.record": 2}
    for label, value in prof["median_ms"].items():
        if label.startswith("SQL "):
            continue
        n = prof["calls_per_move"].get(label)
        calls = f" ({n} calls)" if n and n > 1 else ""
        print(f"  {'  ' * nest.get(label, 0)}{label:<{46 - 2 * nest.get(label, 0)}} {value:8.2f}{calls}")
    print(f"  SQL, {prof['statements_per_move']:.0f} statements per move (time in cursor.execute):")
    for label, value in sorted(((k, v) for k, v in prof["median_ms"].items() if k.startswith("SQL ")),
                               key=lambda kv: -kv[1]):
        print(f"    {label[4:]:<44} {value:8.2f}")
    print_profile("  cProfile, ms per move", prof)
    repaint = payload["move_info"].get("repaint_profile")
    if repaint:
        print()
        print_profile("UI thread for one idle repaint of the board (redraw → frame), cProfile, garbage collector off, "
                      "ms per repaint", repaint)
    if others is not None and others > 0.25:
        print(f"\n  note: other processes kept {others:.2f} CPUs busy during the run; figures may be high.")


if __name__ == "__main__":
    raise SystemExit(main())
