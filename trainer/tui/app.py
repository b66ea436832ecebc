"""The Textual app over one open deck: ``trainer`` with no command opens it.

The app only draws: the deck, its review log, the day, the limits and the figures live in
:class:`trainer.opendeck.OpenDeck`, which the CLI builds once and every screen receives. The
first scan (started by the CLI before Textual was imported) and every reload arrive the same
way: a thread worker waits for the :class:`~trainer.opendeck.ScanJob` and posts ``DeckLoaded``.
"""

from __future__ import annotations

import datetime as dt
import gc
import sys
import time
from pathlib import Path
from typing import Iterable

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from trainer.errors import TrainerError
from trainer.opendeck import OpenDeck, ScanJob
from trainer.tui.messages import DeckCounted, DeckFailed, DeckLoaded, ScanProgress
from trainer.tui import cjk

cjk.install()  # Chinese wraps at any character, in every widget of the app

DARK_THEME = "textual-dark"
LIGHT_THEME = "textual-light"

FIRST_FRAME_WAIT = 1.0
"""Seconds the app waits for the deck's figures before it draws a loading screen instead."""

STYLESHEETS = ["styles/app.tcss", "styles/overview.tcss", "styles/study.tcss", "styles/summary.tcss",
               "styles/stats.tcss", "styles/help.tcss", "styles/demo.tcss"]
"""Every screen's styles, in one list (widgets keep their own ``DEFAULT_CSS``)."""


def _trainer_commands():
    """The palette provider, imported when the palette first opens (keeps start-up lean)."""
    from trainer.tui.commands import TrainerCommands

    return TrainerCommands


