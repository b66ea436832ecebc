"""The deck's figures, computed once and shown everywhere: overview, tag tree, forecast, stats, CLI.

One vocabulary (README "Counts"):

* **due**: studied before, and ``next_review`` is today or earlier (**overdue**: before today);
* **new**: never studied and available today; only ``new_per_day`` of them a day are shown
  (**new today**: that share, less the new cards already started today);
* **to study**: due + new today, exactly the cards a session over the whole deck would show.

The forecast's first day is *to study* (so it equals the overview's box); each later day counts
the cards whose ``next_review`` falls on it. Per tag the same rules hold, with the day's room for
new cards shared by every tag (a tag never shows more new cards than the deck could give today).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from trainer.notes.model import Note
from trainer.tags import tag_prefixes, tag_sort_key

FORECAST_DAYS = 30
"""Days of forecast computed (the overview shows the first 14, the stats screen all)."""


@dataclass(frozen=True, slots=True)
class TagFigures:
    """The figures of one tag (nested tags included) or of the whole deck."""

    cards: int
    """Notes that can be studied (broken ones are not counted)."""
    due: int
    new: int
    """Never studied and available today (before the daily limit)."""
    new_today: int
    """``new`` within today's room for new cards."""
    mastery: float
    """Mean ``mastery_level``."""

    @property
    def to_study(self) -> int:
        return self.due + self.new_today


@dataclass(frozen=True, slots=True)
class Figures:
    """Every count of the deck on ``today``; see the module docstring for what each word means."""

    today: dt.date
    total: int
    """Every note, broken ones included."""
    broken: int
    """Notes whose frontmatter cannot be read (never studied)."""
    due: int
    overdue: int
    new: int
    new_today: int
    new_per_day: int
    new_started: int
    """New cards already started today (from the review log)."""
    mastery: float
    forecast: tuple[tuple[dt.date, int], ...]
    tags: dict[str, TagFigures] = field(default_factory=dict)
    """Every tag and tag prefix, sorted; ``""`` for untagged notes."""

    @property
    def to_study(self) -> int:
        return self.due + self.new_today

    @property
    def all_cards(self) -> TagFigures:
        return TagFigures(self.total - self.broken, self.due, self.new, self.new_today, self.mastery)

    def counts(self) -> dict[str, int]:
        """The counts by name, for JSON and tables."""
        return {
            "to_study": self.to_study, "due": self.due, "overdue": self.overdue, "new": self.new,
            "new_today": self.new_today, "new_per_day": self.new_per_day, "new_started": self.new_started,
            "total": self.total, "problems": self.broken,
        }


def new_room(new_per_day: int, new_started: int) -> int:
    """How many new cards may still be started today."""
    return max(0, new_per_day - new_started)


def compute(notes: Iterable[Note], today: dt.date, *, new_per_day: int, new_started: int = 0,
            days: int = FORECAST_DAYS) -> Figures:
    """One pass over the notes, grouped by tag set (a 100k-note deck has a few hundred of those)."""
    room = new_room(new_per_day, new_started)
    total = broken = due = overdue = new = 0
    days = max(1, min(days, (dt.date.max - today).days + 1))  # clamped to the calendar's end (issue #11)
    last = today + dt.timedelta(days=days - 1)
    per_day: dict[dt.date, int] = defaultdict(int)
    groups: dict[tuple[str, ...], list] = defaultdict(lambda: [0, 0, 0, 0.0])  # cards, due, new, mastery sum
    for n in notes:
        total += 1
        if n.fatal:
            broken += 1
            continue
        s = n.schedule
        nr = s.next_review
        g = groups[n.tags]
        g[0] += 1
        g[3] += s.mastery_level
        if nr <= today:
            if s.review_count == 0 and s.last_reviewed is None:
                new += 1
                g[2] += 1
            else:
                due += 1
                g[1] += 1
                overdue += nr < today
        elif nr <= last:
            per_day[nr] += 1
    new_today = min(new, room)
    per_day[today] = due + new_today
    agg: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0.0])
    mastery_sum = 0.0
    for tags, (cards, g_due, g_new, msum) in groups.items():
        mastery_sum += msum
        seen: set[str] = set()
        for tag in tags:
            seen.update(tag_prefixes(tag))
        if not tags:
            seen.add("")
        for t in seen:
            a = agg[t]
            a[0] += cards
            a[1] += g_due
            a[2] += g_new
            a[3] += msum
    good = total - broken
    return Figures(
        today=today, total=total, broken=broken, due=due, overdue=overdue, new=new, new_today=new_today,
        new_per_day=new_per_day, new_started=new_started,
        mastery=round(mastery_sum / good, 3) if good else 0.0,
        forecast=tuple((today + dt.timedelta(days=i), per_day.get(today + dt.timedelta(days=i), 0)) for i in range(days)),
        tags={
            t: TagFigures(a[0], a[1], a[2], min(a[2], room), round(a[3] / a[0], 3) if a[0] else 0.0)
            for t, a in sorted(agg.items(), key=lambda kv: (kv[0] == "", tag_sort_key(kv[0])))
        },
    )
