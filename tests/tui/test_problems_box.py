"""The overview's Problems box shows a problem, not only its title, at 60x20: the Study button gives up
its border (one row, not three) when the box would otherwise have no row for a problem, and a short
box shows each problem on one line cut with ``…`` (its path first). At 80x24 nothing changes: the
button keeps its border and the problems wrap."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.widgets import Button
from tuihelp import loaded


def _screen_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]  # noqa: SLF001 - the screen as drawn


def _box_lines(app) -> list[str]:
    """The text rows inside the Problems box as drawn (between its borders)."""
    box = app.screen.query_one("#problems")
    strips = app.screen._compositor.render_strips()  # noqa: SLF001
    region = box.content_region
    return [strips[y].crop(region.x, region.right).text for y in range(region.y, region.bottom)]


@pytest.fixture
def chinese_problem_deck(deck, write_note):
    """The fixture deck and a broken note whose name is Chinese: it is the first problem listed."""
    write_note(deck / "坏的笔记.md", "---\ntags: [a\n---\n# 坏的笔记\n")
    return deck


async def test_a_problem_shows_at_60x20(make, chinese_problem_deck):
    app = make()
    async with app.run_test(size=(60, 20)) as pilot:
        await loaded(pilot)
        await pilot.pause()
        screen = app.screen
        first = str(app.screen.book.problems[0])
        assert first.startswith("坏的笔记.md: frontmatter:")
        rows = _box_lines(app)
        assert rows, "the Problems box has no row for its text"
        assert rows[0].startswith("坏的笔记.md: front"), rows
        shown = rows[0].rstrip()
        assert shown.endswith("…") and first.startswith(shown[:-1])
        assert screen.query_one("#problems").border_title == f"Problems ({len(screen.book.problems)})"
        # The Study button is one row and still on screen, above the box.
        study = screen.query_one("#study", Button)
        assert study.compact and study.outer_size.height == 1
        assert "Study ⏎" in _screen_lines(app)[study.region.y]
        # The tag tree keeps its rows (the box took the button's border, not the tree's room).
        assert screen.query_one("#tags").outer_size.height == 10


async def test_a_long_tag_name_selected_still_leaves_a_problem_line(make, chinese_problem_deck, seed, write_note):
    """A selection whose name wraps over three rows; at 60x22 the box still keeps a row for a problem."""
    long_tag = "Reinforcement learning from human feedback"
    write_note(chinese_problem_deck / "rl.md", seed("What does RLHF optimise?", tags=(long_tag,)))
    app = make()
    async with app.run_test(size=(60, 22)) as pilot:
        await loaded(pilot)
        screen = app.screen
        screen.tag = long_tag
        screen._show_selection()  # noqa: SLF001 - the highlighted tag's name, as the tree's cursor sets it
        await pilot.pause()
        await pilot.pause()
        assert screen.query_one("#selection").outer_size.height == 6
        rows = _box_lines(app)
        assert rows and rows[0].startswith("坏的笔记.md:"), rows


async def test_80x24_keeps_the_bordered_button_and_wrapped_problems(make, chinese_problem_deck):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.pause()
        screen = app.screen
        study = screen.query_one("#study", Button)
        assert not study.compact and study.outer_size.height == 3
        rows = [r.rstrip() for r in _box_lines(app)]
        assert len(rows) >= 3
        assert not rows[0].endswith("…")  # wrapped, not cut
        assert " ".join(r.strip() for r in rows[:2]).startswith("坏的笔记.md: frontmatter: YAML")
        assert all(cell_len(r) <= screen.query_one("#problems").content_region.width for r in rows)
