"""The command palette's card lines: building what it searches, for a big deck.

    python benchmarks/bench_palette.py [DECK] [--notes 100000] [--math 2000] [--rounds 3]

The palette searches each question as shown (formulas as Unicode), folded (``trainer.tui.search_fold``),
as one text built in a thread when it is first searched after the deck changed. Timed, turn about:

* the lines of ``--notes`` questions (DECK's, from a warm scan, repeated with a number to reach the
  count; without DECK the bundled deck's), built as the palette builds them
  (``SearchLines.of(shown_question(q) ...)``), the remembered formulas forgotten first;
* the same again, the formulas remembered (the index is built again after each grade);
* ``--math`` questions that all hold a formula, first time and again;
* the raw limit beside them: the same questions lower-cased and joined (one pass over the text).
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


def questions_of(deck: str) -> list[str]:
    from trainer.deck import Deck

    return [n.question for n in Deck(deck).scan(dt.date.today()).notes]


def main() -> int:
    ap = argparse.ArgumentParser(description="the palette's card lines for a big deck, beside a plain join")
    ap.add_argument("deck", nargs="?", help="a deck (default: the bundled cards/)")
    ap.add_argument("--notes", type=int, default=100_000)
    ap.add_argument("--math", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    from trainer.tui.commands import SearchLines, _shown_with_math, shown_question

    deck = a.deck or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cards")
    base = questions_of(deck)
    qs = [f"{base[i % len(base)]}（#{i}）" for i in range(a.notes)] if len(base) < a.notes else base[: a.notes]
    with_math = [q for q in questions_of(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cards"))
                 if "$" in q]
    mq = [f"{with_math[i % len(with_math)]}（#{i}）" for i in range(a.math)]

    def build(lines: list[str]) -> float:
        t0 = time.perf_counter()
        SearchLines.of(shown_question(q) for q in lines)
        return time.perf_counter() - t0

    def raw(lines: list[str]) -> float:
        t0 = time.perf_counter()
        "\n".join(q.lower() for q in lines)
        return time.perf_counter() - t0

    times: dict[str, list[float]] = {k: [] for k in ("first", "again", "raw", "math_first", "math_again", "math_raw")}
    for _ in range(a.rounds):
        _shown_with_math.cache_clear()
        times["first"].append(build(qs))
        times["again"].append(build(qs))
        times["raw"].append(raw(qs))
        _shown_with_math.cache_clear()
        times["math_first"].append(build(mq))
        times["math_again"].append(build(mq))
        times["math_raw"].append(raw(mq))
    ms = {k: round(statistics.median(v) * 1000, 1) for k, v in times.items()}
    print(json.dumps({
        "questions": len(qs), "with_a_formula": sum("$" in q for q in qs), "rounds": a.rounds,
        "lines_first_ms": ms["first"], "lines_again_ms": ms["again"], "raw_join_ms": ms["raw"],
        "lines_over_raw": round(ms["again"] / ms["raw"], 1) if ms["raw"] else None,
        "formula_questions": len(mq), "formula_lines_first_ms": ms["math_first"],
        "formula_lines_again_ms": ms["math_again"], "formula_raw_join_ms": ms["math_raw"],
        "load": round(os.getloadavg()[0], 1),
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
