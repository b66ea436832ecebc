"""FSRS beside SM-2 (trainer.memory): grade mapping, state round-trip through notes, switching both
ways, predicted recall. Real files, the real SQLite log, fsrs-rs itself as the reference."""

from __future__ import annotations

import datetime as dt
import json

import fsrs_rs_python as fsrs
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from trainer import grading, memory
from trainer.config import Settings, load
from trainer.deck import Deck
from trainer.notes.parse import parse_note

DAY = dt.date(2026, 11, 2)
W = tuple(float(w) for w in fsrs.DEFAULT_PARAMETERS)
FSRS = Settings(algorithm="fsrs")
SM2 = Settings()


@pytest.fixture
def deck(tmp_path, seed, write_note):
    root = tmp_path / "deck"
    write_note(root / "a.md", seed("问题 A"))
    write_note(root / "b.md", seed("问题 B", difficulty="hard"))
    return Deck(root)


def days(n: int) -> dt.date:
    return DAY + dt.timedelta(days=n)


def test_grade_mapping():
    assert [memory.rating(g) for g in range(6)] == [1, 1, 1, 2, 3, 4]
    assert [memory.grade_of_rating(r) for r in (1, 2, 3, 4)] == [2, 3, 4, 5]
    for bad in (-1, 6, 2.5, True):
        with pytest.raises(ValueError):
            memory.rating(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("stability, elapsed, decay_i", [(1.0, 1, 0), (10.0, 3, 1), (10.0, 10, 2), (250.0, 900, 3)])
def test_forgetting_curve_is_fsrs_rs(stability, elapsed, decay_i):
    w = list(W)
    w[20] = (0.1, 0.1542, 0.5, 0.8)[decay_i]
    card = fsrs.Card()
    card.stability, card.last_date, card.parameters = stability, 0.0, w
    assert memory.fsrs_curve(elapsed, stability, w[20]) == pytest.approx(card.retention_on(float(elapsed)), abs=1e-6)


def test_sm2_recall_is_point_nine_at_the_interval(deck, log):
    g = grading.grade(deck, log, deck.load("a.md", DAY), 4, DAY, settings=SM2)
    g = grading.grade(deck, log, g.note, 4, days(1), settings=SM2)  # interval 6
    s = g.note.schedule
    assert memory.recall(s, days(1), SM2) == 1.0
    assert memory.recall(s, days(7), SM2) == pytest.approx(0.9)
    assert memory.recall(s, days(13), SM2) == pytest.approx(0.81)
    assert memory.recall(deck.load("b.md", DAY).schedule, DAY, SM2) is None  # never studied


def _fsrs_reference(state, elapsed, grade, retention=0.9):
    ms = None if state is None else fsrs.MemoryState(*state)
    item = getattr(fsrs.FSRS(list(W)).next_states(ms, retention, elapsed), memory.RATING_NAMES[memory.rating(grade)])
    return item


def test_fsrs_state_round_trips_through_the_note(deck, log):
    before = (deck.root / "a.md").read_bytes()
    g = grading.grade(deck, log, deck.load("a.md", DAY), 4, DAY, settings=FSRS)
    ref = _fsrs_reference(None, 0, 4)
    s = g.after
    assert (s.stability, s.fsrs_difficulty) == (round(ref.memory.stability, 2), round(ref.memory.difficulty, 2))
    assert s.interval == max(1, round(ref.interval)) and s.next_review == DAY + dt.timedelta(days=s.interval)
    on_disk = parse_note((deck.root / "a.md").read_bytes(), "a.md").schedule
    assert (on_disk.stability, on_disk.fsrs_difficulty, on_disk.next_review) == (s.stability, s.fsrs_difficulty, s.next_review)
    # only scheduling lines were added or changed: every original line is still there, in order
    new_lines = (deck.root / "a.md").read_bytes().splitlines()
    old_kept = [ln for ln in before.splitlines() if not ln.split(b":")[0] in (b"last_reviewed", b"next_review", b"review_count", b"mastery_level")]
    assert [ln for ln in new_lines if ln in old_kept] == old_kept
    # the next grade starts from the state read back from the note
    later = s.next_review + dt.timedelta(days=3)
    g2 = grading.grade(deck, log, deck.load("a.md", later), 3, later, settings=FSRS)
    ref2 = _fsrs_reference((s.stability, s.fsrs_difficulty), (later - DAY).days, 3)
    assert g2.after.stability == round(ref2.memory.stability, 2)
    assert g2.after.interval == max(1, round(ref2.interval))


def test_fsrs_failure_and_desired_retention_and_cap(deck, log):
    g = grading.grade(deck, log, deck.load("a.md", DAY), 5, DAY, settings=FSRS)
    assert g.after.interval > 1
    fail = grading.grade(deck, log, g.note, 1, days(10), settings=FSRS)
    assert fail.after.stability < g.after.stability and fail.after.repetitions == 0  # a failure, as in SM-2
    s = g.note.schedule
    loose = memory.fsrs_review(s, 4, days(20), Settings(algorithm="fsrs", desired_retention=0.8), before=memory.stored(s))
    tight = memory.fsrs_review(s, 4, days(20), Settings(algorithm="fsrs", desired_retention=0.95), before=memory.stored(s))
    capped = memory.fsrs_review(s, 4, days(20), Settings(algorithm="fsrs", max_interval=3), before=memory.stored(s))
    assert tight.interval < loose.interval and capped.interval == 3


def test_same_day_redrill_is_logged_only(deck, log):
    g = grading.grade(deck, log, deck.load("a.md", DAY), 4, DAY, settings=FSRS)
    after = (deck.root / "a.md").read_bytes()
    g2 = grading.grade(deck, log, g.note, 0, DAY, settings=FSRS)
    assert g2.kind == "redrill" and (deck.root / "a.md").read_bytes() == after


def test_undo_of_an_fsrs_grade_restores_the_bytes(deck, log):
    before = (deck.root / "a.md").read_bytes()
    grading.grade(deck, log, deck.load("a.md", DAY), 4, DAY, settings=FSRS)
    grading.undo_last(deck, log, DAY)
    assert (deck.root / "a.md").read_bytes() == before


def test_switch_sm2_to_fsrs_replays_the_log(deck, log):
    note = deck.load("a.md", DAY)
    history = [(DAY, 4), (days(1), 3), (days(7), 5)]
    for day, q in history:
        note = grading.grade(deck, log, deck.load("a.md", day), q, day, settings=SM2).note
    assert note.schedule.stability is None
    assert memory.history_from_log(log, "a.md") == history
    when = days(20)
    g = grading.grade(deck, log, deck.load("a.md", when), 4, when, settings=FSRS)
    items = [fsrs.FSRSReview(memory.rating(q), (d - history[i - 1][0]).days if i else 0) for i, (d, q) in enumerate(history)]
    start = fsrs.FSRS(list(W)).memory_state(fsrs.FSRSItem(items))
    ref = _fsrs_reference((start.stability, start.difficulty), (when - days(7)).days, 4)
    assert g.after.stability == round(ref.memory.stability, 2)


def test_switch_without_history_uses_the_sm2_conversion(tmp_path, write_note):
    root = tmp_path / "deck"
    write_note(root / "imported.md", "---\nlast_reviewed: '2026-10-01'\nnext_review: '2026-11-01'\nreview_count: 4\n"
               "ease_factor: 2.2\ninterval: 31\nrepetitions: 4\n---\n# Q\n")
    deck = Deck(root)
    from trainer.reviewlog import ReviewLog

    log = ReviewLog.open(root)
    try:
        g = grading.grade(deck, log, deck.load("imported.md", DAY), 4, DAY, settings=FSRS)
    finally:
        log.close()
    start = fsrs.FSRS(list(W)).memory_state_from_sm2(2.2, 31.0, 0.9)
    ref = _fsrs_reference((start.stability, start.difficulty), (DAY - dt.date(2026, 10, 1)).days, 4)
    assert g.after.stability == round(ref.memory.stability, 2)


def test_switch_fsrs_to_sm2_drops_the_state_keeps_sm2_going(deck, log):
    a = grading.grade(deck, log, deck.load("a.md", DAY), 4, DAY, settings=FSRS)
    a = grading.grade(deck, log, a.note, 4, days(5), settings=FSRS)
    assert (a.after.repetitions, a.after.ease_factor) == (2, 2.5)  # the SM-2 keys moved as SM-2 would
    text = (deck.root / "a.md").read_text(encoding="utf-8")
    assert "stability:" in text and "fsrs_difficulty:" in text and "difficulty: medium" in text
    b = grading.grade(deck, log, a.note, 4, days(40), settings=SM2)
    text2 = (deck.root / "a.md").read_text(encoding="utf-8")
    assert "stability:" not in text2 and "fsrs_difficulty:" not in text2 and "difficulty: medium" in text2
    assert b.after.interval == round(a.after.interval * 2.5 + 0.4999)  # SM-2 from the interval in force
    grading.undo_last(deck, log, days(40))
    assert (deck.root / "a.md").read_text(encoding="utf-8") == text


def test_deck_setting_drives_the_cli(tmp_path, cli, write_note, seed):
    deck = tmp_path / "deck"
    write_note(deck / "a.md", seed("Q?", next_review="2026-11-25"))
    (deck / "trainer.toml").write_text('[scheduler]\nalgorithm = "fsrs"\ndesired_retention = 0.8\n', encoding="utf-8")
    r = cli(deck, "review", "a.md", "-g", "4", "--json", today="2026-11-25")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)[0]
    ref = _fsrs_reference(None, 0, 4, retention=0.8)
    assert out["stability"] == round(ref.memory.stability, 2) and out["interval"] == max(1, round(ref.interval))
    due = json.loads(cli(deck, "due", "--json", today=out["next_review"]).stdout)
    want = memory.fsrs_curve(out["interval"], out["stability"], W[20])
    assert due[0]["recall"] == pytest.approx(want, abs=1e-4)
    assert load(deck).algorithm == "fsrs"


