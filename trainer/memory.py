"""The memory model: FSRS (through fsrs-rs) beside SM-2, and predicted recall for both.

Everything FSRS computes comes from ``fsrs_rs_python`` (the engine inside Anki); this module
only maps the trainer's grades and days onto it. Day-based like the rest of the trainer: the
first grade of a day schedules, ``next_review = day + max(1, round(interval))`` capped by
``max_interval``, no fuzz (two machines must compute the same date).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Iterable, Sequence

from trainer import scheduler
from trainer.config import Settings
from trainer.notes.model import Schedule
from trainer.tags import tag_prefixes

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
RATING_NAMES = {AGAIN: "again", HARD: "hard", GOOD: "good", EASY: "easy"}
SM2_RECALL_AT_INTERVAL = 0.9
"""srs-benchmark's SM-2 model: recall is 0.9 when a card falls due, ``0.9^(elapsed / interval)``."""


def rating(grade: int) -> int:
    """Grade 0-5 → Anki's buttons: 0, 1, 2 → Again (still a failure, as in SM-2), 3 Hard, 4 Good, 5 Easy."""
    scheduler.check_grade(grade)
    return AGAIN if grade < scheduler.PASS else grade - 1


def grade_of_rating(r: int) -> int:
    """Anki's button → the SM-2 grade srs-benchmark's SM-2 uses (``rating + 1``: Again is 2)."""
    if r not in RATING_NAMES:
        raise ValueError(f"rating must be 1-4 (Again, Hard, Good, Easy), got {r!r}")
    return r + 1


@dataclass(frozen=True, slots=True)
class Memory:
    stability: float
    """Days until recall falls to 90%."""
    difficulty: float
    """1 (easy) to 10 (hard)."""


@lru_cache(maxsize=8)
def engine(weights: tuple[float, ...]):
    """One fsrs-rs model per parameter set (building it checks and copies the parameters)."""
    from fsrs_rs_python import FSRS

    return FSRS(list(weights))


def engine_defaults() -> tuple[float, ...]:
    from trainer.config import default_parameters

    return default_parameters()


def stored(s: Schedule) -> Memory | None:
    """The FSRS state written in the note, when both keys are there."""
    if s.stability is None or s.fsrs_difficulty is None:
        return None
    return Memory(s.stability, s.fsrs_difficulty)


def from_sm2(s: Schedule, weights: Sequence[float]) -> Memory | None:
    """fsrs-rs's SM-2 → FSRS conversion, from the note's ``ease_factor`` and ``interval``."""
    if s.is_new:
        return None
    m = engine(tuple(weights)).memory_state_from_sm2(s.ease_factor, float(max(1, s.interval)), SM2_RECALL_AT_INTERVAL)
    return Memory(m.stability, m.difficulty)


def replay(history: Sequence[tuple[dt.date, int]], weights: Sequence[float]) -> Memory | None:
    """The state after a card's scheduling reviews ``(day, grade)``, from its first one on, through fsrs-rs."""
    if not history:
        return None
    from fsrs_rs_python import FSRSItem, FSRSReview

    reviews, last = [], None
    for day, g in history:
        reviews.append(FSRSReview(rating(g), 0 if last is None else max(0, (day - last).days)))
        last = day
    m = engine(tuple(weights)).memory_state(FSRSItem(reviews))
    return Memory(m.stability, m.difficulty)


def history_from_log(log, rel: str) -> list[tuple[dt.date, int]] | None:
    """The note's scheduling reviews in the review log (imported ones included), oldest first;
    ``None`` unless the log holds its whole history (its first logged review was of a new card)."""
    rows = log.conn.execute(
        "SELECT day, grade, was_new FROM reviews WHERE note = ? AND kind = 'review' AND state = 'done'"
        " AND undone = 0 AND grade IS NOT NULL ORDER BY day, id",
        (rel,),
    ).fetchall()
    if not rows or not rows[0][2]:
        return None
    out, seen = [], set()
    for day, g, _ in rows:
        if day not in seen:  # one scheduling review a day
            seen.add(day)
            out.append((dt.date.fromisoformat(day), int(g)))
    return out


