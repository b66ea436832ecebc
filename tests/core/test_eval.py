"""trainer eval / optimize: srs-benchmark's protocol on generated logs with known properties."""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import tomllib
from pathlib import Path

import pytest

from trainer import evaluation, memory
from trainer.reviewlog import ReviewLog

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from simlearner import simulate, write_csv  # noqa: E402


def _reviews(rows):
    return [evaluation.Review(c, t, t.date(), r, memory.grade_of_rating(r)) for c, t, r in rows]


@pytest.fixture(scope="module")
def learner():
    return _reviews(simulate(150, 2500, seed=7))


def test_fsrs_beats_sm2_on_a_simulated_learner(learner):
    ev = evaluation.evaluate(learner)
    assert ev.reviews == 2500 and ev.cards == 150 and 0 < ev.evaluated < 2500
    sm2, default, fitted = (ev.models[k] for k in ("sm2", "fsrs_default", "fsrs_optimized"))
    assert fitted.log_loss < sm2.log_loss and default.log_loss < sm2.log_loss
    assert fitted.auc > sm2.auc and fitted.rmse_bins < sm2.rmse_bins
    assert fitted.log_loss <= default.log_loss + 0.01  # fitting on the past helps (or at least does not hurt)
    assert "better than SM-2" in ev.reading()


def test_a_learner_sm2_describes_exactly_is_scored_well_by_sm2():
    """Recall drawn from SM-2's own curve, 0.9^(t/interval): SM-2 is calibrated there (RMSE small)."""
    from trainer import scheduler
    from trainer.notes.model import Schedule

    rng = random.Random(3)
    rows = []
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    for c in range(120):
        s = Schedule(created=start.date(), last_reviewed=None, next_review=start.date())
        day = c // 10
        for k in range(12):
            if k:
                gap = max(1, round(s.interval * rng.uniform(0.5, 2.0)))
                day += gap
                q = 4 if rng.random() < memory.sm2_curve(gap, s.interval) else 1
            else:
                q = 4
            when = start + dt.timedelta(days=day)
            s = scheduler.review(s, q, when.date())
            rows.append(evaluation.Review(f"c{c}", when, when.date(), memory.rating(q), q))
    ev = evaluation.evaluate(rows, optimize=False)
    assert ev.models["sm2"].rmse_bins < 0.08


def test_folds_are_sklearn_time_series_splits():
    assert evaluation.folds(12) == [(2, 4), (4, 6), (6, 8), (8, 10), (10, 12)]
    assert evaluation.folds(15) == [(5, 7), (7, 9), (9, 11), (11, 13), (13, 15)]
    assert evaluation.folds(5) == []


def test_metrics_against_direct_definitions():
    rng = random.Random(1)
    y = [rng.random() < 0.7 for _ in range(300)]
    p = [round(rng.random(), 1) for _ in range(300)]  # ties on purpose
    pairs = [(i, j) for i in range(300) if y[i] for j in range(300) if not y[j]]
    direct = sum(1.0 if p[i] > p[j] else 0.5 if p[i] == p[j] else 0.0 for i, j in pairs) / len(pairs)
    assert evaluation.auc(y, p) == pytest.approx(direct)
    assert evaluation.auc([1, 1], [0.2, 0.3]) is None
    import math

    assert evaluation.log_loss([1, 0], [0.8, 0.4]) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)
    # one bin: RMSE(bins) is the gap between mean recall and mean prediction
    assert evaluation.rmse_bins([1, 0, 1, 1], [0.5] * 4, [3] * 4, [2] * 4, [0] * 4) == pytest.approx(0.25)
    # srs-benchmark's bins: 4 and 5 days share a bin (2.48 * 3.62^1), 3 days is in the one below
    both = evaluation.rmse_bins([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.3], [4, 5, 3, 3], [2] * 4, [0] * 4)
    assert both == pytest.approx(math.sqrt((2 * 0.0 + 2 * 0.1 ** 2) / 4))
    split = evaluation.rmse_bins([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.3], [4, 5, 3, 4], [2] * 4, [0] * 4)
    assert split != pytest.approx(both)


def test_same_day_reviews_are_redrills_and_not_scored():
    t = dt.datetime(2025, 3, 1, 8, tzinfo=dt.timezone.utc)
    revs = [evaluation.Review("a", t + dt.timedelta(hours=h), (t + dt.timedelta(hours=h)).date(), r, r + 1)
            for h, r in ((0, 1), (1, 3), (2, 3), (30, 3))]
    ds = evaluation.prepare(revs)
    assert [r.rating for r in ds.cards["a"]] == [1, 3] and ds.scored == [("a", 1)] and ds.reviews == 4


