"""A grade's notice (another program's save kept aside, an undo that cannot be exact) reaches the
user in the app too, not only on the command line (#11)."""

from __future__ import annotations

from trainer.tui.screens.study import StudyScreen

from tuihelp import QUEUE, current_rel, start_session


def _messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_an_inexact_undo_is_said_in_the_study_app(make, deck):
    note = deck / QUEUE[0]
    text = note.read_text(encoding="utf-8")
    head, rest = text.split("---\n", 2)[1:]
    # FSRS lines with a comment in the middle of the block: an SM-2 grade takes them out, and its
    # undo can only append them again.
    note.write_text("---\nstability: 3.0  # from Anki\nfsrs_difficulty: 5.0\n" + head + "---\n" + rest, encoding="utf-8")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        assert isinstance(app.screen, StudyScreen) and current_rel(app) == QUEUE[0]
        await pilot.press("space")
        await pilot.press("4")
        await pilot.pause()
        assert "stability" not in note.read_text(encoding="utf-8")
        assert any("exact bytes" in m for m in _messages(app)), _messages(app)


async def test_a_plain_grade_says_nothing_more(make, deck):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        await pilot.press("space")
        await pilot.press("4")
        await pilot.pause()
        assert not any("exact bytes" in m for m in _messages(app)), _messages(app)
