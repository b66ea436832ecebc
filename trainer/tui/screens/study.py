"""A study session: question, answer on space, details on ``d``, grades 0–5 with intervals.

Every grade is written to the note and the log at once (the core does it), so ending the
session at any moment loses nothing. The current card's file is watched: an edit made in
another program is shown; a note that breaks or vanishes is dropped with a notification.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from textual import on
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Header, Label, Markdown, ProgressBar

from trainer import grading, scheduler
from trainer.notes.model import Body, Note
from trainer.notes.parse import NoteError, read_card
from trainer.opendeck import OpenDeck
from trainer.session import CardEvent, Outcome, StudySession
from trainer.tui.cjk import join_soft_breaks
from trainer.tui.math import readable_math
from trainer.tui.messages import GradeChosen
from trainer.tui.text import body_text, one_line, plural
from trainer.tui.widgets.fitting_footer import FittingFooter
from trainer.tui.widgets.grade_bar import SHORT_LABELS, GradeBar
from trainer.tui.widgets.info_line import Forms, InfoLine, list_forms
from trainer.tui.widgets.recall_curve import RecallCurve

POLL_SECONDS = 1.0
"""How often the current card's file is checked for changes made by another program."""


def card_info(note: Note) -> tuple[list[Forms], tuple[int, ...]]:
    """The card's info line: difficulty · tags · interval · mastery (or ``new``), with the order in
    which they give way at a narrow width: the tags (whole, from the end), then ``interval`` is
    shortened, then the difficulty and the interval go; the mastery stays."""
    s = note.schedule
    if s.is_new:
        schedule: list[Forms] = [("new",)]
    else:
        interval = scheduler.format_interval(s.interval)
        schedule = [(f"interval {interval}", f"ivl {interval}", ""), (f"mastery {s.mastery_level:.2f}",)]
    items = [(one_line(note.difficulty), ""), list_forms(note.tags), *schedule]
    tags_out = [1] * (len(items[1]) - 1)
    return items, (*tags_out, 2, 0, 2) if len(items) == 4 else (*tags_out, 0)


