"""Toasts show at the top right, below the header: never over the study screen's buttons and grades
at the bottom (Textual docks its toast rack at the bottom; aligning it to the top alone left the
toasts there, over "Show answer")."""

from __future__ import annotations

import pytest
from tuihelp import start_session


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_a_toast_is_not_over_the_study_buttons(make, size):
    app = make()
    async with app.run_test(size=size, notifications=True) as pilot:
        await start_session(pilot)
        await pilot.press("3")  # a grade before the answer is shown: a toast says what to do
        await pilot.pause()
        await pilot.pause()
        toasts = list(app.screen.query("Toast"))
        assert toasts, "no toast"
        reveal = app.screen.query_one("#reveal").region
        header = app.screen.query_one("Header").region
        for toast in toasts:
            assert not toast.region.overlaps(reveal)
            assert not toast.region.overlaps(header)
            assert toast.region.y < size[1] // 2 and toast.region.right >= size[0] - 3  # (top right)


def _question_rows(app):
    """The rows the question's text is drawn on (its heading, and any paragraph under it)."""
    return [w.region for w in app.screen.query("#question > *") if w.region.height]


def _toasts(app):
    return [t.region for t in app.screen.query("Toast")]


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_a_toast_leaves_the_question_readable(make, size):
    """A one-sentence toast takes the card's facts row (one row, as wide as the screen at 60
    columns), not the question under it; after the next card cleared the toasts, the next one is
    at the top again (the holders Textual left behind pushed it down over the question)."""
    app = make()
    async with app.run_test(size=size, notifications=True) as pilot:
        await start_session(pilot)
        for _ in range(2):
            await pilot.press("s")  # to the Chinese card
            await pilot.pause()
        assert "层归一化" in app.screen.session.current.question
        await pilot.press("3")  # a grade before the answer is shown
        await pilot.pause()
        await pilot.pause()
        assert _toasts(app) and _question_rows(app)
        for toast in _toasts(app):
            assert toast.height == 1 and toast.y == 1
            assert toast.right == size[0] and toast.width == min(60, size[0])  # (flush right: no scrollbar gutter)
            assert not any(toast.overlaps(q) for q in _question_rows(app))
        await pilot.press("space", "4")  # graded: the next card clears the toast
        await pilot.pause()
        await pilot.press("u")  # undone: the Chinese card again, and a toast about it
        await pilot.pause()
        await pilot.pause()
        assert "层归一化" in app.screen.session.current.question
        toasts = _toasts(app)
        assert toasts and [t.y for t in toasts] == [1]
        assert not any(t.overlaps(q) for t in toasts for q in _question_rows(app))


async def test_a_titled_toast_over_a_chinese_card_at_60x20(tmp_path, seed, write_note):
    """The longest toast a card gets on opening (from the palette, a card not due: a title and a
    sentence, 8 s) stays above a long Chinese question at 60x20."""
    from tuihelp import TODAY, loaded, palette_hits
    from textual.command import CommandList

    from trainer.tui.app import make_app, open_deck

    root = tmp_path / "deck"
    question = "缩放点积注意力为什么要除以根号dk？不除会怎样影响softmax的梯度？"
    write_note(root / "later.md", seed(question).replace("last_reviewed: null", "last_reviewed: '2026-10-01'")
               .replace("review_count: 0", "review_count: 2").replace("next_review: '2026-03-09'", "next_review: '2026-12-20'"))
    write_note(root / "now.md", seed("Another card"))
    app = make_app(open_deck(root, TODAY, None))
    async with app.run_test(size=(60, 20), notifications=True) as pilot:
        await loaded(pilot)
        hits = await palette_hits(pilot, "根号")
        command_list = app.screen.query_one(CommandList)
        command_list.highlighted = [getattr(o, "hit", None) and o.hit.text for o in command_list.options].index(
            next(h.text for h in hits if h.text.startswith("缩放")))
        await pilot.press("enter")
        for _ in range(5):
            await pilot.pause()
        assert app.screen.session.current.question == question
        toasts = _toasts(app)
        assert toasts and any("Not due until" in n.message for n in app._notifications)
        rows = _question_rows(app)
        assert rows and rows[0].height >= 2  # (the question wraps to two rows at 60 columns)
        assert not any(t.overlaps(q) for t in toasts for q in rows)
