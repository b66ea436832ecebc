"""The overview, stats, help, palette and theme on the real app; deck problems; text safety."""

from __future__ import annotations

import io

import datetime as dt
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static, Tree
from tuihelp import QUEUE, TODAY, current_rel, loaded, start_session

from trainer.tui.app import make_app, open_deck
from trainer.tui.commands import palette_commands
from trainer.tui.screens.help import HelpScreen, help_text
from trainer.tui.screens.stats import StatsScreen
from trainer.tui.screens.study import StudyScreen
from trainer.tui.text import body_text, one_line, plural


def static_text(widget: Static) -> str:
    return str(widget.render())


async def test_overview_counts_tags_forecast_problems(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        screen = app.screen
        boxes = {key: (static_text(screen.query_one(f"#count-{key}")), screen.query_one(f"#count-{key}").border_subtitle)
                 for key in ("study", "due", "new", "total")}
        assert boxes == {"study": ("6", "due + new"), "due": ("3", "2 overdue"), "new": ("3", "limit 20"),
                         "total": ("8", "1 broken")}
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
        assert app.screen.data.history.retention == 0.5
        table = app.screen.query_one("#reviews-table", DataTable)
        assert [str(c) for c in table.get_row_at(0)] == ["2026-11-25", "2"]
        tags = app.screen.query_one("#tags-table", DataTable)
        assert tags.row_count == 8  # seven tags and (untagged), as the tag tree shows them
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


async def test_help_lists_the_keys_of_the_screen_it_was_opened_from(make):
    from rich.console import Console

    def shown(screen) -> str:
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(help_text(screen))
        return console.export_text()

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        text = shown(app.screen)
        for needle in ("This screen: Study", "space", "Show the short answer", "0 – 5", "Undo", "$VISUAL", "^t",
                       "Command palette"):
            assert needle in text
        assert "Fold or unfold" not in text  # the overview's keys are not the study screen's
        for line in text.splitlines():  # keys and descriptions never run together
            assert "enterBack" not in line
        await pilot.press("q")
        await pilot.pause()
        text = shown(app.screen)
        assert "This screen: Deck overview" in text and "Fold or unfold a tag" in text


async def test_help_lists_each_key_once(make):
    """Two bindings of ``enter`` (the tag tree's, the overview's) made two help lines with two texts."""
    from trainer.tui.screens.help import help_sections

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert app.screen.focused is app.screen.query_one("#tags", Tree)
        keys = [keys for _title, rows in help_sections(app.screen) for keys, _what in rows]
        assert len(keys) == len(set(keys)), keys
        what = dict(help_sections(app.screen)[0][1])["⏎"]  # the tree's Enter: the one Textual runs
        assert "under the highlighted tag" in what and "difficulty" in what
        await pilot.press("enter")
        await pilot.pause()
        keys = [keys for _title, rows in help_sections(app.screen) for keys, _what in rows]
        assert len(keys) == len(set(keys)), keys


async def test_help_says_import_takes_anki_packages(make):
    """`?` said `i` imports "markdown folders, Obsidian vaults, Anki text exports"; the import
    screen takes Anki packages too (.apkg, .colpkg)."""
    from trainer.tui.screens.help import help_sections

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert ".apkg" in dict(help_sections(app.screen)[0][1])["i"]


async def test_empty_selection_does_not_start(make, deck: Path):
    app = make(today=dt.date(2020, 1, 1))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await loaded(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.id == "overview"
        assert any("Nothing to study" in n.message for n in app._notifications)


def test_missing_deck(tmp_path: Path, capsys):
    from trainer.cli import main
    from trainer.deck import DeckError
    from trainer.errors import TrainerError

    with pytest.raises(DeckError) as caught:
        open_deck(tmp_path / "nope", TODAY)
    assert isinstance(caught.value, TrainerError)
    assert main(["--deck", str(tmp_path / "nope"), "study"]) == 2
    assert "deck folder not found" in capsys.readouterr().err


def test_control_characters_never_reach_the_terminal():
    assert body_text("a\x1b[31mb\x07c\r\nd\te\x9b") == "a[31mbc\nd\te"
    assert one_line("title\nwith\x00 \u202econtrols") == "title with controls"
    assert one_line("x" * 50, 10) == "x" * 9 + "…"
    assert one_line("注意力机制的计算", 7) == "注意力…"  # cells, not characters: a Chinese one is two
    assert (plural(1, "card"), plural(2, "card"), plural(0, "note")) == ("1 card", "2 cards", "0 notes")


async def test_a_demo_runs_in_an_app_of_its_own_without_a_deck():
    from trainer.tui.demo_app import DemoApp
    from trainer.tui.screens.demo import DemoScreen

    app = DemoApp("sqrt-dk-scaling")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DemoScreen)
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_code == 0


async def test_the_demo_styles_come_from_the_app_list_in_both_apps(make):
    """demo.tcss is in TrainerApp's and DemoApp's stylesheet lists (the screen names none): the demo's
    title bar is one row on the panel colour whichever app opens it."""
    from textual.color import Color

    from trainer.tui.demo_app import DemoApp
    from trainer.tui.screens.demo import DemoScreen

    assert DemoScreen.CSS_PATH is None
    for app in (DemoApp("sqrt-dk-scaling"), make()):
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            if not isinstance(app.screen, DemoScreen):
                await app.push_screen(DemoScreen("sqrt-dk-scaling"))
                await pilot.pause()
            title = app.screen.query_one("#demo-title")
            assert title.styles.height is not None and title.styles.height.value == 1
            assert title.styles.background == Color.parse(app.current_theme.to_color_system().generate()["panel"])


def test_an_unknown_demo_is_bad_usage(capsys):
    from trainer.cli import main

    assert main(["demo", "no-such-demo"]) == 2
    assert "unknown demo" in capsys.readouterr().err


def _note(rel_path: Path, question: str, tags: list[str], *, next_review: str, reviewed: bool) -> None:
    rel_path.parent.mkdir(parents=True, exist_ok=True)
    last = "'2026-11-01'" if reviewed else "null"
    count = 2 if reviewed else 0
    tag_lines = "".join(f"- {t}\n" for t in tags)
    rel_path.write_text(
        f"---\ncreated: '2026-10-01'\nlast_reviewed: {last}\nnext_review: '{next_review}'\nreview_count: {count}\n"
        f"difficulty: medium\nmastery_level: 0.5\ntags:\n{tag_lines}---\n# {question}\n\n## Answer\n\nText.\n",
        encoding="utf-8",
    )


async def test_every_screen_counts_the_same_cards_to_study(tmp_path: Path):
    """A deck made to split the old counts apart: more new cards than the daily limit, some
    started today already, overdue reviews, a new card scheduled for later, nested and Chinese tags.
    The overview's box, the tag tree's root, the forecast's today, the stats screen, `trainer due`
    and `stats --json` all say the same number of cards to study, and a session shows exactly those."""
    import json

    from trainer import grading
    from trainer.cli import main

    root = tmp_path / "deck"
    for i in range(3):  # reviews: two overdue, one due today
        day = ["2026-11-20", "2026-11-24", "2026-11-25"][i]
        _note(root / f"r{i}.md", f"Review {i}", ["注意力/多头"], next_review=day, reviewed=True)
    for i in range(9):  # new cards, more than the limit of 4
        _note(root / f"new{i}.md", f"New {i}", ["注意力"] if i % 2 else ["Training/LR"], next_review="2026-11-25", reviewed=False)
    _note(root / "later.md", "New later", ["Training"], next_review="2026-11-27", reviewed=False)
    _note(root / "future.md", "Reviewed, due later", ["Training"], next_review="2026-11-26", reviewed=True)
    book = open_deck(root, TODAY, 4)
    book.load()
    for rel in ("new0.md",):  # one new card started today already: 3 of the 4 new cards are left
        grading.grade(book.deck, book.log, book.reread(rel), 5, TODAY)
    book.close()

    app = make_app(open_deck(root, TODAY, 4))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        screen = app.screen
        to_study = int(static_text(screen.query_one("#count-study")))
        assert to_study == 3 + 3
        assert str(screen.query_one("#tags", Tree).root.label).startswith(f"All cards  {to_study}/")
        assert screen.query_one("#forecast").days[0] == (TODAY, to_study)
        assert screen.query_one("#forecast").days[1] == (TODAY + dt.timedelta(days=1), 2)  # future.md + new0.md
        tag_totals = app.book.figures().tags
        assert tag_totals["注意力"].to_study == 3 + 3  # 3 reviews + 4 new under it, 3 left today
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        assert f"to study {to_study} (3 due + 3 new)" in static_text(app.screen.query_one("#stats-summary"))
        forecast_rows = app.screen.query_one("#forecast-table", DataTable)
        assert [str(c) for c in forecast_rows.get_row_at(0)] == ["today (to study)", str(to_study)]
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, StudyScreen)
        assert app.screen.session.remaining == to_study

    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--deck", str(root), "--today", TODAY.isoformat(), "due", "--json", "--new-limit", "4"]) == 0
    assert len(json.loads(out.getvalue())) == to_study
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--deck", str(root), "--today", TODAY.isoformat(), "stats", "--json"]) == 0
    stats_json = json.loads(out.getvalue())
    assert stats_json["counts"]["due"] == 3 and stats_json["counts"]["new_started"] == 1
    assert stats_json["forecast"][0]["cards"] == stats_json["counts"]["to_study"]


