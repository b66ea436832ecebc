"""Per-tag figures on both deck shapes, against another version of the code (issue #17).

    python benchmarks/bench_tag_figures.py --notes 100000 --decks-dir DIR [--rounds 5] \
        [--against SRC]        # SRC: a copy of an older trainer/ tree, e.g.
                               # mkdir OLD && git archive COMMIT trainer | tar -x -C OLD

A deck shaped like the seed (one distinct nested tag per note) has ~100k tags at 100k notes
against ~20 for the mixed shape, and every per-tag figure used to grow with them. Each round, in
a rotating order, one fresh process per side (this checkout, and ``--against``'s tree) loads the
deck's notes from the warm scan cache and times, with the cyclic collector paused as the CLI
does: ``figures.compute`` (counts, forecast, tags) and ``memory.recall_summary`` (SM-2), beside
the limit of the same process: one pass over the notes reading each card's tags and schedule.
Then ``trainer stats --json`` end to end for each side. Figures are medians; ratios are medians
of the per-round ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import gen_deck  # noqa: E402

WORKER = r"""
import datetime as dt, gc, json, sys, time
from trainer.deck import Deck
from trainer import figures, memory
from trainer.config import Settings
root, today = sys.argv[1], dt.date.fromisoformat(sys.argv[2])
gc.disable()
notes = Deck(root).scan(today).notes
def limit():
    k = 0
    for n in notes:
        k += len(n.tags) + (n.schedule.next_review <= today)
    return k
out = {}
for name, fn in (("limit", limit),
                 ("figures", lambda: figures.compute(notes, today, new_per_day=20, days=30)),
                 ("recall", lambda: memory.recall_summary(notes, today, Settings()))):
    best = []
    for _ in range(3):
        t = time.perf_counter(); fn(); best.append(time.perf_counter() - t)
    out[name] = min(best) * 1000
out["tags"] = len(figures.compute(notes, today, new_per_day=20).tags)
print(json.dumps(out))
"""


def _env(src: Path | None) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src if src is not None else REPO)
    return env


def in_process(deck: Path, today: str, src: Path | None) -> dict:
    r = subprocess.run([sys.executable, "-c", WORKER, str(deck), today], env=_env(src), capture_output=True,
                       text=True, check=True, cwd="/")
    return json.loads(r.stdout)


def stats_process(deck: Path, today: str, src: Path | None) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "trainer", "--deck", str(deck), "--today", today, "stats", "--json"],
                   env=_env(src), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd="/")
    return (time.perf_counter() - t) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description="per-tag figures on mixed and seed-shaped decks, against older code")
    ap.add_argument("--notes", type=int, default=100_000)
    ap.add_argument("--shapes", default="mixed,seed")
    ap.add_argument("--decks-dir", required=True, help="generate (or reuse) decks here, outside the repo")
    ap.add_argument("--against", type=Path, help="a directory holding an older trainer/ package")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--today", default="2026-12-01")
    a = ap.parse_args()
    sides = {"this": None, **({"against": a.against.resolve()} if a.against else {})}
    for shape in a.shapes.split(","):
        deck = Path(a.decks_dir) / (f"deck-{a.notes}-s0" + ("-seed" if shape == "seed" else ""))
        if not deck.exists():
            gen_deck.generate(deck, a.notes, 0, shape=shape)
        stats_process(deck, a.today, None)  # warm the scan cache
        res: dict[str, dict[str, list[float]]] = {s: {} for s in sides}
        for r in range(a.rounds):
            order = list(sides) if r % 2 == 0 else list(reversed(sides))
            for side in order:
                got = in_process(deck, a.today, sides[side])
                got["stats --json"] = stats_process(deck, a.today, sides[side])
                for k, v in got.items():
                    res[side].setdefault(k, []).append(v)
        print(f"\n{shape}, {a.notes} notes, {res['this']['tags'][0]:.0f} tags, load {os.getloadavg()[0]:.1f}")
        for k in ("limit", "figures", "recall", "stats --json"):
            line = f"  {k:14s}" + "".join(f"  {s}: {statistics.median(res[s][k]):8.1f} ms" for s in sides)
            if "against" in sides:
                ratio = statistics.median(x / y for x, y in zip(res["this"][k], res["against"][k]))
                line += f"  this/against {ratio:.2f}×"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
