"""A deck's first reading (cold scan): one process against two cores (trainer.parse_ahead).

    python benchmarks/bench_cold_parse.py DECK [--rounds 3]

Each round, turn about, on DECK (its ``.trainer/`` scan cache and columns removed before each
cold scan; the review log is left alone):

* ``Deck.scan`` cold with the parse on one process (``parse_ahead.PARALLEL_FROM`` set past the
  deck's size: the code before two cores), and as it runs now (two cores for 3,000 notes or more);
* its floors: every note read, its frontmatter cut by the scan's regexes and loaded by libyaml's
  CSafeLoader, in one process, and the same split in two halves over two forked processes (the
  least a two-core parse can take: no records made, nothing sent back).

Printed: the medians, each scan over its floor, and the two-core scan over the one-process one.
The machine's speed swings (other work on it): compare the ratios of one run, not runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _notes(root: str) -> list[str]:
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        out.extend(os.path.join(folder, f) for f in files if f.endswith(".md") and not f.startswith("."))
    return out


def _floor_part(paths: list[str]) -> int:
    import yaml

    from trainer.notes.parse import _CLOSING, _OPENING

    n = 0
    for p in paths:
        with open(p, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
        m = _OPENING.match(text)
        if m is None:
            continue
        close = _CLOSING.search(text, m.end())
        if close is None:
            continue
        try:
            data = yaml.load(text[m.end():close.start()], Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            continue
        n += 1 if data is not None else 0
    return n


def floor_one(paths: list[str]) -> float:
    t0 = time.perf_counter()
    _floor_part(paths)
    return time.perf_counter() - t0


def floor_two(paths: list[str]) -> float:
    """The floor split over two processes: a forked child takes the second half."""
    half = len(paths) // 2
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            _floor_part(paths[half:])
        finally:
            os._exit(0)
    _floor_part(paths[:half])
    os.waitpid(pid, 0)
    return time.perf_counter() - t0


def cold_scan(root: str, *, two_cores: bool) -> float:
    from trainer import parse_ahead
    from trainer.deck import Deck

    for name in ("scan-cache.pickle", "scan-columns.bin"):
        try:
            os.unlink(os.path.join(root, ".trainer", name))
        except FileNotFoundError:
            pass
    saved = parse_ahead.PARALLEL_FROM
    if not two_cores:
        parse_ahead.PARALLEL_FROM = 1 << 62
    try:
        t0 = time.perf_counter()
        scan = Deck(root).scan(dt.date.today(), use_cache=True)
        elapsed = time.perf_counter() - t0
    finally:
        parse_ahead.PARALLEL_FROM = saved
    assert scan.parsed == len(scan.notes), (scan.parsed, len(scan.notes))
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description="cold scan: one process against two cores, beside their floors")
    ap.add_argument("deck")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    import gc

    paths = _notes(a.deck)
    times: dict[str, list[float]] = {"one": [], "two": [], "floor_one": [], "floor_two": []}
    for r in range(a.rounds):
        order = ["one", "two", "floor_one", "floor_two"] if r % 2 == 0 else ["two", "one", "floor_two", "floor_one"]
        for key in order:
            gc.collect()
            if key == "one":
                times[key].append(cold_scan(a.deck, two_cores=False))
            elif key == "two":
                times[key].append(cold_scan(a.deck, two_cores=True))
            elif key == "floor_one":
                times[key].append(floor_one(paths))
            else:
                times[key].append(floor_two(paths))
    med = {k: statistics.median(v) for k, v in times.items()}
    ms = {k: round(v * 1000) for k, v in med.items()}
    print(json.dumps({
        "notes": len(paths), "rounds": a.rounds, "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cold_scan_one_process_ms": ms["one"], "cold_scan_two_cores_ms": ms["two"],
        "floor_one_process_ms": ms["floor_one"], "floor_two_processes_ms": ms["floor_two"],
        "one_over_its_floor": round(med["one"] / med["floor_one"], 2),
        "two_over_its_floor": round(med["two"] / med["floor_two"], 2),
        "two_over_one": round(med["two"] / med["one"], 2),
        "load": round(os.getloadavg()[0], 1),
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
