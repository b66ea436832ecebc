"""Issue #12 in the app: the overview's interview countdown and readiness (trainer.planning's numbers,
computed in a worker), a plan-day session that never plans on the UI thread, expected recall in
the stats screen, and a card's predicted-recall curve (trainer.memory's values)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from rich.cells import cell_len
from rich.text import Text

from trainer import config, memory, planning
from trainer.deck import Deck
from trainer.tui.widgets.forecast import ForecastStrip
from trainer.tui.widgets.recall_curve import DAYS, ROWS, RecallCurve, chart, curve

from tuihelp import TODAY, current_rel, loaded, open_stats

SIZES = pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=["80x24", "60x20"])


def write_toml(deck, text: str) -> config.Settings:
    (deck / "trainer.toml").write_text(text, encoding="utf-8")
    return config.load(deck)


async def settled(pilot) -> None:
    """The scan, then the workers the overview started from it (readiness) have finished."""
    await loaded(pilot)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def subtitle(app) -> str:
    sub = app.screen.query_one(ForecastStrip).border_subtitle
    return "" if sub is None else Text.from_markup(str(sub)).plain


@pytest.mark.parametrize("algorithm", ["sm2", "fsrs"])
async def test_countdown_and_readiness_equal_planning(make, deck, algorithm):
    settings = write_toml(deck, f'[scheduler]\nalgorithm = "{algorithm}"\n\n[interview]\ndate = 2026-12-15\n')
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        notes = Deck(deck).scan(TODAY).notes
        p = planning.plan(notes, TODAY, dt.date(2026, 12, 15), settings.new_per_day, settings)
        got = app.screen._readiness[1]
        assert got.days_left == 20
        assert (got.without_plan, got.with_plan) == (p.without_plan, p.with_plan)
        assert got.recall == memory.recall_summary(notes, TODAY, settings)["deck"]
        text = subtitle(app)
        assert f"interview in 20 days · ready {p.without_plan:.0%} → {p.with_plan:.0%} · recall {got.recall:.0%}" == text


async def test_no_interview_no_countdown_and_past_interview_hidden(make, deck):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert subtitle(app) == ""
    write_toml(deck, "[interview]\ndate = 2026-11-20\n")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert subtitle(app) == ""


async def test_interview_today_shows_recall_without_plan(make, deck):
    write_toml(deck, "[interview]\ndate = 2026-11-25\n")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert subtitle(app).startswith("interview today · recall ")
        assert "ready" not in subtitle(app)


async def test_broken_toml_shows_no_countdown_and_the_deck_still_works(make, deck):
    (deck / "trainer.toml").write_text("[interview]\ndate = 'soon'\n", encoding="utf-8")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert subtitle(app) == ""
        await pilot.press("enter")
        await pilot.pause()
        assert current_rel(app) is not None


def _spy_planning(monkeypatch) -> list[str]:
    """Record the thread every plan runs on (the real plan still runs)."""
    threads: list[str] = []
    real = planning.plan

    def recorded(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(planning, "plan", recorded)
    return threads


async def test_plan_day_session_reuses_the_overviews_plan_off_the_ui_thread(make, deck, monkeypatch):
    settings = write_toml(deck, "[scheduler]\nnew_per_day = 3\n\n[interview]\ndate = 2026-11-26\n")
    threads = _spy_planning(monkeypatch)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        assert "interview tomorrow" in subtitle(app)
        runs = len(threads)
        await pilot.press("enter")
        await pilot.pause()
        assert len(threads) == runs  # the overview's plan, not a new one
        queue = [n.rel for n in app.screen.session.queue]
    assert runs >= 1 and threading.main_thread().name not in threads
    expected = planning.todays_plan(Deck(deck).scan(TODAY).notes, TODAY, settings)
    assert len(expected) == 3 and queue[:3] == expected


async def test_plan_day_session_for_a_tag_plans_in_a_worker(make, deck, monkeypatch):
    settings = write_toml(deck, "[scheduler]\nnew_per_day = 1\n\n[interview]\ndate = 2026-11-26\n")
    threads = _spy_planning(monkeypatch)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settled(pilot)
        await pilot.press("down", "down", "down")  # All > Training > Optimization > Transformer
        await pilot.pause()
        assert app.screen.tag == "Transformer"
        runs = len(threads)
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert len(threads) == runs + 1
        queue = [n.rel for n in app.screen.session.queue]
    assert threading.main_thread().name not in threads
    notes = [n for n in Deck(deck).scan(TODAY).notes if not n.fatal and "Transformer" in {t.split("/")[0] for t in n.tags}]
    expected = planning.todays_plan(notes, TODAY, settings)
    assert expected and queue[: len(expected)] == expected


@pytest.mark.parametrize("algorithm", ["sm2", "fsrs"])
async def test_card_details_show_the_recall_curve_of_trainer_memory(make, deck, algorithm):
    settings = write_toml(deck, f'[scheduler]\nalgorithm = "{algorithm}"\n')
    app = make()
    async with app.run_test(size=(60, 20)) as pilot:
        await loaded(pilot)
        await pilot.press("enter")
        await pilot.pause()
        widget = app.screen.query_one(RecallCurve)
        assert not widget.display
        await pilot.press("space", "d")
        await pilot.pause()
        assert widget.display
        note = app.screen.session.current
        assert not note.schedule.is_new
        want = [memory.recall(note.schedule, TODAY + dt.timedelta(days=k), settings) for k in range(DAYS + 1)]
        assert [r for _, r in widget.points] == want
        assert widget.points[0][0] == TODAY and widget.points[-1][0] == TODAY + dt.timedelta(days=DAYS)
        assert want[0] > want[-1]  # forgetting
        assert widget.size.height == ROWS + 2


def test_curve_of_a_new_card_is_none_and_chart_fits_its_width():
    from trainer.notes.model import Schedule

    new = Schedule(created=TODAY, last_reviewed=None, next_review=TODAY)
    assert curve(new, TODAY, config.Settings()) is None
    studied = Schedule(created=TODAY, last_reviewed=TODAY - dt.timedelta(days=3), next_review=TODAY + dt.timedelta(days=3),
                       interval=6, repetitions=2, review_count=2)
    points = curve(studied, TODAY, config.Settings(), 30)
    for width in (20, 48, 76):
        lines = chart(points, width).plain.split("\n")
        assert len(lines) == ROWS + 2
        assert all(cell_len(line) == width for line in lines[1:])


async def test_stats_shows_expected_recall_of_deck_and_tags(make, deck):
    settings = write_toml(deck, '[scheduler]\nalgorithm = "fsrs"\n')
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_stats(pilot)
        want = memory.recall_summary(Deck(deck).scan(TODAY).notes, TODAY, settings)
        summary = str(app.screen.query_one("#stats-summary").render())
        assert f"recall today {want['deck']:.0%} (FSRS)" in summary
        table = app.screen.query_one("#tags-table")
        for tag, v in want["tags"].items():
            assert str(table.get_cell(tag, "recall")) == f"{v['recall']:.0%}"


@SIZES
def test_overview_with_interview_date(snap_compare, make, deck, size):
    write_toml(deck, "[interview]\ndate = 2026-12-15\n")
    assert snap_compare(make(), terminal_size=size, run_before=settled)


@SIZES
def test_card_details_with_recall_curve(snap_compare, make, deck, size):
    async def run_before(pilot):
        await loaded(pilot)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("space", "d")
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()

    assert snap_compare(make(), terminal_size=size, run_before=run_before)