async def test_palette_has_no_duplicates_and_help_shows_keys_as_typed(make):
    """One entry per action ("Help", not also "Keys" / "Help: keys"; one theme entry), and the help
    opened from a demo shows `,` and `.`, not `comma` and `full_stop`."""
    from rich.console import Console

    from trainer.tui.screens.demo import DemoScreen

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        titles = [c.title for c in palette_commands(app.screen)]
        titles += [c.title for c in app.get_system_commands(app.screen)]
        assert len(titles) == len(set(titles)), titles
        assert not {"Keys", "Help: keys", "Toggle light/dark theme"} & set(titles)
        assert sum("theme" in t.lower() for t in titles) == 1
        await app.push_screen(DemoScreen("sqrt-dk-scaling"))
        await pilot.pause()
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(help_text(app.screen))
        text = console.export_text()
        assert "← / ," in text and "→ / ." in text
        assert "comma" not in text and "full_stop" not in text


async def test_toasts_stay_off_the_grade_buttons_and_leave_with_their_card(make):
    from textual.widgets._toast import ToastRack

    app = make()
    async with app.run_test(size=(60, 20), notifications=True) as pilot:
        await start_session(pilot)
        await pilot.press("4")  # not revealed yet: a toast about this card
        await pilot.pause()
        assert any("Show the answer first" in n.message for n in app._notifications)
        rack = app.screen.query_one(ToastRack)
        assert rack.styles.align_vertical == "top"
        await pilot.press("space", "4")  # graded: the next card comes, the toast goes
        await pilot.pause()
        assert current_rel(app) == QUEUE[1]
        assert not any("Show the answer first" in n.message for n in app._notifications)
