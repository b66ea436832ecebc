"""The two log statements of a grade, alone, with and without a wait between them (#17).

    python benchmarks/bench_log_statements.py [--rows 3000]

A grade writes its log row ``pending`` (an INSERT, committed) before the note's atomic write and
marks it done (an UPDATE) after. Inside a grade they take several times what they take here
(``bench_grade_calls.py --phases``: "log: pending row", "log: done"). This loop times them on a
scratch log with the log's own schema and settings, in turns (ABBA) between:

* ``back to back``: nothing between the two statements;
* ``fsync between``: a 3 KB file written atomically between them (temp file, fsync, rename,
  fsync of the folder), as a grade's note write;
* ``sleep between``: a 0.3 ms sleep between them instead, no I/O.

Each way keeps its own log file. Prints the median of each statement.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import tempfile
import time

_INSERT = ("INSERT INTO reviews (note, ts, day, kind, grade, duration_ms, was_new, before, after, state, undo_of)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_VALUES = '{"interval": 6, "next_review": "2026-12-07", "ease_factor": 2.5, "repetitions": 2, "restore": {"raw": {}}}'


def main() -> int:
    ap = argparse.ArgumentParser(description="the log's INSERT and UPDATE alone, with and without a wait between")
    ap.add_argument("--rows", type=int, default=3000, help="grades logged in all (a quarter of them timed per way, after a warm-up)")
    a = ap.parse_args()
    from trainer.reviewlog import SCHEMA, _migrate_imported

    ways = ("back to back", "fsync between", "sleep between")
    work = tempfile.mkdtemp(prefix="trainer-log-statements-")
    try:
        conns = {}
        for i, way in enumerate(ways):
            conn = sqlite3.connect(os.path.join(work, f"log{i}.db"), isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(SCHEMA)
            _migrate_imported(conn)
            conns[way] = conn
        note = os.path.join(work, "note.md")
        with open(note, "wb") as fh:
            fh.write(b"x" * 3000)
        order = [w for block in ((0, 1, 2), (2, 1, 0)) for w in block]
        times: dict[str, tuple[list[float], list[float]]] = {w: ([], []) for w in ways}
        for i in range(a.rows):
            way = ways[order[i % len(order)]]
            conn = conns[way]
            t0 = time.perf_counter()
            row = conn.execute(_INSERT, (f"topic/note-{i % 997}.md", "2026-12-01T10:00:00.000", "2026-12-01",
                                         "review", 4, 1200, 0, _VALUES, _VALUES, "pending", None)).lastrowid
            t1 = time.perf_counter()
            if way == "fsync between":
                _replace_durably(note, work)
            elif way == "sleep between":
                time.sleep(0.0003)
            t2 = time.perf_counter()
            conn.execute("UPDATE reviews SET state = 'done' WHERE id = ?", (row,))
            t3 = time.perf_counter()
            if i >= a.rows // 10:  # (a warm-up left out)
                times[way][0].append(t1 - t0)
                times[way][1].append(t3 - t2)
        for conn in conns.values():
            conn.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    us = lambda xs: round(statistics.median(xs) * 1e6, 1)  # noqa: E731
    print(json.dumps({way: {"insert_us": us(ins), "update_us": us(upd), "n": len(ins)} for way, (ins, upd) in times.items()}))
    return 0


def _replace_durably(path: str, folder: str) -> None:
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, b"y" * 3000)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


if __name__ == "__main__":
    raise SystemExit(main())
