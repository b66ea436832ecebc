"""SM-2 (SPEC §3): tables written out from the SPEC, not computed by the code under test."""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer import figures, scheduler
from trainer.notes.model import Note, Schedule

D0 = dt.date(2026, 11, 25)


def new_card(**kw) -> Schedule:
    base = dict(created=dt.date(2026, 1, 1), last_reviewed=None, next_review=D0)
    base.update(kw)
    return Schedule(**base)


def test_grades_4_from_new_card_give_1_6_15_38_95():
    s = new_card()
    day = D0
    intervals, eases = [], []
    for _ in range(5):
        s = scheduler.review(s, 4, day)
        intervals.append(s.interval)
        eases.append(s.ease_factor)
        assert s.next_review == day + dt.timedelta(days=s.interval)
        assert s.last_reviewed == day
        day = s.next_review
    assert intervals == [1, 6, 15, 38, 95]
    assert eases == [2.5] * 5  # q=4 leaves EF unchanged
    assert s.repetitions == 5 and s.review_count == 5


def test_grade_5_sequence():
    # EF before each update: 2.5, 2.6, 2.7, 2.8 -> 1, 6, ceil(6*2.7)=17, ceil(17*2.8)=48
    s = new_card()
    out = []
    for _ in range(4):
        s = scheduler.review(s, 5, D0)
        out.append((s.interval, s.ease_factor))
    assert out == [(1, 2.6), (6, 2.7), (17, 2.8), (48, 2.9)]


@pytest.mark.parametrize("q, delta", [(5, 0.1), (4, 0.0), (3, -0.14), (2, -0.32), (1, -0.54), (0, -0.8)])
def test_ease_factor_update_per_grade(q, delta):
    s = scheduler.review(new_card(ease_factor=2.5, interval=10, repetitions=3), q, D0)
    assert s.ease_factor == pytest.approx(2.5 + delta, abs=1e-9)


@pytest.mark.parametrize("q", range(6))
def test_ease_factor_floor(q):
    s = scheduler.review(new_card(ease_factor=1.3, interval=10, repetitions=3), q, D0)
    assert s.ease_factor >= 1.3
    if q < 5:
        assert s.ease_factor == 1.3
    else:
        assert s.ease_factor == pytest.approx(1.4)


@pytest.mark.parametrize("q", [0, 1, 2])
def test_failure_resets_repetitions_and_interval(q):
    s = scheduler.review(new_card(ease_factor=2.2, interval=95, repetitions=5, review_count=7), q, D0)
    assert s.repetitions == 0 and s.interval == 1
    assert s.next_review == D0 + dt.timedelta(days=1)
    assert s.review_count == 8


def test_success_after_failure_restarts_at_1_then_6():
    s = scheduler.review(new_card(ease_factor=2.5, interval=95, repetitions=5), 1, D0)
    s = scheduler.review(s, 4, D0)
    assert (s.interval, s.repetitions) == (1, 1)
    s = scheduler.review(s, 4, D0)
    assert (s.interval, s.repetitions) == (6, 2)


def test_float_trap_100_times_1_3_is_130():
    s = scheduler.review(new_card(ease_factor=1.3, interval=100, repetitions=4), 3, D0)
    assert s.interval == 130
    assert math.ceil(25 * 2.2) == 56  # the same trap, real in floats: 55.00000000000001
    s = scheduler.review(new_card(ease_factor=2.2, interval=25, repetitions=4), 4, D0)
    assert s.interval == 55


@settings(max_examples=200, deadline=None)
@given(
    interval=st.integers(1, 5000),
    ef=st.integers(130, 350).map(lambda x: x / 100),
    n=st.integers(2, 20),
    q=st.integers(3, 5),
)
def test_interval_is_exact_ceiling_of_interval_times_ef(interval, ef, n, q):
    s = scheduler.review(new_card(ease_factor=ef, interval=interval, repetitions=n), q, D0)
    assert s.interval == min(36500, math.ceil(interval * Fraction(str(ef))))


@pytest.mark.parametrize("m", [0.0, 0.1, 0.43, 0.5, 0.99, 1.0])
@pytest.mark.parametrize("q", range(6))
def test_mastery_ema(m, q):
    s = scheduler.review(new_card(mastery_level=m), q, D0)
    assert s.mastery_level == round(m + 0.3 * (q / 5 - m), 2)
    assert 0.0 <= s.mastery_level <= 1.0


def test_mastery_examples_written_literally():
    assert scheduler.review(new_card(mastery_level=0.0), 4, D0).mastery_level == 0.24
    assert scheduler.review(new_card(mastery_level=0.5), 5, D0).mastery_level == 0.65
    assert scheduler.review(new_card(mastery_level=0.5), 0, D0).mastery_level == 0.35


