"""An open deck: what the study app works on, built once by the CLI (no Textual here).

It holds the deck, its repaired review log, the study day, the daily limit of new cards, the
notes with their index, and the figures derived from them. Screens read and change the deck only
through it: a grade or a re-read note goes through :meth:`OpenDeck.update`, a vanished one
through :meth:`OpenDeck.forget`, and the figures are computed again from the notes as they are.

The first scan is started with :meth:`OpenDeck.start_scan` as early as possible (the CLI does it
before Textual is imported); its figures arrive first, from the deck's columns
(:meth:`ScanJob.counted`, taken with :meth:`OpenDeck.take_counted`: the overview's first frame),
its notes after (:meth:`ScanJob.result`, taken with :meth:`OpenDeck.take`).
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from trainer import config, grading, scheduler
from trainer import figures as deck_figures
from trainer.config import Settings
from trainer.deck import Deck, Scan
from trainer.errors import TrainerError
from trainer.figures import Figures, TagFigures
from trainer.notes.model import Note, Problem
from trainer.reviewlog import ReviewLog
from trainer.tags import has_tag

if TYPE_CHECKING:
    from trainer.columns import Pending
    from trainer.session import StudySession

FREEZE_FROM = 10_000
"""From this many notes the objects alive once the notes are taken are left out of the cyclic
collector's passes (``gc.freeze``): the notes live while the deck is open, and at 100k each full
pass over them took 0.1-0.3 s, in the middle of a key press (expanding a topic of 20k tags: 1.8 s
-> 0.8 s under load). Smaller decks are collected as usual."""

UNTAGGED = ""
"""The selection of notes without tags."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """A finished scan with the figures computed from it (in the scanning thread)."""

    scan: Scan
    figures: Figures
    seconds: float


@dataclass(frozen=True, slots=True)
class Counted:
    """The deck's figures and problems read from its columns (``trainer.columns``) before any
    note is built: what the overview's first frame shows (#17). The notes follow as ``Loaded``."""

    figures: Figures
    problems: list[Problem]


class ScanJob:
    """One scan of the deck running in a thread (its walk in a forked child where that pays).

    The walk is a stat per note; the GIL lets a thread do those only while the main thread
    sleeps, so the walk runs in a child process on the other core while the app starts
    (:class:`trainer.columns.Pending`, started by the CLI before any thread exists). The deck's
    figures come first, from its columns (``trainer.columns``: current, patched for a few edited
    notes, or built again), as :meth:`counted`; the notes are built only once :meth:`proceed` is
    called (after the first frame: unpickling 100k notes holds the GIL for a third of a second).
    Where the columns cannot be had, the figures come from the notes.
    """

    def __init__(self, open_deck: OpenDeck, pending: Pending | None, *, wait: bool = False) -> None:
        self._done = threading.Event()
        self._counted_done = threading.Event()
        self._go = threading.Event()
        if not wait:
            self._go.set()
        self._counted: Counted | None = None
        self._loaded: Loaded | None = None
        self._error: BaseException | None = None
        self.progress: tuple[int, int] | None = None
        """``(parsed, to_parse)`` while the scan parses notes (a first open: seconds at 100k), else None."""
        deck, today = open_deck.deck, open_deck.today

        def parsed(done: int, total: int) -> None:
            self.progress = (done, total)
        per_day, started = open_deck.new_per_day, open_deck.new_started

        def run() -> None:
            from trainer import columns

            start = time.perf_counter()
            try:
                mine = pending if pending is not None and pending.deck.root == deck.root else columns.Pending(deck, rows=False)
                # counted from the saved columns while the forked child walks (kept only if it
                # finds them current): at 100k the walk ends last, and the counts cost no wait
                saved, early = mine.columns, None
                try:
                    early = None if saved is None else columns.figures(
                        saved, today, new_per_day=per_day, new_started=started, numpy=False)
                except Exception:  # noqa: BLE001 - values no build writes: counted after the walk from what it settles on
                    early = None
                fresh = mine.finish(today, save_later=True, progress=parsed)  # (written once the first frame has its figures)
                cols, scan, figs = fresh.columns, fresh.scan, None
                if cols is not None:
                    figs = early if cols is saved and early is not None else columns.figures(
                        cols, today, new_per_day=per_day, new_started=started, numpy=False)
                    self._counted = Counted(figs, fresh.problems)
                    self._counted_done.set()
                    self._go.wait()
                    fresh.save(deck.root)
                    if scan is None:  # the columns answered alone: the notes, from a walk of their own
                        walked = deck.walk()
                        if columns.stamp_digest(walked[0]) != cols.digest:  # an edit since: the notes' figures
                            figs = None
                        scan = deck.scan(today, prewalked=walked, progress=parsed)
                if figs is None:
                    figs = deck_figures.compute(scan.notes, today, new_per_day=per_day, new_started=started)
                else:
                    scan.notes  # built here, off the UI thread
                self._loaded = Loaded(scan, figs, time.perf_counter() - start)
            except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the result
                self._error = exc
            finally:
                self._done.set()
                self._counted_done.set()

        threading.Thread(target=run, name="trainer-scan", daemon=True).start()

    def counted(self) -> Counted | None:
        """Wait for the figures from the columns; ``None`` if there were none (then :meth:`result`)."""
        self._counted_done.wait()
        return self._counted

    def proceed(self) -> None:
        """Build the notes now (a job started with ``wait=True`` waits for this after :meth:`counted`)."""
        self._go.set()

    def counted_ready(self, timeout: float | None = 0) -> bool:
        """Whether :meth:`counted` would answer at once (waiting up to ``timeout`` seconds for it)."""
        return self._counted_done.wait(timeout) if timeout else self._counted_done.is_set()

    def done(self, timeout: float | None = 0) -> bool:
        return self._done.wait(timeout) if timeout else self._done.is_set()

    def wait(self) -> None:
        self._done.wait()

    def result(self) -> Loaded:
        """Wait for the scan; raises what the scan raised (``OSError``, ``DeckError``)."""
        self._go.set()
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._loaded is not None
        return self._loaded


