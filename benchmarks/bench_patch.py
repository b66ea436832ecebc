"""`trainer due --json` right after one note was edited (#17: the columns patched for that note),
this tree against another (``--against``: e.g. ``git archive <base> trainer | tar -x -C DIR``), in
turns, beside the raw limit: the same command with nothing edited.

    python benchmarks/bench_patch.py --deck DECK [--against DIR] [--rounds 7]

DECK is copied to a temporary folder first unless ``--in-place`` (the notes are edited: a space appended to one note's
body per run, then a tenth of a second's pause, as a person switches from the editor)."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TODAY = "2026-11-25"


def timed(tree: Path, deck: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    assert (tree / "trainer").is_dir(), tree
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "trainer", "--deck", str(deck), "--today", TODAY, "due", "--json"],
                   stdout=subprocess.DEVNULL, env=env, check=True, cwd=deck.parent)  # (not the cwd's trainer/)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deck", required=True, type=Path)
    ap.add_argument("--against", type=Path, help="another tree holding trainer/ (the base)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--in-place", action="store_true", help="edit DECK itself (a copy made beforehand)")
    args = ap.parse_args()
    trees = {"this": REPO} | ({"base": args.against.resolve()} if args.against else {})
    with tempfile.TemporaryDirectory() as tmp:
        deck = args.deck if args.in_place else Path(tmp) / "deck"
        if not args.in_place:
            shutil.copytree(args.deck, deck, symlinks=True)
        notes = iter(sorted(deck.rglob("*.md"))[::97])
        timed(REPO, deck)  # (the columns built, the page cache warm)
        timed(REPO, deck)
        times: dict[str, list[float]] = {name: [] for name in [*trees, "raw"]}
        for r in range(args.rounds):
            for name in (list(trees) if r % 2 == 0 else list(trees)[::-1]):
                with open(next(notes), "a", encoding="utf-8") as fh:
                    fh.write(" ")
                time.sleep(0.1)
                times[name].append(timed(trees[name], deck))
            times["raw"].append(timed(REPO, deck))  # nothing edited: the columns as saved
        print(f"deck {args.deck.name}, {args.rounds} rounds, load {os.getloadavg()[0]:.2f}")
        for name, ts in times.items():
            label = "raw limit (nothing edited)" if name == "raw" else f"due --json after one edit, {name}"
            print(f"  {label:45} median {statistics.median(ts) * 1000:6.0f} ms  min {min(ts) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
