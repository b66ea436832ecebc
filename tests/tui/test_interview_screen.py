"""The mock interview screen through Pilot: typing (English and Chinese), ctrl+j, the countdown,
feedback, grades, undo, the report; snapshots at 80x24 with a clock the test moves."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Label, TextArea
from tuihelp import loaded, type_burst

from trainer.deck import Deck
from trainer.interview import store
from trainer.interview.session import InterviewSession
from trainer.reviewlog import ReviewLog
from trainer.tui.interview_app import InterviewApp
from trainer.tui.screens.interview import InterviewScreen

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "interview_deck"
TODAY = dt.date(2026, 11, 25)
EN = "attention/scaled-dot-product.md"
ZH = "attention/为什么要除以根号dk.md"
NONE = "misc/no-short-answer.md"
SIZE = (80, 24)


class Clock:
    """The time the countdown reads; a test moves it."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def iv_deck(tmp_path: Path) -> Path:
    dst = tmp_path / "ivdeck"
    shutil.copytree(FIXTURE, dst)
    return dst


@pytest.fixture
def interview(iv_deck: Path):
    """interview(*rels, minutes=3) -> (app, session, clock): an InterviewApp over those cards."""
    logs: list[ReviewLog] = []

    def _make(*rels: str, minutes: float = 3):
        deck = Deck(iv_deck)
        notes = deck.scan(TODAY).by_rel()
        log = ReviewLog.open(deck.root)
        logs.append(log)
        session = InterviewSession(deck, log, TODAY, [notes[r] for r in rels], minutes=minutes)
        clock = Clock()
        return InterviewApp(session, now=clock), session, clock

    yield _make
    for log in logs:
        log.close()


async def type_text(pilot, text: str) -> None:
    """Typed as a fast typist does (``tuihelp.type_burst``): the same key events, a newline is Enter."""
    await type_burst(pilot, text)


async def press_each(pilot, text: str) -> None:
    """Key presses through Pilot, one character at a time, each handled before the next."""
    for ch in text:
        await pilot.press("enter" if ch == "\n" else "space" if ch == " " else ch)


async def paste(pilot, text: str) -> None:
    pilot.app.post_message(events.Paste(text))  # as a terminal delivers a bracketed paste
    await pilot.pause()


def clock_text_now(pilot) -> str:
    return str(pilot.app.screen.query_one("#iv-clock", Label).render())


async def clock_redrawn(pilot, before: str) -> None:
    """Wait until the countdown's interval (a tick every 0.25 s) has redrawn the clock the test
    moved: polled, so a loaded machine cannot make the test look before the tick."""
    for _ in range(500):
        if clock_text_now(pilot) != before:
            await pilot.pause()
            return
        await pilot.pause(0.01)
    raise AssertionError(f"the countdown was not redrawn: still {before!r}")


def covered(session: InterviewSession) -> list[bool]:
    assert session.feedback is not None
    return [m.covered for m in session.feedback.matches]


async def test_english_answer_submitted_with_ctrl_j(interview, iv_deck):
    app, session, clock = interview(EN, ZH)
    before = (iv_deck / EN).read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_text(pilot, "The dot product of q and k has variance d_k.\nLarge scores saturate the softmax")
        clock.t += 95
        await pilot.press("ctrl+j")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, InterviewScreen) and screen.phase == "feedback"
        assert covered(session) == [True, True, False]
        assert session.feedback.suggested == 3 and not session.feedback.overtime
        assert session.feedback.answer.splitlines()[1] == "Large scores saturate the softmax"
        assert "2 of 3 key points covered" in str(screen.query_one("#fb-summary").render())
        assert "Suggested grade 3" in str(screen.query_one("#iv-gradeline", Label).render())
        await pilot.press("enter")  # takes the suggestion: the card is scheduled
        await pilot.pause()
        assert screen.phase == "graded"
        assert (iv_deck / EN).read_bytes() != before
        row = session.log.last_undoable()
        assert row.note == EN and row.grade == 3 and row.duration_ms == 95000
        assert store.interview_review_ids(session.log) == {row.id}
        await pilot.press("enter")  # next question
        await pilot.pause()
        assert screen.phase == "ask" and session.position == 1
        assert app.screen.query_one("#iv-answer", TextArea).text == ""


