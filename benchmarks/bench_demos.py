"""Demo speed: ``trainer demo ID --json`` for every registered demo.

    python benchmarks/bench_demos.py [--repeat 5]

Figures, each beside a limit measured in the same run, turn about:
* compute: in-process ``figures(seed=0)`` time, median over ``--repeat`` calls after a
  warm-up call (imports excluded);
* wall: ``python -m trainer demo ID --json`` from spawn to exit, median over ``--repeat`` runs,
  against the raw limit ``python -c "import numpy"`` timed the same way in between (no demo can
  start faster than its interpreter and NumPy).
The machine's load average is printed too: on a shared machine it moves every figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trainer.demos import registry  # noqa: E402


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; median of {args.repeat}")
    print(f"{'demo':22s} {'compute':>9s} {'wall':>7s} {'limit':>7s}")
    for demo in registry.all_demos():
        demo.figures(seed=0)  # warm-up: imports and first-call costs
        compute = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            demo.figures(seed=0)
            compute.append(time.perf_counter() - t0)
        walls, limits = [], []
        for _ in range(args.repeat):
            walls.append(wall([sys.executable, "-m", "trainer", "demo", demo.id, "--json"]))
            limits.append(wall([sys.executable, "-c", "import numpy"]))
        print(f"{demo.id:22s} {statistics.median(compute) * 1e3:7.0f}ms {statistics.median(walls):6.2f}s "
              f"{statistics.median(limits):6.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
