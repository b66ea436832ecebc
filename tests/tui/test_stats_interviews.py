"""The stats screen shows key-point coverage over past mock interviews (#13), read from the log."""

from __future__ import annotations

from trainer.interview import store
from trainer.interview.transcript import Transcript
from trainer.reviewlog import ReviewLog
from trainer.tui.screens.stats import StatsScreen

from tuihelp import loaded


def _transcript(covered: list[bool]) -> Transcript:
    return Transcript.from_json({"started": "2026-11-24T10:00:00+00:00", "finished": None, "questions": [{
        "note": "attention/multi-head.md", "question": "Q", "seconds": 60.0, "overtime": False, "answer": "a",
        "key_points": [{"text": f"point {i}", "covered": c, "matched": []} for i, c in enumerate(covered)],
        "suggested_grade": 3, "grade": 3}]})


async def _summary(make) -> str:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        return str(app.screen.query_one("#stats-summary").render())


async def test_coverage_over_past_interviews(make, deck):
    log = ReviewLog.open(deck)
    try:
        store.ensure_tables(log)
        for covered in ([True, False, False, False], [True, True, True, False]):
            store.create(log, _transcript(covered))
    finally:
        log.close()
    text = await _summary(make)
    assert "interviews 2" in text and "coverage last 75%" in text and "mean 50%" in text, text


async def test_no_interviews_no_line(make, deck):
    assert "interviews" not in await _summary(make)
