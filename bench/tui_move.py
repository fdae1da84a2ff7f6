"""TUI benchmark, figure 2: moving a card in the real app (`App.run_test`), timed from the key to the
repaint and the commit, then the same service call without the app, split into its parts and profiled.
"""


import asyncio
import cProfile
import gc
import io
import pstats
import re
import sqlite3
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from run import (
    OUT_DIR,
    REPO,
    Result,
    percentile,
)
from tui_harness import HEIGHT, MOVE_TARGET_MS, WIDTH

# --- Figure 2: moving a card, in the app -------------------------------------------------------------------

@dataclass
class Move:
    """One move's timestamps, in ms after the key was sent."""

    key: str
    ref: str
    to: str
    action_start: float
    action_end: float
    update_start: float  # the screen's next update (layout, compositing) begins
    optimistic_frame: float  # (a)
    write_start: float
    write_body_end: float
    committed: float  # (b)
    reload_read_ms: float
    reload_redraw_ms: float
    reloaded_frame: float  # (c)
    loads: int  # board reloads the move caused, the data_version poll's included
    press_returned: float
    gc_to_optimistic_ms: float  # garbage-collector pauses between the key and (a)
    gc_to_commit_ms: float  # … between the key and (b)
    gc_to_reload_ms: float  # … between the key and (c)
    gc2: int  # full (generation 2) collections between the key and (c)


