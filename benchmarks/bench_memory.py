"""Speed of the memory model's commands, each beside a raw limit measured in the same run.

    python benchmarks/bench_memory.py [--reviews 100000] [--cards 10000] [--log CSV] [--runs 3]

* ``trainer eval`` on a review log (a simulated learner's, benchmarks/simlearner.py, or --log CSV):
  reading the CSV and scoring the three models, beside fsrs-rs alone on the same reviews
  (``evaluate_with_time_series_splits``: its own 5-fold fit and evaluation, no SM-2, no AUC).
  Target: <= 60 s for 100k reviews on 2 cores.
* ``trainer plan`` on a deck of N cards (benchmarks/gen_deck.py), SM-2 and FSRS: the planning
  alone in process, beside the deck scan it starts from; and end to end (``trainer plan --json``,
  a subprocess, warm scan cache) beside ``trainer due --json`` on the same deck. Target: <= 2 s
  for 10k cards.

Each figure is the median of --runs runs, measured turn about with its limit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

TODAY = dt.date(2026, 11, 25)


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def bench_eval(csv_path: Path, runs: int) -> dict:
    import fsrs_rs_python as fsrs

    from trainer import evaluation

    ours, raw, result, raw_eval = [], [], None, None
    for _ in range(runs):
        reviews = evaluation.read_csv(csv_path)
        ds = evaluation.prepare(reviews)
        items = evaluation._items(ds, ds.scored)
        t, raw_eval = _timed(lambda: fsrs.evaluate_with_time_series_splits(items))
        raw.append(t)
        t, result = _timed(lambda: evaluation.evaluate(evaluation.read_csv(csv_path)))
        ours.append(t)
    return {
        "reviews": result.reviews, "cards": result.cards, "evaluated": result.evaluated,
        "trainer_eval_s": statistics.median(ours), "fsrs_rs_alone_s": statistics.median(raw),
        "models": result.to_json()["models"],
        "fsrs_rs_alone": {"log_loss": round(raw_eval.log_loss, 4), "rmse_bins": round(raw_eval.rmse_bins, 4)},
    }


def _run(args: list[str], deck: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "trainer", "--deck", str(deck), "--today", TODAY.isoformat(), *args],
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t


def bench_plan(cards: int, runs: int, workdir: Path) -> dict:
    from gen_deck import generate

    from trainer import config, planning
    from trainer.deck import Deck

    deck_dir = workdir / f"deck{cards}"
    generate(deck_dir, cards, seed=0)
    interview = TODAY + dt.timedelta(days=30)
    out: dict = {"cards": cards, "days": 30}
    for algorithm in ("sm2", "fsrs"):
        (deck_dir / "trainer.toml").write_text(f'[scheduler]\nalgorithm = "{algorithm}"\nnew_per_day = 20\n', encoding="utf-8")
        settings = config.load(deck_dir)
        deck = Deck(deck_dir)
        deck.scan(TODAY)  # warm the cache
        scan_t, plan_t, cli_t, due_t = [], [], [], []
        result = None
        for _ in range(runs):
            t, scan = _timed(lambda: deck.scan(TODAY))
            scan_t.append(t)
            notes = scan.notes
            t, result = _timed(lambda: planning.plan(notes, TODAY, interview, 20, settings))
            plan_t.append(t)
            due_t.append(_run(["due", "--json"], deck_dir))
            cli_t.append(_run(["plan", "--json", "--interview", interview.isoformat()], deck_dir))
        out[algorithm] = {
            "plan_in_process_s": statistics.median(plan_t), "scan_warm_s": statistics.median(scan_t),
            "plan_cli_s": statistics.median(cli_t), "due_cli_s": statistics.median(due_t),
            "readiness": [round(result.without_plan, 4), round(result.with_plan, 4)],
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reviews", type=int, default=100_000)
    ap.add_argument("--cards", type=int, default=10_000)
    ap.add_argument("--log", type=Path, help="score this review log CSV instead of a simulated learner's")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args(argv)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if a.log is None:
            from simlearner import simulate, write_csv

            csv_path = write_csv(simulate(max(50, a.reviews // 15), a.reviews, seed=1), work / "sim.csv")
        else:
            csv_path = a.log
        e = bench_eval(csv_path, a.runs)
        print(f"\ntrainer eval on {e['reviews']} reviews of {e['cards']} cards ({e['evaluated']} scored):")
        print(f"  trainer eval (read CSV, SM-2 + FSRS default + FSRS fitted per fold): {e['trainer_eval_s']:.2f} s")
        print(f"  fsrs-rs alone (evaluate_with_time_series_splits, same reviews):     {e['fsrs_rs_alone_s']:.2f} s")
        for name, m in e["models"].items():
            print(f"  {name:15} log loss {m['log_loss']:.4f}  RMSE(bins) {m['rmse_bins']:.4f}  AUC {m['auc']}")
        print(f"  fsrs-rs alone   log loss {e['fsrs_rs_alone']['log_loss']:.4f}  RMSE(bins) {e['fsrs_rs_alone']['rmse_bins']:.4f}")
        p = bench_plan(a.cards, a.runs, work)
        print(f"\ntrainer plan on {p['cards']} cards, {p['days']} days, 20 a day:")
        for algorithm in ("sm2", "fsrs"):
            r = p[algorithm]
            print(f"  {algorithm:4}  planning {r['plan_in_process_s']:.2f} s (warm scan {r['scan_warm_s']:.2f} s); "
                  f"`trainer plan --json` {r['plan_cli_s']:.2f} s vs `trainer due --json` {r['due_cli_s']:.2f} s; "
                  f"readiness {r['readiness'][0]:.1%} -> {r['readiness'][1]:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
