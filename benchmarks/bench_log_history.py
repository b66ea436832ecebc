"""What a long review history costs `stats` and every open of the log (issue #17).

    python benchmarks/bench_log_history.py [--rows 0,10000,100000] [--notes 1000] [--rounds 5]
                                           [--against SRC] [--markdown]

A user who studied for a year or two, or imported an Anki package with its history, has tens of
thousands of rows in ``.trainer/trainer.db``. For each size a deck of ``--notes`` notes is made
with a log of that many grades over two years (each row as a grade writes it: the schedule before
and after as JSON, a few undone, re-drills and imports among them). Then, each round, in a fresh
process (``--against SRC``: the same for an older ``trainer/`` tree, e.g.
``mkdir OLD && git archive COMMIT trainer | tar -x -C OLD``):

* ``stats.history``: what ``trainer stats`` and the stats screen show of the log;
* ``ReviewLog.pending``: what every open for writing asks (the repair of a crash's leftovers);
* its limit, in the same process: one pass of SQLite over the rows (``SELECT SUM(grade) FROM reviews``);

and ``trainer stats --json`` end to end (the deck's scan cache warm). Each side has its own copy of
the deck (an index one side adds to the log is not lent to the other), and runs in the decks' folder
(from this checkout, ``python -c`` would import its ``trainer/`` whatever ``PYTHONPATH`` says). In-process
figures are the best of 5 calls; every figure is the median over rounds, in ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import gen_deck  # noqa: E402

TODAY = "2026-11-25"

WORKER = r"""
import datetime as dt, json, sys, time
from pathlib import Path
from trainer import stats
from trainer.reviewlog import ReviewLog
root, today = Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2])
log = ReviewLog.open(root)
def best(fn, n=5):
    times = []
    for _ in range(n):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return min(times) * 1000
out = {
    "history": best(lambda: stats.history(log, today, 30)),
    "pending": best(lambda: log.pending()),
    "limit": best(lambda: log.conn.execute("SELECT SUM(grade) FROM reviews").fetchone()),
}
log.close()
print(json.dumps(out))
"""


def fill_log(root: Path, rows: int, rng: random.Random, today: str = TODAY) -> None:
    """``rows`` grades over the two years before ``today``, on the deck's notes in turn, written as
    grades write them."""
    from trainer.notes.model import Schedule
    from trainer.reviewlog import LoggedSchedule, ReviewLog

    today = dt.date.fromisoformat(today)  # type: ignore[assignment]
    rels = sorted(str(p.relative_to(root)) for p in root.rglob("*.md") if ".trainer" not in p.parts)
    log = ReviewLog.open(root)
    with log.transaction():
        for i in range(rows):
            day = today - dt.timedelta(days=1 + rng.randrange(730))  # (none today: today's new cards stay 20)
            before = Schedule(created=day, last_reviewed=day - dt.timedelta(days=3), next_review=day, review_count=i % 20,
                              mastery_level=0.5, ease_factor=2.5, interval=3, repetitions=2)
            after = Schedule(created=day, last_reviewed=day, next_review=day + dt.timedelta(days=7), review_count=i % 20 + 1,
                             mastery_level=0.6, ease_factor=2.6, interval=7, repetitions=3)
            raw = {"last_reviewed": f" '{before.last_reviewed}'", "next_review": f" '{before.next_review}'",
                   "review_count": f" {before.review_count}", "mastery_level": " 0.5"}
            kind = "import" if i % 97 == 0 else "redrill" if i % 11 == 0 else "review"
            row = log.begin(rels[i % len(rels)], kind, day, grade=rng.randrange(6), duration_ms=rng.randrange(2000, 60000),
                            was_new=i % 13 == 0, before=LoggedSchedule(LoggedSchedule.of(before).values, raw=raw),
                            after=LoggedSchedule.of(after), pending=False)
            if i % 50 == 0:
                log.conn.execute("UPDATE reviews SET undone = 1 WHERE id = ?", (row,))
    log.close()


def _env(src: Path | None) -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(src if src is not None else REPO)
    return env


def _worker(deck: Path, src: Path | None) -> dict:
    p = subprocess.run([sys.executable, "-c", WORKER, str(deck), TODAY], capture_output=True, text=True,
                       env=_env(src), check=True, cwd=deck.parent)  # (not this checkout: its trainer/ would come first)
    return json.loads(p.stdout)


def _stats_end_to_end(deck: Path, src: Path | None) -> float:
    cmd = [sys.executable, "-m", "trainer", "--deck", str(deck), "--today", TODAY, "stats", "--json"]
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, env=_env(src), check=False, cwd=deck.parent)
    elapsed = (time.perf_counter() - t) * 1000
    if p.returncode not in (0, 1):
        raise RuntimeError(p.stderr.decode(errors="replace")[-2000:])
    return elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="0,10000,100000", help="log sizes, comma-separated (default: %(default)s)")
    ap.add_argument("--notes", type=int, default=1000, help="notes in each deck (default: %(default)s)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--against", type=Path, help="an older trainer/ tree's parent folder, timed the same way")
    ap.add_argument("--markdown", action="store_true", help="also print a table for the README")
    args = ap.parse_args(argv)
    sides = {"this": None} | ({"against": args.against.resolve()} if args.against else {})
    results = []
    with tempfile.TemporaryDirectory(prefix="trainer-log-history-") as tmp:
        for rows in [int(r) for r in args.rows.split(",")]:
            deck = Path(tmp) / f"deck-{rows}"
            gen_deck.generate(deck, args.notes, seed=0)
            fill_log(deck, rows, random.Random(rows))
            decks = {}
            for side in sides:
                decks[side] = Path(tmp) / f"deck-{rows}-{side}"
                shutil.copytree(deck, decks[side], symlinks=True)
                if sides[side] is not None:  # the log as that tree would have made it: its own indexes only
                    conn = sqlite3.connect(decks[side] / ".trainer" / "trainer.db")
                    conn.execute("DROP INDEX IF EXISTS reviews_pending")
                    conn.close()
                _stats_end_to_end(decks[side], sides[side])  # its scan cache made: warm from here
            got: dict[str, dict[str, list[float]]] = {s: {} for s in sides}
            for r in range(args.rounds):
                order = list(sides)[r % len(sides):] + list(sides)[:r % len(sides)]
                for side in order:
                    for k, v in _worker(decks[side], sides[side]).items():
                        got[side].setdefault(k, []).append(v)
                    got[side].setdefault("stats_json", []).append(_stats_end_to_end(decks[side], sides[side]))
            row = {"rows": rows}
            for side, figs in got.items():
                for k, v in figs.items():
                    row[f"{side}:{k}"] = round(statistics.median(v), 2)
            results.append(row)
            print(json.dumps(row), flush=True)
    if args.markdown:
        keys = [k for k in results[0] if k != "rows"]
        print("\n| log rows | " + " | ".join(keys) + " |")
        print("|---:|" + "---:|" * len(keys))
        for row in results:
            print(f"| {row['rows']:,} | " + " | ".join(f"{row[k]:.2f}" for k in keys) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
