"""One grade in process, with what it costs beside the write it cannot avoid (issue #17).

    python benchmarks/bench_grade_calls.py DECK [--grades 200] [--in-place] [--profile OUT]

DECK is copied to a temp dir first (grading changes notes); with ``--in-place`` it is graded
where it is (a scratch copy you made, ``cp -a``: a 100k deck is then not copied and scanned cold
on every run). Each grade is ``Deck.load`` then
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
    ap.add_argument("--in-place", action="store_true", help="grade in DECK itself (a scratch copy), not in a temp copy")
    ap.add_argument("--profile", metavar="OUT", help="also write a cProfile of the timed grades to OUT")
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
        root = a.deck if a.in_place else shutil.copytree(a.deck, os.path.join(tmp, "deck"),
                                                          ignore=shutil.ignore_patterns(".trainer*"))
        d = Deck(root)
        log = ReviewLog.open(d.root)
        # notes not graded today yet: a second grade the same day is a re-drill (no write)
        rels = [n.rel for n in d.scan(today).notes if n.schedule.last_reviewed != today]
        picked = rels[:: max(1, len(rels) // a.grades)][: a.grades]
        limit_dir = os.path.join(tmp, "limit")
        os.mkdir(limit_dir)
        payload = b"x" * 3100
        wall, cpu, write, per = [], [], [], {}
        profile = None
        if a.profile:
            import cProfile

            profile = cProfile.Profile()
        os.lstat, os.stat = lstat, stat
        try:
            for i, rel in enumerate(picked):
                before = dict(counts)
                if profile is not None:
                    profile.enable()
                t0, c0 = time.perf_counter(), time.process_time()
                grading.grade(d, log, d.load(rel, today), 3 + i % 3, today)
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                if profile is not None:
                    profile.disable()
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
    if profile is not None:
        profile.dump_stats(a.profile)
    ms = lambda xs: round(statistics.median(xs) * 1000, 3)  # noqa: E731
    p90 = lambda xs: round(statistics.quantiles(xs, n=10)[-1] * 1000, 3)  # noqa: E731
    print(json.dumps({"grades": len(wall), "wall_ms": ms(wall), "wall_p90_ms": p90(wall), "cpu_ms": ms(cpu),
                      "atomic_write_fsync_ms": ms(write), "atomic_write_fsync_p90_ms": p90(write),
                      "per_grade": per, "load": round(os.getloadavg()[0], 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
