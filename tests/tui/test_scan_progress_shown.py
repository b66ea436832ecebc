"""A deck opened for the first time says how far the reading of its notes is, where its forecast
will be (a 100k deck takes seconds), and the forecast takes that place once the deck is counted."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tuihelp import TODAY

from trainer import deck as deck_module
from trainer.opendeck import OpenDeck
from trainer.tui import app as app_module
from trainer.tui.app import make_app
from trainer.tui.widgets.forecast import ForecastStrip


def test_a_scan_job_tells_its_last_step(tmp_path: Path, many_notes) -> None:
    n = deck_module.PROGRESS_FROM + 250
    book = OpenDeck.open(many_notes(tmp_path / "deck", n, "注意力问题 {i}"), TODAY)
    try:
        job = book.start_scan()
        job.wait()
        assert job.progress == (n, n)
        assert job.counted() is not None or job.result() is not None
    finally:
        book.close()


async def test_the_overview_shows_the_reading_then_the_forecast(tmp_path: Path, many_notes, monkeypatch) -> None:
    monkeypatch.setattr(app_module, "FIRST_FRAME_WAIT", 0.0)  # (the first frame at once: the reading shows on it)
    n = 3 * deck_module.PROGRESS_FROM
    book = OpenDeck.open(many_notes(tmp_path / "deck", n, "注意力问题 {i}"), TODAY)
    app = make_app(book)
    seen: set[str] = set()
    async with app.run_test(size=(80, 24)) as pilot:
        deadline = time.monotonic() + 60
        while not book.counted and time.monotonic() < deadline:
            strip = app.screen.query_one("#forecast", ForecastStrip)
            if strip.waiting:
                seen.add(strip.waiting)
            await asyncio.sleep(0.02)
        await pilot.pause()
        strip = app.screen.query_one("#forecast", ForecastStrip)
        assert book.counted
        assert strip.waiting == "" and strip.days  # the forecast in its place
    assert seen, "no progress was shown while the notes were read"
    for text in seen:
        head, bar, hint = text.split("\n")
        assert (head.startswith(f"Reading {n:,} notes: ") and head.endswith("%)")
                or head == f"Read {n:,} notes; counting them …")
        assert set(bar) <= {"█", "░"} and len(bar) == 78  # the strip's width inside its border at 80 columns
        assert hint.startswith("read once")


async def test_a_scan_that_ends_as_the_app_closes_draws_nothing(make) -> None:
    """A scan's figures or progress can arrive while the app closes, its screens' widgets already gone
    (a full suite's run saw NoMatches for '#forecast' there): they are dropped, never raised."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.id == "overview"
        await screen.remove_children()
        screen.show_progress(500, 1000)
        screen.show_deck()
