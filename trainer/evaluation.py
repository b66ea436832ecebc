"""Scoring memory models on a review log, the way srs-benchmark does (``trainer eval``), and
fitting FSRS parameters (``trainer optimize``).

Reviews are taken in time order; as in the trainer, a card's first review of a day is the one
that counts (later ones the same day are re-drills). A review is scored when it comes at least
a day after the card's previous one; recalled means rating above Again (grade >= 3). The scored
reviews are cut into 6 time-ordered parts (scikit-learn's TimeSeriesSplit, 5 splits): each of
the last 5 is predicted by SM-2, FSRS with fsrs-rs's default parameters, and FSRS with
parameters fitted by fsrs-rs on the parts before it only.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from trainer import memory, scheduler
from trainer.notes.model import Schedule

N_SPLITS = 5
EPS = 1e-7


class LogError(ValueError):
    """A review log that cannot be read; the message names the line."""


@dataclass(frozen=True, slots=True)
class Review:
    card: str
    ts: dt.datetime
    day: dt.date
    rating: int
    """Anki's button, 1-4."""
    grade: int
    """0-5: the trainer's own grade, or ``rating + 1`` for a log that has buttons only."""


# ---------------------------------------------------------------- reading logs


def read_csv(path: Path) -> list[Review]:
    """A review-log CSV: ``card_id``, ``review_time`` (ISO 8601, UTC without a zone), and
    ``review_rating`` (1-4) or ``grade`` (0-5); other columns are ignored (py-fsrs's export loads)."""
    try:
        fh = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise LogError(f"{path}: cannot read it ({exc.strerror})") from None
    out: list[Review] = []
    with fh:
        try:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise LogError(f"{path}:1: empty file; expected a header with card_id, review_time, review_rating or grade")
            cols = {name.strip().lower(): i for i, name in enumerate(header)}
            for alias, name in _ALIASES.items():
                if alias in cols and name not in cols:
                    cols[name] = cols[alias]
            missing = [c for c in ("card_id", "review_time") if c not in cols]
            if missing or not ({"review_rating", "grade"} & cols.keys()):
                need = missing + ([] if {"review_rating", "grade"} & cols.keys() else ["review_rating or grade"])
                raise LogError(f"{path}:1: header lacks {', '.join(need)}")
            for line, row in enumerate(reader, 2):
                if not row or not "".join(row).strip():
                    continue
                review = _review_of(row, cols, f"{path}:{line}")
                if review is not None:
                    out.append(review)
        except UnicodeDecodeError:
            raise LogError(f"{path}: not UTF-8 text") from None
        except csv.Error as exc:
            raise LogError(f"{path}:{reader.line_num}: {exc}") from None
    return out


_ALIASES = {"review_datetime": "review_time", "rating": "review_rating"}
"""py-fsrs's ReviewLog names for the same columns."""


def _review_of(row: list[str], cols: dict[str, int], where: str) -> Review | None:
    def cell(name: str) -> str:
        i = cols[name]
        if i >= len(row):
            raise LogError(f"{where}: no {name} (the row has {len(row)} columns)")
        return row[i].strip()

    card = cell("card_id")
    if not card:
        raise LogError(f"{where}: card_id is empty")
    text = cell("review_time")
    try:
        if text.isdigit():  # epoch milliseconds, as in fsrs-rs's and Anki's revlog.csv exports
            ts = dt.datetime.fromtimestamp(int(text) / 1000, dt.timezone.utc)
        else:
            ts = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise LogError(f"{where}: review_time is not ISO 8601 (or epoch milliseconds): {text!r}") from None
    ts = ts.replace(tzinfo=dt.timezone.utc) if ts.tzinfo is None else ts.astimezone(dt.timezone.utc)
    rating_cell = row[cols["review_rating"]].strip() if "review_rating" in cols and cols["review_rating"] < len(row) else ""
    if rating_cell or "grade" not in cols:
        raw = cell("review_rating")
        if raw == "0":
            return None  # Anki's manual reschedule: not a review
        if raw not in ("1", "2", "3", "4"):
            raise LogError(f"{where}: review_rating must be 1-4 (Again, Hard, Good, Easy), got {raw!r}")
        r = int(raw)
        return Review(card, ts, ts.date(), r, memory.grade_of_rating(r))
    raw = cell("grade")
    if raw not in ("0", "1", "2", "3", "4", "5"):
        raise LogError(f"{where}: grade must be 0-5, got {raw!r}")
    g = int(raw)
    return Review(card, ts, ts.date(), memory.rating(g), g)