def test_stats_show_expected_recall_per_tag(tmp_path, cli, write_note):
    deck = tmp_path / "deck"
    # both studied on 2026-11-15 with interval 10: SM-2's recall today (2026-11-25) is 0.9 each
    for name, tag in (("a", "ml/attn"), ("b", "ml/norm")):
        write_note(deck / f"{name}.md", f"---\nlast_reviewed: '2026-11-15'\nnext_review: '2026-11-25'\nreview_count: 2\n"
                   f"interval: 10\nrepetitions: 2\ntags: [{tag}]\n---\n# {name}?\n")
    write_note(deck / "new.md", "---\ntags: [ml/attn]\n---\n# never studied\n")
    r = cli(deck, "stats", "--json")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)["recall"]
    assert rec["model"] == "sm2" and rec["studied"] == 2 and rec["deck"] == pytest.approx(0.9)
    assert rec["tags"]["ml"] == {"studied": 2, "recall": pytest.approx(0.9)} and rec["tags"]["ml/attn"]["studied"] == 1
    assert b"Expected recall today (SM-2's model, 2 studied cards): 90%" in cli(deck, "stats").stdout


def test_schedule_dry_run_shows_what_the_switch_would_move(tmp_path, cli, write_note):
    deck = tmp_path / "deck"
    write_note(deck / "old.md", "---\nlast_reviewed: '2026-11-01'\nnext_review: '2026-12-31'\nreview_count: 5\n"
               "ease_factor: 2.5\ninterval: 60\nrepetitions: 5\n---\n# Q\n")
    before = (deck / "old.md").read_bytes()
    assert "fsrs_switch" not in json.loads(cli(deck, "schedule", "--dry-run", "--json").stdout)  # SM-2 deck
    (deck / "trainer.toml").write_text('[scheduler]\nalgorithm = "fsrs"\n', encoding="utf-8")
    out = json.loads(cli(deck, "schedule", "--dry-run", "--json").stdout)["fsrs_switch"]
    m = fsrs.FSRS(list(W)).memory_state_from_sm2(2.5, 60.0, 0.9)
    ivl = max(1, round(fsrs.FSRS(list(W)).next_interval(m.stability, 0.9, 3)))
    assert out == [{"path": "old.md", "next_review": "2026-12-31",
                    "fsrs_next_review": (dt.date(2026, 11, 1) + dt.timedelta(days=ivl)).isoformat(), "state_from": "sm2"}]
    human = cli(deck, "schedule", "--dry-run")
    assert b"Switch to FSRS: 1 studied cards" in human.stdout
    assert (deck / "old.md").read_bytes() == before


