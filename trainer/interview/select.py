"""Which cards an interview asks: due and weak first, mixed across tags.

A pure function over the scanned notes, so the ranking is easy to change: ``weakness`` is
the card's mastery by default; the CLI and the app pass the memory model's predicted recall
(:func:`predicted_recall`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from trainer.notes.model import Note
from trainer.interview import DEFAULT_QUESTIONS  # noqa: F401 - re-exported


def mastery(note: Note) -> float:
    """How well the card is known, 0…1 (low first)."""
    return note.schedule.mastery_level


def predicted_recall(today: dt.date, settings) -> Callable[[Note], float]:
    """Weakness as the memory model's predicted recall today (SM-2's or FSRS's curve, as the deck's
    ``trainer.toml`` says); a card never studied has none and counts by its mastery (0)."""
    from trainer import memory

    def weakness(note: Note) -> float:
        r = memory.recall(note.schedule, today, settings)
        return note.schedule.mastery_level if r is None else r

    return weakness


def has_tag(note: Note, tag: str) -> bool:
    """``tag`` or a tag nested under it, case ignored (``Transformer`` matches ``Transformer/Attention``)."""
    want = tag.strip("/").casefold()
    return any(t.casefold() == want or t.casefold().startswith(want + "/") for t in note.tags)


def group_of(note: Note) -> str:
    """The note's most specific tag: what "mixed across tags" mixes."""
    if not note.tags:
        return ""
    return max(note.tags, key=lambda t: (t.count("/"), len(t)))


def rank_key(note: Note, today: dt.date, weakness: Callable[[Note], float]) -> tuple:
    """Due cards before the rest; the weaker first; then the longest overdue; then by path."""
    s = note.schedule
    return (s.next_review > today, weakness(note), s.next_review, note.rel)


def select_cards(
    notes: Iterable[Note],
    today: dt.date,
    count: int = DEFAULT_QUESTIONS,
    *,
    tag: str | None = None,
    difficulty: str | None = None,
    weakness: Callable[[Note], float] = mastery,
) -> list[Note]:
    """Up to ``count`` cards. Without ``tag`` the cards are mixed across tag groups (a note's most
    specific tag): among the due cards, and then among the rest, the next card comes from the group
    asked least so far, the weakest first, so one big tag does not fill the interview."""
    eligible = [
        n for n in notes
        if not n.fatal and (tag is None or has_tag(n, tag)) and (difficulty is None or n.difficulty == difficulty)
    ]
    eligible.sort(key=lambda n: rank_key(n, today, weakness))
    if tag is not None:
        return eligible[:count]
    groups: dict[str, list[Note]] = {}
    for n in eligible:  # in rank order, so each group's list is ranked
        groups.setdefault(group_of(n), []).append(n)
    lanes = list(groups.values())
    taken = [0] * len(lanes)
    chosen: list[Note] = []
    while len(chosen) < count:
        # due before not due; among those, the tag asked least so far; then the rank
        best = min(
            (i for i in range(len(lanes)) if taken[i] < len(lanes[i])),
            key=lambda i: (lanes[i][taken[i]].schedule.next_review > today, taken[i],
                           rank_key(lanes[i][taken[i]], today, weakness)),
            default=None,
        )
        if best is None:
            break
        chosen.append(lanes[best][taken[best]])
        taken[best] += 1
    return chosen
