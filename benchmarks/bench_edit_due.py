"""`trainer due --json` right after a note was edited, turn about with another version (issue #17).

    python benchmarks/bench_edit_due.py DECK --against OLD [--rounds 10]

OLD is an older ``trainer/`` tree's parent folder (``mkdir OLD && git archive COMMIT trainer | tar -x
-C OLD``). DECK is changed: each round appends a space to the body of one of its notes (another
note each time, as an editor saves it), waits 0.1 s as a person switching from the editor would,
then times ``trainer due --json`` start to exit (the columns patched for that note and saved), and
right after it the same command again (warm: nothing changed). The two sides alternate which goes
first. Use a scratch copy of a generated deck (``gen_deck.py``).
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("deck", type=Path)
    ap.add_argument("--against", type=Path, required=True, help="an older trainer/ tree's parent folder")
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args(argv)
    deck = args.deck.resolve()
    notes = sorted(glob.glob(str(deck / "**" / "*.md"), recursive=True))[::997]
    if not notes:
        ap.error(f"{deck}: no notes")
    sides = {"before": args.against.resolve(), "now": REPO}
    env0 = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    edited: dict[str, list[float]] = {s: [] for s in sides}
    warm: dict[str, list[float]] = {s: [] for s in sides}
    cmd = [sys.executable, "-m", "trainer", "--deck", str(deck), "due", "--json"]

    def timed(env: dict) -> float:
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, env=env, check=False, cwd=deck.parent)  # (not the checkout)
        return (time.perf_counter() - t) * 1000

    for side in sides:  # both sides' bytecode compiled, the columns current
        timed(dict(env0, PYTHONPATH=str(sides[side])))
    k = 0
    for r in range(args.rounds):
        for side in list(sides) if r % 2 == 0 else list(sides)[::-1]:
            with open(notes[k % len(notes)], "a", encoding="utf-8") as fh:
                fh.write(" ")
            k += 1
            time.sleep(0.1)
            env = dict(env0, PYTHONPATH=str(sides[side]))
            edited[side].append(timed(env))
            warm[side].append(timed(env))
    for side in sides:
        print(f"{side}: right after an edit {statistics.median(edited[side]):.0f} ms "
              f"({', '.join(f'{x:.0f}' for x in edited[side])}); warm {statistics.median(warm[side]):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
