"""`trainer schedule`: fill missing keys and spread the backlog over days under a per-day cap."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from trainer import scheduler
from trainer.deck import Deck
from trainer.notes.model import STANDARD_KEYS, Note, standard_values
from trainer.notes.store import MISSING


@dataclass(slots=True)
class Change:
    note: Note
    updates: dict[str, object]
    old: dict[str, object]
    planned: dict[str, object] = field(default_factory=dict)
    """What each updated key held when planned (``MISSING``: absent); the write re-checks it."""

    @property
    def rel(self) -> str:
        return self.note.rel


@dataclass(slots=True)
class Plan:
    changes: list[Change] = field(default_factory=list)
    filled: int = 0
    moved: int = 0
    forecast: list[tuple[dt.date, int, int]] = field(default_factory=list)
    """(day, reviews due, new cards due) after the plan."""
    held: list[Note] = field(default_factory=list)
    """Notes with problems: left as they are (listed so the user can fix them)."""
    written: int = 0
    """Notes actually changed on disk by :func:`apply_plan` (a failed or superseded write is not one)."""
    failed: set[str] = field(default_factory=set)
    """The notes :func:`apply_plan` could not write (not listed as changed)."""

    def to_json(self, *, dry_run: bool, failures: list[str]) -> dict:
        def show(v: object) -> object:
            return v.isoformat() if isinstance(v, dt.date) else v

        return {
            "dry_run": dry_run,
            "changed": len(self.changes) if dry_run else self.written,
            "filled": self.filled,
            "moved": self.moved,
            "changes": [
                {"path": c.rel, "updates": {k: show(v) for k, v in c.updates.items()},
                 "old": {k: show(v) for k, v in c.old.items()}}
                for c in self.changes
            ],
            "forecast": [{"day": d.isoformat(), "due": n, "new": k} for d, n, k in self.forecast],
            "held": [n.rel for n in self.held],
            "failures": failures,
        }


def plan_schedule(
    notes: list[Note], today: dt.date, *, per_day: int = 50, new_per_day: int = 20, days: int = 14
) -> Plan:
    """Pure planning: which keys to add, which backlog cards to move to which day."""
    plan = Plan()
    per_day = max(per_day, 1)
    load: Counter[dt.date] = Counter()
    new_load: Counter[dt.date] = Counter()
    backlog: list[Note] = []
    new_backlog: list[Note] = []
    good = [n for n in notes if not n.fatal]
    for n in good:
        d = n.schedule.next_review
        if d > today:
            load[d] += 1
            new_load[d] += n.is_new
        elif n.is_new:
            new_backlog.append(n)
        else:
            backlog.append(n)
    backlog.sort(key=scheduler.order_key)
    new_backlog.sort(key=scheduler.order_key)

    moves: dict[str, dt.date] = {}
    day = today
    for n in backlog:
        while load[day] >= per_day and day < dt.date.max:  # the calendar's last day takes the rest
            day += dt.timedelta(days=1)
        load[day] += 1
        if day != today:
            moves[n.rel] = day
    day = today
    for n in new_backlog:
        while (load[day] >= per_day or new_load[day] >= max(new_per_day, 1)) and day < dt.date.max:
            day += dt.timedelta(days=1)
        load[day] += 1
        new_load[day] += 1
        if day != today:
            moves[n.rel] = day

    for n in good:
        if n.problems:
            # SPEC §1: a note with a bad value is not rewritten until the user grades it
            if moves.pop(n.rel, None) is not None or any(k not in n.present for k in STANDARD_KEYS):
                plan.held.append(n)
            continue
        updates: dict[str, object] = {}
        defaults = standard_values(n.schedule, n.difficulty, n.tags)
        for key in STANDARD_KEYS:
            if key not in n.present:
                updates[key] = defaults[key]
        if updates:
            plan.filled += 1
        if n.rel in moves:
            updates["next_review"] = moves[n.rel]
            plan.moved += 1
        if updates:
            old = {k: (defaults.get(k) if k in n.present else None) for k in updates}
            planned = {k: (defaults[k] if k in n.present else MISSING) for k in updates}
            plan.changes.append(Change(n, updates, old, planned))

    days = max(0, min(days, (dt.date.max - today).days + 1))  # the forecast stops at the calendar's end
    plan.forecast = [
        (today + dt.timedelta(days=i), load[today + dt.timedelta(days=i)] - new_load[today + dt.timedelta(days=i)],
         new_load[today + dt.timedelta(days=i)])
        for i in range(days)
    ]
    return plan


def apply_plan(deck: Deck, plan: Plan) -> list[str]:
    """Write the plan note by note; a note that fails is reported and the rest go on."""
    from trainer.notes.parse import NoteError
    from trainer.notes.store import Conflict, NoteGone, update_note

    failures = []
    plan.written = 0
    for c in plan.changes:
        # Read again under the note's lock: a key is written only if the note still holds what
        # the plan saw (a key the user added meanwhile, or a stale scan cache, is never overwritten).
        try:
            written = update_note(c.note.path, c.updates, expect=c.note.schedule, planned=c.planned, root=deck.root)
        except (Conflict, NoteGone, NoteError, OSError) as exc:
            failures.append(f"{c.rel}: schedule: {exc}")
            plan.failed.add(c.rel)
            continue
        plan.written += written.changed
    return failures
