"""The overview's interview readiness (#12) on a deck with ``[interview] date``: how long after the
deck is shown the readiness fills in (a thread worker), beside trainer.planning alone on the same
notes; and Enter -> first card of a plan-day session (the overview's plan reused), beside
starting the same session without an interview date.

    python benchmarks/bench_readiness.py DECK [--today 2026-11-25] [--interview 2026-12-15] [--repeat 3]
    python benchmarks/bench_readiness.py --notes 10000

The deck given is not modified: each run works on a temporary copy with its own trainer.toml.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


async def _app_run(deck: Path, today: dt.date) -> tuple[float, float]:
    """(deck shown -> readiness filled, Enter -> first card shown), in seconds."""
    from trainer.tui.app import make_app, open_deck

    app = make_app(open_deck(deck, today))
    async with app.run_test(size=(80, 24)) as pilot:
        while not app.book.loaded:
            await asyncio.sleep(0.001)
        shown = time.perf_counter()
        overview = app.screen
        while getattr(overview, "_readiness", None) is None:
            await asyncio.sleep(0.002)
        filled = time.perf_counter() - shown
        first_card = await _enter_to_card(app, pilot)
    return filled, first_card


async def _enter_to_card(app, pilot) -> float:
    """Enter on the overview to the study screen's first card drawn, in seconds."""
    from trainer.tui.screens.study import StudyScreen

    await pilot.pause()
    start = time.perf_counter()
    await pilot.press("enter")
    while not isinstance(app.screen, StudyScreen):
        await asyncio.sleep(0.001)
    await pilot.pause()
    return time.perf_counter() - start


async def _session_start(deck: Path, today: dt.date) -> float:
    from trainer.tui.app import make_app, open_deck

    app = make_app(open_deck(deck, today))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        return await _enter_to_card(app, pilot)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("deck", nargs="?", help="deck folder (left unchanged)")
    ap.add_argument("--notes", type=int, help="generate a synthetic deck of this many notes instead")
    ap.add_argument("--today", default="2026-11-25")
    ap.add_argument("--interview", default="2026-12-15")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    today, interview = dt.date.fromisoformat(args.today), dt.date.fromisoformat(args.interview)
    from trainer import config, planning
    from trainer.deck import Deck

    with tempfile.TemporaryDirectory(prefix="bench-readiness-") as tmp:
        tmp_path = Path(tmp)
        if args.deck:
            src = Path(args.deck).resolve()
        elif args.notes:
            sys.path.insert(0, str(REPO / "benchmarks"))
            from gen_deck import generate

            src = tmp_path / "gen"
            generate(src, args.notes, 0)
        else:
            ap.error("give a DECK or --notes N")
        with_date, without = tmp_path / "interview", tmp_path / "plain"
        for d in (with_date, without):
            shutil.copytree(src, d, ignore=shutil.ignore_patterns(".trainer", "trainer.toml"))
        (with_date / "trainer.toml").write_text(f"[interview]\ndate = {interview.isoformat()}\n", encoding="utf-8")
        notes = Deck(with_date).scan(today).notes
        print(f"deck: {src} ({len(notes)} notes), today {today}, interview {interview}, python {sys.version.split()[0]}")
        settings = config.load(with_date)
        plan_alone = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            planning.plan(notes, today, interview, settings.new_per_day, settings)
            plan_alone.append(time.perf_counter() - t)
        runs = [asyncio.run(_app_run(with_date, today)) for _ in range(args.repeat)]
        plain = [asyncio.run(_session_start(without, today)) for _ in range(args.repeat)]
    rows = [
        ("readiness filled after the deck is shown", statistics.median(r[0] for r in runs), statistics.median(plan_alone), "trainer.planning alone"),
        ("Enter -> first card, plan day (plan reused)", statistics.median(r[1] for r in runs), statistics.median(plain), "same, no interview date"),
    ]
    print(f"\n{'figure (median of ' + str(args.repeat) + ')':<46} {'value':>8} {'limit':>8} {'ratio':>6}  limit is")
    for name, value, limit, limit_name in rows:
        print(f"{name:<46} {value * 1000:>6.0f}ms {limit * 1000:>6.0f}ms {value / limit:>6.2f}  {limit_name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