@hsettings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 4000)), min_size=1, max_size=12),
    retention=st.sampled_from([0.7, 0.85, 0.9, 0.99]),
    crlf=st.booleans(),
)
def test_fsrs_state_written_reads_back_exactly(steps, retention, crlf):
    """Any run of FSRS grades: the note's text carries the state exactly (the next grade's
    'unchanged since read' check depends on it), and no key is ever reported as a problem."""
    from trainer.notes.write import edit_frontmatter

    nl = "\r\n" if crlf else "\n"
    text = nl.join(["---", "# mine", "difficulty: hard", "tags: [a]", "---", "# Q", "body", ""])
    settings = Settings(algorithm="fsrs", desired_retention=retention)
    s = parse_note(text.encode(), "n.md").schedule
    day = dt.date(2020, 1, 1)
    for q, gap in steps:
        day += dt.timedelta(days=gap)
        if s.last_reviewed == day:
            continue
        s = memory.fsrs_review(s, q, day, settings, before=memory.initial_state(s, settings.weights, None))
        text = edit_frontmatter(text, dict(s.values())).text
        back = parse_note(text.encode(), "n.md")
        assert back.problems == ()
        assert (back.schedule.stability, back.schedule.fsrs_difficulty) == (s.stability, s.fsrs_difficulty)
        assert (back.schedule.interval, back.schedule.next_review) == (s.interval, s.next_review)
        assert 1 <= s.interval <= 36500
    assert "# mine" in text and "difficulty: hard" in text and text.endswith(f"body{nl}")