def test_csv_formats(tmp_path):
    p = tmp_path / "pyfsrs.csv"
    p.write_text("card_id,review_rating,review_datetime,review_time,review_duration\n"
                 "1,3,x,2025-01-01T10:00:00+02:00,\n"
                 "1,1,x,2025-01-05 10:00,1200\n", encoding="utf-8")
    a, b = evaluation.read_csv(p)
    assert (a.card, a.rating, a.grade, a.ts.hour) == ("1", 3, 4, 8) and (b.rating, b.day) == (1, dt.date(2025, 1, 5))
    e = tmp_path / "revlog.csv"  # fsrs-rs's revlog.csv: epoch milliseconds; rating 0 is a manual reschedule
    e.write_text("card_id,review_time,review_rating,review_state,review_duration\n"
                 "7,1704067200000,3,0,1000\n7,1704153600000,0,4,0\n7,1704240000000,1,2,900\n", encoding="utf-8")
    assert [(r.day, r.rating) for r in evaluation.read_csv(e)] == [(dt.date(2024, 1, 1), 3), (dt.date(2024, 1, 3), 1)]
    f = tmp_path / "pyfsrs_names.csv"  # py-fsrs ReviewLog's own field names
    f.write_text("card_id,rating,review_datetime,review_duration\n1,4,2025-01-01T00:00:00+00:00,\n", encoding="utf-8")
    assert evaluation.read_csv(f)[0].rating == 4
    g = tmp_path / "grades.csv"
    g.write_text("grade,review_time,card_id\n2,2025-01-01T00:00:00Z,x\n5,2025-01-02T00:00:00Z,x\n", encoding="utf-8")
    assert [(r.grade, r.rating) for r in evaluation.read_csv(g)] == [(2, 1), (5, 4)]


@pytest.mark.parametrize("body, line, what", [
    ("card_id,review_time\n", 1, "header lacks review_rating or grade"),
    ("card_id,review_time,review_rating\na,2025-01-01,3\na,2025-13-01,3\n", 3, "review_time is not ISO 8601"),
    ("card_id,review_time,review_rating\na,2025-01-01,5\n", 2, "review_rating must be 1-4"),
    ("card_id,review_time,grade\n\na,2025-01-01,3\n,2025-01-02,3\n", 4, "card_id is empty"),
    ("card_id,review_time,grade\na,2025-01-01\n", 2, "no grade"),
])
def test_bad_csv_exit_2_names_the_line(tmp_path, cli, body, line, what):
    p = tmp_path / "log.csv"
    p.write_text(body, encoding="utf-8")
    r = cli(None, "eval", "--log", str(p))
    assert r.returncode == 2
    assert f"log.csv:{line}: {what}".encode() in r.stderr


def test_eval_cli_json_on_a_csv(tmp_path, cli):
    p = write_csv(simulate(60, 900, seed=2), tmp_path / "sim.csv")
    r = cli(None, "eval", "--log", str(p), "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["reviews"] == 900 and set(data["models"]) == {"sm2", "fsrs_default", "fsrs_optimized"}
    assert set(data["models"]["sm2"]) == {"log_loss", "rmse_bins", "auc"}
    human = cli(None, "eval", "--log", str(p))
    assert b"FSRS predicts recall" in human.stdout and b"RMSE(bins)" in human.stdout


def _fill_log(root: Path, rows) -> None:
    log = ReviewLog.open(root)
    seen = set()
    try:
        with log.conn:
            for card, when, rating in rows:
                log.begin(f"{card}.md", "review", when.date(), grade=memory.grade_of_rating(rating),
                          was_new=card not in seen, pending=False)
                seen.add(card)
    finally:
        log.close()


def test_optimize_writes_parameters_and_improves_log_loss(tmp_path, cli, write_note, seed):
    deck = tmp_path / "deck"
    write_note(deck / "a.md", seed())
    (deck / "trainer.toml").write_text('# mine\n[scheduler]\nalgorithm = "fsrs"  # keep\n', encoding="utf-8")
    _fill_log(deck, simulate(150, 2500, seed=5))
    r = cli(deck, "optimize", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["log_loss_after"] < out["log_loss_before"] and len(out["parameters"]) == 21
    text = (deck / "trainer.toml").read_text(encoding="utf-8")
    assert text.startswith('# mine\n[scheduler]\nalgorithm = "fsrs"  # keep\nparameters = [')
    assert tomllib.loads(text)["scheduler"]["parameters"] == out["parameters"]
    again = cli(deck, "config", "--json")
    assert json.loads(again.stdout)["parameters_source"] == "trainer.toml"


def test_optimize_with_too_little_history_writes_nothing(tmp_path, cli, write_note, seed):
    deck = tmp_path / "deck"
    write_note(deck / "a.md", seed())
    _fill_log(deck, simulate(5, 30, seed=1))
    r = cli(deck, "optimize")
    assert r.returncode == 0, r.stderr
    assert b"Too little history" in r.stdout and b"nothing written" in r.stdout
    assert not (deck / "trainer.toml").exists()


def test_eval_on_the_deck_log_matches_the_same_reviews_as_csv(tmp_path, cli, write_note, seed):
    rows = simulate(40, 600, seed=9)
    deck = tmp_path / "deck"
    write_note(deck / "a.md", seed())
    _fill_log(deck, rows)
    from_deck = json.loads(cli(deck, "eval", "--json").stdout)
    from_csv = json.loads(cli(None, "eval", "--json", "--log", str(write_csv(rows, tmp_path / "x.csv"))).stdout)
    assert from_deck["evaluated"] == from_csv["evaluated"]
    assert from_deck["models"]["sm2"] == from_csv["models"]["sm2"]

