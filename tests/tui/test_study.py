"""Whole study sessions through the real app: keys in, notes and the review log checked on disk."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import yaml

from trainer.tui.screens.study import StudyScreen
from trainer.tui.screens.summary import SummaryScreen

from tuihelp import QUEUE, current_rel, start_session


def front(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n")[1])


def snapshot_bytes(deck: Path) -> dict[str, bytes]:
    return {p.relative_to(deck).as_posix(): p.read_bytes() for p in deck.rglob("*.md")}


async def grade(pilot, q: int) -> None:
    await pilot.press("space")
    await pilot.press(str(q))
    await pilot.pause()


def log_rows(deck: Path) -> list[tuple]:
    conn = sqlite3.connect(deck / ".trainer" / "trainer.db")
    try:
        return conn.execute("SELECT note, kind, grade, undone FROM reviews ORDER BY id").fetchall()
    finally:
        conn.close()


async def test_whole_session_writes_sm2_to_disk(make, deck):
    before = snapshot_bytes(deck)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        assert isinstance(app.screen, StudyScreen)
        seen = []
        for _ in range(len(QUEUE)):
            seen.append(current_rel(app))
            await grade(pilot, 4)
        assert seen == QUEUE
        assert isinstance(app.screen, SummaryScreen)
        assert app.screen.session.stats().graded == 6
    # A new card graded 4 on 2026-11-25 (SPEC §3).
    new = front(deck / "attention/scaled-dot-product.md")
    assert new["next_review"] == "2026-11-26"
    assert new["last_reviewed"] == "2026-11-25"
    assert new["interval"] == 1 and new["review_count"] == 1 and new["repetitions"] == 1
    assert new["mastery_level"] == 0.24 and new["ease_factor"] == 2.5
    # A card with n=2, interval 6, EF 2.5: ceil(6 * 2.5) = 15 days.
    mh = front(deck / "attention/multi-head.md")
    assert mh["interval"] == 15 and mh["next_review"] == "2026-12-10" and mh["repetitions"] == 3
    assert mh["mastery_level"] == round(0.41 + 0.3 * (0.8 - 0.41), 2)
    # Only the scheduling lines changed: the body is byte for byte the same.
    after = snapshot_bytes(deck)
    for rel in QUEUE:
        assert after[rel].split(b"\n---\n", 1)[1] == before[rel].split(b"\n---\n", 1)[1]
    # Cards not due, and the broken note, were not touched.
    for rel in ("training/dropout.md", "misc/broken.md"):
        assert after[rel] == before[rel]
    assert [(r[0], r[1], r[2]) for r in log_rows(deck)] == [(rel, "review", 4) for rel in QUEUE]


async def test_card_graded_below_4_comes_back_as_redrill(make, deck):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        await grade(pilot, 2)  # multi-head: wrong -> re-drill after 3 other cards
        order = []
        for _ in range(3):
            order.append(current_rel(app))
            await grade(pilot, 5)
        assert order == QUEUE[1:4]
        assert current_rel(app) == "attention/multi-head.md"
        flag = app.screen.query_one("#card-flag")
        assert "re-drill" in str(flag.render())
        await grade(pilot, 5)  # the re-drill: logged, no schedule change
        assert current_rel(app) == QUEUE[4]
        stats = app.screen.session.stats()
        assert (stats.graded, stats.redrills) == (4, 1)
    mh = front(deck / "attention/multi-head.md")
    # SM-2 with q=2: n=0, interval 1, EF 2.5 + 0.1 - 3 * (0.08 + 0.06) = 2.18
    assert mh["interval"] == 1 and mh["repetitions"] == 0 and mh["next_review"] == "2026-11-26"
    assert mh["ease_factor"] == 2.18 and mh["review_count"] == 3
    kinds = [(r[0], r[1], r[2]) for r in log_rows(deck) if r[0] == "attention/multi-head.md"]
    assert kinds == [("attention/multi-head.md", "review", 2), ("attention/multi-head.md", "redrill", 5)]


async def test_undo_restores_note_bytes_even_across_cards(make, deck):
    before = snapshot_bytes(deck)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        await grade(pilot, 4)
        await grade(pilot, 3)
        assert snapshot_bytes(deck)[QUEUE[0]] != before[QUEUE[0]]
        await pilot.press("u")
        await pilot.pause()
        assert current_rel(app) == QUEUE[1]
        await pilot.press("u")
        await pilot.pause()
        assert current_rel(app) == QUEUE[0]
        assert app.screen.session.done == 0
        assert app.screen.revealed is False
    assert snapshot_bytes(deck) == before
    assert [r[3] for r in log_rows(deck)] == [1, 1, 0, 0]


async def test_quit_mid_session_keeps_grades_and_nothing_else(make, deck):
    before = snapshot_bytes(deck)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        await grade(pilot, 5)
        await grade(pilot, 3)
        await pilot.press("space")  # third card revealed but not graded
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "overview"
    after = snapshot_bytes(deck)
    changed = {rel for rel in before if before[rel] != after[rel]}
    assert changed == set(QUEUE[:2])
    assert front(deck / QUEUE[0])["last_reviewed"] == "2026-11-25"


async def test_note_edited_on_disk_mid_session_is_reloaded_and_kept(make, deck):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        path = deck / QUEUE[0]
        text = path.read_text(encoding="utf-8")
        edited = text.replace("projected.", "projected.\nEDITED ELSEWHERE: heads see different subspaces.")
        path.write_text(edited, encoding="utf-8")
        await app.screen.check_disk()  # what the 1-second timer calls
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        answer = app.screen.query_one("#answer")
        assert "EDITED ELSEWHERE" in answer.source
        await pilot.press("4")
        await pilot.pause()
        assert current_rel(app) == QUEUE[1]
    final = path.read_text(encoding="utf-8")
    assert "EDITED ELSEWHERE: heads see different subspaces." in final
    assert front(path)["interval"] == 15


async def test_body_edit_between_show_and_grade_survives_grading(make, deck):
    """No poll in between: the grade itself finds the file changed and re-applies onto it."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        await pilot.press("space")
        path = deck / QUEUE[0]
        path.write_text(path.read_text(encoding="utf-8") + "\nAppended by another editor.\n", encoding="utf-8")
        await pilot.press("4")
        await pilot.pause()
    final = path.read_text(encoding="utf-8")
    assert final.endswith("\nAppended by another editor.\n")
    assert front(path)["review_count"] == 3