def initial_state(s: Schedule, weights: Sequence[float], history: Sequence[tuple[dt.date, int]] | None) -> Memory | None:
    """A card's FSRS state before this grade: the note's, else its replayed log history (when the
    log has it and it ends on the note's last review), else fsrs-rs's conversion of its SM-2 state."""
    m = stored(s)
    if m is not None:
        return m
    if s.is_new:
        return None
    if history and history[-1][0] == s.last_reviewed:
        return replay(history, weights)
    return from_sm2(s, weights)


def _round_state(m: Memory) -> tuple[float, float]:
    # As written in the note (two decimals), so the next grade's "unchanged since read" check holds.
    return min(36500.0, max(0.01, round(m.stability, 2))), min(10.0, max(1.0, round(m.difficulty, 2)))


def fsrs_review(
    s: Schedule, grade: int, day: dt.date, settings: Settings, *, before: Memory | None, max_interval: int | None = None
) -> Schedule:
    """One scheduling FSRS review. The SM-2 keys move as SM-2 would (so switching back works);
    ``interval``/``next_review`` are FSRS's, and the memory state is stored beside them."""
    cap = min(settings.max_interval, max_interval if max_interval is not None else scheduler.MAX_INTERVAL)
    shadow = scheduler.review(s, grade, day, cap)
    elapsed = 0 if s.last_reviewed is None else max(0, (day - s.last_reviewed).days)
    from fsrs_rs_python import MemoryState

    state = None if before is None else MemoryState(before.stability, before.difficulty)
    nxt = engine(settings.weights).next_states(state, settings.desired_retention, elapsed)
    item = getattr(nxt, RATING_NAMES[rating(grade)])
    interval = next_interval_days(item.interval, cap)
    stability, difficulty = _round_state(Memory(item.memory.stability, item.memory.difficulty))
    return replace(
        shadow,
        interval=interval,
        next_review=_add_days(day, interval),
        stability=stability,
        fsrs_difficulty=difficulty,
    )


def next_interval_days(interval: float, max_interval: int) -> int:
    return max(1, min(max(1, round(interval)), max_interval))


def _add_days(day: dt.date, days: int) -> dt.date:
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max


def forget_sm2(s: Schedule) -> Schedule:
    """An SM-2 review drops the FSRS state: it no longer describes the card (a later switch back
    rebuilds it from the log or from ease and interval)."""
    return replace(s, stability=None, fsrs_difficulty=None) if s.stability is not None or s.fsrs_difficulty is not None else s


# ---------------------------------------------------------------- predicted recall


def fsrs_curve(elapsed: float, stability: float, decay: float) -> float:
    """FSRS-6's forgetting curve as fsrs-rs computes it (``Card.retention_on``; checked in tests):
    recall is 0.9 after ``stability`` days, falling as a power law with the fitted ``decay``."""
    factor = 0.9 ** (-1.0 / decay) - 1.0
    return (1.0 + factor * max(0.0, elapsed) / stability) ** (-decay)


def sm2_curve(elapsed: float, interval: float) -> float:
    return SM2_RECALL_AT_INTERVAL ** (max(0.0, elapsed) / max(1.0, interval))


def recall(s: Schedule, day: dt.date, settings: Settings) -> float | None:
    """Predicted probability of recalling the card on ``day`` (``None`` for a card never studied)."""
    if s.is_new or s.last_reviewed is None:
        return None
    elapsed = (day - s.last_reviewed).days
    if settings.algorithm == "fsrs":
        m = stored(s) or from_sm2(s, settings.weights)
        if m is not None:
            return fsrs_curve(elapsed, m.stability, settings.weights[20])
    return sm2_curve(elapsed, s.interval)


