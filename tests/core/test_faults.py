"""Faults: SIGKILL at random instants, a full disk, a read-only deck, two writers at once.

The long campaigns live in benchmarks/ (``kill_campaign.py --kills 500``, ``fuzz_notes.py``);
this runs the same harness briefly on every test run.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import kill_campaign as kc  # noqa: E402

from trainer import scheduler  # noqa: E402
from trainer.deck import Deck  # noqa: E402
from trainer.notes.parse import parse_note  # noqa: E402
from trainer.reviewlog import ReviewLog  # noqa: E402

TODAY = dt.date(2026, 11, 25)


def test_sigkill_campaign_never_tears_a_note(tmp_path):
    c = kc.run_campaign(tmp_path, kills=25, seed=3, max_delay=0.15)
    s = c.summary()
    assert c.violations == [], c.violations[:5]
    assert s["kills"] == 25
    assert s["states_checked"] == 25 * len(c.originals)
    assert s["writes_announced"] > 25  # the children really were writing when killed


def test_temp_file_left_in_state_dir_by_a_crash_is_removed(tmp_path):
    kc.make_deck(tmp_path, 3, 0)
    deck = Deck(tmp_path)
    deck.scan(TODAY)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = tmp_path / ".trainer" / f".scan-cache.pickle{kc.TEMP_MARK}{dead.stdout.strip()}-0badc0de"
    leftover.write_bytes(b"half a cache")
    note_leftover = next(tmp_path.rglob("*.md")).parent / f".x.md{kc.TEMP_MARK}{dead.stdout.strip()}-0badc0de"
    note_leftover.write_bytes(b"half a note")
    scan = deck.scan(TODAY)
    assert scan.removed_temp == 2
    assert kc.temp_files(tmp_path) == []


def test_file_too_large_leaves_the_note_untouched(tmp_path):
    """RLIMIT_FSIZE (SIGXFSZ ignored): the temp file's write fails with EFBIG half way."""
    r = kc.fsize_case(tmp_path)
    assert r["warm_rc"] == 0
    assert r["rc"] == 1, r
    assert "too large" in r["stderr"].lower() and "big.md" in r["stderr"]
    assert "Traceback" not in r["stderr"]
    assert r["note_unchanged"]
    assert r["temp_left"] == []


@pytest.mark.skipif(os.geteuid() != 0, reason="mount(8) needs root")
def test_full_tmpfs_leaves_the_note_untouched(tmp_path):
    cases = kc.tmpfs_case(tmp_path)
    if "skipped" in cases[0]:
        pytest.skip(cases[0]["skipped"])
    for case in cases:
        assert case["rc"] != 0, case
        assert "disk is full" in case["stderr"], case
        assert "Traceback" not in case["stderr"]
        assert case["note_unchanged"] and case["temp_left"] == []
    assert cases[-1]["after_freeing_rc"] == 0 and cases[-1]["after_freeing_written"]


@pytest.mark.skipif(os.geteuid() != 0, reason="bind mounts, chattr and setpriv need root")
def test_read_only_deck(tmp_path):
    for case in kc.read_only_cases(tmp_path):
        if "skipped" in case:
            continue
        assert case["rc"] != 0, case
        assert "Traceback" not in case["stderr"], case
        assert case["note_unchanged"] and case["temp_left"] == [], case
        if "due_still_works_rc" in case:  # reading a read-only deck (WAL log, no -shm possible) works
            assert case["due_still_works_rc"] == 0, case


def test_two_processes_grading_one_deck(tmp_path):
    deck_dir = tmp_path / "deck"
    originals = kc.make_deck(deck_dir, 40, 5)
    rels = sorted(originals)
    grades = {rel: i % 6 for i, rel in enumerate(rels)}
    halves = [rels[0::2], rels[1::2]]
    csvs = []
    for i, half in enumerate(halves):
        f = tmp_path / f"grades{i}.csv"
        f.write_text("path,grade\n" + "".join(f"{rel},{grades[rel]}\n" for rel in half), encoding="utf-8")
        csvs.append(f)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "trainer", "--deck", str(deck_dir), "--today", TODAY.isoformat(),
             "review", "--from", str(f)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=kc.ENV, cwd=str(deck_dir),
        )
        for f in csvs
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    deck = Deck(deck_dir)
    for rel in rels:
        before = parse_note(originals[rel], rel, mtime_ns=1).schedule
        if before.next_review == dt.date.min:
            before = before.__class__(**{**{k: getattr(before, k) for k in before.__slots__}, "next_review": TODAY})
        # a note last reviewed today gets a re-drill: logged, schedule unchanged
        want = scheduler.review(before, grades[rel], TODAY) if scheduler.schedules_today(before, TODAY) else before
        got = deck.load(rel, TODAY).schedule
        assert got.values() == want.values(), rel
        assert kc.body_of((deck_dir / rel).read_bytes()) == kc.body_of(originals[rel])
    conn = sqlite3.connect(deck_dir / ".trainer" / "trainer.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == len(rels)
        assert conn.execute("SELECT COUNT(*) FROM reviews WHERE state != 'done'").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(DISTINCT note) FROM reviews").fetchone()[0] == len(rels)
    finally:
        conn.close()
    log = ReviewLog.open(deck.root)
    try:
        assert log.pending() == []
    finally:
        log.close()


def test_fuzz_smoke():
    """A short run of benchmarks/fuzz_notes.py: parse never raises, trainer's fast YAML path reads
    exactly what a plain CSafeLoader reads, update_note touches nothing but its note."""
    import fuzz_notes as fz

    fz.failures.clear()
    fz.counts.clear()
    assert fz.main(["--examples", "60", "--skip-adversarial"]) == 0, fz.failures[:3]
    assert fz.counts["yaml:compared"] > 0 and fz.counts["update:written"] > 0
