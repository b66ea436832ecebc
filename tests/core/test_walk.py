"""The deck walk started early by the `trainer` command (trainer/walk.py, #17)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


def test_the_study_apps_early_walk_is_not_split(tmp_path, monkeypatch):
    """The app keeps a core busy until its first frame: its walk stays in one process; `due` and
    `stats` wait for theirs, which splits when a core is idle (walk_packed's own rule)."""
    root = _deck(tmp_path)
    env = {**os.environ, "TRAINER_TODAY": "2026-01-02"}
    subprocess.run([sys.executable, "-m", "trainer", "stats", "--json", "--deck", str(root)], check=True,
                   capture_output=True, env=env)
    monkeypatch.setattr(walk, "_early", None)
    for argv, split in ((["--deck", str(root)], False), (["--deck", str(root), "study"], False),
                        (["--deck", str(root), "due", "--json"], None), (["stats", f"--deck={root}"], None)):
        walk.start_early(argv)
        early = walk._early  # noqa: SLF001
        assert early is not None and early.split is split, argv
        assert early.result() is not None  # the child walked and answered
        walk.take_early("/nowhere", None)


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


# ------------------------------------------------------------- the walk split over two processes

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_NAME = st.sampled_from(["a", "b", "c", "Zh", "笔记", "x y", "n-1"])
_ENTRY = st.tuples(
    st.lists(_NAME, max_size=3),  # the folders above it
    _NAME,
    st.sampled_from(["note", "NOTE", "folder.md", "other", "hidden", "temp", "link-in", "link-out", "link-dir"]),
)


def _tree(root: Path, entries, outside: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for i, (folders, name, kind) in enumerate(entries):
        where = root.joinpath(*folders)
        where.mkdir(parents=True, exist_ok=True)
        stem = f"{name}{i}"
        if kind == "note":
            (where / f"{stem}.md").write_text(NOTE.format(n=i) * (1 + i % 3), encoding="utf-8")
        elif kind == "NOTE":
            (where / f"{stem}.MD").write_text(NOTE.format(n=i), encoding="utf-8")
        elif kind == "folder.md":  # a folder named like a note: walked, not a note
            (where / f"{stem}.md").mkdir(exist_ok=True)
            (where / f"{stem}.md" / f"in{i}.md").write_text(NOTE.format(n=i), encoding="utf-8")
        elif kind == "other":
            (where / f"{stem}.png").write_bytes(b"\x89PNG")
        elif kind == "hidden":
            (where / f".{stem}").mkdir(exist_ok=True)
            (where / f".{stem}" / "h.md").write_text(NOTE.format(n=i), encoding="utf-8")
        elif kind == "temp":  # a crashed write's leftover, its writer gone: removed by the walk
            (where / f".{stem}.md{TEMP_MARK}999999999-1").write_text("x", encoding="utf-8")
        elif kind == "link-in":
            target = where / f"{stem}-target.md"
            target.write_text(NOTE.format(n=i), encoding="utf-8")
            (where / f"{stem}.md").symlink_to(target)
        elif kind == "link-out":
            (where / f"{stem}.md").symlink_to(outside)
        else:
            (where / f"{stem}.md").symlink_to(where)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(_ENTRY, max_size=25), frontier=st.sampled_from([1, 2, 64]), chunk=st.sampled_from([1, 3, 1024]))
def test_split_walk_finds_what_one_process_finds(tmp_path_factory, monkeypatch, entries, frontier, chunk):
    """Whatever the tree, the walk shared with a forked child gives the stamps, problems and
    order of the walk in one process, and its packed stamps the same digest (the top of the tree
    listed before the fork down to ``frontier`` folders left, a folder's notes in chunks)."""
    base = tmp_path_factory.mktemp("split")
    outside = base / "outside.md"
    outside.write_text(NOTE.format(n=0), encoding="utf-8")
    one, two = base / "one", base / "two"
    _tree(one, entries, outside)
    _tree(two, entries, outside)  # (the temp files are removed by the first walk of each)
    monkeypatch.setattr(walk, "SPLIT_FROM", 1)
    monkeypatch.setattr(walk, "FRONTIER", frontier)
    monkeypatch.setattr(walk, "CHUNK", chunk)
    three = base / "three"
    _tree(three, entries, outside)
    reference = _walk_in_order(str(three))
    alone = walk.walk_columns(str(one), split=False)
    shared = walk.walk_columns(str(two), split=True)
    relabel = lambda got: (got[0][0], got[0][1], got[1], got[2])  # noqa: E731 - (inodes and times differ)
    assert relabel(alone) == relabel(reference)
    assert relabel(shared) == relabel(alone)
    again = walk.walk_columns(str(two), split=False)
    assert shared[0] == again[0] and shared[1] == again[1]
    for split in (True, False):
        stamps, problems, _ = walk.walk_packed(str(two), split=split)
        assert problems == again[1]
        _same_stamps(stamps, again[0])


def _walk_in_order(root: str) -> tuple:
    """The walk as one loop: every folder listed depth first, then every note stat'ed, then the
    folders named like notes the same way (the order the walk's items must give back)."""
    import time

    columns, problems, removed, stack = ([], [], [], [], []), [], 0, [(root, "")]
    while stack:
        folders, total, removed_here = walk._list_folders(stack, problems, True, time.time())
        removed += removed_here
        more, found, stack = walk._stat_notes(root + os.sep, folders, 0, total)
        problems.extend(found)
        for mine, theirs in zip(columns, more):
            mine.extend(theirs)
    return columns, problems, removed


def _same_stamps(stamps, columns) -> None:
    if type(stamps[0]) is bytes:
        assert walk.stamp_digest([], stamps[:2], stamps[2]) == walk.stamp_digest(list(zip(*columns)))
    else:
        assert stamps == columns


def test_split_walk_without_a_child_stats_both_halves_here(tmp_path, monkeypatch):
    """No fork (or no memory file): the same result, every note stat'ed in this process."""
    root = _deck(tmp_path, 40)
    monkeypatch.setattr(walk, "SPLIT_FROM", 2)
    expected = walk.walk_columns(str(root), split=False)

    def no_fork():
        raise OSError("no fork here")

    real_fork = os.fork
    monkeypatch.setattr(os, "fork", no_fork)
    assert walk.walk_columns(str(root), split=True) == expected
    monkeypatch.setattr(os, "fork", real_fork)
    if hasattr(os, "memfd_create"):
        def no_memfd(*a):
            raise OSError("no memfd")

        monkeypatch.setattr(os, "memfd_create", no_memfd)
        assert walk.walk_columns(str(root), split=True) == expected
        monkeypatch.delattr(os, "memfd_create")  # an unlinked temp file instead
        assert walk.walk_columns(str(root), split=True) == expected


def test_background_walk_split_says_unchanged_or_sends_the_stamps(tmp_path, monkeypatch):
    root = _deck(tmp_path, 30)
    monkeypatch.setattr(walk, "SPLIT_FROM", 2)
    found, problems, removed = walk.walk_tree(str(root), clean_temp=True)
    digest = walk.stamp_digest(found)
    assert walk.BackgroundWalk(str(root), digest).result() == (None, problems, removed)
    (root / "t1" / "n7.md").write_text(NOTE.format(n=777), encoding="utf-8")
    w = walk.BackgroundWalk(str(root), digest)
    got = w.result()
    assert got is not None and got[0] == walk.walk_tree(str(root))[0] and w.parts is not None


# ------------------------------------------------------------- racy stamps (git's "racily clean")

@pytest.mark.racy
def test_mark_racy_takes_the_current_tick_only():
    start = 1_800_000_000_123_456_789
    ctimes = [start - 10**9 + 7,            # a second ago, fine-grained: its tick is over
              start - 5_000_000 + 3,        # 5 ms ago: maybe the file system's tick now (a coarse clock)
              start + 1000,                 # written as the walk started
              1_800_000_000 * 10**9 - 10**9,  # whole seconds, within 2 s: FAT/HFS+/ext3's tick
              start - 3 * 10**9 - 123_456_789,  # whole seconds, 3 s ago: its tick is over
              ]
    got = list(ctimes)
    walk._mark_racy(got, start)  # noqa: SLF001
    assert got == [ctimes[0], -start, -start, -start, ctimes[4]]
    from array import array

    packed = array("q", [0] * 5 + ctimes + [0] * 5)
    walk._mark_racy(memoryview(packed)[5:10], start)  # noqa: SLF001 - the packed walk's ctime column
    assert packed.tolist()[5:10] == got and packed.tolist()[:5] == [0] * 5 == packed.tolist()[10:]
    old = [start - 3 * 10**9] * 3
    walk._mark_racy(old, start)  # noqa: SLF001
    assert old == [start - 3 * 10**9] * 3


def _walk_right_after_a_write(root: Path, note: Path):
    """Write ``note`` and walk at once; None if the walk could not start within the tick."""
    for _ in range(20):
        note.write_text(NOTE.format(n=5), encoding="utf-8")
        written = note.stat().st_ctime_ns
        got = walk.walk_tree(str(root))
        if time.time_ns() - written < walk._RACY_FINE_NS // 2:  # noqa: SLF001
            return got
    return None


@pytest.mark.racy
def test_a_note_written_as_the_walk_starts_is_read_again_next_time(tmp_path):
    """Its ctime is marked racy in the stamps, so the caches built from them take it as changed
    the next time, and the scan after the tick reads it again (and only it)."""
    from trainer.deck import Deck

    root = _deck(tmp_path, 6)
    note = root / "t1" / "n5.md"
    deck = Deck(root)
    time.sleep(walk._RACY_FINE_NS / 1e9 * 2)  # noqa: SLF001 - the deck's writes settled
    deck.scan(dt.date(2026, 1, 2))
    got = _walk_right_after_a_write(root, note)
    if got is None:
        pytest.skip("the machine is too busy to walk within a file system tick of a write")
    stamps = dict((s[0], s) for s in got[0])
    assert stamps["t1/n5.md"][3] < 0  # (minus the walk's start)
    assert all(s[3] > 0 for rel, s in stamps.items() if rel != "t1/n5.md")
    scan = deck.scan(dt.date(2026, 1, 2), prewalked=(got[0], [], 0))
    assert scan.parsed == 1  # (the racy note: its cached stamp no longer matched)
    time.sleep(walk._RACY_FINE_NS / 1e9 * 2)  # noqa: SLF001 - the tick is over
    again = deck.scan(dt.date(2026, 1, 2))
    assert again.parsed == 1  # read again: its saved stamp was the racy one
    assert deck.scan(dt.date(2026, 1, 2)).parsed == 0  # and then settled


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet=st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), min_size=1, max_size=12),
                          st.integers(0, 2**63 - 1), st.integers(-2**63, 2**63 - 1), st.integers(-2**63, 2**63 - 1),
                          st.integers(0, 2**64 - 1)), max_size=30))
def test_packed_stamps_are_the_stamps(stamps):
    """The stamps a forked walk sent, read lazily, are what building them all at once gives: by
    index (from either end), by slice, in full, compared."""
    blob, nums = walk.stamp_parts(stamps)
    packed = walk.PackedStamps(blob, nums)
    assert len(packed) == len(stamps)
    assert [packed[i] for i in range(len(stamps))] == stamps
    assert [packed[-i] for i in range(1, len(stamps) + 1)] == [stamps[-i] for i in range(1, len(stamps) + 1)]
    with pytest.raises(IndexError):
        packed[len(stamps)]
    assert packed[1:3] == stamps[1:3]
    assert packed == stamps and list(packed) == stamps and packed.tolist() == walk._stamps_of(blob, nums)  # noqa: SLF001
    assert walk.stamp_digest(packed, (blob, nums)) == walk.stamp_digest(stamps)


def test_packed_stamps_of_the_wrong_length_are_refused():
    blob, nums = walk.stamp_parts([("a.md", 1, 2, 3, 4), ("b.md", 1, 2, 3, 4)])
    with pytest.raises(ValueError):
        walk.PackedStamps(blob + b"\0c.md", nums)
    assert len(walk.PackedStamps(b"", walk.array("q"))) == 0
