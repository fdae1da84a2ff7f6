"""Import boundaries that hold at run time, and no import cycles.

The static side is import-linter's (`lint-imports`, contracts in pyproject.toml). Its contracts see every
import statement, but not whether a lazy one actually runs, so here real commands run in subprocesses and
report which modules they loaded: `organizer add` and `list` must not pay for SQLAlchemy, pydantic or Textual,
and the headless core must load without Textual, Rich or `screens`.

The cycle test builds the same graph import-linter checks (grimp, with its default settings): imports inside
functions and under `if TYPE_CHECKING:` count as edges, as they do for import-linter (its
`exclude_type_checking_imports` is left off), so a screen importing the app "only for typing" is a cycle too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "alembic", "textual", "rich", "screens")
UI = ("textual", "rich", "screens")

# Runs the CLI in this process, then prints which of the watched top-level packages got imported.
RUN_AND_REPORT = """
import json, sys
from organizer.cli.main import main
code = main(sys.argv[1:])
watched = {WATCHED!r}
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set(watched))
print(json.dumps({{"code": code, "loaded": loaded, "quick": "organizer.storage.quick" in sys.modules,
                  "store": "organizer.storage.orm" in sys.modules}}), file=sys.stderr)
"""


def _run(args: list[str], env: dict[str, str], cwd: Path, watched: tuple[str, ...] = HEAVY) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", RUN_AND_REPORT.format(WATCHED=watched), *args], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=60)
    report: dict[str, object] = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, proc.stderr
    return report


@pytest.fixture
def env(isolated_paths: Path) -> dict[str, str]:
    """The test's isolated paths (conftest) for a child process, with the checkout importable."""
    child = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    child["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    (isolated_paths / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    return child


@pytest.mark.slow
def test_quick_add_and_list_load_neither_sqlalchemy_nor_textual(env: dict[str, str], tmp_path: Path) -> None:
    # The first add creates the database through the full store (migrations): that one may be heavy.
    _run(["add", "Creates the database"], env, tmp_path)
    for args in (["add", "Quick card"], ["add", "Due soon", "--due", "tomorrow 10:00", "-P", "2", "-c", "x"],
                 ["add", "Porcelain", "--json"], ["list", "--json"], ["list"]):
        report = _run(args, env, tmp_path)
        assert report["loaded"] == [], f"organizer {' '.join(args)} loaded {report['loaded']}"
        assert report["quick"] and not report["store"], f"organizer {' '.join(args)} left the quick path: {report}"


@pytest.mark.slow
def test_check_loads_neither_the_orm_nor_textual_nor_a_database(env: dict[str, str], tmp_path: Path) -> None:
    report = _run(["check", "Hello 👋 https://example.com #coffee", "-c", "x,bluesky,mastodon,linkedin"], env,
                  tmp_path, watched=(*HEAVY, "psycopg", "sqlite3", "twitter_text"))
    assert report["loaded"] == [] and not report["quick"], report


@pytest.mark.slow
def test_new_from_a_template_stays_off_the_orm(env: dict[str, str], tmp_path: Path) -> None:
    _run(["add", "Creates the database"], env, tmp_path)
    report = _run(["new", "newsletter", "December issue", "--publish", "+14d 10:00"], env, tmp_path)
    assert report["loaded"] == [] and report["quick"] and not report["store"], report


@pytest.mark.slow
def test_the_lean_path_is_what_kept_them_out(env: dict[str, str], tmp_path: Path) -> None:
    """The check above can fail: a command that needs the store does load SQLAlchemy."""
    _run(["add", "Creates the database"], env, tmp_path)
    report = _run(["show", "1"], env, tmp_path)
    assert "sqlalchemy" in report["loaded"] and report["store"]  # type: ignore[operator]


def _core_modules() -> list[str]:
    import pkgutil

    import organizer

    return sorted(m.name for m in pkgutil.walk_packages(organizer.__path__, "organizer.")
                  if m.name != "organizer.__main__")  # runs the CLI when imported


@pytest.mark.slow
def test_importing_every_core_module_loads_no_ui(tmp_path: Path) -> None:
    """Every organizer.* module imports without Textual, Rich or screens; the launcher (organizer.cli.app_commands)
    too, since it imports the app inside the function that runs it."""
    modules = _core_modules()
    assert "organizer.cli.app_commands" in modules and "organizer.storage.quick" in modules
    code = ("import importlib, json, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            f"print(json.dumps(sorted({{n.split('.')[0] for n in sys.modules}} & {set(UI)!r})))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


# Cycles in code this change does not own; listed so the test guards everything else, and it fails when one
# is fixed so that its entry goes too.
KNOWN_CYCLES: set[frozenset[str]] = set()  # none left: a cycle found is a new one


def _cycles(graph: grimp.ImportGraph, roots: tuple[str, ...]) -> set[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    nodes = sorted(m for m in graph.modules if m.split(".")[0] in roots)
    edges = {m: sorted(t for t in graph.find_modules_directly_imported_by(m) if t.split(".")[0] in roots)
             for m in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.add(frozenset(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_no_import_cycles_among_organizer_and_screens() -> None:
    graph = grimp.build_graph("organizer", "screens", cache_dir=None)
    cycles = _cycles(graph, ("organizer", "screens"))
    new = [sorted(c) for c in cycles - KNOWN_CYCLES]
    assert not new, f"import cycles: {new}"
    gone = [sorted(c) for c in KNOWN_CYCLES - cycles]
    assert not gone, f"fixed, so take it out of KNOWN_CYCLES: {gone}"


def test_the_cycle_finder_finds_one() -> None:
    graph = grimp.ImportGraph()
    for name in ("organizer", "organizer.a", "organizer.b", "organizer.c", "screens", "screens.x"):
        graph.add_module(name)
    graph.add_import(importer="organizer.a", imported="organizer.b")
    graph.add_import(importer="organizer.b", imported="organizer.c")
    graph.add_import(importer="organizer.c", imported="organizer.a")
    graph.add_import(importer="screens.x", imported="organizer.a")
    assert _cycles(graph, ("organizer", "screens")) == {frozenset({"organizer.a", "organizer.b", "organizer.c"})}


def test_the_app_is_what_the_screens_take_it_for(tmp_path: Path) -> None:
    """Every member of screens.host.OrganizerHost exists on the app (mypy checks the signatures, in app.py)."""
    from organizer.config import build_config
    from screens.app import OrganizerApp
    from screens.host import OrganizerHost

    members = {name for name in vars(OrganizerHost) if not name.startswith("_")} | set(
        OrganizerHost.__annotations__)
    assert {"data", "now", "cfg", "location", "pick"} <= members
    app = OrganizerApp(str(tmp_path / "organizer.db"), build_config({"timezone": "Europe/Paris"}))
    missing = sorted(name for name in members if not hasattr(app, name))
    assert not missing, f"screens.host names what the app lacks: {missing}"
