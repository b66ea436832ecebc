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
from trainer.tags import sort_tags, tag_prefixes

FORECAST_DAYS = 30
"""Days of forecast computed (the overview shows the first 14, the stats screen all)."""


@dataclass(slots=True)
class TagFigures:
    """The figures of one tag (nested tags included) or of the whole deck.

    Treated as a value, but not ``frozen``: a deck with one distinct tag per note builds 100k of
    these per figures, and a frozen dataclass is built several times slower (#17).
    """

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
    groups: dict[tuple[str, ...], list] = defaultdict(lambda: [0, 0, 0, 0.0])  # cards, due, new, (unused)
    # mastery is summed per tag note by note, in the deck's order (not by tag set): the order in
    # which trainer.columns adds it too, so every path prints the same rounded means (#17)
    closure = tag_closure_memo()
    closures: dict[tuple[str, ...], tuple[str, ...]] = {}
    msums: dict[str, float] = {}
    msum_get = msums.get
    mastery_sum = 0.0
    for n in notes:
        total += 1
        if n.fatal:
            broken += 1
            continue
        s = n.schedule
        nr = s.next_review
        tags = n.tags
        g = groups[tags]
        g[0] += 1
        ml = s.mastery_level
        mastery_sum += ml
        cl = closures.get(tags)
        if cl is None:
            cl = closures[tags] = tuple(closure(tags))
        for t in cl:
            msums[t] = msum_get(t, 0.0) + ml
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
    agg = sum_by_tag(groups, closures)
    for t, a in agg.items():
        a[3] = msums[t]
    good = total - broken
    return Figures(
        today=today, total=total, broken=broken, due=due, overdue=overdue, new=new, new_today=new_today,
        new_per_day=new_per_day, new_started=new_started,
        mastery=round(mastery_sum / good, 3) if good else 0.0,
        forecast=tuple((today + dt.timedelta(days=i), per_day.get(today + dt.timedelta(days=i), 0)) for i in range(days)),
        tags=_tag_figures(agg, room),
    )


def _tag_figures(agg: dict[str, list], room: int) -> dict[str, TagFigures]:
    """Tags in ``tag_sort_key`` order, untagged (``""``) last; equal keys keep their first appearance."""
    untagged = agg.pop("", None)
    order = sort_tags(agg)
    if untagged is not None:
        agg[""] = untagged
        order.append("")
    out = {}
    for t in order:
        cards, due, new, msum = agg[t]
        out[t] = TagFigures(cards, due, new, new if new < room else room, round(msum / cards, 3) if cards else 0.0)
    return out


def sum_by_tag(groups: dict[tuple[str, ...], list], closures: dict) -> dict[str, list]:
    """Each tag's sums (element by element) over the tag sets that count for it, in the groups'
    order: ``closures[tags]`` is every tag and prefix a tag set counts for (:func:`tag_closure_memo`)."""
    agg: dict[str, list] = {}
    for tags, g in groups.items():
        for t in closures[tags]:
            a = agg.get(t)
            if a is None:
                agg[t] = g.copy()
            else:
                for k, v in enumerate(g):
                    a[k] += v
    return agg


def tag_closure_memo():
    """``tags -> every tag and prefix they count for`` (``("",)`` for none), remembering each
    tag's prefixes: on a deck with one distinct nested tag per note the parents are shared."""
    memo: dict[str, tuple[str, ...]] = {}

    def prefixes(tag: str) -> tuple[str, ...]:
        p = memo.get(tag)
        if p is None:
            p = memo[tag] = tuple(tag_prefixes(tag))
        return p

    def closure(tags: tuple[str, ...]):
        if len(tags) == 1:
            return prefixes(tags[0])  # distinct already: each prefix is longer than the last
        if not tags:
            return ("",)
        seen: dict[str, None] = {}  # several tags: their prefixes overlap (a dict, not a set: its order is
        for tag in tags:            # the tags' own, where a set's follows the process's string hashing, and
            seen.update(dict.fromkeys(prefixes(tag)))  # tags that sort as equals keep their first appearance)
        return seen

    return closure
