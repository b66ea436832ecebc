"""Deck statistics for `trainer stats` and the stats screen: the deck's figures plus the review history."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from trainer import scheduler
from trainer.figures import Figures
from trainer.notes.model import Note
from trainer.reviewlog import LogKind, ReviewLog


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
    per_day: Counter[dt.date] = Counter()
    new_per_day: Counter[dt.date] = Counter()
    passed = total = 0
    for row in log.rows(kinds=(LogKind.REVIEW, LogKind.REDRILL, LogKind.IMPORT)):
        if row.undone:
            continue
        if row.kind is LogKind.IMPORT:
            if row.day >= since:
                new_per_day[row.day] += 1
            continue
        if row.day >= since:
            per_day[row.day] += 1
        if row.kind is LogKind.REVIEW:
            total += 1
            passed += (row.grade or 0) >= scheduler.PASS
    span = [since + dt.timedelta(days=i) for i in range(days)]
    return History(
        retention=round(passed / total, 3) if total else None,
        reviews_total=total,
        reviews_per_day=[(d, per_day[d]) for d in span],
        new_per_day=[(d, new_per_day[d]) for d in span],
    )


def compute(notes: list[Note], figures: Figures, log: ReviewLog, *, history_days: int = 30) -> DeckStats:
    return DeckStats(
        figures=figures,
        difficulty=dict(Counter(n.difficulty for n in notes if not n.fatal)),
        history=history(log, figures.today, history_days),
    )
