"""Deck statistics for `trainer stats` and the stats screen: counts, retention, mastery, forecast."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

from trainer import scheduler
from trainer.notes.model import Note
from trainer.reviewlog import ReviewLog


@dataclass(frozen=True, slots=True)
class TagStat:
    tag: str
    cards: int
    due: int
    mastery: float
    """Mean mastery_level of the cards under this tag (nested tags included)."""


@dataclass(slots=True)
class DeckStats:
    today: dt.date
    counts: dict[str, int]
    difficulty: dict[str, int]
    mean_mastery: float
    retention: float | None
    """Share of scheduling reviews graded >= 3 (None before any review)."""
    reviews_total: int
    reviews_per_day: list[tuple[dt.date, int]]
    forecast: list[tuple[dt.date, int]]
    """Cards falling due each day from today (today's entry includes the overdue ones)."""
    tags: list[TagStat] = field(default_factory=list)
    new_per_day: list[tuple[dt.date, int]] = field(default_factory=list)

    def to_json(self) -> dict:
        d = asdict(self)
        d["today"] = self.today.isoformat()
        d["reviews_per_day"] = [{"day": day.isoformat(), "reviews": n} for day, n in self.reviews_per_day]
        d["forecast"] = [{"day": day.isoformat(), "due": n} for day, n in self.forecast]
        d["new_per_day"] = [{"day": day.isoformat(), "new": n} for day, n in self.new_per_day]
        return d


def tag_prefixes(tag: str) -> list[str]:
    """``A/B/C`` counts for ``A``, ``A/B`` and ``A/B/C`` (nested tags, as Obsidian)."""
    parts = [p for p in tag.strip("/").split("/") if p]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def forecast(notes: list[Note], today: dt.date, days: int) -> list[tuple[dt.date, int]]:
    per_day: Counter[dt.date] = Counter()
    last = today + dt.timedelta(days=days - 1)
    for n in notes:
        if n.fatal:
            continue
        d = n.schedule.next_review
        if d <= last:
            per_day[max(d, today)] += 1
    return [(today + dt.timedelta(days=i), per_day[today + dt.timedelta(days=i)]) for i in range(days)]


def by_tag(notes: list[Note], today: dt.date) -> list[TagStat]:
    cards: Counter[str] = Counter()
    due: Counter[str] = Counter()
    mastery: defaultdict[str, float] = defaultdict(float)
    for n in notes:
        if n.fatal:
            continue
        seen: set[str] = set()
        for tag in n.tags:
            seen.update(tag_prefixes(tag))
        for t in seen:
            cards[t] += 1
            mastery[t] += n.schedule.mastery_level
            due[t] += n.schedule.next_review <= today
    return [TagStat(t, cards[t], due[t], round(mastery[t] / cards[t], 3)) for t in sorted(cards, key=sort_key)]


def sort_key(text: str) -> tuple:
    """Case-insensitive, numbers in numeric order; CJK stays in Unicode (radical-stroke) order."""
    import re

    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in re.split(r"(\d+)", text) if p)


def compute(notes: list[Note], log: ReviewLog, today: dt.date, *, days: int = 30, history: int = 30) -> DeckStats:
    good = [n for n in notes if not n.fatal]
    since = today - dt.timedelta(days=history - 1)
    per_day: Counter[dt.date] = Counter()
    new_per_day: Counter[dt.date] = Counter()
    passed = total = 0
    for row in log.rows(kinds=("review", "redrill", "import")):
        if row.undone:
            continue
        if row.kind == "import":
            if row.day >= since:
                new_per_day[row.day] += 1
            continue
        if row.day >= since:
            per_day[row.day] += 1
        if row.kind == "review":
            total += 1
            passed += (row.grade or 0) >= scheduler.PASS
    return DeckStats(
        today=today,
        counts=scheduler.counts(notes, today),
        difficulty=dict(Counter(n.difficulty for n in good)),
        mean_mastery=round(sum(n.schedule.mastery_level for n in good) / len(good), 3) if good else 0.0,
        retention=round(passed / total, 3) if total else None,
        reviews_total=total,
        reviews_per_day=[(since + dt.timedelta(days=i), per_day[since + dt.timedelta(days=i)]) for i in range(history)],
        forecast=forecast(good, today, days),
        tags=by_tag(good, today),
        new_per_day=[(since + dt.timedelta(days=i), new_per_day[since + dt.timedelta(days=i)]) for i in range(history)],
    )
