"""A simulated learner with a known forgetting curve, for scoring memory models (tests, bench_memory).

Each card has a true stability that grows on each success (less for hard cards) and collapses on a
failure; recall after ``t`` days is ``exp(-t / S)``. The learner studies on SM-2's schedule but
comes back late or early (0.3x to 2x the interval), so elapsed times vary as in a real log. A model
that learns stability from the history (FSRS) should predict this learner better than SM-2's
``0.9^(t / interval)``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path

START = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.timezone.utc)


def simulate(cards: int, reviews: int, *, seed: int = 0, new_per_day: int = 20) -> list[tuple[str, dt.datetime, int]]:
    """``(card_id, review_time, rating 1-4)`` rows in time order, about ``reviews`` of them."""
    rng = random.Random(seed)
    out: list[tuple[str, dt.datetime, int]] = []
    # per card: true stability, difficulty (0 easy .. 1 hard), SM-2 interval, ease, reps, next day
    state: dict[int, list] = {}
    day = 0
    introduced = 0
    while len(out) < reviews and day < 100_000:
        due = [c for c, s in state.items() if s[5] <= day]
        for c in range(introduced, min(cards, introduced + new_per_day)):
            state[c] = [rng.uniform(2.0, 8.0), rng.random(), 0, 2.5, 0, day, None]
            due.append(c)
        introduced = min(cards, introduced + new_per_day)
        for c in due:
            s = state[c]
            stab, diff, ivl, ease, reps, _, last = s
            if last is None:
                rating = 3 if rng.random() > 0.3 * diff else 1
            else:
                recall = math.exp(-(day - last) / stab)
                if rng.random() < recall:
                    rating = 4 if recall > 0.95 and rng.random() < 0.5 else (2 if recall < 0.6 else 3)
                    stab *= 1.5 + (3.5 - 2.5 * diff) * (1.2 - recall)  # harder gains, more so when nearly forgotten
                else:
                    rating = 1
                    stab = max(1.0, stab * 0.3)
            q = rating + 1
            if q >= 3:
                ivl = 1 if reps == 0 else 6 if reps == 1 else math.ceil(ivl * ease)
                reps += 1
            else:
                ivl, reps = 1, 0
            ease = max(1.3, ease + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02))
            gap = max(1, round(ivl * rng.uniform(0.3, 2.0)))
            s[:] = [stab, diff, ivl, ease, reps, day + gap, day]
            when = START + dt.timedelta(days=day, seconds=rng.randrange(0, 12 * 3600))
            out.append((f"card{c}", when, rating))
        day += 1
    out.sort(key=lambda r: r[1])
    return out[:reviews]


def write_csv(rows, path: Path) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("card_id,review_time,review_rating,review_duration\n")
        for card, when, rating in rows:
            fh.write(f"{card},{when.isoformat()},{rating},\n")
    return path