async def app_moves(db: Path, moves: int, warmup: int) -> tuple[list[Move], dict[str, Any]]:
    """Drive the real app headlessly: press L and H in turn on the first card, timestamp every step."""
    from organizer.config import build_config
    from screens.app import OrganizerApp
    from screens.board import BoardScreen

    cfg = build_config({"timezone": "Europe/Paris"})
    app = OrganizerApp(str(db), cfg)
    clock = time.perf_counter
    frames: list[float] = []
    loads: list[float] = []
    reads: list[tuple[float, float]] = []
    redraws: list[tuple[float, float]] = []
    actions: list[tuple[float, float]] = []
    writes: list[tuple[float, float, float]] = []
    collections: list[tuple[float, float, int]] = []  # garbage-collector pauses: start, end, generation
    gc_started = [0.0]

    def on_gc(phase: str, gc_info: dict[str, Any]) -> None:
        if phase == "start":
            gc_started[0] = clock()
        else:
            collections.append((gc_started[0], clock(), gc_info["generation"]))

    def paused(lo: float, hi: float) -> float:
        return sum(max(0.0, min(e, hi) - max(s, lo)) for s, e, _ in collections) * 1000

    # Each hook replaces a bound method on the instance; the app looks them up by attribute at call time.
    display = app._display

    def timed_display(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None:
            # Headless, Textual skips turning the frame into terminal output; do it, as a terminal run would.
            render = getattr(renderable, "render_segments", None)
            if render is not None:
                render(app.console)
            frames.append(clock())

    board_loaded = app.data.board_loaded

    def timed_board_loaded() -> None:
        loads.append(clock())
        board_loaded()

    read_board = app.data.read_board

    def timed_read_board(key: str | None) -> Any:
        t = clock()
        try:
            return read_board(key)
        finally:
            reads.append((t, clock()))

    app._display = timed_display  # type: ignore[method-assign]
    app.data.board_loaded = timed_board_loaded  # type: ignore[method-assign]
    app.data.read_board = timed_read_board  # type: ignore[method-assign]

    async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
        deadline = clock() + timeout
        while not condition():
            failed = getattr(app, "_exception", None)
            if failed is not None:
                raise RuntimeError(f"the app failed: {failed!r}")
            if clock() > deadline:
                raise RuntimeError(f"timed out waiting for {what}")
            await asyncio.sleep(0.001)

    out: list[Move] = []
    info: dict[str, Any] = {}
    check = sqlite3.connect(db)
    gc.callbacks.append(on_gc)
    try:
        async with app.run_test(size=(WIDTH, HEIGHT)) as pilot:
            t_start = clock()
            await until(lambda: len(loads) >= 1, "the first board load", 60)
            await until(lambda: bool(frames) and frames[-1] > loads[0], "the first frame")
            info["first_paint_ms"] = (frames[-1] - t_start) * 1000
            await app.workers.wait_for_complete()  # the warm-up worker opens the SQLAlchemy store
            info["store_ready_ms"] = (clock() - t_start) * 1000
            screen = app.screen
            assert isinstance(screen, BoardScreen) and screen.board is not None
            store = app.data.storage.store()
            write = store.write

            @contextmanager
            def timed_write() -> Iterator[Any]:
                t = clock()
                with write() as session:
                    yield session
                    body = clock()
                writes.append((t, body, clock()))  # the transaction has committed here

            store.write = timed_write
            move_card = app.data.storage.move_card

            def timed_move_card(*args: Any, **kwargs: Any) -> None:
                # The data service commits each move in a worker through plain SQL; this returns once committed.
                t = clock()
                move_card(*args, **kwargs)
                writes.append((t, clock(), clock()))

            app.data.storage.move_card = timed_move_card  # type: ignore[method-assign]

            action = screen.action_move_card

            def timed_action(step: int) -> None:
                t = clock()
                action(step)
                actions.append((t, clock()))

            screen.action_move_card = timed_action  # type: ignore[method-assign]
            loaded = screen._loaded

            def timed_loaded(data: Any) -> None:
                t = clock()
                loaded(data)
                redraws.append((t, clock()))

            screen._loaded = timed_loaded  # type: ignore[method-assign]
            updates: list[float] = []  # start of each screen update (layout and/or compositing)

            def stamp(original: Callable[..., Any]) -> Callable[..., Any]:
                def timed_update(*args: Any, **kwargs: Any) -> Any:
                    updates.append(clock())
                    return original(*args, **kwargs)

                return timed_update

            for name in ("_refresh_layout", "_compositor_refresh"):
                setattr(screen, name, stamp(getattr(screen, name)))
            await pilot.pause()

            for i in range(warmup + moves):
                key = "L" if i % 2 == 0 else "H"
                card = screen.current_card()
                ci = screen.focused_column
                assert card is not None and screen.board is not None
                to = screen.board.columns[ci + (1 if key == "L" else -1)].name
                n = (len(frames), len(loads), len(actions), len(writes), len(reads), len(redraws), len(updates))
                t0 = clock()
                await pilot.press(key)
                press = clock()
                await until(lambda n=n: len(writes) > n[3], "the write")  # type: ignore[misc]
                committed = writes[n[3]][2]
                # The board shows a move at once and does not re-read 10,000 cards to confirm it; a reload after
                # the commit (the data_version poll, were it to fire) is waited for briefly and counted if seen.
                try:
                    await until(lambda c=committed: any(t >= c for t in loads), "a reload after the commit",
                                app.data.watch_seconds + 0.3)
                    reload_at: float | None = next(t for t in loads if t >= committed)
                    await until(lambda r=reload_at: bool(frames) and frames[-1] >= r, "the reload's frame")
                except RuntimeError:
                    reload_at = None
                # The app also polls PRAGMA data_version every watch_seconds and reloads when it changed (it
                # changes for any other connection's commit, the app's own store included): let that happen
                # outside the next measurement, and count it.
                await asyncio.sleep(app.data.watch_seconds + 0.15)
                await app.workers.wait_for_complete()
                await pilot.pause()
                moved_to = check.execute("SELECT bc.name FROM card c JOIN board_column bc ON bc.id = c.column_id "
                                         "WHERE c.id = ?", (card.id,)).fetchone()[0]
                if moved_to != to:
                    raise RuntimeError(f"{card.ref} is in {moved_to!r} after pressing {key}, not in {to!r}")
                a0, a1 = actions[n[2]]
                w0, w1, w2 = writes[n[3]]
                nan = (float("nan"), float("nan"))
                read = next((r for r in reads[n[4]:] if r[0] >= committed), nan) if reload_at else nan
                redraw = next((r for r in redraws[n[5]:] if r[0] >= committed), nan) if reload_at else nan
                frame = next(f for f in frames[n[0]:] if f >= a1)
                update = min((u for u in updates[n[6]:] if u >= a1), default=frame)
                reloaded = next(f for f in frames if f >= redraw[1]) if reload_at else float("nan")
                move = Move(key, card.ref, to, *((t - t0) * 1000 for t in (a0, a1, update, frame, w0, w1, w2)),
                            (read[1] - read[0]) * 1000, (redraw[1] - redraw[0]) * 1000, (reloaded - t0) * 1000,
                            len(loads) - n[1], (press - t0) * 1000, paused(t0, frame), paused(t0, w2),
                            paused(t0, reloaded), sum(1 for s, _, g in collections if g == 2 and t0 <= s <= reloaded))
                if i >= warmup:
                    out.append(move)
                else:
                    info.setdefault("warmup_moves", []).append(asdict(move))
            # The optimistic repaint's UI work alone: the same redraw, with no write running beside it.
            idle: list[tuple[float, float]] = []
            for _ in range(10):
                await asyncio.sleep(0.05)
                nf = len(frames)
                t0 = clock()
                screen.redraw()
                t1 = clock()
                await until(lambda nf=nf, t1=t1: any(f >= t1 for f in frames[nf:]), "an idle frame")  # type: ignore[misc]
                idle.append(((t1 - t0) * 1000, (next(f for f in frames[nf:] if f >= t1) - t0) * 1000))
            info["idle_redraw_ms"] = statistics.median(r for r, _ in idle)
            info["idle_redraw_to_frame_ms"] = statistics.median(f for _, f in idle)
            # The same write with no repaint beside it: app.data.write() called directly, the UI thread idle.
            ref = out[0].ref if out else ""
            names = [c.name for c in screen.board.columns[:2]] if screen.board else []
            alone: list[tuple[float, float, float]] = []
            for i in range(10 if ref and len(names) == 2 else 0):
                nw = len(writes)
                t0 = clock()
                app.data.write(lambda s, svc, to=names[(i + 1) % 2]: svc.cards.move_card(s, ref, to, index=0,
                                                                                         origin="tui"))
                await until(lambda nw=nw: len(writes) > nw, "a direct write")  # type: ignore[misc]
                w0, w1, w2 = writes[nw]
                alone.append(((w1 - w0) * 1000, (w2 - t0) * 1000, paused(w0, w2)))
                await asyncio.sleep(app.data.watch_seconds + 0.15)
                await app.workers.wait_for_complete()
                await pilot.pause()
            if alone:
                info["write_alone_body_ms"] = statistics.median(b for b, _, _ in alone)
                info["write_alone_commit_ms"] = statistics.median(c for _, c, _ in alone)
                info["write_alone_gc_ms"] = statistics.median(g for _, _, g in alone)
            # Where the UI time goes: the event loop's thread under cProfile for a few more repaints, with the
            # garbage collector off so that its pauses (reported above) are not charged to whatever allocated.
            profiler = cProfile.Profile()
            gc.disable()
            for _ in range(5):
                await asyncio.sleep(0.05)
                nf = len(frames)
                profiler.enable()
                screen.redraw()
                t1 = clock()
                await until(lambda nf=nf, t1=t1: any(f >= t1 for f in frames[nf:]), "an idle frame")  # type: ignore[misc]
                profiler.disable()
            gc.enable()
            info["repaint_profile"] = summarise_profile(
                profiler, 5, "repaint-profile.txt",
                "cProfile of the UI thread for 5 idle repaints of the 10,000-card board (BoardScreen.redraw() "
                "until the frame is out), garbage collector off, ms per repaint")
            info["gc_tracked_objects"] = len(gc.get_objects())
            t0 = clock()
            gc.collect()
            info["gc_full_collection_ms"] = (clock() - t0) * 1000
            info["gc_threshold"] = gc.get_threshold()
            await pilot.press("q")
    finally:
        gc.callbacks.remove(on_gc)
        check.close()
    info["frames"] = len(frames)
    return out, info


# --- Figure 2, split: the service without the app ----------------------------------------------------------

def profile_service(db: Path, moves: int, warmup: int) -> dict[str, Any]:
    """`services.cards.move_card` as the app's write worker calls it, timed part by part, then under cProfile."""
    from sqlalchemy import event

    from organizer import history
    from organizer.services import boards as board_service
    from organizer.services import cards
    from organizer.storage.orm import open_store

    with sqlite3.connect(db) as conn:
        board_id, key = conn.execute("SELECT id, key FROM board ORDER BY id LIMIT 1").fetchone()
        columns = conn.execute("SELECT id, name FROM board_column WHERE board_id = ? ORDER BY position LIMIT 2",
                               (board_id,)).fetchall()
        number = conn.execute("SELECT number FROM card WHERE column_id = ? ORDER BY position LIMIT 1",
                              (columns[0][0],)).fetchone()[0]
        sizes = [conn.execute("SELECT COUNT(*) FROM card WHERE column_id = ?", (cid,)).fetchone()[0]
                 for cid, _ in columns]
        history_rows = conn.execute("SELECT COUNT(*) FROM history").fetchone()[0]
    ref = f"{key}-{number}"
    store = open_store(str(db))
    clock = time.perf_counter
    current: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    patched: list[tuple[Any, str, Any]] = []

    def timed(module: Any, name: str, label: str) -> None:
        original = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = clock()
            try:
                return original(*args, **kwargs)
            finally:
                current[label] += clock() - t
                calls[label] += 1

        patched.append((module, name, original))
        setattr(module, name, wrapper)

    # Labels nest: "_snap" holds "flush" (the difference) and "history.snapshot".
    timed(cards, "find_card", "find_card")
    timed(cards, "_snap", "_snap (flush + history.snapshot)")
    timed(history, "snapshot", "history.snapshot")
    timed(cards, "_move", "_move")
    timed(board_service, "find_column", "boards.find_column")
    timed(cards, "_position_at", "_position_at")
    timed(cards, "card_ref", "card_ref")
    timed(history, "record", "history.record")

    sql: dict[str, float] = defaultdict(float)

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info["bench_t"] = clock()

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        spent = clock() - conn.info.pop("bench_t", clock())
        words = statement.split()
        kind = " ".join(words[:2]).upper() if words and words[0].upper() in ("BEGIN", "PRAGMA") else (
            words[0].upper() if words else "?")
        table_match = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement, re.IGNORECASE)
        sql[f"{kind} {table_match.group(1) if table_match else ''}".strip()] += spent
        sql["(all statements)"] += spent
        calls["(statements)"] += 1

    event.listen(store.engine, "before_cursor_execute", before)
    event.listen(store.engine, "after_cursor_execute", after)
    per_move: list[dict[str, float]] = []
    statements: list[int] = []
    try:
        for i in range(warmup + moves):
            target = columns[1][1] if i % 2 == 0 else columns[0][1]
            current.clear()
            sql.clear()
            calls.clear()
            t0 = clock()
            with store.write() as session:
                t1 = clock()
                cards.move_card(session, ref, target, index=0, origin="tui")
                t2 = clock()
            t3 = clock()
            if i >= warmup:
                row = {"store.write (whole transaction)": t3 - t0, "session + BEGIN until the body": t1 - t0,
                       "move_card": t2 - t1, "commit (leaving store.write)": t3 - t2}
                row.update(current)
                row.update({f"SQL {k}": v for k, v in sql.items()})
                per_move.append(row)
                statements.append(calls["(statements)"])
    finally:
        for module, name, original in patched:
            setattr(module, name, original)
        event.remove(store.engine, "before_cursor_execute", before)
        event.remove(store.engine, "after_cursor_execute", after)

    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(moves):
        with store.write() as session:
            cards.move_card(session, ref, columns[1][1] if i % 2 == 0 else columns[0][1], index=0, origin="tui")
    profiler.disable()
    store.close()
    profiled = summarise_profile(profiler, moves, "move-profile.txt",
                                 f"cProfile of {moves} moves of {ref} between {columns[0][1]} and {columns[1][1]} "
                                 "(services.cards.move_card inside store.write, no app)")
    keys = list(per_move[0])
    for row in per_move[1:]:
        keys.extend(k for k in row if k not in keys)
    medians = {k: statistics.median(row.get(k, 0.0) for row in per_move) * 1000 for k in keys}
    return {"ref": ref, "columns": [c[1] for c in columns], "column_sizes": sizes, "history_rows": history_rows,
            "moves": moves, "median_ms": medians, "statements_per_move": statistics.median(statements),
            "calls_per_move": {k: v for k, v in calls.items() if not k.startswith("(")},
            **profiled}


