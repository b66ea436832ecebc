"""A study session: the queue of today's cards, same-day re-drills, skip and undo, and what
happens to a card when its note changes on disk while it is studied.

Pure bookkeeping over :mod:`trainer.grading` and an open deck; the TUI drives it and draws
the :class:`CardEvent` each step returns; tests drive it directly.
"""

from __future__ import annotations

import datetime as dt
import enum
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

from trainer import grading, scheduler
from trainer.notes.model import Note
from trainer.notes.parse import NoteError
from trainer.notes.write import WriteError
from trainer.reviewlog import LogKind

if TYPE_CHECKING:
    from trainer.deck import Deck
    from trainer.opendeck import OpenDeck
    from trainer.reviewlog import ReviewLog


def _plan_first(book: OpenDeck, notes: list[Note], queue: list[Note], planned: Sequence[str] | None = None) -> list[Note]:
    """On a day of the interview plan (``[interview] date`` in trainer.toml), the plan's cards come
    first, due or not (trainer.planning); the rest of the queue follows in its order. ``planned``:
    today's plan already computed for these notes (the app plans in a thread, not here)."""
    from trainer import planning

    if planned is not None:
        by_rel = {n.rel: n for n in notes}
        first = [by_rel[rel] for rel in planned if rel in by_rel]
        taken = {n.rel for n in first}
        return first + [n for n in queue if n.rel not in taken]

    settings = book.settings
    if settings is None or settings.interview is None or settings.interview <= book.today:
        return queue
    by_rel = {n.rel: n for n in notes}
    first = [by_rel[rel] for rel in planning.todays_plan(notes, book.today, settings) if rel in by_rel]
    taken = {n.rel for n in first}
    return first + [n for n in queue if n.rel not in taken]


REDRILL_GAP = 3
"""A card graded below 4 comes back after this many other cards (or at the end)."""


class Outcome(enum.Enum):
    """What happened to the current card."""

    GRADED = "graded"
    REAPPLIED = "reapplied"
    """Graded; the note had changed on disk and the grade was applied to the new version."""
    UNCHANGED = "unchanged"
    RELOADED = "reloaded"
    """Edited on disk (not its schedule): read again, it stays."""
    SCHEDULE_CHANGED = "schedule changed"
    """Its schedule was edited on disk but it is still due: read again, a grade builds on it."""
    RESCHEDULED = "rescheduled"
    """Reviewed or rescheduled by another program: theirs stands, the card leaves the session."""
    CONFLICT = "conflict"
    """Not graded: another program changed its schedule meanwhile (read again)."""
    VANISHED = "vanished"
    BROKEN = "broken"
    """Its frontmatter no longer parses: dropped."""
    UNREADABLE = "unreadable"
    """It cannot be read or written right now: it stays, nothing changed."""


_DROPPED = {Outcome.RESCHEDULED, Outcome.VANISHED, Outcome.BROKEN}


@dataclass(frozen=True, slots=True)
class CardEvent:
    outcome: Outcome
    note: Note
    """The card concerned (as read again, where it was)."""
    detail: str = ""
    """The reason, for the user (an error message, the problem found)."""
    graded: grading.Graded | None = None

    @property
    def dropped(self) -> bool:
        return self.outcome in _DROPPED


@dataclass(slots=True)
class SessionStats:
    graded: int = 0
    """Scheduling reviews (first grade of a card today)."""
    redrills: int = 0
    correct: int = 0
    """Scheduling reviews graded >= 3."""
    seconds: float = 0.0