def test_max_interval_cap():
    s = scheduler.review(new_card(ease_factor=2.5, interval=99_999_999, repetitions=5), 5, D0)
    assert s.interval == 36500
    assert s.next_review == D0 + dt.timedelta(days=36500)
    s = scheduler.review(new_card(ease_factor=2.5, interval=100, repetitions=5), 5, D0, max_interval=200)
    assert s.interval == 200


def test_next_review_clamps_at_end_of_calendar():
    s = scheduler.review(new_card(ease_factor=2.5, interval=30000, repetitions=5), 5, dt.date(9999, 12, 1))
    assert s.next_review == dt.date.max
    assert s.last_reviewed == dt.date(9999, 12, 1)


@pytest.mark.parametrize("bad", [-1, 6, 7, 2.5, "4", True, None])
def test_bad_grades_refused(bad):
    with pytest.raises(scheduler.GradeError):
        scheduler.review(new_card(), bad, D0)


def test_schedules_today_only_first_grade_of_day():
    s = scheduler.review(new_card(), 2, D0)
    assert not scheduler.schedules_today(s, D0)
    assert scheduler.schedules_today(s, D0 + dt.timedelta(days=1))


def test_preview_matches_review():
    s = new_card(ease_factor=2.5, interval=6, repetitions=2)
    assert scheduler.preview(s) == {0: 1, 1: 1, 2: 1, 3: 15, 4: 15, 5: 15}


# ---------------------------------------------------------------- ordering


def card(rel, next_review, *, difficulty="medium", new=False):
    sched = new_card(next_review=next_review, last_reviewed=None if new else D0 - dt.timedelta(days=30),
                     review_count=0 if new else 3)
    return Note(rel=rel, question=rel, difficulty=difficulty, tags=(), demos=(), schedule=sched, present=frozenset())


def test_due_queue_order_overdue_first_then_new_hard_first():
    d = lambda n: D0 - dt.timedelta(days=n)  # noqa: E731
    notes = [
        card("future", D0 + dt.timedelta(days=1)),
        card("new-easy", D0, difficulty="easy", new=True),
        card("today-easy", D0, difficulty="easy"),
        card("late10", d(10)),
        card("late3-medium", d(3)),
        card("late3-hard", d(3), difficulty="hard"),
        card("new-hard", D0, difficulty="hard", new=True),
        card("today-hard", D0, difficulty="hard"),
        card("new-medium", D0, new=True),
    ]
    q = [n.rel for n in scheduler.due_queue(notes, D0)]
    assert q == ["late10", "late3-hard", "late3-medium", "today-hard", "today-easy",
                 "new-hard", "new-medium", "new-easy"]


def test_new_card_limit_and_new_seen_today():
    notes = [card(f"new{i:02d}", D0, new=True) for i in range(30)] + [card("rev", D0 - dt.timedelta(days=1))]
    assert len(scheduler.due_queue(notes, D0)) == 1 + 20
    assert len(scheduler.due_queue(notes, D0, new_limit=5)) == 1 + 5
    q = scheduler.due_queue(notes, D0, new_limit=5, new_seen_today=3)
    assert [n.rel for n in q] == ["rev", "new00", "new01"]
    assert [n.rel for n in scheduler.due_queue(notes, D0, new_limit=5, new_seen_today=9)] == ["rev"]


def test_fatal_notes_are_never_due():
    n = card("broken", D0 - dt.timedelta(days=5))
    n.fatal = True
    assert scheduler.due_queue([n], D0) == []
    assert figures.compute([n], D0, new_per_day=20).broken == 1


def test_counts():
    notes = [card("a", D0 - dt.timedelta(days=2)), card("b", D0), card("c", D0, new=True),
             card("d", D0 + dt.timedelta(days=3))]
    assert figures.compute(notes, D0, new_per_day=20).counts() == {
        "to_study": 3, "due": 2, "overdue": 1, "new": 1, "new_today": 1, "new_per_day": 20, "new_started": 0,
        "total": 4, "problems": 0}


def test_to_study_is_what_a_session_shows():
    """due + new today, with the daily limit and the new cards already started today."""
    notes = [card("a", D0 - dt.timedelta(days=2)), *(card(f"n{i}", D0, new=True) for i in range(7))]
    f = figures.compute(notes, D0, new_per_day=5, new_started=2)
    queue = scheduler.due_queue(notes, D0, new_limit=5, new_seen_today=2)
    assert (f.due, f.new, f.new_today, f.to_study) == (1, 7, 3, 4) == (1, 7, 3, len(queue))
    assert f.forecast[0] == (D0, len(queue))
