"""Core speed and memory against the raw limit measured in the same run (SPEC §8).

    python benchmarks/bench_core.py --sizes 1000,10000,100000 [--shape seed] [--decks-dir DIR] [--json OUT] [--markdown]
    python benchmarks/bench_core.py --vs-anki --sizes 10000,100000 --anki-python V/bin/python   (bench_vs_anki.py)

``--shape seed`` benchmarks decks shaped like the seed deck (one distinct nested tag per note).
``--vs-anki`` runs bench_vs_anki.py instead: trainer against Anki's engine on the same cards, for
people who have the ``anki`` package (not a dependency of trainer; skipped cleanly without it).
The stat-only limit on one thread vs 2 threads vs 2 processes: bench_stat_walk.py.

For each deck size a synthetic deck (benchmarks/gen_deck.py, ~3 KB notes in nested folders)
is generated (or reused from --decks-dir), its files are read once so the page cache is warm
for both sides, and then, median of several runs each:

* raw limit — walk (os.scandir) and read every file's bytes;
* floor — read, cut the frontmatter (``split_frontmatter``'s regexes) and
  ``yaml.load(..., CSafeLoader)`` every note: what any correct scan must at least do;
* stat-only walk — scandir + stat, no reads: what any correct cache check must at least do;
* cold scan (``Deck.scan`` after deleting ``.trainer/``, cache written) and warm scan;
* ``trainer due --json`` end to end (subprocess, warm cache) vs a ``python -c`` process that
  walks and reads every file;
* one grade in process (load, SM-2, atomic write with fsync, log row), median of 200;
* ``trainer schedule --dry-run`` end to end, warm and cold cache, vs the floor;
* peak RSS of ``trainer due --json`` and of a cold scan (``wait4`` rusage, read through a
  small launcher process).

A figure with a target ratio is measured turn about with its limit (limit, figure, limit,
figure, ...), so a slow spell of the machine hits both; its ratio is the median of the
per-pair ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import gen_deck  # noqa: E402

TODAY = "2026-11-25"
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
       "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
"""The timed processes read their modules' cached bytecode, as an installed program does (pip
compiles it at install; Anki's package has it too): where PYTHONDONTWRITEBYTECODE is set, every
start would compile trainer's modules again (~50 ms)."""

WALK_READ_SRC = r"""
import os, sys
def walk(d):
    n = 0
    with os.scandir(d) as it:
        for e in it:
            if e.name[0] == '.':
                continue
            if e.is_dir(follow_symlinks=False):
                n += walk(e.path)
            elif e.name.endswith('.md'):
                with open(e.path, 'rb') as fh:
                    n += len(fh.read())
    return n
walk(sys.argv[1])
"""

COLD_SCAN_SRC = r"""
import datetime, shutil, sys
from pathlib import Path
from trainer.deck import Deck
shutil.rmtree(Path(sys.argv[1]) / '.trainer', ignore_errors=True)
s = Deck(sys.argv[1]).scan(datetime.date(2026, 11, 25), use_cache=True)
assert s.parsed == len(s.notes), (s.parsed, len(s.notes))
"""


# ---------------------------------------------------------------- the limits


def _walk(folder: str, out: list[str]) -> None:
    with os.scandir(folder) as it:
        for e in it:
            if e.name[0] == ".":
                continue
            if e.is_dir(follow_symlinks=False):
                _walk(e.path, out)
            elif e.name.endswith(".md"):
                out.append(e.path)


def raw_read(root: str) -> int:
    files: list[str] = []
    _walk(root, files)
    n = 0
    for p in files:
        with open(p, "rb") as fh:
            n += len(fh.read())
    return n


def stat_walk(root: str) -> int:
    """The stat-only limit: the fastest one-thread stat walk found (listdir + fstatat)."""
    import bench_stat_walk

    return bench_stat_walk.sum_listdir(root)


def floor(root: str) -> int:
    """Read + cut the frontmatter with the same regexes + CSafeLoader: the least a scan must do."""
    import yaml

    from trainer.notes.parse import _CLOSING, _OPENING

    loader = yaml.CSafeLoader
    files: list[str] = []
    _walk(root, files)
    n = 0
    for p in files:
        with open(p, "rb") as fh:
            text = fh.read().decode("utf-8")
        m = _OPENING.match(text)
        if m is None:
            continue
        close = _CLOSING.search(text, m.end())
        data = yaml.load(text[m.end() : close.start()], Loader=loader)
        n += len(data)
    return n


