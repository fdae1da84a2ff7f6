"""Concurrent adds on PostgreSQL (issue 11): 10 processes x 100 `organizer add` at once, all stored, no error.

    .venv/bin/python bench/pg_adds.py                 # 10 x 100, each add through organizer.cli.main.main
    .venv/bin/python bench/pg_adds.py --exec          # each add a whole `organizer add` process (slow: ~1,000 runs)
    .venv/bin/python bench/pg_adds.py --timing 20     # then: `organizer add` whole-process time, PostgreSQL vs SQLite

Each run starts on a new, empty database (`CREATE DATABASE org_bench_<random>`, dropped after), so the
workers also race to migrate it and to create the default board. It checks that every add was stored,
that no worker saw an error, and that the card numbers are 1..N with none twice. The server is
`postgresql://postgres@127.0.0.1/postgres` unless `ORGANIZER_TEST_PG` names another. Exit 1 on a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("ORGANIZER_TEST_PG", "postgresql://postgres@127.0.0.1/postgres")
ORGANIZER = str(ROOT / ".venv" / "bin" / "organizer")


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(SERVER.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)


def _url(name: str) -> str:
    base, _, _ = SERVER.rpartition("/")
    return f"{base}/{name}"


def worker(url: str, count: int, tag: str, exec_each: bool) -> None:
    """Add `count` cards, one after another; print {"ok", "errors", "first_error"} as JSON."""
    ok, errors, first = 0, 0, None
    if not exec_each:
        import contextlib
        import io

        from organizer.cli.main import main
    for i in range(count):
        title = f"{tag} card {i}"
        if exec_each:
            run = subprocess.run([ORGANIZER, "add", title, "--db", url], capture_output=True, text=True, check=False)
            code, err = run.returncode, run.stderr
        else:
            out, errbuf = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(errbuf):
                code = main(["add", title, "--db", url])
            err = errbuf.getvalue()
        if code == 0:
            ok += 1
        else:
            errors += 1
            first = first or err.strip()[-500:]
    print(json.dumps({"ok": ok, "errors": errors, "first_error": first}))


def concurrent_adds(processes: int, each: int, exec_each: bool) -> dict[str, object]:
    """Run the workers on a fresh database; returns the figures and whether they pass."""
    name = f"org_bench_{secrets.token_hex(4)}"
    _admin(f"CREATE DATABASE {name}")
    url = _url(name)
    try:
        env = os.environ | {"ORGANIZER_CONFIG": str(Path(tempfile.mkdtemp()) / "config.toml")}
        started = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, __file__, "--worker", url, str(each), f"w{n}"]
                                  + (["--exec"] if exec_each else []),
                                  stdout=subprocess.PIPE, text=True, env=env) for n in range(processes)]
        results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
        elapsed = time.perf_counter() - started
        import psycopg

        with psycopg.connect(url) as conn:
            numbers = [n for (n,) in conn.execute("SELECT number FROM card ORDER BY number")]
            boards = conn.execute("SELECT count(*) FROM board").fetchone()[0]
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    wanted = processes * each
    figures = {
        "adds": wanted, "stored": len(numbers), "errors": sum(r["errors"] for r in results),
        "reported_ok": sum(r["ok"] for r in results), "boards": boards, "seconds": round(elapsed, 2),
        "numbers_1_to_n": numbers == list(range(1, wanted + 1)),
        "first_error": next((r["first_error"] for r in results if r["first_error"]), None),
    }
    figures["passed"] = (figures["stored"] == wanted and figures["errors"] == 0 and figures["numbers_1_to_n"]
                         and boards == 1)
    return figures


def timing(runs: int) -> dict[str, float]:
    """Median wall time of a whole `organizer add` process on PostgreSQL and on SQLite (both migrated first)."""
    name = f"org_bench_{secrets.token_hex(4)}"
    _admin(f"CREATE DATABASE {name}")
    folder = Path(tempfile.mkdtemp())
    env = os.environ | {"ORGANIZER_CONFIG": str(folder / "config.toml")}
    out = {}
    try:
        for label, db in (("postgresql", _url(name)), ("sqlite", str(folder / "organizer.db"))):
            subprocess.run([ORGANIZER, "add", "warm-up", "--db", db], check=True, env=env, capture_output=True)
            times = []
            for i in range(runs):
                t = time.perf_counter()
                subprocess.run([ORGANIZER, "add", f"card {i}", "--db", db], check=True, env=env, capture_output=True)
                times.append(time.perf_counter() - t)
            out[f"{label}_median_ms"] = round(statistics.median(times) * 1000, 1)
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return out


def main() -> int:
    """Parse the arguments and run the bench (or one worker)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", nargs=3, metavar=("URL", "COUNT", "TAG"), help=argparse.SUPPRESS)
    parser.add_argument("--processes", type=int, default=10)
    parser.add_argument("--adds", type=int, default=100, help="adds per process")
    parser.add_argument("--exec", action="store_true", help="each add a whole `organizer add` process")
    parser.add_argument("--timing", type=int, default=0, metavar="RUNS",
                        help="also time RUNS whole `organizer add` processes on PostgreSQL and on SQLite")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), args.worker[2], args.exec)
        return 0
    figures = concurrent_adds(args.processes, args.adds, args.exec)
    if args.timing:
        figures |= timing(args.timing)
    print(json.dumps(figures, indent=2))
    return 0 if figures["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