def from_log(log) -> list[Review]:
    """The deck's scheduling reviews (imported ones included; undone ones left out)."""
    out = []
    for note, ts, day, g in log.conn.execute(
        "SELECT note, ts, day, grade FROM reviews WHERE kind = 'review' AND state = 'done' AND undone = 0"
        " AND grade IS NOT NULL ORDER BY day, id"
    ):
        try:
            when = dt.datetime.fromisoformat(ts)
        except ValueError:
            when = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), dt.timezone.utc)
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        out.append(Review(note, when, dt.date.fromisoformat(day), memory.rating(int(g)), int(g)))
    return out


# ---------------------------------------------------------------- dataset


@dataclass
class Dataset:
    cards: dict[str, list[Review]]
    """Each card's scheduling reviews (first of each day), oldest first."""
    scored: list[tuple[str, int]] = field(default_factory=list)
    """(card, index in its list) of every review a day or more after the previous one, in time order."""
    reviews: int = 0
    """Rows read, re-drills included."""


def prepare(reviews: Iterable[Review]) -> Dataset:
    rows = sorted(enumerate(reviews), key=lambda x: (x[1].ts, x[0]))
    cards: dict[str, list[Review]] = defaultdict(list)
    scored: list[tuple[str, int]] = []
    for _, r in rows:
        seq = cards[r.card]
        if seq and seq[-1].day >= r.day:
            continue  # a later grade the same day: a re-drill, it does not schedule
        seq.append(r)
        if len(seq) > 1:
            scored.append((r.card, len(seq) - 1))  # in time order, as read
    return Dataset(dict(cards), scored, len(rows))


def folds(n: int, n_splits: int = N_SPLITS) -> list[tuple[int, int]]:
    """(train_end, test_end) of each time-series split: train on [0, train_end), test on [train_end, test_end)."""
    size = n // (n_splits + 1)
    if size == 0:
        return []
    start = n - n_splits * size
    return [(s, s + size) for s in range(start, n, size)]


def _items(ds: Dataset, which: Sequence[tuple[str, int]]):
    """fsrs-rs training items: each scored review with the card's history before it."""
    from fsrs_rs_python import FSRSItem, FSRSReview

    cache: dict[str, list] = {}
    out = []
    for card, i in which:
        revs = cache.get(card)
        if revs is None:
            seq = ds.cards[card]
            revs = cache[card] = [
                FSRSReview(r.rating, 0 if k == 0 else (r.day - seq[k - 1].day).days) for k, r in enumerate(seq)
            ]
        out.append(FSRSItem(revs[: i + 1]))
    return out


# ---------------------------------------------------------------- predictions


def fsrs_predictions(ds: Dataset, weights: Sequence[float]) -> dict[str, list[float]]:
    """Predicted recall of every review after a card's first, with these parameters (through fsrs-rs's states)."""
    from fsrs_rs_python import FSRSItem, FSRSReview

    names = [c for c, seq in ds.cards.items() if len(seq) > 1]
    items = []
    for c in names:
        seq = ds.cards[c]
        items.append(FSRSItem([FSRSReview(r.rating, 0 if k == 0 else (r.day - seq[k - 1].day).days)
                               for k, r in enumerate(seq[:-1])]))
    states = memory.engine(tuple(weights)).historical_memory_state_batch(items) if items else []
    decay = weights[20]
    out: dict[str, list[float]] = {}
    for c, st in zip(names, states):
        seq = ds.cards[c]
        out[c] = [math.nan] + [
            memory.fsrs_curve((seq[k].day - seq[k - 1].day).days, st[k - 1].stability, decay) for k in range(1, len(seq))
        ]
    return out


