"""Mock interview: matching a 2,000-character answer against a note's key points (target ≤ 5 ms),
beside the raw limit measured in the same run.

    python benchmarks/bench_interview.py [--reps 300] [--json OUT]

* raw limit — lower-case the answer and cut it into words (``re.findall(r"\\w+")``): the least
  any matcher must do to the text;
* match, cold — ``match_answer`` with the stem cache emptied before each run (every word
  stemmed afresh: the first answer of a session);
* match, warm — the same with the cache kept (later answers reuse the stems of earlier ones);
* key points — read a note's body and cut its short answer into key points (done once per question).

It also prints how the thresholds separate answers on the bundled deck: each note answered with
its own short answer, and with every other note's.

Answers: 2,000 characters, English and Chinese mixed, made from the fixture notes' own words
plus filler (seeded, so every run matches the same text). Each figure is measured turn about with
the raw limit (limit, figure, limit, figure, ...) and reported as medians; the ratio is the
median of the per-pair ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import re
import statistics
import sys
import time
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from trainer.deck import Deck  # noqa: E402
from trainer.interview import matching  # noqa: E402
from trainer.interview.keypoints import key_points  # noqa: E402
from trainer.interview.session import Card  # noqa: E402
from trainer.notes.parse import read_body  # noqa: E402

FIXTURE = REPO / "tests" / "fixtures" / "interview_deck"
TODAY = dt.date(2026, 11, 25)
TARGET_MS = 5.0
ANSWER_CHARS = 2000
FILLER = ("so basically what happens is that the model then has to deal with this in practice "
          "我觉得这里的关键在于训练的时候 其实 也就是说 我们需要考虑 ").split()


def make_answer(points_text: str, rng: random.Random) -> str:
    words = re.findall(r"\S+", points_text) + FILLER
    out: list[str] = []
    size = 0
    while size < ANSWER_CHARS:
        w = rng.choice(words)
        out.append(w)
        size += len(w) + 1
    return " ".join(out)[:ANSWER_CHARS]


def _pad(text: str, width: int) -> str:
    """Pad to ``width`` terminal cells (a Chinese character takes two)."""
    cells = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - cells)


def raw_limit(answer: str) -> int:
    return len(re.findall(r"\w+", answer.lower()))


def separation(root: Path) -> tuple[tuple[float, float, int], tuple[float, float]]:
    """Coverage when answering with the note's own short answer, and with every other note's."""
    cards = [c for c in map(Card.of, Deck(root).scan(TODAY, save_cache=False).notes) if c.points]
    own = [sum(m.covered for m in matching.match_answer(c.points, c.body.answer)) / len(c.points) for c in cards]
    other = [sum(m.covered for m in matching.match_answer(a.points, b.body.answer)) / len(a.points)
             for a in cards for b in cards if a is not b]
    return (statistics.mean(own), min(own), len(cards)), (statistics.mean(other), max(other))


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def paired(fn, limit_fn, reps: int) -> dict[str, float]:
    values, limits = [], []
    for _ in range(reps):
        limits.append(timed(limit_fn))
        values.append(timed(fn))
    return {"ms": statistics.median(values), "limit_ms": statistics.median(limits),
            "ratio": statistics.median(v / lim for v, lim in zip(values, limits)), "max_ms": max(values)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args(argv)
    rng = random.Random(13)
    notes = [n for n in Deck(FIXTURE).scan(TODAY, save_cache=False, use_cache=False).notes]
    cards = [c for c in map(Card.of, notes) if c.points]
    every = [p for c in cards for p in c.points]  # a long short answer: every fixture point at once
    results = {}
    for card in [*cards, None]:
        label = card.note.rel if card is not None else f"(all {len(every)} points of the fixture notes)"
        points = card.points if card is not None else every
        path = card.note.path if card is not None else cards[0].note.path
        answer = make_answer(" ".join(p.text for p in points), rng)
        assert len(answer) == ANSWER_CHARS

        def cold(points=points, answer=answer) -> None:
            matching._stem.cache_clear()
            matching.match_answer(points, answer)

        def warm(points=points, answer=answer) -> None:
            matching.match_answer(points, answer)

        def extract(path=path) -> None:
            key_points(read_body(path).answer)

        limit = lambda answer=answer: raw_limit(answer)  # noqa: E731
        results[label] = {
            "points": len(points),
            "cold": paired(cold, limit, args.reps),
            "warm": paired(warm, limit, args.reps),
            "key_points": paired(extract, limit, args.reps),
        }
    worst_cold = max(r["cold"]["ms"] for r in results.values())
    print(f"Mock interview matching, {ANSWER_CHARS}-char answer, median of {args.reps} "
          f"(Python {platform.python_version()}, {platform.machine()})")
    print(f"{'note':46} {'pts':>3} {'raw limit':>9} {'match cold':>15} {'match warm':>15} {'key points':>10}")
    for rel, r in results.items():
        c, w = r["cold"], r["warm"]
        print(f"{_pad(rel, 46)} {r['points']:>3} {c['limit_ms']:>7.3f}ms {c['ms']:>6.2f}ms ({c['ratio']:>3.0f}x)"
              f" {w['ms']:>6.2f}ms ({w['ratio']:>3.0f}x) {r['key_points']['ms']:>8.3f}ms")
    print("(x: median of per-pair ratios to the raw limit; key points: read the note, cut its short answer)")
    own, other = separation(REPO / "cards")
    print(f"\nThresholds on the bundled deck (cards/, {own[2]} notes with key points): a note's own short answer"
          f" covers {own[0]:.0%} of its points; another note's short answer covers {other[0]:.1%} on average"
          f" (worst pair {other[1]:.0%})")
    results["bundled_deck"] = {"own_coverage": own[0], "other_mean": other[0], "other_max": other[1], "notes": own[2]}
    verdict = "ok" if worst_cold <= TARGET_MS else "MISSED"
    print(f"\nworst cold match {worst_cold:.2f} ms; target ≤ {TARGET_MS:g} ms: {verdict}")
    if args.json:
        Path(args.json).write_text(json.dumps({"target_ms": TARGET_MS, "results": results}, indent=2, ensure_ascii=False))
    return 0 if worst_cold <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
