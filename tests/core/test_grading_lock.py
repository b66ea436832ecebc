"""The grading lock (``.trainer/grading.lock``): held shared through each grade, so another
process's repair never settles a row that is still being written; the open log keeps the file
open from one grade to the next (#17) and must still lock the file another process would lock."""

from __future__ import annotations

import datetime as dt
import fcntl
import os

import pytest

from trainer import grading
from trainer.deck import Deck
from trainer.reviewlog import ReviewLog

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def deck(tmp_path, seed, write_note):
    root = tmp_path / "deck"
    for i in range(4):
        write_note(root / f"n{i}.md", seed(f"问题 {i}"))
    return Deck(root)


def _can_take_exclusive(root) -> bool:
    """What repair in another process asks: the lock, exclusively, without waiting."""
    fd = os.open(root / ".trainer" / "grading.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # (a lock taken here goes with it)


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_the_log_keeps_the_lock_file_open_and_closes_it(deck):
    before = _open_fds()
    log = ReviewLog.open(deck.root)
    grading.grade(deck, log, deck.load("n0.md", TODAY), 4, TODAY)
    kept = log.held_fd
    assert kept is not None
    grading.grade(deck, log, deck.load("n1.md", TODAY), 4, TODAY)
    assert log.held_fd == kept  # the same descriptor: not opened again
    log.close()
    assert log.held_fd is None
    assert _open_fds() <= before


def test_the_lock_is_held_during_a_grade_and_free_between(deck):
    log = ReviewLog.open(deck.root)
    try:
        grading.grade(deck, log, deck.load("n0.md", TODAY), 4, TODAY)
        assert _can_take_exclusive(deck.root)  # between grades: repair elsewhere may settle leftovers
        seen = []
        with grading._in_progress(deck, log):  # what a grade holds from its pending row to done
            seen.append(_can_take_exclusive(deck.root))
        assert seen == [False]
        assert _can_take_exclusive(deck.root)
    finally:
        log.close()


def test_a_replaced_lock_file_is_opened_again(deck):
    """Someone deletes ``.trainer/grading.lock`` between two grades (a clean-up, a sync tool): the
    next grade locks the new file, the one another process's repair opens."""
    log = ReviewLog.open(deck.root)
    try:
        grading.grade(deck, log, deck.load("n0.md", TODAY), 4, TODAY)
        old = log.held_fd
        lock = deck.root / ".trainer" / "grading.lock"
        lock.unlink()
        lock.touch()
        with grading._in_progress(deck, log):
            assert not _can_take_exclusive(deck.root)
        assert log.held_fd is not None and log.held_fd[1] != old[1]
        grading.grade(deck, log, deck.load("n1.md", TODAY), 4, TODAY)
        assert deck.load("n1.md", TODAY).schedule.review_count == 1
    finally:
        log.close()


def test_a_second_grade_at_once_in_one_process_locks_on_its_own(deck):
    """Two grades at once in one process (as two threads would be; here one inside the other): the
    second takes the lock through a descriptor of its own, so one's unlock never frees the other's hold."""
    log = ReviewLog.open(deck.root)
    try:
        with grading._in_progress(deck, log):
            with grading._in_progress(deck, log):  # the kept descriptor is taken: a fresh one
                pass
            assert not _can_take_exclusive(deck.root)
        assert _can_take_exclusive(deck.root)
    finally:
        log.close()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_a_log_dropped_without_close_closes_its_lock_file(deck):
    import gc

    before = _open_fds()
    log = ReviewLog.open(deck.root)
    grading.grade(deck, log, deck.load("n0.md", TODAY), 4, TODAY)
    assert log.held_fd is not None
    del log
    gc.collect()
    assert _open_fds() <= before


def test_a_closed_log_keeps_no_lock_file(deck):
    log = ReviewLog.open(deck.root)
    grading.grade(deck, log, deck.load("n0.md", TODAY), 4, TODAY)
    log.close()
    assert log.held_fd is None
    assert grading._kept_lock(deck.root, log) is None  # nothing opened again for a closed log
    assert log.held_fd is None
