"""Post counting benchmarks (issue 12): `organizer check` as a whole process, and counting alone.

    .venv/bin/python bench/posts.py              # 21 runs of each figure
    .venv/bin/python bench/posts.py --runs 51

Figures (medians):
  1  `organizer check - --channel x --channel bluesky --channel mastodon --channel linkedin` on a 3,000-character
     text from standard input, whole process (target ≤ 150 ms; it must not import Textual or the ORM),
     beside `python -c pass` and `organizer --version` measured in the same run, for the machine's noise;
  2  counting alone: `organizer.posts.count.check` of that text for one network, in process (target ≤ 1 ms).
The text mixes words, accents, CJK, emoji ZWJ sequences, hashtags, mentions and links, seeded, so every run
counts the same thing. Exit 1 when a figure misses its target.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
WORDS = ["coffee", "Winter", "blend", "☕", "café", "roasted", "Huila", "https://northwind.coffee/winter-blend?ref=home",
         "#coffee", "@northwind", "你好", "👩‍👩‍👧", "naïve", "🇫🇷", "good", "morning", "the", "and", "a", "cup"]


def text_of(size: int, seed: int = 12) -> str:
    """A seeded post of `size` characters (code points)."""
    rng = random.Random(seed)
    out = ""
    while len(out) < size:
        out += rng.choice(WORDS) + " "
    return out[:size]


def whole_process(argv: list[str], stdin: bytes, runs: int, env: dict[str, str]) -> float:
    """Median wall time of a command, in ms (one uncounted run first)."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(argv, input=stdin, capture_output=True, env=env, check=False)
        if i:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    text = text_of(3000)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
               "ORGANIZER_CONFIG": str(Path(tmp) / "config.toml"), "ORGANIZER_DB": str(Path(tmp) / "o.db")}
        check = [str(BIN / "organizer"), "check", "-", "--channel", "x", "--channel", "bluesky", "--channel",
                 "mastodon", "--channel", "linkedin"]
        figures = {
            "python -c pass": whole_process([str(BIN / "python"), "-c", "pass"], b"", args.runs, env),
            "organizer --version": whole_process([str(BIN / "organizer"), "--version"], b"", args.runs, env),
            "1 organizer check - (4 networks, 3,000 characters)": whole_process(check, text.encode(), args.runs, env),
        }
    sys.path.insert(0, str(ROOT))
    from organizer.posts.count import check as count
    from organizer.posts.rules import rules

    per_network = {}
    for key, rule in rules().items():
        count(text, rule)
        samples = []
        for _ in range(args.runs):
            start = time.perf_counter()
            count(text, rule)
            samples.append((time.perf_counter() - start) * 1000)
        per_network[key] = statistics.median(samples)
    print(f"post counting · {len(text):,} characters · {args.runs} runs · medians")
    for name, ms in figures.items():
        target = "  (target ≤ 150 ms)" if name.startswith("1 ") else ""
        print(f"  {name:<55} {ms:7.1f} ms{target}")
    print("  2 counting alone, one network (target ≤ 1 ms):")
    for key, ms in per_network.items():
        print(f"      {key:<10} {ms:6.3f} ms")
    missed = figures["1 organizer check - (4 networks, 3,000 characters)"] > 150 or max(per_network.values()) > 1
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
