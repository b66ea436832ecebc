"""Enter on a deck with no notes says how to get some (it said "Nothing to study … today")."""

from __future__ import annotations

import datetime as dt

from tuihelp import loaded

from trainer.tui.app import make_app, open_deck
from trainer.tui.screens.overview import NO_NOTES_YET


async def test_enter_on_a_deck_without_notes_says_how_to_get_some(tmp_path):
    deck = tmp_path / "new-deck"
    deck.mkdir()
    app = make_app(open_deck(deck, dt.date(2026, 11, 25), None))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await loaded(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.id == "overview"
        assert [n.message for n in app._notifications] == [NO_NOTES_YET]
        (deck / "a.md").write_text("---\nnext_review: 2026-12-30\n---\n# Not due yet\n", encoding="utf-8")
        await pilot.press("r")  # a deck with a note, none to study: the usual words
        await loaded(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert [n.message for n in app._notifications][-1] == "Nothing to study in all tags · any difficulty today."