def editor_command() -> list[str] | None:
    """``$VISUAL``, else ``$EDITOR``, else ``vi``: split like a shell would; ``None`` if none is installed.

    A ``$VISUAL``/``$EDITOR`` that is set but cannot be run is not silently replaced by vi.
    """
    for var in ("VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            try:
                cmd = shlex.split(value)
            except ValueError:
                return None
            return cmd if cmd and shutil.which(cmd[0]) else None
    for fallback in ("vi", "nano"):
        if shutil.which(fallback):
            return [fallback]
    return None


class StudyScreen(Screen):
    """One card at a time from a :class:`StudySession`."""

    HELP_TITLE = "Study"

    BINDINGS = [
        Binding("space", "reveal", "Reveal", tooltip="Show the short answer"),
        Binding("space", "more", "Details", tooltip="Show (or hide) the detailed explanation and the recall curve"),
        Binding("d", "details", "Details", show=False, tooltip="Show the detailed explanation and the card's predicted-recall curve"),
        *[
            Binding(str(g), f"grade({g})", f"Grade {g}: {SHORT_LABELS[g]}", show=False, tooltip=scheduler.GRADE_LABELS[g])
            for g in range(6)
        ],
        Binding("enter", "confirm", "Confirm grade", show=False, tooltip="Confirm the grade a demo suggested"),
        Binding("u", "undo", "Undo", tooltip="Undo the last grade (note and log)"),
        Binding("e", "edit", "Edit", show=False, tooltip="Open the note in $VISUAL / $EDITOR"),
        Binding("s", "skip", "Skip", tooltip="Put the card aside for this session"),
        Binding("m", "demo", "Demo", tooltip="Open the card's live demo"),
        Binding("q,escape", "end", "End", tooltip="End the session (every grade is already saved)"),
    ]

    def __init__(self, book: OpenDeck, session: StudySession, selection: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.book = book
        self.session = session
        """The session being studied."""
        self.selection = selection
        """What was selected on the overview (shown in the header)."""
        self.revealed = False
        """The short answer is shown."""
        self.details_shown = False
        self.suggested: int | None = None
        """A grade suggested by a demo, confirmed with Enter."""
        self.body: Body | None = None
        self._demo_cache: dict[str, list[str]] = {}
        self._shown_rel: str | None = None
        self._ending = False
        self._rendered: set[str] = set()
        self._bindings_state: tuple[bool] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="study-meta"):
            yield InfoLine(id="card-meta")
            yield Label("", id="card-flag", markup=False)
        with Horizontal(id="study-progress"):
            yield ProgressBar(total=1, show_eta=False, id="progress")
            yield Label("", id="progress-text", markup=False)
        with VerticalScroll(id="card"):
            yield Markdown("", id="question")
            yield Markdown("", id="answer")
            yield Markdown("", id="details")
            yield RecallCurve(id="recall-curve")
            yield Label("", id="card-hint", markup=False)
        yield Button("Show answer (space)", id="reveal", variant="primary")
        yield GradeBar(id="grades")
        yield FittingFooter()

    async def on_mount(self) -> None:
        self.sub_title = self.selection
        self.set_interval(POLL_SECONDS, self.check_disk, name="watch-note")
        await self.show_card()

    # ------------------------------------------------------------ drawing

    @property
    def note(self) -> Note | None:
        return self.session.current

    def demo_ids(self, note: Note | None) -> list[str]:
        if note is None:
            return []
        if note.rel not in self._demo_cache:
            try:
                from trainer.demos import registry

                ids = registry.demos_for(list(note.tags), note.question, list(note.demos))
            except Exception:
                ids = []
            self._demo_cache[note.rel] = ids
        return self._demo_cache[note.rel]

    async def show_card(self, *, keep_state: bool = False) -> None:
        """Draw the current card (or finish when the queue is empty)."""
        if self._shown_rel is not None and (self.note is None or self.note.rel != self._shown_rel):
            self._clear_card_toasts()
        while True:
            note = self.note
            if note is None:
                self.end_session()
                return
            try:
                self.body = read_card(note.path)  # its frontmatter parsed too: the grade finds it
                break
            except FileNotFoundError:
                self.session.drop_current()
                self.book.forget(note.rel)
                self._tell(f"{one_line(note.rel)} was deleted or renamed; skipped.", severity="warning")
            except (OSError, NoteError) as exc:
                self.session.drop_current()
                self._tell(f"{one_line(note.rel)} cannot be read: {one_line(str(exc))}", severity="warning")
        if not keep_state or self._shown_rel != note.rel:
            self.revealed = False
            self.details_shown = False
            self.suggested = None
            self.session.card_shown()
        self._shown_rel = note.rel
        body = self.body
        await self.query_one("#question", Markdown).update(f"# {readable_math(body_text(body.question))}")
        # The answer and the details are rendered when first shown: grading stays fast.
        self._rendered = set()
        for part in ("answer", "details"):
            md = self.query_one(f"#{part}", Markdown)
            if md.source:
                await md.update("")
        self._show_meta(note)
        await self._show_state()
        if not keep_state:
            self.query_one("#card", VerticalScroll).scroll_home(animate=False)

    async def _render_part(self, part: str) -> None:
        """Fill the answer or the details Markdown the first time it is shown for this card."""
        body = self.body
        if body is None or part in self._rendered:
            return
        self._rendered.add(part)
        if part == "answer":
            text = body_text(body.answer) or "*(no answer written)*"
            if body.answer_title:
                text = f"## {body_text(body.answer_title)}\n\n{text}"
        else:
            text = body_text(body.details)
        await self.query_one(f"#{part}", Markdown).update(readable_math(join_soft_breaks(text)))

    def _show_meta(self, note: Note) -> None:
        s = note.schedule
        redrill = not scheduler.schedules_today(s, self.book.today)
        self.query_one("#card-meta", InfoLine).show(*card_info(note))
        flags = []
        if redrill:
            flags.append("↻ re-drill")
        if self.demo_ids(note):
            flags.append("◆ demo (m)")
        self.query_one("#card-flag", Label).update("  ".join(flags))
        self.query_one("#card-flag", Label).set_class(redrill, "redrill")
        done, remaining = self.session.done, self.session.remaining
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(1, done + remaining), progress=done)
        redrills = self.session.redrills_left
        extra = f" · {plural(redrills, 're-drill')}" if redrills else ""
        self.query_one("#progress-text", Label).update(f"{done} done · {remaining} left{extra}")
        self._refresh_bindings_if_changed()

    def _refresh_bindings_if_changed(self) -> None:
        """The footer is rebuilt on every refresh_bindings: only when what it shows changes."""
        state = (bool(self.demo_ids(self.note)), self.revealed)
        if state != self._bindings_state:
            self._bindings_state = state
            self.refresh_bindings()

    async def _show_state(self) -> None:
        note = self.note
        if self.revealed:
            await self._render_part("answer")
        if self.revealed and self.details_shown:
            await self._render_part("details")
        self.query_one("#answer").display = self.revealed
        self.query_one("#details").display = self.revealed and self.details_shown and bool(self.body and self.body.details)
        self._show_curve(note)
        hint = ""
        if self.revealed and not self.details_shown and self.body and self.body.details:
            hint = "d: show the detailed explanation"
        elif self.revealed and self.body and not self.body.details:
            hint = "(no details in this note)"
        self.query_one("#card-hint", Label).update(hint)
        self.query_one("#card-hint").display = bool(hint)
        self.query_one("#reveal").display = not self.revealed
        grades = self.query_one(GradeBar)
        grades.display = self.revealed
        if self.revealed and note is not None:
            redrill = not scheduler.schedules_today(note.schedule, self.book.today)
            intervals = None if redrill else self._preview(note)
            grades.show(intervals, self.suggested)
        self._refresh_bindings_if_changed()

    def _show_curve(self, note: Note | None) -> None:
        """With the details: the card's predicted recall over the coming days (issue #12)."""
        curve = self.query_one(RecallCurve)
        curve.display = shown = self.revealed and self.details_shown and note is not None
        if not shown:
            return
        curve.show(note.schedule, self.book.today, self.book.settings)

    def _preview(self, note: Note) -> dict[int, int]:
        """Each grade's interval, by the deck's scheduler (trainer.toml: SM-2 or FSRS)."""
        from trainer import memory

        settings = self.book.settings
        if settings is None:
            return scheduler.preview(note.schedule, self.session.max_interval)
        return memory.preview(note.schedule, self.book.today, settings, self.session.max_interval)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "demo":
            return bool(self.demo_ids(self.note))
        if action == "confirm":
            return True
        if action == "reveal":  # space: "Reveal" in the footer until the answer shows, then "Details"
            return not self.revealed
        if action == "more":
            return self.revealed
        return True

    # ------------------------------------------------------------ actions

    async def action_reveal(self) -> None:
        """Space (or the button, or Enter) before the answer shows: show it. Once it shows, space
        is bound to :meth:`action_more` instead (``check_action``)."""
        if self.note is None or self.revealed:
            return
        self.revealed = True
        await self._show_state()

    async def action_more(self) -> None:
        """Space once the answer shows: the details, as ``d``."""
        await self.action_details()

    async def action_details(self) -> None:
        if not self.revealed:
            self.revealed = True
        self.details_shown = not self.details_shown
        await self._show_state()
        if self.details_shown:
            self.call_after_refresh(self._scroll_to_details)

    def _scroll_to_details(self) -> None:
        self.query_one("#card", VerticalScroll).scroll_to_widget(self.query_one("#details"), animate=False)

    async def action_confirm(self) -> None:
        if not self.revealed:
            await self.action_reveal()
        elif self.suggested is not None:
            await self.action_grade(self.suggested)

    @on(GradeChosen)
    async def _grade_clicked(self, message: GradeChosen) -> None:
        await self.action_grade(message.grade)

    @on(Button.Pressed, "#reveal")
    async def _reveal_clicked(self) -> None:
        await self.action_reveal()

    async def action_grade(self, q: int) -> None:
        if self.note is None:
            return
        if not self.revealed:
            self._tell("Show the answer first (space), then grade.", timeout=3)
            return
        event = self.session.grade_current(q)
        if event.outcome is Outcome.UNREADABLE:
            self._tell(f"{one_line(event.note.rel)} could not be written: {one_line(event.detail)}",
                       severity="error", timeout=10)
            return
        await self._settle(event)
        if event.graded is not None and event.graded.notice:
            # Another program's save kept aside, or an undo that cannot be exact: never silent (#11).
            self._tell(one_line(event.graded.notice), title="Note", severity="warning", timeout=12)

    async def action_undo(self) -> None:
        try:
            undone = self.session.undo()
        except (grading.Conflict, grading.NoteGone, NoteError, OSError) as exc:
            self._tell(f"Cannot undo: {one_line(str(exc))}", severity="warning", timeout=8)
            return
        if undone is None:
            self._tell("Nothing to undo.")
            return
        await self.show_card()
        self._tell(f"Undid grade {undone.row.grade} of {one_line(undone.row.note)}.", timeout=3)

    async def action_skip(self) -> None:
        if self.note is None:
            return
        self.session.skip()
        await self.show_card()

    async def action_edit(self) -> None:
        note = self.note
        if note is None:
            return
        cmd = editor_command()
        if cmd is None:
            named = os.environ.get("VISUAL") or os.environ.get("EDITOR")
            msg = f"Editor not found: {one_line(named)!r} (from $VISUAL/$EDITOR)." if named else "No editor found: set $VISUAL or $EDITOR."
            self.notify(msg, severity="error")
            return
        try:
            with self.app.suspend():
                subprocess.run([*cmd, str(note.path)], check=False)
        except SuspendNotSupported:
            if not self.app.is_headless:
                self.notify("This terminal cannot suspend the app to run an editor.", severity="error")
                return
            subprocess.run([*cmd, str(note.path)], check=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            self.notify(f"Cannot run {one_line(cmd[0])}: {one_line(str(exc))}", severity="error")
            return
        await self.reload_current(announce=False)

    def action_demo(self) -> None:
        note = self.note
        ids = self.demo_ids(note)
        if note is None or not ids:
            self.notify("This card has no demo.")
            return
        try:
            from trainer.tui.screens.demo import DemoScreen
        except ImportError as exc:
            self.notify(f"Demos are not available: {exc}", severity="error")
            return
        self.app.push_screen(DemoScreen(ids[0], question=note.question, seed=0), callback=self._demo_done)

    async def _demo_done(self, result: object) -> None:
        grade = getattr(result, "suggested_grade", None)
        if not isinstance(grade, int) or not 0 <= grade <= 5 or self.note is None:
            return
        self.suggested = grade
        self.revealed = True
        await self._show_state()
        self.notify(f"The demo suggests grade {grade} ({SHORT_LABELS[grade]}): Enter to confirm, or press another grade.", timeout=6)

    def action_end(self) -> None:
        self.end_session()

    # ------------------------------------------------------------ the file on disk

    async def check_disk(self) -> None:
        """Called every second: has the current card's file changed since it was read?"""
        if self.session.disk_changed():
            await self.reload_current()

    async def reload_current(self, *, announce: bool = True) -> None:
        """Read the current card again from disk and show what the session made of it."""
        if self.note is None:
            return
        await self._settle(self.session.sync_current(), announce=announce)

    async def _settle(self, event: CardEvent, *, announce: bool = True) -> None:
        """Draw the card's next state, then say what happened (one sentence per outcome)."""
        rel = one_line(event.note.rel)
        detail = one_line(event.detail)
        if event.outcome in (Outcome.UNCHANGED, Outcome.UNREADABLE):
            if event.outcome is Outcome.UNREADABLE:
                self._tell(f"{rel} cannot be read: {detail}", severity="warning")
            return
        keep = event.outcome in (Outcome.RELOADED, Outcome.SCHEDULE_CHANGED, Outcome.CONFLICT)
        await self.show_card(keep_state=keep)
        match event.outcome:
            case Outcome.REAPPLIED:
                self._tell("The note had changed on disk; the grade was applied to the new version.", timeout=4)
            case Outcome.RELOADED if announce:
                self._tell(f"{rel} changed on disk; reloaded.", timeout=3)
            case Outcome.SCHEDULE_CHANGED:
                self._tell(f"{rel}: its schedule was changed on disk; reloaded, a grade now builds on that version.",
                           title="Changed on disk", timeout=6)
            case Outcome.CONFLICT:
                self._tell(detail, title="Not graded", severity="warning", timeout=8)
            case Outcome.RESCHEDULED:
                self._tell(f"{rel} was rescheduled by another program (next review {event.note.schedule.next_review}); "
                           "their schedule is kept and the card leaves this session.",
                           title="Changed on disk", severity="warning", timeout=8)
            case Outcome.VANISHED:
                self._tell(f"{rel} was deleted or renamed; dropped from the session.", severity="warning")
            case Outcome.BROKEN:
                self._tell(f"{rel}: {detail} — dropped from the session.", title="Note is broken", severity="error", timeout=10)

    def _tell(self, message: str, *, title: str = "", severity: str = "information", timeout: float = 5) -> None:
        """A toast about the card on screen (shown at the top, away from the grade buttons)."""
        self.notify(message, title=title, severity=severity, timeout=timeout, markup=False)  # type: ignore[arg-type]

    def _clear_card_toasts(self) -> None:
        """The next card is shown: toasts about the last one go with it. Textual takes each toast
        out of its holder but leaves the holder, which kept two rows at the top: the next toast
        came down over the question."""
        self.app.clear_notifications()
        for holder in self.query("ToastRack > ToastHolder"):
            holder.remove()

    # ------------------------------------------------------------ ending

    def end_session(self) -> None:
        if self._ending:
            return
        self._ending = True
        from trainer.tui.screens.summary import SummaryScreen

        if self.session.history:
            self.app.switch_screen(SummaryScreen(self.book, self.session))
        else:
            self.app.pop_screen()
