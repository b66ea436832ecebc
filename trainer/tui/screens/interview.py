"""A mock interview: each question against a countdown, the answer typed, then what it covered.

The countdown is a Textual interval on this screen (never a thread), so it cannot stutter the
typing; the time is read from ``now`` (``time.monotonic``; tests pass their own clock). When
the time is up the answer is kept and marked overtime, and the user may finish it.
Grades go through :class:`trainer.interview.session.InterviewSession` (the study path).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Label, Markdown, Static, TextArea

from trainer import grading, scheduler
from trainer.interview.matching import PointMatch, covered_spans
from trainer.interview.session import Feedback, InterviewSession
from trainer.interview.transcript import Transcript
from trainer.notes.model import Note
from trainer.notes.parse import NoteError
from trainer.notes.write import WriteError
from trainer.textsafe import strip_controls
from trainer.tui.cjk import join_soft_breaks
from trainer.tui.math import plain_math, readable_math
from trainer.tui.widgets.hanging import Hanging

TICK_SECONDS = 0.25
"""How often the countdown is redrawn (it shows whole seconds)."""


def clock_text(seconds: float) -> str:
    """``2:05``; whole seconds, rounded up while counting down so 0:00 means the time is up."""
    s = max(0, int(seconds))
    return f"{s // 60}:{s % 60:02d}"


def _line(text: str) -> str:
    return " ".join(strip_controls(text).split())


def point_row(m: PointMatch) -> tuple[Text, Text]:
    """(``✓ ``, ``point — said: words``) / (``✗ ``, ``point — 2 of 4 words: …``): why the point
    counts or not, a row of :class:`Hanging` (a wrapped point stays under its text, not its tick)."""
    mark = Text("✓ " if m.covered else "✗ ", style="bold green" if m.covered else "bold red")
    out = Text(_line(plain_math(m.point.text)))
    if m.how == "bold":
        out.append(f"  — key term: {', '.join(map(_line, m.matched))}", style="green")
    elif m.how == "words":
        out.append(f"  — {m.found} of {m.total} words (needs {m.needed}): {', '.join(map(_line, m.matched))}",
                   style="green")
    elif m.total:
        said = f": {', '.join(map(_line, m.matched))}" if m.matched else ""
        out.append(f"  — {m.found} of {m.total} words, needs {m.needed}{said}", style="dim")
    return mark, out


def highlighted_answer(answer: str, matches: list[PointMatch]) -> Text:
    """The answer as typed, the words that covered a point highlighted."""
    text = Text(strip_controls(answer.replace("\r\n", "\n")) if answer.strip() else "(no answer)")
    if answer.strip() and len(text.plain) == len(answer):
        for s, e in covered_spans(matches):
            text.stylize("bold reverse green", s, e)
    return text


class InterviewScreen(Screen[Transcript | None]):
    """Question, countdown and answer; then feedback and a grade; at the end, the report."""

    CSS_PATH = "../styles/interview.tcss"
    HELP_TITLE = "Mock interview"

    BINDINGS = [
        Binding("ctrl+j", "submit", "Submit", tooltip="Submit the answer (ctrl+enter is not portable)"),
        Binding("enter", "accept", "Take grade", tooltip="Take the suggested grade (then: next question)"),
        Binding("enter", "next", "Next", tooltip="The next question (the report after the last)"),
        *[Binding(str(g), f"grade({g})", f"Grade {g}", show=False, tooltip=scheduler.GRADE_LABELS[g]) for g in range(6)],
        Binding("u", "undo", "Undo", tooltip="Undo this question's grade (note and log)"),
        Binding("s", "skip", "Skip", tooltip="Next question without grading this one (the card is not rescheduled)"),
        Binding("escape", "end", "End", tooltip="End the interview now and see the report"),
    ]

    def __init__(
        self,
        session: InterviewSession,
        *,
        now: Callable[[], float] = time.monotonic,
        on_note_changed: Callable[[Note], None] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.session = session
        """The interview being run (the core's bookkeeping)."""
        self.now = now
        """The clock the countdown reads."""
        self.on_note_changed = on_note_changed
        """Told about every card a grade or an undo changed (the app keeps its deck current)."""
        self.phase = "ask"
        """``ask`` (typing), ``feedback`` (not graded yet) or ``graded``."""
        self.started_at = 0.0
        self._timer: Timer | None = None
        self._overtime_shown = False

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="iv-status"):
            yield Label("", id="iv-progress", markup=False)
            yield Label("", id="iv-clock", markup=False)
        yield Static("", id="iv-question", markup=False)
        with Vertical(id="iv-ask"):
            yield TextArea("", id="iv-answer", soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
            yield Label("", id="iv-hint", markup=False)
        with VerticalScroll(id="iv-feedback"):
            yield Static("", id="fb-summary", markup=False)
            yield Static("", id="fb-points", markup=False)
            yield Label("Your answer", classes="fb-title")
            yield Static("", id="fb-answer", markup=False)
            yield Static("", id="fb-followups", markup=False)
            yield Label("The short answer", classes="fb-title")
            yield Markdown("", id="fb-short")
        yield Label("", id="iv-gradeline", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "mock interview"
        self._timer = self.set_interval(TICK_SECONDS, self._tick, name="interview-countdown")
        self.show_question()

    # ------------------------------------------------------------ asking

    def show_question(self) -> None:
        s = self.session
        card = s.card
        self.phase = "ask"
        self._overtime_shown = False
        self.remove_class("-overtime")
        self.query_one("#iv-progress", Label).update(
            f"Question {s.position + 1} of {len(s.notes)} · {len(card.points)} key points"
        )
        question = card.body.question or card.note.question
        self.query_one("#iv-question", Static).update(Text(_line(plain_math(question)), style="bold"))
        area = self.query_one("#iv-answer", TextArea)
        area.load_text("")
        self.query_one("#iv-ask").display = True
        self.query_one("#iv-feedback").display = False
        self.query_one("#iv-gradeline", Label).display = False
        self.query_one("#iv-hint", Label).update(
            f"Answer as you would out loud, in any language. ctrl+j submits · {clock_text(s.limit_seconds)} to answer"
        )
        self.started_at = self.now()
        self._draw_clock()
        if self._timer is not None:
            self._timer.resume()
        area.focus()
        self.refresh_bindings()

    @property
    def elapsed(self) -> float:
        return self.now() - self.started_at

    def _tick(self) -> None:
        if self.phase == "ask":
            self._draw_clock()

    def _draw_clock(self) -> None:
        left = self.session.limit_seconds - self.elapsed
        label = self.query_one("#iv-clock", Label)
        if left >= 0:
            label.update(f"⏱ {clock_text(math.ceil(left))} left")
            return
        label.update(f"⏱ overtime +{clock_text(-left)}")
        if not self._overtime_shown:
            self._overtime_shown = True
            self.add_class("-overtime")
            self.query_one("#iv-hint", Label).update(
                "Time is up. Your answer is kept and marked overtime: finish it and press ctrl+j."
            )

    async def action_submit(self) -> None:
        if self.phase != "ask":
            return
        seconds = self.elapsed
        if self._timer is not None:
            self._timer.pause()
        text = self.query_one("#iv-answer", TextArea).text
        await self.show_feedback(self.session.answer(text, seconds))

    # ------------------------------------------------------------ feedback

    async def show_feedback(self, fb: Feedback) -> None:
        self.phase = "feedback"
        self.query_one("#iv-ask").display = False
        self.query_one("#iv-feedback").display = True
        self.query_one("#iv-gradeline", Label).display = True
        limit = self.session.limit_seconds
        clock = self.query_one("#iv-clock", Label)
        clock.update(f"⏱ {clock_text(fb.seconds)}" + (" overtime" if fb.overtime else ""))
        covered = sum(m.covered for m in fb.matches)
        summary = Text()
        summary.append(f"Time {clock_text(fb.seconds)} of {clock_text(limit)}")
        if fb.overtime:
            summary.append(" (overtime)", style="bold red")
        if fb.matches:
            summary.append(f" · {covered} of {len(fb.matches)} key points covered")
        else:
            summary.append(" · this note has no short answer: grade yourself")
        self.query_one("#fb-summary", Static).update(summary)
        points = Hanging([point_row(m) for m in fb.matches]) if fb.matches else Text("No key points.", style="dim")
        self.query_one("#fb-points", Static).update(points)
        self.query_one("#fb-answer", Static).update(highlighted_answer(fb.answer, fb.matches))
        follow = self.query_one("#fb-followups", Static)
        if fb.card.follow_ups:
            lines = Text("The interviewer follows up with …", style="bold")
            for q in fb.card.follow_ups:
                lines.append("\n  • ")
                lines.append(_line(plain_math(q)))
            follow.update(lines)
            follow.display = True
        else:
            follow.display = False
        short = fb.card.body.answer
        # awaited, so the feedback is complete (and its scroll height final) when the key returns
        await self.query_one("#fb-short", Markdown).update(
            readable_math(join_soft_breaks(strip_controls(short.replace("\r\n", "\n")))) if short.strip() else "*(no short answer in this note)*"
        )
        self.query_one("#iv-feedback", VerticalScroll).scroll_home(animate=False)
        self.query_one("#iv-feedback", VerticalScroll).focus()
        self._draw_gradeline()
        self.refresh_bindings()

    def _draw_gradeline(self) -> None:
        fb = self.session.feedback
        line = self.query_one("#iv-gradeline", Label)
        if self.phase == "graded" and self.session.graded is not None:
            g = self.session.graded
            days = (g.after.next_review - self.session.today).days
            when = f"next review in {scheduler.format_interval(days)}" if g.kind == "review" else "a re-drill: schedule unchanged"
            more = "next question" if self.session.position + 1 < len(self.session.notes) else "the report"
            line.update(f"Graded {g.grade}, {when} · Enter: {more} · u: undo")
        elif fb is not None and fb.suggested is not None:
            line.update(f"Suggested grade {fb.suggested} · Enter takes it · 0–5 another grade · esc ends")
        else:
            line.update("Grade yourself: 0 blackout … 3 right, with difficulty … 5 perfect · esc ends")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "submit":
            return self.phase == "ask"
        if action == "accept":  # once graded, the footer's Enter reads "Next", not "Take grade"
            return self.phase == "feedback" and self.session.feedback is not None and self.session.feedback.suggested is not None
        if action == "next":
            return self.phase == "graded"
        if action == "grade":
            return self.phase == "feedback"
        if action == "undo":
            return self.phase == "graded"
        if action == "skip":
            return self.phase == "feedback"
        return True

    async def action_accept(self) -> None:
        if self.phase == "graded":
            self.next_question()
        elif self.phase == "feedback" and self.session.feedback is not None and self.session.feedback.suggested is not None:
            await self.action_grade(self.session.feedback.suggested)

    def action_next(self) -> None:
        if self.phase == "graded":
            self.next_question()

    async def action_grade(self, q: int) -> None:
        if self.phase != "feedback":
            return
        try:
            result = self.session.grade(q)
        except (grading.Conflict, grading.NoteGone, NoteError, WriteError, OSError) as exc:
            self.notify(f"Not graded: {_line(str(exc))}", severity="warning", timeout=8)
            return
        if result.reapplied:
            self.notify("The note had changed on disk; the grade was applied to the new version.", timeout=4)
        if result.notice:
            self.notify(_line(result.notice), title="Note", severity="warning", timeout=12)
        if self.on_note_changed is not None:
            self.on_note_changed(result.note)
        self.phase = "graded"
        self._draw_gradeline()
        self.refresh_bindings()

    def action_undo(self) -> None:
        if self.phase != "graded":
            return
        try:
            undone = self.session.undo()
        except (grading.Conflict, grading.NoteGone, NoteError, WriteError, OSError) as exc:
            self.notify(f"Cannot undo: {_line(str(exc))}", severity="warning", timeout=8)
            return
        if undone is not None and undone.note is not None and self.on_note_changed is not None:
            self.on_note_changed(undone.note)
        self.phase = "feedback"
        self.notify("Grade undone: choose another (Enter takes the suggestion).", timeout=3)
        self._draw_gradeline()
        self.refresh_bindings()

    def action_skip(self) -> None:
        if self.phase == "feedback":
            self.next_question()

    def next_question(self) -> None:
        self.session.next()
        if self.session.finished:
            self.show_report()
        else:
            self.show_question()

    # ------------------------------------------------------------ the end

    def action_end(self) -> None:
        if self.phase == "ask":  # an answer being typed is kept (ungraded) rather than lost
            text = self.query_one("#iv-answer", TextArea).text
            if text.strip():
                self.session.answer(text, self.elapsed)
        self.show_report()

    def show_report(self) -> None:
        from trainer.interview import store
        from trainer.interview.transcript import missed_most
        from trainer.tui.screens.interview_report import InterviewReportScreen

        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        transcript = self.session.finish()
        missed = missed_most([t for _, t in store.history(self.session.log)])
        self.app.push_screen(InterviewReportScreen(transcript, missed), callback=lambda _: self.dismiss(transcript))


def start_from_overview(overview: Screen, tag: str | None, difficulty: str | None) -> None:
    """The overview's interview key: five questions from its selection, three minutes each,
    the lowest predicted recall first (mastery if the deck's ``trainer.toml`` cannot be read)."""
    from trainer.interview.select import mastery, predicted_recall, select_cards

    book = overview.book  # type: ignore[attr-defined]
    if not book.loaded:
        overview.notify("The deck is still loading.")
        return
    if book.log is None:
        overview.notify("The review log cannot be opened, so answers cannot be graded.", severity="error")
        return
    weakness = mastery if book.settings is None else predicted_recall(book.today, book.settings)
    chosen = select_cards(book.selection(tag, difficulty), book.today, tag=tag or None, weakness=weakness)
    if not chosen:
        overview.notify("No cards to ask in this selection.")
        return

    def done(_: Transcript | None) -> None:
        redraw = getattr(overview, "show_deck", None)
        if callable(redraw):
            redraw()

    session = InterviewSession(book.deck, book.log, book.today, chosen)
    overview.app.push_screen(InterviewScreen(session, on_note_changed=book.update), callback=done)