async def test_schedule_changed_elsewhere_is_a_conflict_and_theirs_is_kept(make, deck):
    app = make()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await start_session(pilot)
        await pilot.press("space")
        path = deck / QUEUE[0]
        theirs = path.read_text(encoding="utf-8").replace("interval: 6", "interval: 9")
        path.write_text(theirs, encoding="utf-8")
        await pilot.press("4")
        await pilot.pause()
        assert any("changed by another program" in n.message for n in app._notifications)
        assert current_rel(app) == QUEUE[0]  # shown again, as they left it
        assert app.screen.session.current.schedule.interval == 9
    assert path.read_text(encoding="utf-8") == theirs


async def test_card_postponed_elsewhere_leaves_the_session_and_keeps_their_date(make, deck):
    """Another program moves the shown card's next_review into the future: the poll sees it,
    their schedule stands, the card leaves the session and nothing is written."""
    app = make()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await start_session(pilot)
        path = deck / QUEUE[0]
        text = path.read_text(encoding="utf-8")
        import re

        theirs = re.sub(r"next_review: .*", "next_review: '2026-12-24'", text, count=1)
        assert theirs != text
        path.write_text(theirs, encoding="utf-8")
        await app.screen.check_disk()
        await pilot.pause()
        assert any("rescheduled by another program" in n.message for n in app._notifications)
        assert current_rel(app) != QUEUE[0]
        await pilot.press("space", "4")
        await pilot.pause()
    assert path.read_text(encoding="utf-8") == theirs


async def test_note_that_breaks_on_disk_is_dropped_and_the_session_goes_on(make, deck):
    app = make()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await start_session(pilot)
        path = deck / QUEUE[0]
        path.write_text("---\ntags: [oops\n---\n# broken now\n", encoding="utf-8")
        await app.screen.check_disk()
        await pilot.pause()
        assert current_rel(app) == QUEUE[1]
        assert any("frontmatter" in n.message for n in app._notifications)
        (deck / QUEUE[1]).unlink()
        await app.screen.check_disk()
        await pilot.pause()
        assert current_rel(app) == QUEUE[2]
        await grade(pilot, 4)
        assert current_rel(app) == QUEUE[3]


