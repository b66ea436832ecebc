"""What a note is, once read: plain dataclasses shared by the CLI, the TUI and the importers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

#: ``next_review`` left out of a note means "due today"; the scan stores this marker instead
#: of a date so a cached note stays right on later days.
NEW_CARD_DUE = date.min

DIFFICULTIES = ("easy", "medium", "hard")
DEFAULT_DIFFICULTY = "medium"

#: The keys a scheduling review may rewrite, in the order they are appended to a note.
SCHEDULING_KEYS = (
    "last_reviewed",
    "next_review",
    "review_count",
    "mastery_level",
    "ease_factor",
    "interval",
    "repetitions",
    "stability",
    "fsrs_difficulty",
)

#: FSRS's memory state (``trainer.memory``): written by FSRS decks, taken out by an SM-2 review.
MEMORY_KEYS = ("stability", "fsrs_difficulty")

#: Keys `trainer schedule` and `trainer import` add when they are missing (SPEC §1).
STANDARD_KEYS = (
    "created",
    "last_reviewed",
    "next_review",
    "review_count",
    "difficulty",
    "mastery_level",
    "tags",
    "related_outlines",
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a note, reported as ``path: key: problem`` (SPEC §5)."""

    path: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.key}: {self.message}"


@dataclass(slots=True)
class Schedule:
    """The SM-2 state of one card; every field has its SPEC §1 default already applied.

    Treated as a value (changed only through ``dataclasses.replace``), but not ``frozen``: a
    frozen dataclass is built several times slower, and a large deck builds one per note.
    """

    created: date
    last_reviewed: date | None
    next_review: date
    review_count: int = 0
    mastery_level: float = 0.0
    ease_factor: float = 2.5
    interval: int = 0
    repetitions: int = 0
    stability: float | None = None
    """FSRS memory state (days); ``None`` until an FSRS deck grades the card."""
    fsrs_difficulty: float | None = None
    """FSRS difficulty 1-10 (the author's ``difficulty: easy/medium/hard`` is a different key)."""

    @property
    def is_new(self) -> bool:
        return self.review_count == 0 and self.last_reviewed is None

    def values(self) -> dict[str, object]:
        """The scheduling keys as they would be written to a note."""
        return {key: getattr(self, key) for key in SCHEDULING_KEYS}


@dataclass(slots=True)
class Note:
    """A card as scanned: enough to list, order and schedule it without reading the body again."""

    rel: str
    """Deck-relative POSIX path: the note's identity in the log and in reports."""
    question: str
    difficulty: str
    tags: tuple[str, ...]
    demos: tuple[str, ...]
    schedule: Schedule
    present: frozenset[str]
    """Frontmatter keys actually written in the note (the rest are defaults)."""
    problems: tuple[Problem, ...] = ()
    fatal: bool = False
    """The frontmatter cannot be read at all: the note is listed but never graded or rewritten."""
    size: int = 0
    mtime_ns: int = 0
    root: Path | None = field(default=None, compare=False)

    @property
    def path(self) -> Path:
        assert self.root is not None, "note was not loaded from a deck"
        return self.root / self.rel

    @property
    def is_new(self) -> bool:
        return self.schedule.is_new


@dataclass(frozen=True, slots=True)
class Body:
    """The parts of a note shown while studying (SPEC §1)."""

    question: str
    answer_title: str
    answer: str
    details: str


def standard_values(s: Schedule, difficulty: str = DEFAULT_DIFFICULTY, tags: tuple[str, ...] | list[str] = ()) -> dict[str, object]:
    """The :data:`STANDARD_KEYS` of a card, in that order: the one source of what ``trainer schedule``
    and every importer write where a note lacks a key (a new card: ``Schedule(created, None, due)``)."""
    return {
        "created": s.created,
        "last_reviewed": s.last_reviewed,
        "next_review": s.next_review,
        "review_count": s.review_count,
        "difficulty": difficulty,
        "mastery_level": s.mastery_level,
        "tags": list(tags),
        "related_outlines": [],
    }
