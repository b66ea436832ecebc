"""One grade in process, with what it costs beside the write it cannot avoid (issue #17).

    python benchmarks/bench_grade_calls.py DECK [--grades 200]

DECK is copied to a temp dir first (grading changes notes). Each grade is ``Deck.load`` then
``grading.grade``, as ``bench_core.py`` times it; right after each, the same loop times its limit:
an atomic write of a 3 KB file with its two fsyncs (file and folder). Printed: median wall time,
median CPU time (fsync waits excluded), the write limit, and per grade the YAML loaders built,
``os.lstat`` and ``os.stat`` calls (counted by wrapping them). Run it with ``PYTHONPATH=OLD`` (a
``git archive COMMIT trainer`` tree) to measure older code the same way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time


def main() -> int:
    ap = argparse.ArgumentParser(description="one grade in process: time, CPU, YAML parses and stat calls")
    ap.add_argument("deck")
    ap.add_argument("--grades", type=int, default=200)
    a = ap.parse_args()
    import trainer.notes.parse as parse
    from trainer import grading
    from trainer.deck import Deck
    from trainer.reviewlog import ReviewLog

    counts = {"yaml": 0, "lstat": 0, "stat": 0}
    base = parse.loader_class()

    class Counting(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kw):
            counts["yaml"] += 1
            super().__init__(*args, **kw)

    parse.loader_class = lambda: Counting
    real_lstat, real_stat = os.lstat, os.stat

    def lstat(*args, **kw):
        counts["lstat"] += 1
        return real_lstat(*args, **kw)

    def stat(*args, **kw):
        counts["stat"] += 1
        return real_stat(*args, **kw)

    today = dt.date.today()
    with tempfile.TemporaryDirectory() as tmp:
        root = shutil.copytree(a.deck, os.path.join(tmp, "deck"), ignore=shutil.ignore_patterns(".trainer*"))
        d = Deck(root)
        log = ReviewLog.open(d.root)
        rels = [n.rel for n in d.scan(today).notes]
        picked = rels[:: max(1, len(rels) // a.grades)][: a.grades]
        limit_dir = os.path.join(tmp, "limit")
        os.mkdir(limit_dir)
        payload = b"x" * 3100
        wall, cpu, write, per = [], [], [], {}
        os.lstat, os.stat = lstat, stat
        try:
            for i, rel in enumerate(picked):
                before = dict(counts)
                t0, c0 = time.perf_counter(), time.process_time()
                grading.grade(d, log, d.load(rel, today), 3 + i % 3, today)
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                per = {k: counts[k] - before[k] for k in counts}
                t0 = time.perf_counter()
                tmp_file = os.path.join(limit_dir, "t.tmp")
                fd = os.open(tmp_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.write(fd, payload)
                os.fsync(fd)
                os.close(fd)
                os.replace(tmp_file, os.path.join(limit_dir, "t.md"))
                dfd = os.open(limit_dir, os.O_RDONLY)
                os.fsync(dfd)
                os.close(dfd)
                write.append(time.perf_counter() - t0)
        finally:
            os.lstat, os.stat = real_lstat, real_stat
            log.close()
    ms = lambda xs: round(statistics.median(xs) * 1000, 3)  # noqa: E731
    print(json.dumps({"grades": len(wall), "wall_ms": ms(wall), "cpu_ms": ms(cpu), "atomic_write_fsync_ms": ms(write),
                      "per_grade": per, "load": round(os.getloadavg()[0], 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
