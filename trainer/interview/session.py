"""One mock interview: the cards, each answer's feedback, the grades, the transcript kept saved.

Bookkeeping over the core: the TUI screen drives it and tests drive it directly. Grades go
through :func:`trainer.grading.grade`, the path a study grade takes, so they schedule the card
the same way; the transcript is saved after every answer and grade.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from trainer import clock, grading
from trainer.deck import Deck
from trainer.interview import store
from trainer.interview.keypoints import KeyPoint, follow_ups, key_points
from trainer.interview.matching import PointMatch, match_answer
from trainer.interview.suggest import suggested_grade
from trainer.interview.transcript import PointRecord, QuestionRecord, Transcript
from trainer.notes.model import Body, Note
from trainer.notes.parse import NoteError, read_body
from trainer.reviewlog import ReviewLog
from trainer.interview import DEFAULT_MINUTES  # noqa: F401 - re-exported


@dataclass(frozen=True, slots=True)
class Card:
    """A question as the interview shows it."""

    note: Note
    body: Body
    points: list[KeyPoint]
    follow_ups: list[str]

    @classmethod
    def of(cls, note: Note) -> "Card":
        """Read the note's body; a note that cannot be read is asked by its title, with no points."""
        try:
            body = read_body(note.path)
        except (OSError, NoteError, UnicodeError):
            body = Body(note.question, "", "", "")
        # no ``## `` section: no short answer, so no key points (the user grades by self-assessment)
        points = key_points(body.answer) if body.answer_title else []
        return cls(note, body, points, follow_ups(body.details))


@dataclass(frozen=True, slots=True)
class Feedback:
    card: Card
    answer: str
    seconds: float
    overtime: bool
    matches: list[PointMatch]
    suggested: int | None


@dataclass
class InterviewSession:
    deck: Deck
    log: ReviewLog
    today: dt.date
    notes: list[Note]
    minutes: float = DEFAULT_MINUTES
    transcript: Transcript = field(default_factory=lambda: Transcript(clock.now().isoformat(timespec="seconds")))
    position: int = 0
    """Index of the current question."""
    feedback: Feedback | None = None
    """The current question's feedback, once answered."""
    graded: grading.Graded | None = None
    """The current question's grade, once given."""
    interview_id: int | None = None
    _card: Card | None = None

    @property
    def limit_seconds(self) -> float:
        return self.minutes * 60

    @property
    def finished(self) -> bool:
        return self.position >= len(self.notes)

    @property
    def card(self) -> Card:
        if self._card is None or self._card.note.rel != self.notes[self.position].rel:
            self._card = Card.of(self.notes[self.position])
        return self._card

    def answer(self, text: str, seconds: float) -> Feedback:
        """Match the typed answer against the key points; the question joins the transcript."""
        card = self.card
        overtime = seconds > self.limit_seconds
        matches = match_answer(card.points, text)
        suggestion = suggested_grade(sum(m.covered for m in matches), len(matches), overtime)
        self.feedback = Feedback(card, text, seconds, overtime, matches, suggestion)
        self.graded = None
        record = QuestionRecord(
            note=card.note.rel,
            question=card.body.question or card.note.question,
            seconds=seconds,
            overtime=overtime,
            answer=text,
            key_points=[PointRecord(m.point.text, m.covered, list(m.matched)) for m in matches],
            suggested_grade=suggestion,
        )
        self.transcript.questions.append(record)
        self._save()
        return self.feedback

    def grade(self, q: int) -> grading.Graded:
        """Grade the current question's card as a study grade would; logged as an interview grade."""
        if self.feedback is None:
            raise RuntimeError("answer the question before grading it")
        if self.graded is not None:
            raise RuntimeError("already graded: undo first")
        fb = self.feedback
        result = grading.grade(self.deck, self.log, self.card.note, q, self.today, duration_ms=int(fb.seconds * 1000))
        self.graded = result
        self.notes[self.position] = result.note
        self._card = Card(result.note, fb.card.body, fb.card.points, fb.card.follow_ups)
        if self.interview_id is not None:
            store.link_grade(self.log, self.interview_id, result.log_id, self.position)
        self.transcript.questions[-1].grade = q
        self._save()
        return result

    def undo(self) -> grading.Undone | None:
        """Undo this question's grade (only if it is still the log's last grade)."""
        if self.graded is None:
            return None
        last = self.log.last_undoable()
        if last is None or last.id != self.graded.log_id:
            raise grading.Conflict("another grade was logged after this one; undo it in a study session")
        undone = grading.undo_last(self.deck, self.log, self.today)
        if undone is not None:
            store.unlink_grade(self.log, self.graded.log_id)
            if undone.note is not None:
                self.notes[self.position] = undone.note
                fb = self.feedback
                assert fb is not None
                self._card = Card(undone.note, fb.card.body, fb.card.points, fb.card.follow_ups)
            self.graded = None
            self.transcript.questions[-1].grade = None
            self._save()
        return undone

    def next(self) -> None:
        """On to the next question (or the end)."""
        self.position += 1
        self.feedback = None
        self.graded = None

    def finish(self) -> Transcript:
        """Stamp the end; an interview left before its first answer is not stored at all."""
        self.transcript.finished = clock.now().isoformat(timespec="seconds")
        if self.transcript.questions:
            self._save()
        return self.transcript

    def _save(self) -> None:
        if self.interview_id is None:
            self.interview_id = store.create(self.log, self.transcript)
        else:
            store.save(self.log, self.interview_id, self.transcript)
