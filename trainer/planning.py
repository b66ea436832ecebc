"""A study plan toward an interview day (``trainer plan``): which notes to review on which day so
that as many cards as possible are recalled on the day, never more than N reviews a day.

Each planned review is assumed to pass (Good). A card's recall on the interview day comes from
the deck's memory model (``trainer.memory``): FSRS's forgetting curve, or SM-2's
``0.9^(elapsed / interval)``; a card never studied counts as 0 without a plan. The plan is greedy:
in rounds, every card proposes the review day that would raise its recall on the day the most
(given the reviews already planned for it), and the largest gains take the free places first.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple, Sequence

from trainer import memory, scheduler
from trainer.config import Settings
from trainer.notes.model import Note, Schedule

MAX_ROUNDS = 6
LATE_DAYS = 10
"""The last days before the interview are all candidates; earlier ones are sampled."""
SAMPLED_DAYS = 10
MIN_GAIN = 1e-4


@dataclass
class _Card:
    rel: str
    tags: tuple[str, ...]
    schedule: Schedule
    start: memory.Memory | None
    """FSRS state before the plan (FSRS decks only)."""
    planned: list[dt.date] = field(default_factory=list)
    without: float = 0.0
    now: float = 0.0
    """Recall on the day with the reviews planned so far."""


@dataclass(frozen=True, slots=True)
class Plan:
    interview: dt.date
    per_day: int
    days: list[tuple[dt.date, list[str]]]
    cards: list[tuple[str, float, float]]
    """(note, recall on the day without the plan, with it), weakest with the plan first."""
    tags: list[tuple[str, int, float, float]]
    """(tag, cards, mean recall without, with), tags and their parents."""
    without_plan: float
    with_plan: float
    algorithm: str

    def to_json(self) -> dict:
        return {
            "interview": self.interview.isoformat(),
            "per_day": self.per_day,
            "algorithm": self.algorithm,
            "assumption": "every planned review passes (Good)",
            "days": [{"date": d.isoformat(), "notes": notes} for d, notes in self.days],
            "readiness": {"without_plan": round(self.without_plan, 4), "with_plan": round(self.with_plan, 4)},
            "tags": [{"tag": t, "cards": n, "without_plan": round(a, 4), "with_plan": round(b, 4)} for t, n, a, b in self.tags],
            "cards": [{"note": rel, "without_plan": round(a, 4), "with_plan": round(b, 4)} for rel, a, b in self.cards],
        }


class _SM2(NamedTuple):
    """The SM-2 fields a planned Good review reads and moves."""

    interval: int
    repetitions: int
    ease_factor: float


class _Model:
    """Recall on the interview day of a card after a list of planned Good reviews."""

    def __init__(self, settings: Settings, interview: dt.date):
        self.settings = settings
        self.interview = interview
        self.fsrs = settings.algorithm == "fsrs"
        self.decay = settings.weights[20]
        self._engine = memory.engine(settings.weights) if self.fsrs else None

    def outcome(self, card: _Card, planned: Sequence[dt.date]) -> float:
        s = card.schedule
        if self.fsrs:
            state, last = card.start, s.last_reviewed
            for day in planned:
                state = self._good(state, 0 if last is None else (day - last).days)
                last = day
            if state is None or last is None:
                return 0.0
            return memory.fsrs_curve((self.interview - last).days, state.stability, self.decay)
        state, last = _SM2(s.interval, s.repetitions, s.ease_factor), s.last_reviewed
        for day in planned:  # scheduler.review's arithmetic, without building a Schedule each time
            state = _SM2(scheduler.next_interval(state, 4), state.repetitions + 1, scheduler.next_ease(state.ease_factor, 4))  # type: ignore[arg-type]
            last = day
        if last is None:
            return 0.0
        return memory.sm2_curve((self.interview - last).days, state.interval)

    def _good(self, state: memory.Memory | None, elapsed: int) -> memory.Memory:
        from fsrs_rs_python import MemoryState

        ms = None if state is None else MemoryState(state.stability, state.difficulty)
        m = self._engine.next_states(ms, self.settings.desired_retention, max(0, elapsed)).good.memory  # type: ignore[union-attr]
        return memory.Memory(m.stability, m.difficulty)


def candidate_days(days: Sequence[dt.date]) -> list[dt.date]:
    """Every one of the last days before the interview, and a sample of the earlier ones."""
    if len(days) <= LATE_DAYS + SAMPLED_DAYS:
        return list(days)
    early = days[: len(days) - LATE_DAYS]
    step = len(early) / SAMPLED_DAYS
    return sorted({early[int(i * step)] for i in range(SAMPLED_DAYS)} | set(days[-LATE_DAYS:]))


def plan(notes: Iterable[Note], today: dt.date, interview: dt.date, per_day: int, settings: Settings) -> Plan:
    if interview <= today:
        raise ValueError(f"the interview ({interview}) must be after today ({today})")
    model = _Model(settings, interview)
    cards = []
    for n in notes:
        if n.fatal:
            continue
        s = n.schedule
        start = None
        if model.fsrs:
            start = memory.stored(s) or memory.from_sm2(s, settings.weights)
        c = _Card(n.rel, n.tags, s, start)
        c.without = c.now = model.outcome(c, [])
        cards.append(c)
    days = [today + dt.timedelta(days=i) for i in range((interview - today).days)]
    room = {d: per_day for d in days}
    for _ in range(MAX_ROUNDS):
        open_days = candidate_days([d for d in days if room[d] > 0])
        if not open_days:
            break
        proposals = []
        for c in _shortlist(model, cards, open_days[-1], sum(room.values())):
            options = []
            for d in open_days:
                if not _allowed(c, d):
                    continue
                gain = model.outcome(c, sorted(c.planned + [d])) - c.now
                if gain > MIN_GAIN:
                    options.append((gain, d))
            if options:
                options.sort(reverse=True)
                proposals.append((options[0][0], c.rel, c, options))
        if not proposals:
            break
        placed = 0
        for _, _, c, options in heapq.nlargest(sum(room.values()), proposals, key=lambda p: (p[0], p[1])):
            for gain, d in options:
                if room[d] > 0:
                    room[d] -= 1
                    c.planned = sorted(c.planned + [d])
                    c.now += gain
                    placed += 1
                    break
        if not placed:
            break
    by_day: dict[dt.date, list[str]] = {d: [] for d in days}
    for c in cards:
        for d in c.planned:
            by_day[d].append(c.rel)
    total = len(cards) or 1
    return Plan(
        interview=interview,
        per_day=per_day,
        days=[(d, sorted(by_day[d])) for d in days],
        cards=sorted(((c.rel, c.without, c.now) for c in cards), key=lambda x: (x[2], x[0])),
        tags=_by_tag(cards),
        without_plan=sum(c.without for c in cards) / total,
        with_plan=sum(c.now for c in cards) / total,
        algorithm=settings.algorithm,
    )


def _allowed(c: _Card, d: dt.date) -> bool:
    return d not in c.planned and (c.schedule.last_reviewed is None or d > c.schedule.last_reviewed)


def _shortlist(model: _Model, cards: list[_Card], last_open: dt.date, room: int) -> list[_Card]:
    """The cards worth weighing day by day: on a large deck only a few find a place, so all are
    ranked by the gain of one review on the last open day (the best day for SM-2, nearly so for
    FSRS) and only the best few times the free places are weighed on every candidate day."""
    keep = 3 * room + 50
    if len(cards) <= keep:
        return cards
    ranked = []
    for i, c in enumerate(cards):
        if _allowed(c, last_open):
            ranked.append((model.outcome(c, sorted(c.planned + [last_open])) - c.now, i))
    return [cards[i] for _, i in heapq.nlargest(keep, ranked)]


def _by_tag(cards: list[_Card]) -> list[tuple[str, int, float, float]]:
    sums: dict[str, list[float]] = {}
    for c in cards:
        seen = set()
        for tag in c.tags:
            parts = tag.strip("/").split("/")
            for k in range(1, len(parts) + 1):
                prefix = "/".join(parts[:k])
                if prefix and prefix not in seen:
                    seen.add(prefix)
                    acc = sums.setdefault(prefix, [0, 0.0, 0.0])
                    acc[0] += 1
                    acc[1] += c.without
                    acc[2] += c.now
    return [(t, int(n), a / n, b / n) for t, (n, a, b) in sorted(sums.items())]


def todays_plan(notes: Sequence[Note], today: dt.date, settings: Settings) -> list[str]:
    """The notes the interview plan puts on ``today`` (``[interview] date`` in trainer.toml), best
    first; empty without an interview day ahead. A study session takes these first."""
    interview = settings.interview
    if interview is None or interview <= today:
        return []
    return first_day_order(plan(notes, today, interview, settings.new_per_day, settings))


def first_day_order(p: Plan) -> list[str]:
    """The notes a plan puts on its first day, the largest gain on the interview day first."""
    gain = {rel: with_ - without for rel, without, with_ in p.cards}
    return sorted(p.days[0][1], key=lambda rel: (-gain.get(rel, 0.0), rel))
