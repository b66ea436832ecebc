"""SIGKILL at random instants while grading and undoing (SPEC §2 atomicity, §4 repair).

After each kill: every note still parses, its body and every non-scheduling line are as they
were, no temp file survives the next scan, and once ``grading.repair`` has settled the log, the
last review left standing for each note agrees with the note on disk.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trainer import grading
from trainer.deck import Deck
from trainer.notes.parse import parse_note
from trainer.notes.write import TEMP_MARK
from trainer.reviewlog import ReviewLog, schedule_to_json

REPO = Path(__file__).resolve().parents[2]
BASE = dt.date(2026, 11, 25)
SCHED = ("last_reviewed", "next_review", "review_count", "mastery_level", "ease_factor", "interval", "repetitions")

CHILD = r"""
import datetime as dt, random, sys
from trainer import grading
from trainer.deck import Deck
from trainer.reviewlog import ReviewLog
root, seed, start = sys.argv[1], int(sys.argv[2]), dt.date.fromisoformat(sys.argv[3])
rng = random.Random(seed)
deck = Deck(root)
log = ReviewLog.open(deck.root)
grading.repair(deck, log, start)
rels = sorted(n.rel for n in deck.scan(start).notes)
print("ready", flush=True)
for i in range(100000):
    day = start + dt.timedelta(days=i // 3)
    if rng.random() < 0.25:
        grading.undo_last(deck, log, day)
    else:
        rel = rng.choice(rels)
        grading.grade(deck, log, deck.load(rel, day), rng.randrange(6), day)
"""


def make_deck(root: Path, seed, n: int = 30) -> dict[str, bytes]:
    root.mkdir(parents=True)
    originals = {}
    for i in range(n):
        text = seed(f"问题 {i}", tags=("Transformer", f"T/{i}"))
        if i % 5 == 1:
            text = text.replace("\n", "\r\n")
        if i % 5 == 2:
            text = "\ufeff" + text.replace("mastery_level: 0.0\n", "mastery_level: 0.0  # 注释\n")
        if i % 5 == 3:
            text = text.replace("review_count: 0\n", "")  # a key that grading must add
        if i % 5 == 4:
            text = text + "\n```\n# code\n---\n```\n"
        raw = text.encode()
        (root / f"n{i:02d}.md").write_bytes(raw)
        originals[f"n{i:02d}.md"] = raw
    return originals


def non_sched_lines(raw: bytes) -> list[bytes]:
    return [ln for ln in raw.splitlines(keepends=True) if ln.lstrip(b"\xef\xbb\xbf").split(b":", 1)[0].decode() not in SCHED]


def check_deck(root: Path, originals: dict[str, bytes], day: dt.date) -> None:
    deck = Deck(root)
    scan = deck.scan(day, use_cache=False)
    leftovers = [p.name for p in root.iterdir() if TEMP_MARK in p.name]
    assert leftovers == [], leftovers
    assert sorted(n.rel for n in scan.notes) == sorted(originals)
    assert scan.problems == [], scan.problems
    for rel, raw in originals.items():
        now = (root / rel).read_bytes()
        assert not parse_note(now, rel).fatal
        assert non_sched_lines(now) == non_sched_lines(raw), rel  # body and other keys byte for byte
        assert now.startswith(b"\xef\xbb\xbf") == raw.startswith(b"\xef\xbb\xbf")
        assert (b"\r\n" in now) == (b"\r\n" in raw)
    log = ReviewLog.open(deck.root)
    try:
        grading.repair(deck, log, day)
        assert log.pending() == []
        last: dict[str, dict] = {}
        for row in log.rows(kinds=("review",)):
            if not row.undone:
                last[row.note] = row.after
        for rel, raw in originals.items():
            note = deck.load(rel, day)
            got = schedule_to_json(note.schedule)
            if rel in last:
                want = {k: last[rel].get(k) for k in got}
            else:
                want = schedule_to_json(parse_note_resolved(raw, rel, day))
            assert got == want, (rel, got, want)
    finally:
        log.close()


def parse_note_resolved(raw: bytes, rel: str, day: dt.date):
    from trainer.notes.parse import resolve_today

    return resolve_today(parse_note(raw, rel).schedule, day)


def campaign(tmp_path: Path, seed, kills: int, rng_seed: int) -> None:
    root = tmp_path / "deck"
    originals = make_deck(root, seed)
    rng = random.Random(rng_seed)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for k in range(kills):
        start = BASE + dt.timedelta(days=400 * k)
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(root), str(rng_seed * 100000 + k), start.isoformat()],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        try:
            assert child.stdout.readline().strip() == b"ready", child.stderr.read().decode()
            time.sleep(rng.uniform(0.0, 0.25))
            child.send_signal(signal.SIGKILL)
            _, err = child.communicate(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        assert child.returncode == -signal.SIGKILL, err.decode()  # it was still working, not crashed
        check_deck(root, originals, start + dt.timedelta(days=399))


def test_kill_campaign_bounded(tmp_path, seed):
    campaign(tmp_path, seed, kills=20, rng_seed=1)


@pytest.mark.slow
def test_kill_campaign_long(tmp_path, seed):
    campaign(tmp_path, seed, kills=500, rng_seed=2)