def recall_summary(notes: Iterable, day: dt.date, settings: Settings) -> dict:
    """Expected recall on ``day``: the deck's mean over studied cards, and each tag's (parents included).

    One pass; each schedule's recall and each tag's prefixes are computed once (#17: a deck with
    one distinct nested tag per note shares its parents, and cards share their schedules)."""
    total, count = 0.0, 0
    tags: dict[str, list[float]] = {}
    recalls: dict[tuple, float | None] = {}
    prefixes: dict[str, tuple[str, ...]] = {}
    fsrs = settings.algorithm == "fsrs"
    for n in notes:
        if n.fatal:
            continue
        s = n.schedule
        if s.last_reviewed is None:
            continue  # never studied (recall() says None)
        key = (s.last_reviewed, s.interval, s.ease_factor, s.stability, s.fsrs_difficulty) if fsrs \
            else (s.last_reviewed, s.interval)  # what recall() reads
        r = recalls.get(key, _UNSET)
        if r is _UNSET:
            r = recalls[key] = recall(s, day, settings)
        if r is None:
            continue
        total += r
        count += 1
        ts = n.tags
        if len(ts) == 1:
            found = prefixes.get(ts[0])
            if found is None:
                found = prefixes[ts[0]] = _recall_prefixes(ts[0])
        else:
            found = set()  # several tags: their prefixes overlap
            for tag in ts:
                p = prefixes.get(tag)
                if p is None:
                    p = prefixes[tag] = _recall_prefixes(tag)
                found.update(p)
        for prefix in found:
            acc = tags.get(prefix)
            if acc is None:
                tags[prefix] = [1, r]  # 0.0 + r is r
            else:
                acc[0] += 1
                acc[1] += r
    return {
        "day": day.isoformat(),
        "model": settings.algorithm,
        "studied": count,
        "deck": round(total / count, 4) if count else None,
        "tags": {t: {"studied": int(n), "recall": round(s / n, 4)} for t, (n, s) in sorted(tags.items())},
    }


_UNSET = object()


def _recall_prefixes(tag: str) -> tuple[str, ...]:
    """The tag and its parents, by the one rule the per-tag figures use (:func:`trainer.tags.tag_prefixes`),
    so a tag's recall stands beside its counts."""
    return tuple(tag_prefixes(tag))


@dataclass(frozen=True, slots=True)
class SwitchMove:
    rel: str
    next_review: dt.date
    """As SM-2 scheduled it (what the note says)."""
    fsrs_next_review: dt.date
    """``last_reviewed`` + FSRS's interval at the desired retention, from the card's first FSRS state."""
    source: str
    """``log`` (history replayed) or ``sm2`` (fsrs-rs's conversion of ease and interval)."""


def switch_preview(notes: Iterable, settings: Settings, log) -> list[SwitchMove]:
    """What switching the deck to FSRS would move: each studied card without an FSRS state yet,
    with the due date its first FSRS state gives. Nothing is written by a switch: a card takes
    its FSRS state (and FSRS's date) at its next grade."""
    out = []
    eng = engine(settings.weights)
    for n in notes:
        s = n.schedule
        if n.fatal or s.is_new or s.last_reviewed is None or stored(s) is not None:
            continue
        history = history_from_log(log, n.rel)
        replayed = bool(history and history[-1][0] == s.last_reviewed)
        m = initial_state(s, settings.weights, history)
        if m is None:
            continue
        ivl = next_interval_days(eng.next_interval(m.stability, settings.desired_retention, GOOD), settings.max_interval)
        out.append(SwitchMove(n.rel, s.next_review, _add_days(s.last_reviewed, ivl), "log" if replayed else "sm2"))
    out.sort(key=lambda m: ((m.fsrs_next_review - m.next_review).days, m.rel))
    return out


def preview(s: Schedule, day: dt.date, settings: Settings, max_interval: int = scheduler.MAX_INTERVAL) -> dict[int, int]:
    """The interval each grade 0-5 would give on ``day``, for the answer buttons (SM-2's or FSRS's)."""
    cap = min(max_interval, settings.max_interval)
    if settings.algorithm != "fsrs":
        return scheduler.preview(s, cap)
    from fsrs_rs_python import MemoryState

    m = stored(s) or from_sm2(s, settings.weights)
    state = None if m is None else MemoryState(m.stability, m.difficulty)
    elapsed = 0 if s.last_reviewed is None else max(0, (day - s.last_reviewed).days)
    nxt = engine(settings.weights).next_states(state, settings.desired_retention, elapsed)
    return {g: next_interval_days(getattr(nxt, RATING_NAMES[rating(g)]).interval, cap) for g in scheduler.GRADES}
