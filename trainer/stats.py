"""Deck statistics for `trainer stats` and the stats screen: the deck's figures plus the review history."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from trainer import scheduler
from trainer.figures import Figures
from trainer.notes.model import Note
from trainer.reviewlog import ReviewLog


@dataclass(frozen=True, slots=True)
class History:
    """What the review log says about the last ``days`` days."""

    retention: float | None
    """Share of scheduling reviews graded >= 3 (None before any review)."""
    reviews_total: int
    reviews_per_day: list[tuple[dt.date, int]]
    """Grades per day, re-drills included."""
    new_per_day: list[tuple[dt.date, int]]
    """Notes imported per day."""


@dataclass(frozen=True, slots=True)
class DeckStats:
    figures: Figures
    difficulty: dict[str, int]
    history: History

    def to_json(self) -> dict:
        f, h = self.figures, self.history
        return {
            "today": f.today.isoformat(),
            "counts": f.counts(),
            "mean_mastery": f.mastery,
            "difficulty": self.difficulty,
            "retention": h.retention,
            "reviews_total": h.reviews_total,
            "reviews_per_day": [{"day": d.isoformat(), "reviews": n} for d, n in h.reviews_per_day],
            "forecast": [{"day": d.isoformat(), "cards": n} for d, n in f.forecast],
            "tags": [{"tag": t, "cards": g.cards, "due": g.due, "new": g.new, "new_today": g.new_today,
                      "to_study": g.to_study, "mastery": g.mastery} for t, g in f.tags.items()],
            "new_per_day": [{"day": d.isoformat(), "new": n} for d, n in h.new_per_day],
        }


def history(log: ReviewLog, today: dt.date, days: int = 30) -> History:
    days = max(1, min(days, (today - dt.date.min).days + 1))  # clamped to the calendar's start (issue #11)
    since = today - dt.timedelta(days=days - 1)
    tally = log.tally(since, passing=scheduler.PASS)
    span = [since + dt.timedelta(days=i) for i in range(days)]
    return History(
        retention=round(tally.passed / tally.reviews, 3) if tally.reviews else None,
        reviews_total=tally.reviews,
        reviews_per_day=[(d, tally.per_day.get(d, 0)) for d in span],
        new_per_day=[(d, tally.imported_per_day.get(d, 0)) for d in span],
    )


def compute(notes: list[Note], figures: Figures, log: ReviewLog, *, history_days: int = 30) -> DeckStats:
    return DeckStats(
        figures=figures,
        difficulty=dict(Counter(n.difficulty for n in notes if not n.fatal)),
        history=history(log, figures.today, history_days),
    )