def summarise_profile(profiler: cProfile.Profile, per: int, filename: str, heading: str) -> dict[str, Any]:
    """Save a full cProfile listing under bench/out/; the top functions, in ms per repetition."""
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    (OUT_DIR / filename).write_text(f"{heading}\n\n{text.getvalue()}", encoding="utf-8")
    def where(file: str) -> str:
        path = Path(file)
        return str(path.relative_to(REPO)) if path.is_relative_to(REPO) and ".venv" not in path.parts else path.name

    rows = [(f"{where(k[0])}:{k[1]}({k[2]})", v[2] / per * 1000, v[3] / per * 1000, v[1] / per)
            for k, v in stats.stats.items()]  # type: ignore[attr-defined]

    def top(column: int, only_project: bool = False) -> list[dict[str, Any]]:
        chosen = [r for r in rows if r[0].startswith(("screens/", "organizer/"))] if only_project else rows
        return [{"function": f, "tottime_ms": round(t, 3), "cumtime_ms": round(c, 3), "calls": round(n, 1)}
                for f, t, c, n in sorted(chosen, key=lambda r: -r[column])[:15]]

    return {"cprofile_file": f"bench/out/{filename}", "cprofile_by_cumtime": top(2),
            "cprofile_project_by_cumtime": top(2, only_project=True), "cprofile_by_tottime": top(1)}


