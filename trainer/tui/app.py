"""The Textual app: ``trainer`` with no command opens it on the deck.

``make_app`` is shared by the CLI (through ``run_app``), the tests, the benchmarks and the
screenshot script. The deck is scanned in a thread worker that only posts messages; the
review log is opened and written on the main thread (a grade is about a millisecond).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from concurrent.futures import Future
import sys
import time
from pathlib import Path
from typing import Iterable

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from trainer import clock, grading
from trainer.deck import Deck, DeckError, Scan, Walk
from trainer.notes.model import Note
from trainer.reviewlog import ReviewLog
from trainer.scheduler import DEFAULT_NEW_PER_DAY
from trainer.tui.messages import DeckFailed, DeckLoaded
from trainer.tui.figures import DeckSummary, summarize

EXIT_AFTER_FIRST_FRAME = "TRAINER_EXIT_AFTER_FIRST_FRAME"
"""Environment variable: exit as soon as the overview has drawn the deck's counts (benchmarks)."""

DARK_THEME = "textual-dark"
LIGHT_THEME = "textual-light"


def _trainer_commands():
    """The palette provider, imported when the palette first opens (keeps start-up lean)."""
    from trainer.tui.commands import TrainerCommands

    return TrainerCommands


class TrainerApp(App[int]):
    """Deck overview, study sessions, summary, stats and help over one deck."""

    CSS_PATH = "app.tcss"
    TITLE = "trainer"
    COMMANDS = App.COMMANDS | {lambda: _trainer_commands()}
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="help"),
        Binding("ctrl+t", "toggle_theme", "Theme", id="toggle_theme"),
    ]

    def __init__(
        self,
        deck: Deck | None,
        *,
        today: dt.date,
        new_limit: int = DEFAULT_NEW_PER_DAY,
        start_demo: str | None = None,
        exit_after_first_frame: bool = False,
        walked: Walk | None = None,
    ) -> None:
        super().__init__()
        self.deck = deck
        """The deck (``None`` only when the app was opened just to run a demo without one)."""
        self.today = today
        """The study day (``--today`` or the local date), fixed for the app's lifetime."""
        self.new_limit = new_limit
        """Daily limit of new cards."""
        self.start_demo = start_demo
        """Open this demo at start and quit when it closes (``trainer demo ID``)."""
        self.exit_after_first_frame = exit_after_first_frame
        """Quit right after the overview first shows the deck (benchmarks)."""
        self.review_log: ReviewLog | None = None
        """The deck's review log, used on the main thread only."""
        self.scan: Scan | None = None
        """The last scan; ``notes`` below is kept current as cards are graded."""
        self.notes: list[Note] = []
        """Every note of the deck as last read or written."""
        self._index: dict[str, int] = {}
        self.load_seconds: float = 0.0
        """How long the last scan took (shown by the stats screen)."""
        self._prescan: Future | None = None
        self._first_summary: DeckSummary | None = None
        if deck is not None:
            self.sub_title = deck.root.name
            self._start_prescan(walked)

    # ------------------------------------------------------------ lifecycle

    def on_mount(self) -> None:
        if self.start_demo is not None:
            self._open_start_demo()
            return
        from trainer.tui.screens.overview import OverviewScreen

        assert self.deck is not None
        try:
            self.review_log = ReviewLog.open(self.deck.root)
            for message in grading.repair(self.deck, self.review_log, self.today):
                self.notify(message, title="Review log", severity="warning")
        except Exception as exc:  # a read-only deck still shows, it just cannot be graded
            self.review_log = None
            self.notify(f"The review log cannot be opened: {exc}", severity="error", timeout=10)
        prescan = self._prescan
        if prescan is not None and prescan.done() and prescan.exception() is None:
            # the deck was read while Textual started: the overview's first frame shows it
            self._prescan = None
            scan, summary, seconds = prescan.result()
            self._take_scan(scan, seconds)
            self._first_summary = summary
            self.push_screen(OverviewScreen(id="overview"))
        else:
            self.push_screen(OverviewScreen(id="overview"))
            self.load_deck()

    def take_first_summary(self) -> DeckSummary | None:
        """The figures computed with the first scan, once (later draws compute their own)."""
        summary, self._first_summary = self._first_summary, None
        return summary

    def on_unmount(self) -> None:
        if self.review_log is not None:
            self.review_log.close()
            self.review_log = None

    def _open_start_demo(self) -> None:
        try:
            from trainer.tui.screens.demo import DemoScreen
        except ImportError as exc:
            self.exit(2, return_code=2, message=f"demos are not available: {exc}")
            return
        self.push_screen(DemoScreen(self.start_demo), callback=lambda _result: self.exit(0))

    # ------------------------------------------------------------ the deck

    def _start_prescan(self, walked: Walk | None) -> None:
        """Start the first scan as the app is created, so it overlaps the terminal's start-up.

        With ``walked`` (a walk started in a child process before Textual was imported) this
        thread mostly waits for the child, which does not hold the GIL the start-up needs.
        """
        future: Future = Future()
        deck, today = self.deck, self.today
        assert deck is not None

        def run() -> None:
            start = time.perf_counter()
            try:
                scan = deck.scan(today, walked=walked)
                future.set_result((scan, summarize(scan.notes, today), time.perf_counter() - start))
            except BaseException as exc:  # handed to the worker, which reports it
                future.set_exception(exc)

        threading.Thread(target=run, name="trainer-prescan", daemon=True).start()
        self._prescan = future

    @work(thread=True, exclusive=True, exit_on_error=False, group="scan")
    def load_deck(self) -> None:
        """Scan the deck (the cache makes this fast); the result comes back as a message."""
        assert self.deck is not None
        prescan, self._prescan = self._prescan, None
        start = time.perf_counter()
        try:
            if prescan is not None:
                scan, summary, seconds = prescan.result()
            else:
                scan = self.deck.scan(self.today)
                summary = summarize(scan.notes, self.today)
                seconds = time.perf_counter() - start
        except (OSError, DeckError) as exc:
            self.post_message(DeckFailed(str(exc)))
            return
        self.post_message(DeckLoaded(scan, seconds, summary))

    @on(DeckLoaded)
    def _deck_loaded(self, message: DeckLoaded) -> None:
        self._take_scan(message.scan, message.seconds)
        self._overview_refresh(message.summary)

    def _take_scan(self, scan: Scan, seconds: float) -> None:
        self.scan = scan
        self.notes = list(scan.notes)
        self._index = {n.rel: i for i, n in enumerate(self.notes)}
        self.load_seconds = seconds

    @on(DeckFailed)
    def _deck_failed(self, message: DeckFailed) -> None:
        self.notify(f"The deck cannot be read: {message.error}", severity="error", timeout=15)
        self._overview_refresh()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(f"{event.worker.name} failed: {event.worker.error}", severity="error", timeout=15)

    def _overview_refresh(self, summary: DeckSummary | None = None) -> None:
        from trainer.tui.screens.overview import OverviewScreen

        for screen in self.screen_stack:
            if isinstance(screen, OverviewScreen):
                screen.show_deck(summary)

    def update_note(self, note: Note) -> None:
        """A card was graded, undone or re-read: keep the in-memory deck current."""
        i = self._index.get(note.rel)
        if i is None:
            self._index[note.rel] = len(self.notes)
            self.notes.append(note)
        else:
            self.notes[i] = note

    def forget_note(self, rel: str) -> None:
        """A card vanished from disk."""
        i = self._index.pop(rel, None)
        if i is not None:
            del self.notes[i]
            self._index = {n.rel: j for j, n in enumerate(self.notes)}

    # ------------------------------------------------------------ actions

    def action_help(self) -> None:
        from trainer.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.theme == DARK_THEME else DARK_THEME

    def action_stats(self) -> None:
        from trainer.tui.screens.stats import StatsScreen

        if self.scan is None:
            self.notify("The deck is still loading.")
            return
        if not isinstance(self.screen, StatsScreen):
            self.push_screen(StatsScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Toggle light/dark theme", "Switch between textual-light and textual-dark", self.action_toggle_theme)
        yield SystemCommand("Help: keys", "Every key binding of every screen", self.action_help)


def make_app(
    deck_root: Path,
    today: dt.date | None = None,
    new_limit: int = DEFAULT_NEW_PER_DAY,
    start_demo: str | None = None,
    walked: Walk | None = None,
) -> TrainerApp:
    """The app over the deck at ``deck_root`` (raises ``DeckError`` if there is no deck).

    ``today`` defaults to :func:`trainer.clock.today` (which honours ``--today``). With
    ``start_demo`` the demo opens at once and a missing deck is not an error.
    """
    try:
        deck: Deck | None = Deck(deck_root)
    except DeckError:
        if start_demo is None:
            raise
        deck = None
    return TrainerApp(
        deck,
        today=today or clock.today(),
        new_limit=new_limit,
        start_demo=start_demo,
        exit_after_first_frame=os.environ.get(EXIT_AFTER_FIRST_FRAME, "") not in ("", "0"),
        walked=walked,
    )


def run_app(
    deck_root: Path,
    today: dt.date | None = None,
    new_limit: int = DEFAULT_NEW_PER_DAY,
    start_demo: str | None = None,
    walked: Walk | None = None,
) -> int:
    """Run the TUI; returns the process exit code (2 for a missing deck or an unknown demo)."""
    if start_demo is not None:
        try:
            from trainer.demos import registry

            registry.get(start_demo)
        except ValueError as exc:
            print(f"trainer: {exc}", file=sys.stderr)
            return 2
    try:
        app = make_app(Path(deck_root), today, new_limit, start_demo, walked)
    except DeckError as exc:
        print(f"trainer: {exc}", file=sys.stderr)
        return 2
    result = app.run()
    if app.return_code not in (None, 0):
        return app.return_code
    return result if isinstance(result, int) else 0
