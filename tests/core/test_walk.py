"""The deck walk started early by the `trainer` command (trainer/walk.py, #17)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from trainer import walk
from trainer.notes.write import TEMP_MARK

NOTE = "---\ndifficulty: easy\nnext_review: 2026-01-01\nreview_count: 1\nlast_reviewed: 2025-12-31\ntags: [a]\n---\n# Q{n}?\n\nA.\n"


def _deck(tmp_path: Path, n: int = 5) -> Path:
    root = tmp_path / "deck"
    for i in range(n):
        p = root / f"t{i % 2}" / f"n{i}.md"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(NOTE.format(n=i), encoding="utf-8")
    return root


def test_temp_mark_is_the_writers():
    assert walk._TEMP_MARK == TEMP_MARK  # noqa: SLF001


def test_start_early_only_for_due_json_and_stats_with_columns(tmp_path, monkeypatch):
    root = _deck(tmp_path)
    env = {**os.environ, "TRAINER_TODAY": "2026-01-02"}
    subprocess.run([sys.executable, "-m", "trainer", "stats", "--json", "--deck", str(root)], check=True,
                   capture_output=True, env=env)
    assert walk.peek_digest(str(root)) is not None  # the columns were written
    monkeypatch.setattr(walk, "_early", None)
    for argv in (["due", "--json", "--tag", "a", "--deck", str(root)], ["due", "--difficulty=easy", "--deck", str(root)],
                 ["stats", "--no-cache", "--deck", str(root)], ["review", "--deck", str(root)],
                 ["stats", "-h", "--deck", str(root)], ["--version"], ["--deck", str(root), "-h"]):
        walk.start_early(argv)
        assert walk._early is None, argv  # noqa: SLF001
    for argv in (["--deck", str(root), "--today", "2026-01-02", "due", "--json"], ["--today", "2026-01-02", f"--deck={root}", "stats"],
                 ["--deck", str(root), "--new-limit", "5"], ["--deck", str(root), "study"]):  # (no command: the study app)
        walk.start_early(argv)  # the global options first, as the benchmarks and scripts write them
        assert walk._early is not None and walk._early.root == os.path.realpath(root), argv  # noqa: SLF001
        walk.take_early("/nowhere", None)
    walk.start_early(["stats", f"--deck={root}"])
    early = walk._early  # noqa: SLF001
    assert early is not None and early.root == os.path.realpath(root)
    # another deck (or another digest) is not taken: the child is reaped, the caller walks itself
    assert walk.take_early(str(tmp_path), early.expect) is None
    assert walk._early is None  # noqa: SLF001


def test_early_walk_says_unchanged_or_sends_the_stamps(tmp_path):
    root = _deck(tmp_path)
    found, problems, removed = walk.walk_tree(str(root))
    digest = walk.stamp_digest(found)
    same = walk.BackgroundWalk(str(root), digest)
    assert same.result() == (None, problems, removed)
    (root / "t0" / "n0.md").write_text(NOTE.format(n=99), encoding="utf-8")  # an edit
    changed = walk.BackgroundWalk(str(root), digest)
    got = changed.result()
    assert got is not None and got[0] is not None and walk.stamp_digest(got[0]) != digest


def test_stamp_digest_is_made_of_values_only():
    a = [(f"t/n{i}.md", 10, 20, 30, 2**64 - 1 - i) for i in range(3)]
    b = [tuple(x for x in s) for s in a]
    import sys as _sys

    _sys.intern(b[0][0])
    assert walk.stamp_digest(a) == walk.stamp_digest(b)
    assert walk.stamp_digest(a) != walk.stamp_digest(a[:2])
    assert walk.stamp_digest(a) != walk.stamp_digest([a[0], a[1], (a[2][0], 10, 20, 31, a[2][4])])
    assert walk.stamp_digest([("x.md", 2**70, 0, 0, 0)])  # beyond 64 bits: still a digest, no error