async def test_chinese_answer_typed_and_pasted(interview):
    app, session, clock = interview(ZH)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await press_each(pilot, "点积的方差等于")
        await paste(pilot, " d_k，维度越大方差越大。\n\n打分太大时 softmax 饱和，梯度消失。")
        clock.t += 60
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert session.feedback.answer == "点积的方差等于 d_k，维度越大方差越大。\n\n打分太大时 softmax 饱和，梯度消失。"
        assert covered(session) == [True, True, False]
        assert session.feedback.suggested == 3
        await pilot.press("2")  # another grade than the suggestion
        await pilot.pause()
        assert session.transcript.questions[0].grade == 2 and session.transcript.questions[0].suggested_grade == 3


async def test_overtime_keeps_the_answer_and_lowers_the_grade(interview):
    app, session, clock = interview(EN, minutes=1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_text(pilot, "softmax saturation")
        before = clock_text_now(pilot)
        clock.t += 61
        await clock_redrawn(pilot, before)  # the countdown's interval ticks
        screen = app.screen
        assert screen.has_class("-overtime")
        assert "overtime +0:01" in str(screen.query_one("#iv-clock", Label).render())
        await type_text(pilot, " and unit variance")  # still typing after the time is up
        await pilot.press("ctrl+j")
        await pilot.pause()
        fb = session.feedback
        assert fb.overtime and fb.answer == "softmax saturation and unit variance"
        assert covered(session) == [False, True, True]
        assert fb.suggested == 2  # round(5 × 2/3) − 1


async def test_undo_restores_the_note(interview, iv_deck):
    app, session, clock = interview(ZH)
    before = (iv_deck / ZH).read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+j")  # an empty answer: nothing covered
        await pilot.pause()
        assert covered(session) == [False, False, False] and session.feedback.suggested == 0
        await pilot.press("enter")
        await pilot.pause()
        assert (iv_deck / ZH).read_bytes() != before
        await pilot.press("u")
        await pilot.pause()
        assert (iv_deck / ZH).read_bytes() == before
        assert app.screen.phase == "feedback" and session.transcript.questions[0].grade is None
        await pilot.press("1")
        await pilot.pause()
        assert session.transcript.questions[0].grade == 1


async def test_note_without_short_answer_is_self_graded(interview):
    app, session, clock = interview(NONE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_text(pilot, "constant on average")
        await pilot.press("ctrl+j", "enter")  # Enter has no suggestion to take
        await pilot.pause()
        assert app.screen.phase == "feedback" and session.feedback.suggested is None
        assert "grade yourself" in str(app.screen.query_one("#fb-summary").render())
        await pilot.press("4")
        await pilot.pause()
        assert app.screen.phase == "graded"


async def test_report_and_exit(interview):
    app, session, clock = interview(EN, NONE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_text(pilot, "softmax saturation")  # 1 of 3 points: grade 2
        await pilot.press("ctrl+j", "enter", "enter")
        await pilot.pause()
        await pilot.press("ctrl+j", "5", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "InterviewReportScreen"
        await pilot.press("enter")
        await pilot.pause()
    assert app.transcript is not None and app.transcript.finished is not None
    assert [q.grade for q in app.transcript.questions] == [2, 5]
    assert store.last(session.log).to_json() == app.transcript.to_json()


async def test_overview_key_opens_an_interview(make):
    app = make()
    async with app.run_test(size=(100, 32)) as pilot:
        await loaded(pilot)
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, InterviewScreen)
        assert 1 <= len(app.screen.session.notes) <= 5
        await pilot.press("escape")  # ends at once: the report
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "OverviewScreen"


# ---------------------------------------------------------------- snapshots


def _no_blink(pilot) -> None:
    pilot.app.screen.query_one("#iv-answer", TextArea).cursor_blink = False


class TestSnapshots:
    def test_question(self, snap_compare, interview):
        app, _, clock = interview(EN, ZH)

        async def run_before(pilot):
            await pilot.pause()
            _no_blink(pilot)
            await type_text(pilot, "The dot product of q and k")
            before = clock_text_now(pilot)
            clock.t += 47
            await clock_redrawn(pilot, before)

        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)

    def test_feedback_english(self, snap_compare, interview):
        app, _, clock = interview(EN)

        async def run_before(pilot):
            await pilot.pause()
            _no_blink(pilot)
            await type_text(pilot, "The dot product of q and k has variance d_k.\nLarge scores saturate the softmax")
            clock.t += 95
            await pilot.press("ctrl+j")
            await pilot.pause()

        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)

    def test_feedback_chinese(self, snap_compare, interview):
        app, _, clock = interview(ZH)

        async def run_before(pilot):
            await pilot.pause()
            _no_blink(pilot)
            await paste(pilot, "点积的方差等于 d_k，维度越大方差越大。打分太大时 softmax 饱和，梯度消失。")
            before = clock_text_now(pilot)
            clock.t += 200
            await clock_redrawn(pilot, before)
            await pilot.press("ctrl+j")
            await pilot.pause()

        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)

    def test_report(self, snap_compare, interview):
        app, _, clock = interview(EN, ZH, NONE)

        async def run_before(pilot):
            await pilot.pause()
            _no_blink(pilot)
            await type_text(pilot, "softmax saturation, unit variance")
            clock.t += 70
            await pilot.press("ctrl+j", "enter", "enter")
            await pilot.pause()
            await paste(pilot, "点积的方差等于 d_k")
            clock.t += 250
            await pilot.press("ctrl+j", "enter", "enter")
            await pilot.pause()
            clock.t += 30
            await pilot.press("ctrl+j", "3", "enter")
            await pilot.pause()

        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_skip_leaves_the_card_ungraded(interview, iv_deck):
    app, session, clock = interview(EN, ZH)
    before = (iv_deck / EN).read_bytes()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+j", "s")
        await pilot.pause()
        assert app.screen.phase == "ask" and session.position == 1
    assert (iv_deck / EN).read_bytes() == before
    assert session.transcript.questions[0].grade is None