class TrainerApp(App[int]):
    """Deck overview, study sessions, summary, stats and help over one open deck."""

    CSS_PATH = STYLESHEETS
    TITLE = "trainer"
    COMMANDS = App.COMMANDS | {lambda: _trainer_commands()}
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="help", tooltip="Every key of this screen and the app"),
        Binding("ctrl+t", "toggle_theme", "Theme", id="toggle_theme", show=False, tooltip="Switch between the light and the dark theme"),
        # (priority: it works on every screen, a modal one too, as Textual's own ctrl+q does)
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, tooltip="Leave the app (every grade is already saved)"),
    ]

    def __init__(self, book: OpenDeck, *, first_scan: ScanJob | None = None) -> None:
        super().__init__()
        self.book = book
        """The open deck every screen works on."""
        self._first_scan = first_scan
        self.sub_title = book.root.name

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Links in a note open only if they are web links: a note is text from anywhere, and a
        ``file:``, ``javascript:`` or custom-scheme link must not reach the system's opener (#11)."""
        from urllib.parse import urlsplit

        if urlsplit(url.strip()).scheme.lower() not in ("http", "https"):
            self.notify(f"Not opened: {url[:80]!r} is not an http(s) link.", severity="warning")
            return
        super().open_url(url.strip(), new_tab=new_tab)

    # ------------------------------------------------------------ lifecycle

    def on_mount(self) -> None:
        from trainer.tui.screens.overview import OverviewScreen

        book = self.book
        for message in book.repaired:
            self.notify(message, title="Review log", severity="warning")
        if book.log is None:
            self.notify(f"The review log cannot be opened: {book.log_error}", severity="error", timeout=10)
        if self._first_scan is None:
            self._first_scan = book.start_scan(wait=True)
        self.push_screen(OverviewScreen(book, id="overview"))  # it takes the first scan once mounted

    @property
    def first_scan_pending(self) -> bool:
        """Whether the first scan is still to be taken (by :meth:`take_first_scan`)."""
        return self._first_scan is not None

    def take_first_scan(self) -> None:
        """The first scan's figures, taken by the overview once it is composed and mounted, before
        its first frame: waited for up to ``FIRST_FRAME_WAIT`` (#17), so the first frame shows the
        deck, drawn once. The overview's widgets are made while the walk runs; waiting then leaves
        the GIL to the scanning thread (a loading screen drawn and redrawn meanwhile would slow it)."""
        job, self._first_scan = self._first_scan, None
        if job is None:
            return
        deadline = time.monotonic() + FIRST_FRAME_WAIT
        if job.counted_ready(FIRST_FRAME_WAIT) and job.counted() is None:
            job.done(max(0.0, deadline - time.monotonic()))
        self._deliver(job)

    def on_unmount(self) -> None:
        self.book.close()

    # ------------------------------------------------------------ the deck

    def reload_deck(self) -> None:
        """Scan the deck again (the cache makes this fast)."""
        self._deliver(self.book.start_scan())

    def _deliver(self, job: ScanJob) -> None:
        """The scan's figures, then its notes: taken at once if ready (the first scan, started by
        the CLI, often is: the overview's first frame shows it), else posted from a worker as
        ``DeckCounted`` (figures from the deck's columns, before any note is built) and
        ``DeckLoaded`` (the notes; their figures are the same)."""
        if job.counted_ready():
            counted = job.counted()
            if counted is not None:
                self.book.take_counted(counted)
                self._redraw_overview()
                self.call_after_refresh(job.proceed)  # the notes after the frame with the figures
            elif job.done():
                self._take_loaded(job)
                return
        self._collect(job)

    @staticmethod
    def _outcome(job: ScanJob) -> DeckLoaded | DeckFailed:
        """The scan's result as the message the app takes it by."""
        try:
            loaded = job.result()
        except Exception as exc:  # noqa: BLE001 - an unreadable deck is shown as a message, never a traceback
            return DeckFailed(str(exc) if isinstance(exc, (OSError, TrainerError)) else f"{type(exc).__name__}: {exc}")
        return DeckLoaded(loaded)

    def _take_loaded(self, job: ScanJob) -> None:
        outcome = self._outcome(job)
        if isinstance(outcome, DeckFailed):
            self._deck_failed(outcome)
        else:
            self._deck_loaded(outcome)

    def _collect_now(self, job: ScanJob) -> None:
        self.post_message(self._outcome(job))

    @work(thread=True, exclusive=True, exit_on_error=False, group="scan")
    def _collect(self, job: ScanJob) -> None:
        """Wait for a scan in a thread; its figures and its notes come back as messages."""
        worker = get_current_worker()
        if not job.counted_ready():
            shown = None
            while not job.counted_ready(0.1):  # (a first open parses every note: said as it goes)
                if worker.is_cancelled:
                    return
                if job.progress != shown and job.progress is not None:
                    shown = job.progress
                    self.post_message(ScanProgress(*shown))
            counted = job.counted()
            if counted is not None:
                self.post_message(DeckCounted(counted, job))
        # the notes are built once the frame with the figures is drawn (job.proceed): an app that
        # quits before that cancels this worker, which must then end, not wait for ever
        while not job.done(0.05):
            if worker.is_cancelled:
                return
        self._collect_now(job)

    @on(DeckCounted)
    def _deck_counted(self, message: DeckCounted) -> None:
        self.book.take_counted(message.counted)
        self._redraw_overview()
        self.call_after_refresh(message.job.proceed)

    @on(DeckLoaded)
    def _deck_loaded(self, message: DeckLoaded) -> None:
        self.book.take(message.loaded)  # (a large deck's notes frozen there: opendeck.FREEZE_FROM)
        gc.enable()  # (the CLI turns the collector off for the start-up)
        self._redraw_overview()

    @on(DeckFailed)
    def _deck_failed(self, message: DeckFailed) -> None:
        gc.enable()
        self.notify(f"The deck cannot be read: {message.error}", severity="error", timeout=15)
        self._redraw_overview()

    @on(ScanProgress)
    def _scan_progress(self, message: ScanProgress) -> None:
        from trainer.tui.screens.overview import OverviewScreen

        for screen in self.screen_stack:
            if isinstance(screen, OverviewScreen):
                screen.show_progress(message.done, message.total)

    def _redraw_overview(self) -> None:
        from trainer.tui.screens.overview import OverviewScreen

        for screen in self.screen_stack:
            if isinstance(screen, OverviewScreen):
                screen.show_deck()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(f"{event.worker.name} failed: {event.worker.error}", severity="error", timeout=15)

    def _handle_exception(self, error: Exception) -> None:
        """The one place a ``TrainerError`` that escaped a screen is caught: shown, not a traceback."""
        if isinstance(error, TrainerError):
            self.notify(str(error), severity="error", timeout=10)
            return
        super()._handle_exception(error)

    # ------------------------------------------------------------ actions

    def action_help(self) -> None:
        from trainer.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
        """Leave the app, but not while an import writes notes: it cannot stop halfway, and the
        process would wait for it with the screen gone and nothing said."""
        if getattr(self.screen, "writing", False):
            self.notify("An import is writing notes: quit once it has finished (it cannot stop halfway).",
                        severity="warning")
            return
        await super().action_quit()

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.theme == DARK_THEME else DARK_THEME

    def action_stats(self) -> None:
        from trainer.tui.screens.stats import StatsScreen

        if not self.book.loaded:
            self.notify("The deck is still loading.")
            return
        if not isinstance(self.screen, StatsScreen):
            self.push_screen(StatsScreen(self.book))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own entries, less those our bindings already give (theme, keys, quit)."""
        ours = {"Theme", "Keys", "Quit"}
        for command in super().get_system_commands(screen):
            if command.title not in ours:
                yield command


def make_app(book: OpenDeck, *, first_scan: ScanJob | None = None) -> TrainerApp:
    """The app over an open deck (shared by the CLI, the tests, the benchmarks and the screenshots)."""
    return TrainerApp(book, first_scan=first_scan)


def run_app(book: OpenDeck, *, first_scan: ScanJob | None = None) -> int:
    """Run the TUI; returns the process exit code."""
    app = make_app(book, first_scan=first_scan)
    result = app.run()
    if app.return_code not in (None, 0):
        return app.return_code
    return result if isinstance(result, int) else 0


def open_deck(root: Path, today: dt.date, new_per_day: int | None = None) -> OpenDeck:
    """The open deck for ``make_app`` (tests and scripts; the CLI builds its own)."""
    from trainer import scheduler

    return OpenDeck.open(root, today, new_per_day=scheduler.DEFAULT_NEW_PER_DAY if new_per_day is None else new_per_day)


def run_demo(demo_id: str) -> int:
    """``trainer demo ID``: the demo's screen in a small app of its own (no deck needed)."""
    from trainer.tui.demo_app import DemoApp

    app = DemoApp(demo_id)
    app.run()
    if app.return_code not in (None, 0):
        print(f"trainer demo: the demo failed ({app.return_code})", file=sys.stderr)
        return app.return_code
    return 0
