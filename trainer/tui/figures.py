"""The overview's figures in one pass over the notes (run in the scan worker; no Textual here).

Same definitions as :func:`trainer.scheduler.counts`, :func:`trainer.stats.forecast` and
:func:`trainer.stats.by_tag`, but grouped by tag set first so a 100k-note deck with a few
hundred distinct tag sets costs one cheap loop (tests compare the results with the core's).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from trainer import stats
from trainer.notes.model import Note

FORECAST_DAYS = 14


@dataclass(frozen=True, slots=True)
class TagFigures:
    cards: int
    due: int
    mastery: float
    """Mean mastery_level."""


@dataclass(slots=True)
class DeckSummary:
    counts: dict[str, int]
    """As :func:`trainer.scheduler.counts`: due, overdue, new, total, problems."""
    forecast: list[tuple[dt.date, int]]
    all_cards: TagFigures
    tags: dict[str, TagFigures] = field(default_factory=dict)
    """Every tag and tag prefix, in :func:`trainer.stats.sort_key` order; ``""`` for untagged notes."""


def summarize(notes: list[Note], today: dt.date, days: int = FORECAST_DAYS) -> DeckSummary:
    counts = {"due": 0, "overdue": 0, "new": 0, "total": 0, "problems": 0}
    last = today + dt.timedelta(days=days - 1)
    per_day: dict[dt.date, int] = defaultdict(int)
    # per distinct tag tuple: [cards, due, mastery sum]
    groups: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for n in notes:
        counts["total"] += 1
        if n.fatal:
            counts["problems"] += 1
            continue
        s = n.schedule
        nr = s.next_review
        due = nr <= today
        if due:
            if s.review_count == 0 and s.last_reviewed is None:
                counts["new"] += 1
            else:
                counts["due"] += 1
                if nr < today:
                    counts["overdue"] += 1
            per_day[today] += 1
        elif nr <= last:
            per_day[nr] += 1
        g = groups[n.tags]
        g[0] += 1
        g[1] += due
        g[2] += s.mastery_level
    agg: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    total = [0, 0, 0.0]
    for tags, (cards, due, msum) in groups.items():
        total[0] += cards
        total[1] += due
        total[2] += msum
        seen: set[str] = set()
        for tag in tags:
            seen.update(stats.tag_prefixes(tag))
        if not tags:
            seen.add("")
        for t in seen:
            a = agg[t]
            a[0] += cards
            a[1] += due
            a[2] += msum
    tags_out = {
        t: TagFigures(int(a[0]), int(a[1]), round(a[2] / a[0], 3) if a[0] else 0.0)
        for t, a in sorted(agg.items(), key=lambda kv: (kv[0] == "", stats.sort_key(kv[0])))
    }
    return DeckSummary(
        counts=counts,
        forecast=[(today + dt.timedelta(days=i), per_day.get(today + dt.timedelta(days=i), 0)) for i in range(days)],
        all_cards=TagFigures(int(total[0]), int(total[1]), round(total[2] / total[0], 3) if total[0] else 0.0),
        tags=tags_out,
    )
