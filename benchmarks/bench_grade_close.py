"""The replaced note's last close in a grade, left to a thread (now) or made in line (before), #17.

    python benchmarks/bench_grade_close.py DECK [--grades 1200] [--block 50] [--pause MS]

After a grade's rename, the descriptor the note was read and locked through holds the old file
alone; its close frees it (0.02-0.14 ms here). ``trainer.notes.closer`` closes it on a thread of
its own once the lock is released. Both ways are timed in one process on one open deck, in blocks
of ``--block`` grades in the order ABBA (so the machine's slow spells and the grades' own order
hit both alike), each grade ``session.grade_current`` on the next card of the day's due queue
after the card was read as the study screen reads it (untimed), as ``bench_grade_calls.py`` does.
Grades run back to back: a close left to the thread may still run while the next grade starts,
which the figure for "thread" then includes. ``--pause MS`` sleeps before each grade (a person
takes seconds).

DECK is graded where it is: give it a scratch copy (``cp -a``). Prints the median, p90 and CPU of each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    ap = argparse.ArgumentParser(description="a grade with the replaced file's close on a thread, and in line")
    ap.add_argument("deck")
    ap.add_argument("--grades", type=int, default=1200)
    ap.add_argument("--block", type=int, default=50)
    ap.add_argument("--pause", type=float, default=0.0, help="ms to sleep before each grade")
    a = ap.parse_args()
    from bench_grade_calls import drop_redrill

    from trainer.notes import store
    from trainer.notes.parse import read_card
    from trainer.opendeck import OpenDeck

    threaded = store._release

    def in_line(fd: int) -> None:  # the code before: the close made where the lock is released
        os.close(fd)

    today = dt.date.today()
    book = OpenDeck.open(a.deck, today)
    wall: dict[str, list[float]] = {"thread": [], "in line": []}
    cpu: dict[str, list[float]] = {"thread": [], "in line": []}
    try:
        book.load()
        session = book.start_session(book.notes)
        for i in range(a.grades):
            if session.current is None:
                break
            mode = ("in line", "thread", "thread", "in line")[(i // a.block) % 4]
            store._release = threaded if mode == "thread" else in_line
            rel = session.current.rel
            read_card(session.current.path)
            if a.pause:
                time.sleep(a.pause / 1000)
            t0, c0 = time.perf_counter(), time.process_time()
            event = session.grade_current(3 + i % 3)
            wall[mode].append(time.perf_counter() - t0)
            cpu[mode].append(time.process_time() - c0)
            if event.graded is None or event.graded.kind != "review":
                raise SystemExit(f"{rel}: not a scheduling grade: {event.outcome.value} {event.detail}")
            drop_redrill(session, rel)
    finally:
        store._release = threaded
        book.close()
    out = {}
    for mode in wall:
        xs = sorted(wall[mode])
        out[mode] = {"grades": len(xs), "median_ms": round(statistics.median(xs) * 1000, 3),
                     "p90_ms": round(xs[int(0.9 * len(xs))] * 1000, 3),
                     "cpu_ms": round(statistics.median(cpu[mode]) * 1000, 3)}
    out["pause_ms"] = a.pause
    out["load"] = round(os.getloadavg()[0], 1)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