class OpenDeck:
    """The deck the app shows; every method runs on the thread that opened it (SQLite's rule)."""

    def __init__(self, deck: Deck, today: dt.date, *, new_per_day: int = scheduler.DEFAULT_NEW_PER_DAY,
                 log: ReviewLog | None = None, log_error: str | None = None,
                 repaired: tuple[str, ...] = (), settings: Settings | None = None) -> None:
        self.deck = deck
        self.today = today
        """The study day (``--today`` or the local date), fixed while the deck is open."""
        self.settings_error: str | None = None
        """Why ``trainer.toml`` could not be read (then :attr:`settings` is ``None``)."""
        if settings is None:
            try:
                settings = config.load(deck.root)
            except config.ConfigError as exc:
                self.settings_error = str(exc)
        self.settings: Settings | None = settings
        """The deck's ``trainer.toml``, read once when the deck is opened: the scheduler (SM-2 or
        FSRS) the previews and the grades use, and the interview plan. ``None`` if it cannot be read
        (the app then schedules by SM-2's defaults; ``trainer config`` says what is wrong)."""
        self.new_per_day = new_per_day
        self.log = log
        """The review log (``None`` if it cannot be opened: the deck shows but cannot be graded)."""
        self.log_error = log_error
        self.repaired = repaired
        """Messages about log rows a crash had left unfinished, settled when the deck was opened."""
        self.scan: Scan | None = None
        """The last scan (``None`` until the first one is taken)."""
        self.seconds = 0.0
        """How long the last scan took."""
        self._notes: list[Note] = []
        self._index: dict[str, int] = {}
        self._figures: Figures | None = None
        self._early_problems: list[Problem] | None = None
        self.version = 0
        """Counts changes to the notes (a result computed from a snapshot is current while it holds)."""
        self.new_started = log.new_cards_on(today) if log is not None else 0
        """New cards already started today (kept current as cards are graded and undone)."""

    @classmethod
    def open(cls, root: Path | str, today: dt.date, *, new_per_day: int = scheduler.DEFAULT_NEW_PER_DAY) -> OpenDeck:
        """Open the deck at ``root`` and its review log (raises ``DeckError`` if there is no deck)."""
        deck = Deck(root)
        try:
            log, repaired = grading.open_log(deck, today)
        except Exception as exc:  # noqa: BLE001 - sqlite3 errors, a read-only deck: it still shows
            return cls(deck, today, new_per_day=new_per_day, log=None, log_error=str(exc))
        return cls(deck, today, new_per_day=new_per_day, log=log, repaired=tuple(repaired))

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None

    @property
    def root(self) -> Path:
        return self.deck.root

    # ------------------------------------------------------------ scanning

    def start_scan(self, pending: Pending | None = None, *, wait: bool = False) -> ScanJob:
        """Scan in a thread; give its :meth:`ScanJob.counted` to :meth:`take_counted` and its
        :meth:`ScanJob.result` to :meth:`take` on this thread (``wait``: see :class:`ScanJob`)."""
        return ScanJob(self, pending, wait=wait)

    def load(self) -> Loaded:
        """Scan now, on this thread, and take the result."""
        loaded = self.start_scan().result()
        self.take(loaded)
        return loaded

    def take_counted(self, counted: Counted) -> None:
        """The figures before the notes (:attr:`loaded` stays false until :meth:`take`)."""
        if counted.figures.new_started == self.new_started:
            self._figures = counted.figures
            self._early_problems = counted.problems

    @property
    def counted(self) -> bool:
        """Whether the deck's figures are known (from its columns or its notes)."""
        return self.scan is not None or self._early_problems is not None

    def take(self, loaded: Loaded) -> None:
        self._early_problems = None
        self.scan = loaded.scan
        self.seconds = loaded.seconds
        self.version += 1
        self._notes = list(loaded.scan.notes)
        self._index = {n.rel: i for i, n in enumerate(self._notes)}
        self._figures = loaded.figures if loaded.figures.new_started == self.new_started else None
        if len(self._notes) >= FREEZE_FROM:
            gc.freeze()

    @property
    def loaded(self) -> bool:
        return self.scan is not None

    @property
    def notes(self) -> list[Note]:
        """Every note as last read or written (broken ones included)."""
        return self._notes

    def note(self, rel: str) -> Note | None:
        """The note at this deck path as last read or written (None: not in the deck)."""
        i = self._index.get(rel)
        return None if i is None else self._notes[i]

    @property
    def problems(self) -> list[Problem]:
        if self.scan is None and self._early_problems is not None:
            return self._early_problems
        return self.scan.problems if self.scan is not None else []

    # ------------------------------------------------------------ figures

    def figures(self) -> Figures:
        """The deck's counts on :attr:`today` (computed again only after a change)."""
        if self._figures is None:
            self._figures = deck_figures.compute(self._notes, self.today, new_per_day=self.new_per_day,
                                                 new_started=self.new_started)
        return self._figures

    def selection(self, tag: str | None = None, difficulty: str | None = None) -> list[Note]:
        """The notes that can be studied under ``tag`` (``None``: all; ``""``: untagged) and ``difficulty``."""
        out = []
        for n in self._notes:
            if n.fatal or (difficulty is not None and n.difficulty != difficulty):
                continue
            if tag is None or (not n.tags if tag == UNTAGGED else has_tag(n.tags, tag)):
                out.append(n)
        return out

    def selection_figures(self, tag: str | None = None, difficulty: str | None = None) -> Figures:
        return deck_figures.compute(self.selection(tag, difficulty), self.today, new_per_day=self.new_per_day,
                                    new_started=self.new_started, days=1)

    def selection_counts(self, tag: str | None = None, difficulty: str | None = None) -> TagFigures | None:
        """What :meth:`selection_figures` counts (cards, due, new, new today), read from the deck's
        figures when no difficulty is chosen: a tag's figures count the same notes by the same
        rules, and recounting 100k notes at every move of the tree's cursor is what they save (#17).
        ``None`` while only the figures are known and a difficulty needs the notes."""
        if difficulty is None and self.counted:
            f = self.figures()
            fig = f.all_cards if tag is None else f.tags.get(tag)
            if fig is not None:
                return fig
        if not self.loaded:
            return None
        f = self.selection_figures(tag, difficulty)
        return TagFigures(f.total, f.due, f.new, f.new_today, f.mastery)

    # ------------------------------------------------------------ changes

    def update(self, note: Note) -> None:
        """A card was graded, undone or read again: keep the notes and the figures current."""
        i = self._index.get(note.rel)
        if i is None:
            self._index[note.rel] = len(self._notes)
            self._notes.append(note)
        else:
            self._notes[i] = note
        self._changed()

    def forget(self, rel: str) -> None:
        """A card vanished from disk."""
        i = self._index.pop(rel, None)
        if i is not None:
            del self._notes[i]
            self._index = {n.rel: j for j, n in enumerate(self._notes)}
        self._changed()

    def _changed(self) -> None:
        self._figures = None
        self.version += 1
        if self.log is not None:
            self.new_started = self.log.new_cards_on(self.today)

    def reread(self, rel: str) -> Note:
        """One note read fresh from disk (raises ``FileNotFoundError`` / ``OSError``)."""
        return self.deck.load(rel, self.today)

    # ------------------------------------------------------------ studying

    def start_session(self, notes: list[Note], *, max_interval: int = scheduler.MAX_INTERVAL,
                      planned: Sequence[str] | None = None) -> StudySession:
        """A study session over ``notes``: due first, then new cards within today's room (the
        interview plan's cards of today first; ``planned`` if the caller planned already)."""
        if self.log is None:
            raise LogUnavailable(self.log_error or "the review log cannot be opened")
        from trainer.session import StudySession

        return StudySession.start(self, notes, max_interval=max_interval, planned=planned)


class LogUnavailable(TrainerError):
    """The review log could not be opened, so nothing can be graded."""
