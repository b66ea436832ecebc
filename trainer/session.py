"""A study session: the queue of today's cards, same-day re-drills, skip and undo.

Pure bookkeeping over :mod:`trainer.grading`; the TUI drives it, tests drive it directly.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from trainer import grading, scheduler
from trainer.deck import Deck
from trainer.notes.model import Note
from trainer.reviewlog import ReviewLog

REDRILL_GAP = 3
"""A card graded below 4 comes back after this many other cards (or at the end)."""


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
    deck: Deck
    log: ReviewLog
    today: dt.date
    queue: list[Note]
    max_interval: int = scheduler.MAX_INTERVAL
    history: list[grading.Graded] = field(default_factory=list)
    """Every grade of this session, in order (undone ones removed)."""
    skipped: list[Note] = field(default_factory=list)
    first_seen: dict[str, Note] = field(default_factory=dict)
    """Each card as it was when the session first showed it (mastery before)."""
    _shown_at: float = field(default_factory=time.monotonic)

    @classmethod
    def start(
        cls,
        deck: Deck,
        log: ReviewLog,
        notes: list[Note],
        today: dt.date,
        *,
        new_limit: int = scheduler.DEFAULT_NEW_PER_DAY,
        max_interval: int = scheduler.MAX_INTERVAL,
    ) -> "StudySession":
        queue = scheduler.due_queue(notes, today, new_limit=new_limit, new_seen_today=log.new_cards_on(today))
        return cls(deck, log, today, queue, max_interval)

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
    def finished(self) -> bool:
        return not self.queue

    def card_shown(self) -> None:
        """Start the clock for the current card (time per card goes into the log)."""
        self._shown_at = time.monotonic()
        note = self.current
        if note is not None:
            self.first_seen.setdefault(note.rel, note)

    def replace_current(self, note: Note) -> None:
        """The current card was re-read from disk (edited in $EDITOR or by another program)."""
        if self.queue:
            self.queue[0] = note

    # ------------------------------------------------------------ actions

    def grade(self, q: int) -> grading.Graded:
        note = self.current
        if note is None:
            raise IndexError("no card to grade")
        self.first_seen.setdefault(note.rel, note)
        elapsed_ms = int((time.monotonic() - self._shown_at) * 1000)
        result = grading.grade(
            self.deck, self.log, note, q, self.today, duration_ms=elapsed_ms, max_interval=self.max_interval
        )
        self.queue.pop(0)
        self.history.append(result)
        if q < scheduler.REDRILL_BELOW:
            self.queue.insert(min(REDRILL_GAP, len(self.queue)), result.note)
        self.card_shown()
        return result

    def skip(self) -> None:
        """Put the current card aside for this session (it stays due)."""
        if self.queue:
            self.skipped.append(self.queue.pop(0))
            self.card_shown()

    def drop_current(self) -> Note | None:
        """Remove the current card (deleted or broken on disk) without grading it."""
        if self.queue:
            note = self.queue.pop(0)
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
            self.queue = [n for n in self.queue if n.rel != rel]
            self.queue.insert(0, undone.note)
        self.card_shown()
        return undone

    # ------------------------------------------------------------ summary

    def stats(self) -> SessionStats:
        s = SessionStats()
        for g in self.history:
            if g.kind == "review":
                s.graded += 1
                s.correct += g.grade >= scheduler.PASS
            else:
                s.redrills += 1
        s.seconds = sum((self.log_duration(g) for g in self.history), 0.0)
        return s

    def log_duration(self, g: grading.Graded) -> float:
        row = self.log.conn.execute("SELECT duration_ms FROM reviews WHERE id = ?", (g.log_id,)).fetchone()
        return (row[0] or 0) / 1000 if row else 0.0

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