def sm2_predictions(ds: Dataset) -> dict[str, list[float]]:
    """srs-benchmark's SM-2 model on the trainer's own SM-2: recall ``0.9^(elapsed / interval)``."""
    out: dict[str, list[float]] = {}
    for c, seq in ds.cards.items():
        s = Schedule(created=seq[0].day, last_reviewed=None, next_review=seq[0].day)
        preds = [math.nan]
        for k, r in enumerate(seq):
            if k:
                preds.append(memory.sm2_curve((r.day - seq[k - 1].day).days, s.interval))
            s = scheduler.review(s, r.grade, r.day)
        out[c] = preds
    return out


# ---------------------------------------------------------------- metrics


@dataclass(frozen=True, slots=True)
class Scores:
    log_loss: float
    rmse_bins: float
    auc: float | None

    def to_json(self) -> dict:
        return {"log_loss": round(self.log_loss, 4), "rmse_bins": round(self.rmse_bins, 4),
                "auc": None if self.auc is None else round(self.auc, 4)}


def log_loss(y: Sequence[int], p: Sequence[float]) -> float:
    total = 0.0
    for yi, pi in zip(y, p):
        pi = min(1 - EPS, max(EPS, pi))
        total -= math.log(pi) if yi else math.log(1 - pi)
    return total / len(y)


def auc(y: Sequence[int], p: Sequence[float]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties shared); ``None`` when only one outcome occurs."""
    pos = sum(y)
    neg = len(y) - pos
    if not pos or not neg:
        return None
    order = sorted(range(len(p)), key=lambda i: p[i])
    rank_sum, i = 0.0, 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and p[order[j + 1]] == p[order[i]]:
            j += 1
        mid = (i + j) / 2 + 1
        rank_sum += mid * sum(y[order[k]] for k in range(i, j + 1))
        i = j + 1
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def _bin(x: float, base: float, scale: float, digits: int) -> float:
    return round(scale * base ** math.floor(math.log(max(x, 1e-6)) / math.log(base)), digits)


def rmse_bins(y: Sequence[int], p: Sequence[float], elapsed: Sequence[int], index: Sequence[int], lapses: Sequence[int]) -> float:
    """srs-benchmark's RMSE(bins): reviews grouped by binned elapsed days, review number and lapse
    count; the root of the count-weighted mean squared gap between mean recall and mean prediction."""
    groups: dict[tuple, list[float]] = {}
    for yi, pi, t, i, lapse in zip(y, p, elapsed, index, lapses):
        key = (_bin(t, 3.62, 2.48, 2), _bin(i, 1.89, 1.99, 0), _bin(lapse, 1.73, 1.65, 0) if lapse else 0)
        g = groups.setdefault(key, [0.0, 0.0, 0])
        g[0] += yi
        g[1] += pi
        g[2] += 1
    n = sum(g[2] for g in groups.values())
    return math.sqrt(sum(g[2] * (g[0] / g[2] - g[1] / g[2]) ** 2 for g in groups.values()) / n)


# ---------------------------------------------------------------- eval


@dataclass(frozen=True, slots=True)
class Evaluation:
    reviews: int
    cards: int
    evaluated: int
    models: dict[str, Scores]

    def to_json(self) -> dict:
        return {"reviews": self.reviews, "cards": self.cards, "evaluated": self.evaluated,
                "models": {k: v.to_json() for k, v in self.models.items()}}

    def reading(self) -> str:
        """One line for people: does FSRS predict this learner's recall better than SM-2?"""
        if "sm2" not in self.models:
            return "Too few reviews to compare the models yet."
        best = self.models.get("fsrs_optimized") or self.models["fsrs_default"]
        sm2 = self.models["sm2"].log_loss
        gap = (sm2 - best.log_loss) / sm2 if sm2 else 0.0
        word = "better" if gap > 0 else "worse"
        return (f"On your reviews FSRS predicts recall {word} than SM-2 by {abs(gap):.0%} "
                f"(log loss {best.log_loss:.3f} vs {sm2:.3f}; lower is better).")