# ---------------------------------------------------------------- helpers


def median_time(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# Peak RSS is read through this small launcher: on Linux a child's ru_maxrss starts from the
# high-water mark of the process that forked it (exec does not reset it), so a child forked by
# this benchmark, which holds a scanned 100k deck, would report this process's size instead.
_LAUNCHER = """
import os, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
err = p.stderr.read()
_, status, usage = os.wait4(p.pid, 0)
elapsed = time.perf_counter() - t0
sys.stderr.buffer.write(err[-2000:])
print(elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run_child(cmd: list[str], *, check_rc=(0,)) -> tuple[float, int]:
    """Wall time (s) and peak RSS (KiB) of one child process, output discarded."""
    p = subprocess.run([sys.executable, "-c", _LAUNCHER, *cmd], capture_output=True, env=ENV, check=False)
    try:
        elapsed, rss, rc = p.stdout.split()
    except ValueError:
        raise RuntimeError(f"{cmd}: launcher failed: {p.stderr.decode(errors='replace')[-2000:]}") from None
    if int(rc) not in check_rc:
        raise RuntimeError(f"{cmd} exited {rc}: {p.stderr.decode(errors='replace')[-2000:]}")
    return float(elapsed), int(rss)


def median_child(cmd: list[str], reps: int) -> tuple[float, int]:
    runs = [run_child(cmd) for _ in range(reps)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def trainer_cmd(deck: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "trainer", "--deck", deck, "--today", TODAY, *args]


# ---------------------------------------------------------------- one deck


def bench_deck(deck: str, n: int, *, grades: int = 200, quick: bool = False) -> dict[str, float]:
    from trainer import grading
    from trainer.deck import Deck
    from trainer.reviewlog import ReviewLog

    today = dt.date.fromisoformat(TODAY)
    big = n >= 50_000
    reps = 3 if big or quick else 5
    sub_reps = 3 if quick else 5
    r: dict[str, float] = {}
    state = Path(deck) / ".trainer"
    shutil.rmtree(state, ignore_errors=True)

    raw_read(deck)  # warm the page cache (both sides read the same, now cached, bytes)
    raw_read(deck)
    r["raw_read"] = median_time(lambda: raw_read(deck), reps)

    def paired(key: str, ref: str, value_fn, limit_fn, n: int) -> None:
        """Value and limit measured turn about, so a slow spell of the machine hits both; the
        ratio is the median of the per-pair ratios."""
        values, limits = [], []
        for _ in range(n):
            limits.append(limit_fn())
            values.append(value_fn())
        r[key], r[ref] = statistics.median(values), statistics.median(limits)
        r["ratio:" + key] = statistics.median(v / lim for v, lim in zip(values, limits))

    def timed(fn):
        def run() -> float:
            t0 = time.perf_counter()
            fn()
            return time.perf_counter() - t0
        return run

    def cold():
        shutil.rmtree(state, ignore_errors=True)
        t0 = time.perf_counter()
        s = Deck(deck).scan(today, use_cache=True)
        el = time.perf_counter() - t0
        assert s.parsed == n and len(s.notes) == n, (s.parsed, len(s.notes), n)
        return el

    paired("cold_scan", "floor", cold, timed(lambda: floor(deck)), reps)

    def warm():
        s = Deck(deck).scan(today, use_cache=True)
        assert s.parsed == 0 and len(s.notes) == n

    warm()
    paired("warm_scan", "stat_walk", timed(warm), timed(lambda: stat_walk(deck)), reps)

    # end to end, warm cache
    due = trainer_cmd(deck, "due", "--json")
    run_child(due)
    walker = [sys.executable, "-c", WALK_READ_SRC, deck]
    due_rss = []

    def due_run() -> float:
        elapsed, rss = run_child(due)
        due_rss.append(rss)
        return elapsed

    paired("due_e2e", "walk_read_proc", due_run, lambda: run_child(walker)[0], sub_reps)
    r["due_rss_kb"] = max(due_rss)

    sched = trainer_cmd(deck, "schedule", "--dry-run")
    r["schedule_warm"], _ = median_child(sched, sub_reps)
    r["stats_e2e"], r["stats_rss_kb"] = median_child(trainer_cmd(deck, "stats", "--json"), sub_reps)

    def sched_cold():
        shutil.rmtree(state, ignore_errors=True)
        return run_child(sched)[0]

    floor_first = r["floor"]
    paired("schedule_cold", "floor_sched", sched_cold, timed(lambda: floor(deck)), 3 if big or quick else 5)
    r["floor"] = floor_first

    cold_rss = [run_child([sys.executable, "-c", COLD_SCAN_SRC, deck])[1] for _ in range(1 if big else 2)]
    r["cold_scan_rss_kb"] = max(cold_rss)
    run_child(due)  # leave a warm cache behind

    # grading last: it changes notes
    d = Deck(deck)
    log = ReviewLog.open(d.root)
    try:
        rels = [note.rel for note in d.scan(today).notes]
        step = max(1, len(rels) // grades)
        picked = rels[::step][:grades]
        times = []
        for i, rel in enumerate(picked):
            t0 = time.perf_counter()
            note = d.load(rel, today)
            grading.grade(d, log, note, 3 + i % 3, today)
            times.append(time.perf_counter() - t0)
        r["grade_ms"] = statistics.median(times) * 1000
        r["grade_p90_ms"] = sorted(times)[int(0.9 * len(times))] * 1000
    finally:
        log.close()
    return r


# ---------------------------------------------------------------- report

# (key, label, unit, reference key or None, target: ("ratio"|"abs", limit, size or None = largest))
ROWS = [
    ("raw_read", "raw limit: walk + read all bytes", "ms", None, None),
    ("floor", "floor: read + split + CSafeLoader", "ms", None, None),
    ("stat_walk", "stat-only walk", "ms", None, None),
    ("cold_scan", "cold scan (Deck.scan, cache written)", "ms", "floor", ("ratio", 1.3, 10_000)),
    ("warm_scan", "warm scan (cache hit)", "ms", "stat_walk", ("ratio", 2.0, 10_000)),
    ("walk_read_proc", "process: python -c walk + read", "ms", None, None),
    ("due_e2e", "trainer due --json (warm, e2e)", "ms", "walk_read_proc", ("ratio", 2.5, 10_000)),
    ("due_e2e_abs", "trainer due --json (warm) at 100k", "ms", None, ("abs", 1000.0, 100_000)),
    ("grade_ms", "grade one note (median, fsync+log)", "ms*", None, ("abs", 5.0, 10_000)),
    ("grade_p90_ms", "grade one note (p90)", "ms*", None, None),
    ("schedule_warm", "schedule --dry-run (warm, e2e)", "ms", "floor", ("ratio", 1.3, 100_000)),
    ("schedule_cold", "schedule --dry-run (cold, e2e)", "ms", "floor", ("ratio", 1.3, 100_000)),
    ("stats_e2e", "trainer stats --json (warm, e2e)", "ms", "walk_read_proc", None),
    ("stats_rss_kb", "peak RSS trainer stats --json", "MB", None, None),
    ("due_rss_kb", "peak RSS trainer due --json", "MB", None, ("abs", 400.0, 100_000)),
    ("cold_scan_rss_kb", "peak RSS cold scan", "MB", None, ("abs", 400.0, 100_000)),
]


def _value(res: dict[str, float], key: str) -> float | None:
    if key == "due_e2e_abs":
        key = "due_e2e"
    v = res.get(key)
    if v is None:
        return None
    if key.endswith("_kb"):
        return v / 1024
    if key.endswith("_ms"):
        return v
    return v * 1000


def _fmt(v: float | None) -> str:
    if v is None:
        return "–"
    if v >= 100:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _size_label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def build_table(results: dict[int, dict[str, float]]) -> tuple[list[str], list[list[str]], list[dict]]:
    sizes = sorted(results)
    headers = ["metric", *(_size_label(s) for s in sizes), "limit/floor", "ratio", "target", "ok?"]
    rows, verdicts = [], []
    for key, label, unit, ref, target in ROWS:
        if key == "due_e2e_abs" and 100_000 not in results:
            continue
        vals = [_value(results[s], key) for s in sizes]
        u = "ms" if unit == "ms*" else unit
        row = [f"{label} [{u}]", *(_fmt(v) for v in vals)]
        refv = ratio = None
        ok = ""
        tsize = None
        if target is not None:
            kind, limit, tsize = target
            if tsize not in results:
                tsize = sizes[-1]
            v = _value(results[tsize], key)
            if kind == "ratio":
                if f"ratio:{key}" in results[tsize]:  # measured in pairs: the floor it was paired with
                    refv = _value(results[tsize], "floor_sched" if key == "schedule_cold" else ref)  # type: ignore[arg-type]
                    ratio = results[tsize][f"ratio:{key}"]
                else:
                    refv = _value(results[tsize], ref)  # type: ignore[arg-type]
                    ratio = v / refv if v is not None and refv else None
                passed = ratio is not None and ratio <= limit
                tlabel = f"≤ {limit}× @ {_size_label(tsize)}"
            else:
                passed = v is not None and v <= limit
                tlabel = f"≤ {limit:g} {u} @ {_size_label(tsize)}"
            ok = "yes" if passed else "NO"
            verdicts.append({"metric": key, "size": tsize, "value": v, "ref": refv, "ratio": ratio,
                             "target": tlabel, "ok": passed})
        elif ref is not None:
            tlabel = ""
        else:
            tlabel = ""
        row += [_fmt(refv), f"{ratio:.2f}×" if ratio is not None else "", tlabel, ok]
        rows.append(row)
    return headers, rows, verdicts


def print_table(headers, rows, markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(headers) + " |")
        print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(headers))) + "|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda vals: " | ".join(v.ljust(widths[i]) if i == 0 else v.rjust(widths[i]) for i, v in enumerate(vals))  # noqa: E731
    print(line(headers))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--vs-anki" in argv:  # trainer against Anki's engine: benchmarks/bench_vs_anki.py
        import bench_vs_anki

        return bench_vs_anki.main([x for x in argv if x != "--vs-anki"])
    ap = argparse.ArgumentParser(description="core benchmarks against the raw limit")
    ap.add_argument("--sizes", default="1000,10000", help="deck sizes, comma separated (default 1000,10000)")
    ap.add_argument("--decks-dir", help="generate (or reuse) decks here instead of a temp dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shape", choices=gen_deck.SHAPES, default="mixed",
                    help="deck shape (gen_deck.py): mixed (default) or seed, one distinct nested tag per note")
    ap.add_argument("--vs-anki", action="store_true",
                    help="compare with Anki's engine instead (bench_vs_anki.py; needs the anki package, "
                         "which trainer does not depend on; see bench_vs_anki.py -h)")
    ap.add_argument("--grades", type=int, default=200, help="grades timed per deck (default 200)")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    ap.add_argument("--json", dest="json_out", metavar="OUT", help="save the figures as JSON")
    ap.add_argument("--markdown", action="store_true", help="print a README-ready markdown table")
    a = ap.parse_args(argv)
    sizes = [int(s.replace("k", "000")) for s in a.sizes.split(",") if s.strip()]

    tmp = None
    base = Path(a.decks_dir) if a.decks_dir else Path(tmp := tempfile.mkdtemp(prefix="trainer-bench-"))
    results: dict[int, dict[str, float]] = {}
    try:
        for n in sizes:
            deck = base / (f"deck-{n}-s{a.seed}" + ("" if a.shape == "mixed" else f"-{a.shape}"))
            marker = deck / ".complete"
            if deck.exists() and marker.exists():
                # reused: regenerate only if a previous run graded notes (keeps runs comparable)
                shutil.rmtree(deck)
            t0 = time.perf_counter()
            gen_deck.generate(deck, n, a.seed, a.shape)
            print(f"[{n}] generated in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            results[n] = bench_deck(str(deck), n, grades=a.grades, quick=a.quick)
            marker.touch()
            print(f"[{n}] measured in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    headers, rows, verdicts = build_table(results)
    print(f"\ntrainer core benchmarks ({a.shape} deck shape) — python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, today {TODAY}\n")
    print_table(headers, rows, a.markdown)
    print("\n(times: median; e2e = subprocess incl. interpreter start; ratio = value / limit-or-floor at the target size)")
    if a.json_out:
        Path(a.json_out).write_text(json.dumps({
            "python": platform.python_version(), "sizes": sizes,
            "results": {str(k): v for k, v in results.items()}, "verdicts": verdicts,
        }, indent=2))
    return 0 if all(v["ok"] for v in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
