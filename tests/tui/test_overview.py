"""The overview, stats, help, palette and theme on the real app; deck problems; text safety."""

from __future__ import annotations

import io

import datetime as dt
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static, Tree
from tuihelp import QUEUE, TODAY, current_rel, loaded, start_session

from trainer.deck import DeckError
from trainer.tui.app import make_app, run_app
from trainer.tui.commands import palette_commands
from trainer.tui.screens.help import HelpScreen, help_text
from trainer.tui.screens.stats import StatsScreen
from trainer.tui.screens.study import StudyScreen
from trainer.tui.text import clean, one_line


def static_text(widget: Static) -> str:
    return str(widget.render())


async def test_overview_counts_tags_forecast_problems(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        screen = app.screen
        assert static_text(screen.query_one("#count-due")) == "3"
        assert static_text(screen.query_one("#count-overdue")) == "2"
        assert static_text(screen.query_one("#count-new")) == "3 · limit 20"
        assert static_text(screen.query_one("#count-total")) == "8 · 1 broken"
        problems = static_text(screen.query_one("#problems-text"))
        assert "misc/broken.md: frontmatter: YAML does not parse" in problems
        assert "misc/hash-maps.md: difficulty:" in problems
        tree = screen.query_one("#tags", Tree)
        labels = {}

        def walk(node):
            if node.data is not None:
                labels[node.data] = str(node.label)
            for child in node.children:
                walk(child)

        walk(tree.root)
        assert {"Transformer", "Transformer/Attention", "Transformer/Architecture", "Training", "Training/Optimization", ""} <= set(labels)
        assert labels["Transformer/Attention"].startswith("Attention  3/3")
        days = screen.query_one("#forecast").days
        assert days[0] == (TODAY, 6) and days[3] == (TODAY + dt.timedelta(days=3), 1) and len(days) == 14


async def test_tag_and_difficulty_filters_choose_the_session(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        tree = app.screen.query_one("#tags", Tree)

        def find(node, tag):
            if node.data == tag:
                return node
            for child in node.children:
                hit = find(child, tag)
                if hit is not None:
                    return hit

        tree.move_cursor(find(tree.root, "Transformer/Attention"))
        await pilot.pause()
        assert "Transformer/Attention" in static_text(app.screen.query_one("#selection"))
        await pilot.press("f")  # easy
        await pilot.press("f")  # medium
        await pilot.pause()
        assert app.screen.difficulty == "medium"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StudyScreen)
        assert [n.rel for n in app.screen.session.queue] == ["attention/scaled-dot-product.md", "attention/为什么要除以根号dk.md"]
        await pilot.press("q")
        await pilot.pause()
        assert app.screen.id == "overview"
        assert app.screen.tag == "Transformer/Attention"


async def test_stats_screen_numbers(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        for q in (4, 2):
            await pilot.press("space", str(q))
        await pilot.press("q", "escape")
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        assert app.screen.data.retention == 0.5
        table = app.screen.query_one("#reviews-table", DataTable)
        assert [str(c) for c in table.get_row_at(0)] == ["2026-11-25", "2"]
        tags = app.screen.query_one("#tags-table", DataTable)
        assert tags.row_count == 5
        await pilot.press("3")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "overview"


async def test_help_palette_and_theme(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        titles = {c.title for c in palette_commands(app.screen)}
        assert {"Study", "Difficulty", "Stats", "Reload", "Help", "Theme"} <= titles
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        await pilot.press("enter")
        await pilot.pause()
        study = {c.title for c in palette_commands(app.screen)}
        assert {"Reveal", "Undo", "Edit", "Skip", "End"} <= study
        assert "Demo" not in study  # the first card has no demo
        await pilot.press("space")
        study = {c.title for c in palette_commands(app.screen)}
        assert "Grade 4: hesitated" in study
        # A palette command runs the real action.
        cmd = next(c for c in palette_commands(app.screen) if c.title == "Grade 5: perfect")
        await cmd.target.run_action(cmd.action)
        await pilot.pause()
        assert current_rel(app) == QUEUE[1]


def test_help_lists_every_binding():
    from rich.console import Console

    console = Console(width=80, record=True, file=io.StringIO())
    console.print(help_text())
    text = console.export_text()
    for needle in ("space", "Show the short answer", "0 – 5", "Undo", "$VISUAL", "ctrl+t", "Command palette",
                   "Study the due cards", "Live demo"):
        assert needle in text
    for line in text.splitlines():  # keys and descriptions never run together
        assert "enterBack" not in line


async def test_empty_selection_does_not_start(make, deck: Path):
    app = make(today=dt.date(2020, 1, 1))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await loaded(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.id == "overview"
        assert any("Nothing to study" in n.message for n in app._notifications)


def test_missing_deck(tmp_path: Path, capsys):
    with pytest.raises(DeckError):
        make_app(tmp_path / "nope")
    assert run_app(tmp_path / "nope") == 2
    assert "deck folder not found" in capsys.readouterr().err


def test_control_characters_never_reach_the_terminal():
    assert clean("a\x1b[31mb\x07c\r\nd\te\x9b") == "a[31mbc\nd\te"
    assert one_line("title\nwith\x00 \u202econtrols") == "title with controls"
    assert one_line("x" * 50, 10) == "x" * 9 + "…"


async def test_exit_after_first_frame(make, monkeypatch):
    monkeypatch.setenv("TRAINER_EXIT_AFTER_FIRST_FRAME", "1")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.pause()
    assert app.return_code == 0
    assert app.notes


def test_overview_figures_match_the_core(deck: Path):
    """The worker's one-pass figures equal scheduler.counts, stats.forecast and stats.by_tag."""
    from trainer import scheduler, stats
    from trainer.deck import Deck
    from trainer.tui.figures import summarize

    notes = Deck(deck).scan(TODAY, use_cache=False).notes
    s = summarize(notes, TODAY)
    good = [n for n in notes if not n.fatal]
    assert s.counts == scheduler.counts(notes, TODAY)
    assert s.forecast == stats.forecast(good, TODAY, 14)
    core = {t.tag: (t.cards, t.due, t.mastery) for t in stats.by_tag(good, TODAY)}
    ours = {t: (f.cards, f.due, f.mastery) for t, f in s.tags.items() if t}
    assert ours == core
    assert list(ours) == list(core)  # same order
    assert s.tags[""].cards == 1


async def test_start_demo_without_a_deck_opens_the_demo_and_quits_after(tmp_path: Path):
    from trainer.tui.screens.demo import DemoScreen

    app = make_app(tmp_path / "no-deck", today=TODAY, start_demo="sqrt-dk-scaling")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DemoScreen)
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_code == 0


def test_run_app_rejects_an_unknown_demo(tmp_path: Path, capsys):
    assert run_app(tmp_path, start_demo="no-such-demo") == 2
    assert "unknown demo" in capsys.readouterr().err