async def test_ending_while_typing_keeps_the_answer(interview):
    app, session, clock = interview(EN, ZH)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_text(pilot, "softmax saturation")
        clock.t += 20
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "InterviewReportScreen"
    [q] = session.transcript.questions
    assert q.answer == "softmax saturation" and q.grade is None and q.seconds == 20
    assert session.transcript.finished is not None


async def test_keys_typed_just_before_ctrl_j_are_kept(interview):
    """A burst of keys (tmux send-keys, a fast typist, a paste without bracketing) followed at once
    by ctrl+j: every key reaches the answer before it is submitted (a priority binding used to
    submit while the text area still had keys queued, and the answer was saved cut off)."""
    app, session, clock = interview(EN)
    text = "KV cache stores keys and values per layer"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for ch in text:
            app.post_message(events.Key(ch, ch))
        app.post_message(events.Key("ctrl+j", None))
        await pilot.pause()
        await pilot.pause()
        assert session.feedback is not None
        assert session.feedback.answer == text


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
async def test_hint_and_grade_line_are_whole_at_the_app_sizes(interview, size):
    """At 60 columns the hint and the grade line were each one cut row: ``… ctrl+j submi``,
    ``… 0–5 another grade ·`` without ``esc ends``, ``… Enter: next question ·`` without ``u: undo``."""
    app, session, clock = interview(EN, ZH)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()

        def shown(which: str = "#iv-gradeline") -> str:
            line = app.screen.query_one(which, Label)
            rows = app.screen._compositor.render_strips()[line.region.y:line.region.bottom]
            return " ".join(row.text[line.region.x:line.region.right].strip() for row in rows)

        assert "ctrl+j submits · 3:00 to answer" in shown("#iv-hint"), shown("#iv-hint")
        await type_text(pilot, "The dot product of q and k has variance d_k.")
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert shown().endswith("· esc ends"), shown()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.phase == "graded"
        assert shown().endswith("· u: undo"), shown()


async def test_footer_enter_reads_next_once_graded_and_help_names_the_screen(interview, iv_deck):
    """After a grade the footer still offered "⏎ Take grade" while Enter went to the next question,
    and `?` titled the keys "This screen" only."""
    from trainer.tui.screens.help import help_sections

    app, session, clock = interview(EN, ZH)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_text(pilot, "The dot product of q and k has variance d_k.")
        await pilot.press("ctrl+j")
        await pilot.pause()
        screen = app.screen
        assert help_sections(screen)[0][0] == "This screen: Mock interview"
        shown = lambda: {b.description for b in screen.active_bindings.values() if b.enabled for b in [b.binding]}  # noqa: E731
        assert "Take grade" in shown() and "Next" not in shown()
        await pilot.press("3")
        await pilot.pause()
        assert screen.phase == "graded"
        assert "Next" in shown() and "Take grade" not in shown()
        await pilot.press("enter")
        await pilot.pause()
        assert screen.phase == "ask" and session.position == 1