@dataclass
class StudySession:
    book: OpenDeck
    """The open deck: every note the session changes or loses is handed back to it."""
    queue: deque[Note]
    """The cards still to show, the current one first: a deque, as each grade takes the first card
    and a re-drill goes back a few places (a list moved all ~45k due cards of a 100k deck a grade)."""
    max_interval: int = scheduler.MAX_INTERVAL
    history: list[grading.Graded] = field(default_factory=list)
    """Every grade of this session, in order (undone ones removed)."""
    skipped: list[Note] = field(default_factory=list)
    first_seen: dict[str, Note] = field(default_factory=dict)
    """Each card as it was when the session first showed it (mastery before)."""
    _shown_at: float = field(default_factory=time.monotonic)

    @classmethod
    def start(cls, book: OpenDeck, notes: list[Note], *, max_interval: int = scheduler.MAX_INTERVAL,
              planned: Sequence[str] | None = None) -> StudySession:
        """``planned``: today's interview plan for ``notes`` if already known (else planned here)."""
        queue = scheduler.due_queue(notes, book.today, new_limit=book.new_per_day, new_seen_today=book.new_started)
        return cls(book, _plan_first(book, notes, queue, planned), max_interval)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        if not isinstance(self.queue, deque):  # (any sequence of cards is taken, in its order)
            self.queue = deque(self.queue)

    @property
    def deck(self) -> Deck:
        return self.book.deck

    @property
    def log(self) -> ReviewLog:
        assert self.book.log is not None, "a session needs the review log"
        return self.book.log

    @property
    def today(self) -> dt.date:
        return self.book.today

    # ------------------------------------------------------------ state

    @property
    def current(self) -> Note | None:
        return self.queue[0] if self.queue else None

    @property
    def done(self) -> int:
        return len(self.history)

    @property
    def remaining(self) -> int:
        return len(self.queue)

    @property
    def redrills_left(self) -> int:
        return sum(1 for n in self.queue if not scheduler.schedules_today(n.schedule, self.today))

    @property
    def finished(self) -> bool:
        return not self.queue

    def card_shown(self) -> None:
        """Start the clock for the current card (time per card goes into the log)."""
        self._shown_at = time.monotonic()
        note = self.current
        if note is not None:
            self.first_seen.setdefault(note.rel, note)

    # ------------------------------------------------------------ actions

    def grade(self, q: int) -> grading.Graded:
        """Grade the current card; raises as :func:`trainer.grading.grade` (the card stays current)."""
        note = self.current
        if note is None:
            raise IndexError("no card to grade")
        self.first_seen.setdefault(note.rel, note)
        elapsed_ms = int((time.monotonic() - self._shown_at) * 1000)
        result = grading.grade(
            self.deck, self.log, note, q, self.today, duration_ms=elapsed_ms, max_interval=self.max_interval,
            settings=self.book.settings,
        )
        self.queue.popleft()
        self.history.append(result)
        if q < scheduler.REDRILL_BELOW:
            self.queue.insert(min(REDRILL_GAP, len(self.queue)), result.note)
        self.book.update(result.note)
        self.card_shown()
        return result

    def grade_current(self, q: int) -> CardEvent:
        """Grade the current card and say what happened; a card that cannot be graded is settled here."""
        note = self.current
        if note is None:
            raise IndexError("no card to grade")
        try:
            result = self.grade(q)
        except grading.Conflict as exc:
            event = self.sync_current()
            return CardEvent(Outcome.CONFLICT if not event.dropped else event.outcome, event.note, str(exc))
        except grading.NoteGone:
            return self._drop(Outcome.VANISHED, note)
        except NoteError as exc:
            return self._drop(Outcome.BROKEN, note, str(exc))
        except (WriteError, OSError) as exc:
            return CardEvent(Outcome.UNREADABLE, note, str(exc))
        return CardEvent(Outcome.REAPPLIED if result.reapplied else Outcome.GRADED, result.note, graded=result)

    def sync_current(self) -> CardEvent:
        """Read the current card again from disk (after an edit) and settle what changed."""
        note = self.current
        if note is None:
            raise IndexError("no current card")
        try:
            fresh = self.book.reread(note.rel)
        except FileNotFoundError:
            return self._drop(Outcome.VANISHED, note)
        except OSError as exc:
            return CardEvent(Outcome.UNREADABLE, note, exc.strerror or str(exc))
        self.book.update(fresh)
        if fresh.fatal:
            problem = str(fresh.problems[0]) if fresh.problems else "cannot be read"
            return self._drop(Outcome.BROKEN, fresh, problem, forget=False)
        self.queue[0] = fresh
        if fresh.schedule == note.schedule:
            changed = (fresh.size, fresh.mtime_ns) != (note.size, note.mtime_ns)
            return CardEvent(Outcome.RELOADED if changed else Outcome.UNCHANGED, fresh)
        if fresh.schedule.next_review > self.today or fresh.schedule.last_reviewed == self.today:
            return self._drop(Outcome.RESCHEDULED, fresh, forget=False)
        return CardEvent(Outcome.SCHEDULE_CHANGED, fresh)

    def disk_changed(self) -> bool:
        """Has the current card's file changed (or gone) since it was read? One ``stat``."""
        note = self.current
        if note is None or note.root is None:
            return False
        try:
            st = note.path.stat()
        except FileNotFoundError:
            return True
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns) != (note.size, note.mtime_ns)

    def _drop(self, outcome: Outcome, note: Note, detail: str = "", *, forget: bool = True) -> CardEvent:
        self.drop_current()
        if forget:
            self.book.forget(note.rel)
        return CardEvent(outcome, note, detail)

    def skip(self) -> None:
        """Put the current card aside for this session (it stays due)."""
        if self.queue:
            self.skipped.append(self.queue.popleft())
            self.card_shown()

    def drop_current(self) -> Note | None:
        """Remove the current card without grading it."""
        if self.queue:
            note = self.queue.popleft()
            self.card_shown()
            return note
        return None

    def undo(self) -> grading.Undone | None:
        """Undo the last grade (of this session or before): the card comes back to the front."""
        undone = grading.undo_last(self.deck, self.log, self.today)
        if undone is None:
            return None
        rel = undone.row.note
        if self.history and self.history[-1].log_id == undone.row.id:
            last = self.history.pop()
            if last.grade < scheduler.REDRILL_BELOW:
                for i, n in enumerate(self.queue):
                    if n.rel == rel:
                        del self.queue[i]
                        break
        if undone.note is not None:
            self.queue = deque(n for n in self.queue if n.rel != rel)
            self.queue.appendleft(undone.note)
            self.book.update(undone.note)
        self.card_shown()
        return undone

    # ------------------------------------------------------------ summary

    def stats(self) -> SessionStats:
        s = SessionStats()
        for g in self.history:
            if g.kind == LogKind.REVIEW:
                s.graded += 1
                s.correct += g.grade >= scheduler.PASS
            else:
                s.redrills += 1
        s.seconds = self.log.seconds_spent([g.log_id for g in self.history])
        return s

    def mastery_changes(self) -> list[tuple[Note, float, float]]:
        """(card, mastery when first shown, mastery now) for every card graded this session."""
        last: dict[str, grading.Graded] = {}
        for g in self.history:
            last[g.note.rel] = g
        out = []
        for rel, g in last.items():
            first = self.first_seen.get(rel, g.note)
            out.append((g.note, first.schedule.mastery_level, g.after.mastery_level))
        return out
