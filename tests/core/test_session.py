"""StudySession over a real deck: queue, same-day re-drills, undo, new-card limit per day."""

from __future__ import annotations

import datetime as dt

import pytest

from trainer import grading
from trainer.deck import Deck
from trainer.notes.parse import parse_note
from trainer.opendeck import OpenDeck
from trainer.session import REDRILL_GAP, Outcome, StudySession

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def deck(tmp_path, seed, write_note):
    root = tmp_path / "deck"
    # five reviews, overdue by 5..1 days, and six new cards
    for i in range(5):
        text = seed(f"复习 {i}", next_review=(TODAY - dt.timedelta(days=5 - i)).isoformat())
        text = text.replace("last_reviewed: null", "last_reviewed: '2026-10-01'").replace("review_count: 0", "review_count: 2")
        write_note(root / f"r{i}.md", text)
    for i in range(6):
        write_note(root / f"new{i}.md", seed(f"新 {i}", next_review=TODAY.isoformat()))
    write_note(root / "future.md", seed("未来", next_review="2027-01-01"))
    return Deck(root)


def start(deck, log, new_limit=20, **kw):
    book = OpenDeck(deck, TODAY, new_per_day=new_limit, log=log)
    return StudySession.start(book, deck.scan(TODAY).notes, **kw)


def test_queue_order_and_new_limit(deck, log):
    s = start(deck, log, new_limit=3)
    assert [n.rel for n in s.queue] == ["r0.md", "r1.md", "r2.md", "r3.md", "r4.md", "new0.md", "new1.md", "new2.md"]


def test_low_grade_comes_back_as_redrill_without_rescheduling(deck, log):
    s = start(deck, log, new_limit=0)
    first = s.current
    g = s.grade(2)
    assert g.kind == "review"
    on_disk = (deck.root / first.rel).read_bytes()
    assert [n.rel for n in s.queue].index(first.rel) == REDRILL_GAP
    for _ in range(REDRILL_GAP):
        s.grade(5)
    assert s.current.rel == first.rel
    g2 = s.grade(5)
    assert g2.kind == "redrill"
    assert (deck.root / first.rel).read_bytes() == on_disk
    assert first.rel not in [n.rel for n in s.queue]
    st = s.stats()
    assert (st.graded, st.redrills, st.correct) == (4, 1, 3)


def test_redrill_until_4_or_5(deck, log):
    s = start(deck, log, new_limit=0)
    rel = s.current.rel
    s.grade(1)
    seen = 1
    while s.queue:
        n = s.current
        if n.rel == rel:
            seen += 1
            s.grade(3 if seen < 3 else 4)  # 3 is still below 4: it comes back again
        else:
            s.grade(5)
    assert seen == 3
    rows = [(r.note, r.kind) for r in log.rows() if r.note == rel]
    assert rows == [(rel, "review"), (rel, "redrill"), (rel, "redrill")]


def test_undo_puts_card_back_in_front_and_restores_file(deck, log):
    s = start(deck, log, new_limit=0)
    rel = s.current.rel
    original = (deck.root / rel).read_bytes()
    s.grade(4)
    assert s.current.rel != rel
    u = s.undo()
    assert u.row.note == rel
    assert s.current.rel == rel
    assert (deck.root / rel).read_bytes() == original
    assert s.done == 0


def test_new_seen_today_is_honoured_across_sessions(deck, log):
    s = start(deck, log, new_limit=4)
    while s.current and not s.current.rel.startswith("new"):
        s.grade(5)
    s.grade(5)
    s.grade(5)  # two new cards introduced today
    assert log.new_cards_on(TODAY) == 2
    s2 = start(deck, log, new_limit=4)
    new = [n.rel for n in s2.queue if n.is_new]
    assert len(new) == 2


def test_deleted_note_mid_session(deck, log):
    s = start(deck, log)
    rel = s.current.rel
    (deck.root / rel).unlink()
    with pytest.raises(grading.NoteGone):
        s.grade(4)
    assert s.current.rel == rel  # still there to be dropped by the caller
    assert s.drop_current().rel == rel
    assert list(log.rows()) == []


def test_edited_note_mid_session_body_survives(deck, log):
    s = start(deck, log)
    rel = s.current.rel
    p = deck.root / rel
    p.write_bytes(p.read_bytes() + "\n补充：编辑器里加的。\n".encode())
    s.grade(4)
    assert p.read_text().endswith("补充：编辑器里加的。\n")
    assert parse_note(p.read_bytes(), rel).schedule.review_count == 3


def test_mastery_changes(deck, log):
    s = start(deck, log, new_limit=0)
    rel = s.current.rel
    s.grade(5)
    [(note, before, after)] = s.mastery_changes()
    assert note.rel == rel and before == 0.0 and after == 0.3


def test_the_session_settles_a_card_that_changed_on_disk(deck, log):
    """One session method says what became of the current card: reloaded, rescheduled elsewhere,
    vanished or broken; a card that leaves the session leaves the open deck's figures too."""
    book = OpenDeck(deck, TODAY, new_per_day=0, log=log)
    book.load()
    s = book.start_session(book.notes)
    first = s.current
    assert s.sync_current().outcome is Outcome.UNCHANGED
    p = deck.root / first.rel
    p.write_bytes(p.read_bytes() + "\n补充。\n".encode())
    assert s.disk_changed()
    assert s.sync_current().outcome is Outcome.RELOADED and s.current.rel == first.rel
    p.write_text(p.read_text().replace(f"next_review: '{first.schedule.next_review}'", "next_review: '2027-03-01'"))
    event = s.sync_current()
    assert event.outcome is Outcome.RESCHEDULED and event.dropped and s.current.rel != first.rel
    assert book.figures().due == 4  # the rescheduled card is no longer due
    gone = s.current
    (deck.root / gone.rel).unlink()
    event = s.grade_current(4)
    assert event.outcome is Outcome.VANISHED and gone.rel not in {n.rel for n in book.notes}
    broken = s.current
    (deck.root / broken.rel).write_text("---\n- not a mapping\n---\n")
    event = s.sync_current()
    assert event.outcome is Outcome.BROKEN and s.current.rel != broken.rel
    assert book.figures().broken == 1
    event = s.grade_current(5)
    assert event.outcome is Outcome.GRADED and event.graded is not None
    assert list(log.rows())[-1].kind == "review"


def test_the_session_grades_with_the_open_decks_settings(deck, log):
    """trainer.toml is read once, into the open deck; the session's grades use what it holds
    (FSRS here, with no file on disk), and a broken file is held as an error, not raised."""
    from trainer.config import Settings

    book = OpenDeck(deck, TODAY, new_per_day=0, log=log, settings=Settings(algorithm="fsrs"))
    s = StudySession.start(book, deck.scan(TODAY).notes)
    rel = s.current.rel
    s.grade(4)
    assert parse_note((deck.root / rel).read_bytes(), rel).schedule.stability is not None  # FSRS wrote its state
    assert OpenDeck(deck, TODAY, log=log).settings == Settings()  # no trainer.toml: the defaults
    (deck.root / "trainer.toml").write_text("[scheduler]\nalgorithm = 3\n", encoding="utf-8")
    broken = OpenDeck(deck, TODAY, log=log)
    assert broken.settings is None and "algorithm" in (broken.settings_error or "")
