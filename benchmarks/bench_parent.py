"""The parent's share of ``trainer due --json`` and ``trainer stats --json`` (issue #17), turn about
with an older tree, beside the raw limit measured in the same run.

    python benchmarks/bench_parent.py DECK [DECK ...] --against OLD [--rounds 7] [--json OUT]

``OLD`` is a ``trainer`` package tree (``git archive COMMIT trainer | tar -x -C OLD``), run with
``PYTHONPATH=OLD``. The two trees may write different columns files, so the old one runs on a copy
of each deck (``DECK-against``, made with ``cp -a`` the first time; its notes are the same bytes).

The command's walk runs in a forked child while the parent loads ``.trainer/scan-columns.bin`` and
computes its answer; the answer is printed once the child says the deck is unchanged. What this
times is the parent: from the first line of a driver (``python -c``, the same imports and
``trainer.walk.start_early`` as the installed ``trainer`` command) to the moment the answer's bytes
are computed (``columns.Pending.finish`` called: it then waits for the child), and the parent's
CPU time to that moment (steadier than the wall clock when other work shares the cores), plus the whole
process, start to exit, stdout to /dev/null. Beside them, in the same rounds: a process that only
reads the deck's columns file (``python -c``: open, read, close; start to exit) — the floor of any
parent that answers from that file — and ``python -c pass``.

Each round runs every deck's commands on both trees, in an order that alternates between rounds
(turn about, so a slow spell hits both); medians over rounds, and the median of each round's
new/old ratio. Page cache warm (two untimed runs of each first, which also build the columns), and
both trees' bytecode compiled first (``compileall``: with PYTHONDONTWRITEBYTECODE set, a tree
never imported before would be compiled by every process).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

DRIVER = r"""
import sys, time
t0, c0 = time.perf_counter(), time.process_time()
import trainer.walk as w
w.start_early(sys.argv[1:])
import trainer.cli as cli
import trainer.columns
fresh = sys.modules["trainer.columns.fresh"]
ready = []
orig = fresh.Pending.finish
def finish(self, *a, **k):
    ready.append((time.perf_counter(), time.process_time()))
    return orig(self, *a, **k)
fresh.Pending.finish = finish
sys.argv = ["trainer"] + sys.argv[1:]
rc = cli.main()
end = time.perf_counter()
print("PARENT %r %r %r %r" % ((ready[0][0] - t0) * 1e3 if ready else -1.0, (end - t0) * 1e3, rc,
                           (ready[0][1] - c0) * 1e3 if ready else -1.0), file=sys.stderr)
"""

READ_ONLY = "import sys; f = open(sys.argv[1], 'rb'); f.read(); f.close()"


def _run(argv: list[str], env: dict, cwd: Path | None = None) -> tuple[float, str]:
    t = time.perf_counter()
    p = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = (time.perf_counter() - t) * 1e3
    if p.returncode not in (0, 1):
        raise SystemExit(f"{argv}: exit {p.returncode}\n{p.stderr}")
    return wall, p.stderr


def _trainer(tree: Path, deck: Path, command: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    wall, err = _run([sys.executable, "-c", DRIVER, command, "--json", "--deck", str(deck)], env, cwd=tree)  # (-c: cwd first on sys.path)
    line = next(x for x in err.splitlines() if x.startswith("PARENT "))
    ready, end, _rc, cpu = line.split()[1:]
    return {"ready": float(ready), "cpu": float(cpu), "inside": float(end), "process": wall}


def _copy(deck: Path) -> Path:
    other = deck.with_name(deck.name + "-against")
    if not other.exists():
        subprocess.run(["cp", "-a", str(deck), str(other)], check=True)
        shutil.rmtree(other / ".trainer", ignore_errors=True)  # its own caches, built by the old tree
    return other


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("decks", nargs="+", type=Path)
    ap.add_argument("--against", type=Path, required=True, help="an older trainer tree (run with PYTHONPATH)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--commands", default="due,stats")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    new_tree, old_tree = REPO, a.against.resolve()
    commands = a.commands.split(",")
    pairs = [(deck.resolve(), _copy(deck.resolve())) for deck in a.decks]
    for tree in (new_tree, old_tree):  # cached bytecode on both sides, as an installed program runs
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "trainer")], check=True)
    for deck, other in pairs:  # warm: the page cache, and each tree's columns built
        for command in commands:
            for _ in range(2):
                _trainer(new_tree, deck, command)
                _trainer(old_tree, other, command)
    load_before = _load()
    samples: dict[tuple, list] = {}
    env = dict(os.environ)
    for r in range(a.rounds):
        for deck, other in pairs:
            col = deck / ".trainer" / "scan-columns.bin"
            samples.setdefault((deck.name, "read the columns file"), []).append(
                _run([sys.executable, "-c", READ_ONLY, str(col)], env)[0])
            samples.setdefault((deck.name, "python -c pass"), []).append(_run([sys.executable, "-c", "pass"], env)[0])
            for command in commands:
                sides = [("new", new_tree, deck), ("old", old_tree, other)]
                for side, tree, d in sides if r % 2 == 0 else sides[::-1]:
                    samples.setdefault((deck.name, command, side), []).append(_trainer(tree, d, command))
    load_after = _load()
    print(f"# bench_parent: {a.rounds} rounds turn about, load (1/5/15 min) before {load_before}, after {load_after}")
    print("| deck | command | parent ready new / old [ms] | paired ratio | its CPU new / old [ms] | process new / old [ms] "
          "| read the columns file, process [ms] | python -c pass [ms] |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    out = []
    for deck, _ in pairs:
        floor = statistics.median(samples[(deck.name, "read the columns file")])
        bare = statistics.median(samples[(deck.name, "python -c pass")])
        for command in commands:
            new, old = samples[(deck.name, command, "new")], samples[(deck.name, command, "old")]
            med = {k: (statistics.median(s[k] for s in new), statistics.median(s[k] for s in old))
                   for k in ("ready", "cpu", "process")}
            ratio = statistics.median(n["ready"] / o["ready"] for n, o in zip(new, old))
            print(f"| {deck.name} | {command} --json | {med['ready'][0]:.0f} / {med['ready'][1]:.0f} | {ratio:.2f}x "
                  f"| {med['cpu'][0]:.0f} / {med['cpu'][1]:.0f} | {med['process'][0]:.0f} / {med['process'][1]:.0f} "
                  f"| {floor:.0f} | {bare:.0f} |")
            out.append({"deck": deck.name, "command": command, "new": new, "old": old, "read_floor_ms": floor,
                        "python_pass_ms": bare, "ratio_ready": ratio})
    if a.json:
        a.json.write_text(json.dumps({"load_before": load_before, "load_after": load_after, "rows": out}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
