"""A second look at write-back safety (issue #11): planted state, odd paths and FSRS keys
against every write path, on real files and real processes."""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from xxhash import xxh3_64_intdigest
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# one wrong value per record, each in a record the load-time spot check does not sample
_BAD_VALUES = {
    9: "2026-01-01",  # next_review as text
    2: ("tag", 1),  # a tag that is no string
    5: (("only a path",),),  # a problem of the wrong shape
    11: "x",  # mastery_level as text
    4: None,  # present keys
    8: "2026-01-01",  # last_reviewed as text
    15: "1.0",  # stability as text
}


def _plant(deck, values):
    """Rewrite the scan cache with a right checksum and one wrong value in each of several
    records that the load-time sample (every n//128-th record) skips."""
    cache = deck / ".trainer" / "scan-cache.pickle"
    header, _, payload = cache.read_bytes().partition(b"\n")
    magic, version, stamps, records = pickle.loads(payload)
    step = max(1, len(records) // 128)
    assert step >= 2
    unsampled = [i for i in range(len(records) - 1) if i % step][: len(values)]
    for i, (field, value) in zip(unsampled, values.items()):
        records[i] = tuple(value if j == field else v for j, v in enumerate(records[i]))
    payload = pickle.dumps((magic, version, stamps, records))
    cache.write_bytes(header[:-16] + b"%016x" % xxh3_64_intdigest(payload) + b"\n" + payload)
    return [stamps[i][0] for i in unsampled]


@pytest.fixture
def big_deck(tmp_path, seed, write_note):
    d = tmp_path / "deck"
    for i in range(300):
        write_note(d / f"n{i:03d}.md", seed(f"Q{i}", next_review=f"2026-11-{1 + i % 28:02d}"))
    return d


def test_wrong_typed_cache_records_outside_the_sample_are_read_again(big_deck, cli, tmp_path):
    clean = tmp_path / "clean"
    shutil.copytree(big_deck, clean)
    assert cli(big_deck, "due").returncode == 0
    planted = _plant(big_deck, _BAD_VALUES)
    for args in (("due", "--json"), ("stats", "--json"), ("check",), ("schedule", "--dry-run", "--json")):
        r, want = cli(big_deck, *args), cli(clean, "--no-cache", *args)
        assert (r.returncode, r.stdout) == (want.returncode, want.stdout), args
    assert cli(big_deck, "schedule").returncode == cli(clean, "--no-cache", "schedule").returncode == 0
    for rel in planted:  # the notes behind the bad records were written as from a fresh parse
        assert (big_deck / rel).read_bytes() == (clean / rel).read_bytes(), rel
    r, want = cli(big_deck, "due", "--json"), cli(clean, "--no-cache", "due", "--json")
    assert json.loads(r.stdout) == json.loads(want.stdout)


def _waiting_for_lock(path) -> bool:
    """Whether some process waits for a lock on ``path``'s inode (/proc/locks lists waiters as '->')."""
    ino = os.stat(path).st_ino
    with open("/proc/locks") as fh:
        return any("->" in line and line.split()[-3].endswith(f":{ino}") for line in fh)


@pytest.mark.skipif(not os.path.exists("/proc/locks"), reason="needs /proc/locks to see the import wait")
def test_an_import_update_never_mixes_its_schedule_with_a_grade_made_meanwhile(tmp_path, write_note):
    """The import reads the note (new card), then a grade lands before its locked write: the
    source's schedule must not be written over part of the grade (ease_factor, which that grade
    left equal, must stay the deck's)."""
    deck = tmp_path / "deck"
    note = write_note(deck / "n.md", "---\nnext_review: '2026-11-20'\nreview_count: 0\nlast_reviewed: null\n"
                                     "ease_factor: 2.5\n---\n# Same question\n\nlocal body\n")
    write_note(tmp_path / "src" / "n.md", "---\nnext_review: '2026-12-01'\nreview_count: 4\nlast_reviewed: "
                                          "'2026-11-01'\nease_factor: 2.3\ninterval: 30\nrepetitions: 4\n---\n"
                                          "# Same question\n\nsource body\n")
    graded = note.read_text().replace("next_review: '2026-11-20'\nreview_count: 0\nlast_reviewed: null\n",
                                      "next_review: '2026-11-26'\nreview_count: 1\nlast_reviewed: '2026-11-25'\n")
    env = {k: v for k, v in os.environ.items() if k not in ("TRAINER_DECK", "TRAINER_TODAY")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    fd = os.open(note, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a grader holds the note: the import reads it, then waits here
    try:
        proc = subprocess.Popen([sys.executable, "-m", "trainer", "--deck", str(deck), "--today", "2026-11-25",
                                 "import", str(tmp_path / "src"), "--on-conflict", "update"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 30
        while not _waiting_for_lock(note):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.01)
        tmp = deck / ".n.md.grade"
        tmp.write_text(graded)
        os.replace(tmp, note)  # the grade lands (a new inode, as every grade writes)
    finally:
        os.close(fd)
    out, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err
    assert note.read_text() == graded, (out + err).decode()


@pytest.mark.skipif(not os.path.exists("/proc/locks"), reason="needs /proc/locks to see the grade wait")
def test_a_note_swapped_for_a_symlink_out_while_a_grade_waits_is_not_written_through(tmp_path, seed, write_note):
    """A grade checks that it writes a note of the deck; the note is replaced by a symlink to a
    note outside the deck while the grade waits for the lock: nothing outside may be written."""
    deck = tmp_path / "deck"
    note = write_note(deck / "n.md", seed("Q"))
    outside = write_note(tmp_path / "elsewhere" / "o.md", seed("Outside"))
    before = outside.read_bytes()
    env = {k: v for k, v in os.environ.items() if k not in ("TRAINER_DECK", "TRAINER_TODAY")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    fd = os.open(note, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another grader holds the note
    try:
        proc = subprocess.Popen([sys.executable, "-m", "trainer", "--deck", str(deck), "--today", "2026-11-25",
                                 "review", "n.md", "--grade", "4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 30
        while not _waiting_for_lock(note):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.01)
        link = deck / ".n.md.swap"
        os.symlink(outside, link)
        os.replace(link, note)
    finally:
        os.close(fd)
    out, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err, err
    assert outside.read_bytes() == before, (out + err).decode()
    assert proc.returncode == 1 and b"not a note of this deck" in err, (out + err).decode()


def test_an_sm2_grade_that_takes_fsrs_keys_out_is_undone_exactly_or_says_so(tmp_path, cli, write_note):
    """An SM-2 grade removes the FSRS state lines; where they sat mid-block (with a comment),
    an undo that appends them again cannot give the exact bytes back: the grade says so."""
    import datetime as dt

    from trainer import grading
    from trainer.deck import Deck

    deck = tmp_path / "deck"
    src = ("---\nnext_review: '2026-11-01'\nstability: 3.0  # from Anki\nfsrs_difficulty: 5.0\nreview_count: 2\n"
           "last_reviewed: '2026-10-20'\ntags: [x]\n---\nbody\n")
    note = write_note(deck / "n.md", src)
    r = cli(deck, "review", "n.md", "--grade", "4")
    assert r.returncode == 0 and b"stability" not in note.read_bytes()
    d = Deck(deck)
    log, _ = grading.open_log(d, dt.date(2026, 11, 25))
    try:
        grading.undo_last(d, log, dt.date(2026, 11, 25))
    finally:
        log.close()
    restored = note.read_text()
    assert "stability: 3.0" in restored and "fsrs_difficulty: 5.0" in restored
    assert restored == src or b"cannot give back the exact bytes" in r.stderr, (restored, r.stderr)