# --- Reporting ---------------------------------------------------------------------------------------------

def summarise_moves(moves: list[Move]) -> list[Result]:
    """Rows 2a, 2b, 2c and the judged row 2 (the later of the optimistic frame and the commit)."""
    rows = [
        ("move_optimistic", "2a", "move: key → optimistic repaint", [m.optimistic_frame for m in moves]),
        ("move_committed", "2b", "move: key → write committed", [m.committed for m in moves]),
        ("move_reloaded", "2c", "move: key → reload repainted", [m.reloaded_frame for m in moves]),
        ("move_shown_committed", "2", "move: key → committed and shown", [max(m.optimistic_frame, m.committed)
                                                                          for m in moves]),
    ]
    out = []
    for key, figure, label, ms in rows:
        ms = [m for m in ms if m == m]  # NaN: no reload happened (the board confirmed nothing it had not shown)
        if not ms:
            continue
        res = Result(key, figure, label, ["OrganizerApp.run_test", "press L/H"], f"≤{MOVE_TARGET_MS:g} ms",
                     len(ms), 0, wall_ms=ms)
        res.median_ms, res.p90_ms, res.min_ms, res.max_ms = (statistics.median(ms), percentile(ms, 90), min(ms),
                                                              max(ms))
        res.status = "PASS" if res.median_ms <= MOVE_TARGET_MS else "FAIL"
        out.append(res)
    return out


