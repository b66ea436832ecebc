"""Screenshots of the TUI for the README: the bundled ``cards/`` deck (a temporary copy), fixed day.

    python scripts/make_screenshots.py [--out docs/screenshots] [--today 2026-11-25]

Writes overview.svg, card.svg (answer revealed), demo.svg (the card's live demo), stats.svg, interview.svg
(the mock interview's feedback).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import shutil
import sys
import tempfile
from collections import deque
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SIZE = (100, 32)
CARD = "attention/为什么要除以根号dk.md"
"""A Chinese card with a live demo attached."""
QKV_CARD = "attention/为什么QKV要用三个不同的投影矩阵.md"


async def shoot(deck: Path, out: Path, today: dt.date) -> list[Path]:
    from trainer.tui.app import make_app, open_deck
    from trainer.tui.screens.study import StudyScreen

    book = open_deck(deck, today)
    app = make_app(book)
    written: list[Path] = []

    def save(name: str) -> None:
        app.save_screenshot(filename=name, path=str(out))
        written.append(out / name)

    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        save("overview.svg")

        notes = [n for n in book.notes if n.rel.startswith("attention/")]
        session = book.start_session(notes)
        session.queue = deque(sorted(session.queue, key=lambda n: n.rel != CARD))  # the queue is a deque
        if session.current is None or session.current.rel != CARD:
            raise SystemExit(f"{CARD} is not due on {today}; pick another --today")
        await app.push_screen(StudyScreen(book, session, "Transformer/Attention"))
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        await pilot.pause()
        save("card.svg")

        # The Q/K symmetry demo: the four predictions answered (the third runs the experiment), W_K half blended in.
        from trainer.tui.screens.demo import DemoScreen

        qkv_card = next(n for n in book.notes if n.rel == QKV_CARD)
        await app.push_screen(DemoScreen("qkv-symmetry", question=qkv_card.question, seed=0))
        await pilot.pause()
        await pilot.press("y", "n", "y", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press(*["right"] * 10)
        await pilot.pause(0.3)
        save("demo.svg")
        await pilot.press("escape")
        await pilot.pause()

        for grade in (4, 5, 2, 3, 5):  # a few reviews on the copy, so the stats have something to show
            await pilot.press("space", str(grade))
            await pilot.pause()
        await pilot.press("q")  # -> the session summary
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("t", "2")  # stats, due-forecast tab
        await pilot.pause()
        await pilot.pause()
        save("stats.svg")
    return written


INTERVIEW_CARD = "inference/kv-cache.md"
INTERVIEW_ANSWER = (
    "With a causal mask the keys and values of earlier tokens never change, so every layer keeps them in a "
    "cache and each decoding step only computes Q, K and V for the new token.\n\n"
    "The result is the same as running the full causal pass again. The price is memory: 2 × layers × KV heads "
    "× head size bytes per token, which grows with the sequence length."
)


async def shoot_interview(deck: Path, out: Path, today: dt.date) -> list[Path]:
    """interview.svg: the feedback on a typed answer (a clock held still: 2:14 taken)."""
    from textual import events

    from trainer.deck import Deck
    from trainer.interview.session import InterviewSession
    from trainer.reviewlog import ReviewLog
    from trainer.tui.interview_app import InterviewApp

    d = Deck(deck)
    note = d.scan(today).by_rel()[INTERVIEW_CARD]
    log = ReviewLog.open(d.root)
    clock = [0.0]
    app = InterviewApp(InterviewSession(d, log, today, [note]), now=lambda: clock[0])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.post_message(events.Paste(INTERVIEW_ANSWER))
        await pilot.pause()
        clock[0] = 134.0
        await pilot.press("ctrl+j")
        await pilot.pause()
        await pilot.pause()
        app.save_screenshot(filename="interview.svg", path=str(out))
    log.close()
    return [out / "interview.svg"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    ap.add_argument("--today", default="2026-11-25")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="trainer-shots-") as tmp:
        deck = Path(tmp) / "cards"
        shutil.copytree(REPO / "cards", deck, ignore=shutil.ignore_patterns(".trainer"))
        written = asyncio.run(shoot(deck, out, dt.date.fromisoformat(args.today)))
        written += asyncio.run(shoot_interview(deck, out, dt.date.fromisoformat(args.today)))
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