MIN_EVALUATED = N_SPLITS + 1


def evaluate(reviews: Iterable[Review], *, optimize: bool = True) -> Evaluation:
    ds = prepare(reviews)
    n = len(ds.scored)
    splits = folds(n)
    if not splits:
        return Evaluation(ds.reviews, len(ds.cards), 0, {})
    test = ds.scored[splits[0][0]:]
    y = [int(ds.cards[c][i].rating > memory.AGAIN) for c, i in test]
    elapsed = [(ds.cards[c][i].day - ds.cards[c][i - 1].day).days for c, i in test]
    index = [i + 1 for _, i in test]
    lapses = [_lapses_before(ds.cards[c], i) for c, i in test]

    def score(p: list[float]) -> Scores:
        return Scores(log_loss(y, p), rmse_bins(y, p, elapsed, index, lapses), auc(y, p))

    sm2 = sm2_predictions(ds)
    default = fsrs_predictions(ds, memory.engine_defaults())
    models = {
        "sm2": score([sm2[c][i] for c, i in test]),
        "fsrs_default": score([default[c][i] for c, i in test]),
    }
    if optimize:
        p: list[float] = []
        for train_end, test_end in splits:
            weights = fit(ds, ds.scored[:train_end])
            preds = default if weights is None else fsrs_predictions(ds, weights)
            p.extend(preds[c][i] for c, i in ds.scored[train_end:test_end])
        models["fsrs_optimized"] = score(p)
    return Evaluation(ds.reviews, len(ds.cards), len(test), models)


def _lapses_before(seq: list[Review], i: int) -> int:
    return sum(1 for k in range(1, i) if seq[k].rating == memory.AGAIN)


def fit(ds: Dataset, which: Sequence[tuple[str, int]]) -> tuple[float, ...] | None:
    """fsrs-rs's fitted parameters on these reviews; ``None`` when it keeps its defaults (too little history)."""
    if not which:
        return None
    defaults = memory.engine_defaults()
    weights = memory.engine(defaults).compute_parameters(_items(ds, which))
    fitted = tuple(float(w) for w in weights)
    return None if all(abs(a - b) < 1e-6 for a, b in zip(fitted, defaults)) else fitted


# ---------------------------------------------------------------- optimize


@dataclass(frozen=True, slots=True)
class Fitted:
    reviews: int
    scored: int
    parameters: tuple[float, ...] | None
    """``None``: too little history, fsrs-rs kept its defaults."""
    log_loss_before: float | None
    log_loss_after: float | None


def optimize(reviews: Iterable[Review], current: Sequence[float]) -> Fitted:
    """Fit FSRS parameters to every scored review; log loss (fsrs-rs's own evaluation) before and after."""
    ds = prepare(reviews)
    if not ds.scored:
        return Fitted(ds.reviews, 0, None, None, None)
    items = _items(ds, ds.scored)
    before = memory.engine(tuple(current)).evaluate(items).log_loss
    weights = fit(ds, ds.scored)
    if weights is None:
        return Fitted(ds.reviews, len(ds.scored), None, before, None)
    weights = tuple(round(w, 4) for w in weights)
    after = memory.engine(weights).evaluate(items).log_loss
    return Fitted(ds.reviews, len(ds.scored), weights, before, after)
