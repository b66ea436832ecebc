"""A study session on a deck whose trainer.toml picks FSRS: the answer buttons show FSRS's intervals
and a grade writes FSRS's memory state into the note."""

from __future__ import annotations

import yaml

from trainer import memory
from trainer.config import Settings
from trainer.notes.parse import parse_note
from trainer.tui.widgets.grade_bar import GradeBar

from tuihelp import TODAY, current_rel, start_session


async def test_fsrs_deck_previews_and_writes_fsrs(make, deck):
    (deck / "trainer.toml").write_text('[scheduler]\nalgorithm = "fsrs"\ndesired_retention = 0.85\n', encoding="utf-8")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        rel = current_rel(app)
        before = parse_note((deck / rel).read_bytes(), rel).schedule
        await pilot.press("space")
        await pilot.pause()
        shown = app.screen.query_one(GradeBar)._shown[0]
        settings = Settings(algorithm="fsrs", desired_retention=0.85)
        assert shown == memory.preview(before, TODAY, settings)
        assert shown != memory.preview(before, TODAY, Settings())  # not SM-2's
        await pilot.press("4")
        await pilot.pause()
    front = yaml.safe_load((deck / rel).read_text(encoding="utf-8").split("---\n")[1])
    assert front["interval"] == shown[4] and front["stability"] > 0 and 1 <= front["fsrs_difficulty"] <= 10


async def test_trainer_toml_is_read_once_when_the_deck_opens(make, deck):
    """The open deck holds the settings: a trainer.toml changed while the app runs changes neither
    the intervals shown nor the grade (both stay FSRS's, as when the deck was opened)."""
    toml = deck / "trainer.toml"
    toml.write_text('[scheduler]\nalgorithm = "fsrs"\ndesired_retention = 0.85\n', encoding="utf-8")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        toml.write_text('[scheduler]\nalgorithm = "sm2"\n', encoding="utf-8")
        rel = current_rel(app)
        before = parse_note((deck / rel).read_bytes(), rel).schedule
        await pilot.press("space")
        await pilot.pause()
        shown = app.screen.query_one(GradeBar)._shown[0]
        assert shown == memory.preview(before, TODAY, Settings(algorithm="fsrs", desired_retention=0.85))
        await pilot.press("4")
        await pilot.pause()
    front = yaml.safe_load((deck / rel).read_text(encoding="utf-8").split("---\n")[1])
    assert front["interval"] == shown[4] and front["stability"] > 0
