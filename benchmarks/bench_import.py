"""``trainer import`` speed against ``shutil.copy2`` of the same files, measured in the same run.

    python benchmarks/bench_import.py [--notes 10000] [--seed 7] [--repeat 3] [--keep DIR]

A seeded generator writes N source notes (~3 KB each, nested folders, CJK names and text;
most with a partial frontmatter, some with the Obsidian plugin's ``sr-*`` keys, some with
none) into a temp dir; the page cache is warmed by reading them once. Then, alternating,
median of ``--repeat`` runs each:

* limit — ``shutil.copy2`` of every source file into a fresh folder (same layout);
* import — ``run_import`` of the source folder into a fresh, empty deck (real writes,
  durable, review log rows), and a second ``run_import`` of the same source into that deck
  (everything is a duplicate: nothing written).

Target: import <= 3 x copy2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trainer.deck import Deck  # noqa: E402
from trainer.importers import run_import  # noqa: E402
from trainer.reviewlog import ReviewLog  # noqa: E402

TODAY = dt.date(2026, 11, 25)
TOPICS = ["attention", "training", "inference", "架构", "优化", "evaluation", "data", "系统"]
WORDS = (
    "the model attention token layer gradient softmax residual norm cache batch 注意力 梯度 "
    "残差 归一化 训练 推理 query key value head embedding loss optimizer warmup schedule"
).split()


def _para(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generate(root: Path, n: int, seed: int) -> int:
    """N notes under ``root``; returns the total bytes written."""
    rng = random.Random(seed)
    total = 0
    for i in range(n):
        folder = root / rng.choice(TOPICS) / f"{rng.choice(TOPICS)}-{i % 37:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        cjk = i % 5 == 0
        name = f"问题-{i:05d}.md" if cjk else f"note-{i:05d}.md"
        question = f"什么是{rng.choice(WORDS)}（{i}）？" if cjk else f"What is {rng.choice(WORDS)} number {i}?"
        body = [f"# {question}", "", "## Answer", "", _para(rng, 40), ""]
        body += ["## Details", ""]
        while sum(len(x) for x in body) < 2700:
            body += [_para(rng, 60), ""]
        kind = i % 10
        if kind < 2:
            fm = f"---\nsr-due: 2026-{1 + i % 12:02d}-{1 + i % 28:02d}\nsr-interval: {1 + i % 40}\nsr-ease: {130 + i % 200}\ntags: [{rng.choice(TOPICS)}]\n---\n"
        elif kind < 9:
            fm = f"---\ncreated: '2025-0{1 + i % 9}-1{i % 10}'\ntags:\n  - {rng.choice(TOPICS)}\n  - {rng.choice(TOPICS)}/sub\ndifficulty: {rng.choice(['easy', 'medium', 'hard'])}\n---\n"
        else:
            fm = ""
        data = (fm + "\n".join(body)).encode("utf-8")
        (folder / name).write_bytes(data)
        total += len(data)
    return total


def files_of(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.md") if p.is_file())


def copy_all(src: Path, files: list[Path], dest: Path) -> float:
    t0 = time.perf_counter()
    made: set[Path] = set()
    for f in files:
        target = dest / f.relative_to(src)
        parent = target.parent
        if parent not in made:
            parent.mkdir(parents=True, exist_ok=True)
            made.add(parent)
        shutil.copy2(f, target)
    return time.perf_counter() - t0


def import_all(src: Path, deck_dir: Path) -> tuple[float, float, int]:
    deck_dir.mkdir()
    deck = Deck(deck_dir)
    log = ReviewLog.open(deck.root)
    try:
        t0 = time.perf_counter()
        report = run_import(deck, [src], into=None, dry_run=False, on_conflict="skip", drop_foreign_keys=False, today=TODAY, log=log)
        first = time.perf_counter() - t0
        assert report.ok and not report.skipped, report.render_lines()[:5]
        t0 = time.perf_counter()
        again = run_import(deck, [src], into=None, dry_run=False, on_conflict="skip", drop_foreign_keys=False, today=TODAY, log=log)
        second = time.perf_counter() - t0
        assert not again.imported and len(again.skipped) == len(report.imported)
    finally:
        log.close()
    return first, second, len(report.imported)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--notes", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="work in this folder and leave it (default: a temp dir, removed)")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-import-", dir=args.keep))
    try:
        src = work / "src"
        src.mkdir()
        t0 = time.perf_counter()
        size = generate(src, args.notes, args.seed)
        files = files_of(src)
        for f in files:  # warm the page cache for both sides
            f.read_bytes()
        print(f"{len(files)} source notes, {size / 1e6:.1f} MB, generated in {time.perf_counter() - t0:.1f} s ({work})")

        copies, imports, reimports = [], [], []
        for r in range(args.repeat):
            copies.append(copy_all(src, files, work / f"copy-{r}"))
            first, second, n = import_all(src, work / f"deck-{r}")
            assert n == len(files)
            imports.append(first)
            reimports.append(second)
            shutil.rmtree(work / f"copy-{r}")
            shutil.rmtree(work / f"deck-{r}")

        limit = statistics.median(copies)
        rows = [
            ("shutil.copy2 of every file (limit)", limit, None, None),
            ("run_import into an empty deck", statistics.median(imports), 3.0, statistics.median(imports) / limit),
            ("run_import again (all duplicates)", statistics.median(reimports), None, statistics.median(reimports) / limit),
        ]
        print()
        print(f"{'figure':<40} {'seconds':>9} {'per note':>10} {'limit':>7} {'ratio':>7}")
        for name, secs, lim, ratio in rows:
            per = f"{secs / len(files) * 1e6:.0f} µs"
            print(
                f"{name:<40} {secs:>9.3f} {per:>10} {'' if lim is None else f'<= {lim:.0f}x':>7} "
                f"{'' if ratio is None else f'{ratio:.2f}x':>7}"
            )
        ok = rows[1][3] <= 3.0  # type: ignore[operator]
        print()
        print(f"import / copy2 = {rows[1][3]:.2f}x (target <= 3x): {'OK' if ok else 'OVER TARGET'}")
        return 0 if ok else 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