async def test_e_opens_editor_and_reloads_the_note(make, deck, tmp_path, monkeypatch):
    script = tmp_path / "fake_editor.py"
    script.write_text(
        "import sys\n"
        "p = sys.argv[1]\n"
        "t = open(p, encoding='utf-8').read()\n"
        "open(p, 'w', encoding='utf-8').write(t.replace('projected.', 'projected. Written in the editor.'))\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        await pilot.press("space")
        await pilot.press("e")
        await pilot.pause()
        assert app.screen.revealed
        assert "Written in the editor." in app.screen.query_one("#answer").source
        await pilot.press("5")
        await pilot.pause()
    assert "Written in the editor." in (deck / QUEUE[0]).read_text(encoding="utf-8")


async def test_skip_and_grade_buttons_with_the_mouse(make, deck):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert current_rel(app) == QUEUE[1]
        await pilot.click("#reveal")
        await pilot.pause()
        assert app.screen.revealed
        await pilot.click("#grade-5")
        await pilot.pause()
        assert current_rel(app) == QUEUE[2]
    assert front(deck / QUEUE[1])["review_count"] == 4
    assert front(deck / QUEUE[0])["review_count"] == 2  # skipped: untouched


async def test_grade_keys_wait_for_the_answer(make, deck):
    before = snapshot_bytes(deck)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        await pilot.press("4")
        await pilot.pause()
        assert current_rel(app) == QUEUE[0]
    assert snapshot_bytes(deck) == before


async def test_demo_suggestion_is_confirmed_with_enter(make, deck):
    from trainer.demos.registry import DemoResult

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        screen = app.screen
        assert screen.check_action("demo", ()) is False  # multi-head has no demo
        for _ in range(3):
            await pilot.press("s")
        await pilot.pause()
        assert current_rel(app) == "attention/scaled-dot-product.md"
        assert screen.check_action("demo", ()) is True
        from trainer.tui.screens.demo import DemoScreen

        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, DemoScreen) and app.screen.demo_id == "sqrt-dk-scaling"
        await pilot.press("escape")  # no predictions answered: no suggestion
        await pilot.pause()
        assert app.screen is screen and screen.suggested is None
        await screen._demo_done(DemoResult("sqrt-dk-scaling", 2, 3, 3))
        await pilot.pause()
        assert screen.revealed and screen.suggested == 3
        assert screen.query_one("#grade-3").has_class("suggested")
        await pilot.press("enter")
        await pilot.pause()
    note = front(deck / "attention/scaled-dot-product.md")
    assert note["review_count"] == 1 and note["mastery_level"] == 0.18


async def test_the_summary_shows_a_questions_math_as_the_card_does(make, deck):
    """The session summary lists a question with TeX as Unicode (√(dₖ)), not as `$\\sqrt{d_k}$`."""
    from textual.widgets import DataTable

    first = deck / QUEUE[0]
    text = first.read_text(encoding="utf-8")
    heading = next(line for line in text.splitlines() if line.startswith("# "))
    first.write_text(text.replace(heading, "# 为什么要除以 $\\sqrt{d_k}$？", 1), encoding="utf-8")
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        assert current_rel(app) == QUEUE[0]
        await grade(pilot, 4)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        table = app.screen.query_one(DataTable)
        cards = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert cards == ["为什么要除以 √(dₖ)？"], cards


async def test_the_card_shown_is_parsed_for_its_grade(make, deck):
    """The study screen reads the card it shows with ``read_card``: the frontmatter it holds on
    disk is parsed then (#17), so the grade's read under the lock finds that text parsed."""
    from trainer.notes import parse

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        for _ in range(2):
            rel = current_rel(app)
            text = (deck / rel).read_text(encoding="utf-8")
            assert parse.split_frontmatter(text).yaml in parse._recent, rel
            await grade(pilot, 4)


async def test_space_says_what_it_does_next_reveal_then_details(make, deck):
    """The footer named space "Reveal" even once the answer showed, when space then opened the
    details: it says "Details" from then on, and space shows and hides them."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await start_session(pilot)
        screen = app.screen

        def space_label() -> str:
            return app.active_bindings["space"].binding.description

        assert space_label() == "Reveal" and not screen.revealed
        await pilot.press("space")
        await pilot.pause()
        assert screen.revealed and not screen.details_shown
        assert space_label() == "Details"
        await pilot.press("space")
        await pilot.pause()
        assert screen.details_shown
        await pilot.press("space")
        await pilot.pause()
        assert screen.revealed and not screen.details_shown
        await pilot.press("4")  # graded: the next card starts with its answer hidden
        await pilot.pause()
        assert not screen.revealed and space_label() == "Reveal"
