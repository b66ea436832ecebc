"""SM-2 exactly as SPEC §3, as pure functions over :class:`Schedule`; no I/O, no clock."""

from __future__ import annotations

import datetime as dt
import heapq
import math
from dataclasses import replace
from typing import Iterable

from trainer.notes.model import Note, Schedule

MAX_INTERVAL = 36500
MIN_EASE = 1.3
GRADES = range(6)
PASS = 3
"""A grade >= 3 is a successful recall for SM-2 (and for retention)."""
REDRILL_BELOW = 4
"""Same-day re-drill (SM-2 step 7): cards graded below this come back in the session."""
DEFAULT_NEW_PER_DAY = 20

GRADE_LABELS = {
    0: "blackout",
    1: "wrong; remembered on seeing",
    2: "wrong; easy once seen",
    3: "right, with serious difficulty",
    4: "right, after hesitation",
    5: "perfect",
}
DIFFICULTY_RANK = {"hard": 0, "medium": 1, "easy": 2}


class GradeError(ValueError):
    pass


def check_grade(grade: object) -> int:
    if isinstance(grade, bool) or not isinstance(grade, int) or grade not in GRADES:
        raise GradeError(f"grade must be a whole number 0-5, got {grade!r}")
    return grade


def next_interval(s: Schedule, grade: int, max_interval: int = MAX_INTERVAL) -> int:
    """Days until the next review after ``grade`` (EF as it was before this review)."""
    if grade < PASS:
        return 1
    if s.repetitions == 0:
        interval = 1
    elif s.repetitions == 1:
        interval = 6
    else:
        # round() first: 100 * 1.3 is 130.00000000000003 in floats, and must stay 130
        interval = math.ceil(round(s.interval * s.ease_factor, 6))
    return max(1, min(interval, max_interval))


def next_ease(ease: float, grade: int) -> float:
    miss = 5 - grade
    return round(max(MIN_EASE, ease + 0.1 - miss * (0.08 + miss * 0.02)), 2)


def next_mastery(mastery: float, grade: int) -> float:
    return round(mastery + 0.3 * (grade / 5 - mastery), 2)


def _add_days(day: dt.date, days: int) -> dt.date:
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max


def review(s: Schedule, grade: int, day: dt.date, max_interval: int = MAX_INTERVAL) -> Schedule:
    """One scheduling review with ``grade`` on ``day``."""
    check_grade(grade)
    interval = next_interval(s, grade, max_interval)
    repetitions = s.repetitions + 1 if grade >= PASS else 0
    return replace(
        s,
        interval=interval,
        repetitions=repetitions,
        ease_factor=next_ease(s.ease_factor, grade),
        next_review=_add_days(day, interval),
        last_reviewed=day,
        review_count=s.review_count + 1,
        mastery_level=next_mastery(s.mastery_level, grade),
    )


def preview(s: Schedule, max_interval: int = MAX_INTERVAL) -> dict[int, int]:
    """The interval each grade would give, as Anki shows on its answer buttons."""
    return {g: next_interval(s, g, max_interval) for g in GRADES}


def schedules_today(s: Schedule, day: dt.date) -> bool:
    """Only the first grade of a card on a day schedules it; later ones are re-drills."""
    return s.last_reviewed != day


def format_interval(days: int) -> str:
    if days < 31:
        return f"{days}d"
    if days < 365:
        return f"{days / 30.4:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")


# ---------------------------------------------------------------- ordering


def study_key(next_review: dt.date, difficulty: str, rel: str) -> tuple:
    """Study order: the most overdue first; on one day the harder card first; then by path."""
    return (next_review, DIFFICULTY_RANK.get(difficulty, 1), rel)


def order_key(note: Note) -> tuple:
    return study_key(note.schedule.next_review, note.difficulty, note.rel)


def pick(reviews: list[tuple], new: list[tuple], room: int) -> list[tuple]:
    """Today's queue from ``(study_key, card)`` pairs: every due review in order, then the first
    ``room`` new cards (a big backlog of new cards is not sorted). Keys are unique (they end in
    the path), so cards are never compared."""
    reviews.sort()
    return reviews + heapq.nsmallest(room, new)


def due_queue(
    notes: Iterable[Note],
    today: dt.date,
    *,
    new_limit: int = DEFAULT_NEW_PER_DAY,
    new_seen_today: int = 0,
) -> list[Note]:
    """Cards to study today: most overdue first, then new cards up to the daily limit.

    Ties on the day go to the harder card. ``new_seen_today`` counts new cards already
    introduced today (from the review log), so the limit is per day, not per session.
    """
    reviews: list[tuple] = []
    new: list[tuple] = []
    for note in notes:
        s = note.schedule
        if note.fatal or s.next_review > today:
            continue
        (new if s.review_count == 0 and s.last_reviewed is None else reviews).append((order_key(note), note))
    return [note for _, note in pick(reviews, new, max(0, new_limit - new_seen_today))]
