"""Demo speed: ``trainer demo ID --json`` for every registered demo.

    python benchmarks/bench_demos.py [--repeat 5]

Figures, each beside a limit measured in the same run, turn about:
* compute: in-process ``figures(seed=0)`` time, median over ``--repeat`` calls after a
  warm-up call (imports excluded);
* wall: ``python -m trainer demo ID --json`` from spawn to exit, median over ``--repeat`` runs,
  against the raw limit ``python -c "import numpy"`` timed the same way in between (no demo can
  start faster than its interpreter and NumPy);
* the attention demo's animation frame (``QKVDemo.frame``, what the TUI redraws as W_K is blended
  in), median over 200 frames, beside its score matrix alone (two projections and one product in
  NumPy, the same shapes): a frame must stay far under the 16 ms of a 60 Hz redraw.
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
    frame, scores = qkv_frame()
    print(f"qkv animation frame: {frame * 1e3:.2f} ms median (its score matrix alone: {scores * 1e3:.3f} ms)")
    return 0


def qkv_frame() -> tuple[float, float]:
    """Medians of 200 frames of the attention demo and of its bare score matrix, turn about."""
    import numpy as np

    from trainer.demos import qkv

    demo = qkv.QKVDemo(seed=0, n=8, d_model=16, d_k=8)
    rng = np.random.default_rng(0)
    x, wq, wk = rng.standard_normal((8, 16)), rng.standard_normal((16, 8)), rng.standard_normal((16, 8))
    frames, bare = [], []
    for i in range(200):
        t0 = time.perf_counter()
        demo.frame(i / 199)
        t1 = time.perf_counter()
        (x @ wq) @ (x @ wk).T
        bare.append(time.perf_counter() - t1)
        frames.append(t1 - t0)
    return statistics.median(frames), statistics.median(bare)


if __name__ == "__main__":
    raise SystemExit(main())
