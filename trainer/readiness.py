"""What the overview says about memory: expected recall today and, with ``[interview] date`` in
trainer.toml, the countdown and readiness (trainer.planning's numbers for the whole deck).

One pure function of a snapshot of the notes, so the app can run it in a thread (planning a 10k
deck takes about half a second) and hand the plan's first day to a study session started later
from the same notes, instead of planning again on the UI thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

from trainer import memory, planning
from trainer.config import Settings
from trainer.notes.model import Note


@dataclass(frozen=True, slots=True)
class Readiness:
    today: dt.date
    algorithm: str
    recall: float | None
    """The deck's expected recall today (mean over studied cards; ``None``: nothing studied)."""
    studied: int
    interview: dt.date | None = None
    without_plan: float | None = None
    """Mean predicted recall on the interview day without the plan (``None``: no interview ahead)."""
    with_plan: float | None = None
    todays_plan: tuple[str, ...] = ()
    """The notes the plan puts on today, best first (:func:`trainer.planning.todays_plan`'s order)."""

    @property
    def days_left(self) -> int | None:
        return None if self.interview is None else (self.interview - self.today).days


def compute(notes: Sequence[Note], today: dt.date, settings: Settings) -> Readiness:
    """Expected recall today, and the interview plan when the interview is still ahead."""
    r = memory.recall_summary(notes, today, settings)
    base = Readiness(today, settings.algorithm, r["deck"], r["studied"], settings.interview)
    interview = settings.interview
    if interview is None or interview <= today:
        return base
    p = planning.plan(notes, today, interview, settings.new_per_day, settings)
    return Readiness(today, settings.algorithm, r["deck"], r["studied"], interview, p.without_plan, p.with_plan,
                     tuple(planning.first_day_order(p)))
