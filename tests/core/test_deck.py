"""Deck scan (SPEC §1, §2): hidden folders, symlinks, the cache, leftover temp files."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from trainer.deck import Deck, DeckError

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def root(tmp_path, seed, write_note):
    r = tmp_path / "deck"
    write_note(r / "a.md", seed("A"))
    write_note(r / "topic" / "b.md", seed("B"))
    write_note(r / "topic" / "deep" / "c.MD", seed("C"))
    write_note(r / "readme.txt", "not a note")
    for hidden in (".obsidian", ".git", ".trainer", "topic/.hidden"):
        write_note(r / hidden / "x.md", seed("hidden"))
    return r


def rels(scan):
    return sorted(n.rel for n in scan.notes)


def test_hidden_folders_skipped(root):
    scan = Deck(root).scan(TODAY)
    assert rels(scan) == ["a.md", "topic/b.md", "topic/deep/c.MD"]
    assert not scan.problems


def test_symlink_out_of_deck_skipped_and_reported(root, tmp_path, seed, write_note):
    outside = write_note(tmp_path / "outside" / "secret.md", seed("secret"))
    os.symlink(outside, root / "link.md")
    os.symlink(tmp_path / "outside", root / "linkdir")
    os.symlink(root / "a.md", root / "inside-link.md")
    scan = Deck(root).scan(TODAY)
    assert "link.md" not in rels(scan)
    assert not any(r.startswith("linkdir") for r in rels(scan))  # a symlinked folder is not followed
    assert "inside-link.md" not in rels(scan)  # an alias of a.md: one card, not two (issue #11)
    assert "a.md" in rels(scan)
    assert [(p.path, p.key) for p in scan.problems] == [("link.md", "file")]
    assert "outside" in scan.problems[0].message


def test_cache_second_scan_parses_nothing_touch_reparses_one(root):
    deck = Deck(root)
    assert deck.scan(TODAY).parsed == 3
    assert deck.scan(TODAY).parsed == 0
    p = root / "topic" / "b.md"
    p.write_bytes(p.read_bytes().replace(b"difficulty: medium", b"difficulty: hard"))
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    scan = deck.scan(TODAY)
    assert scan.parsed == 1
    assert scan.by_rel()["topic/b.md"].difficulty == "hard"
    assert deck.scan(TODAY).parsed == 0


def test_cache_follows_added_and_removed_notes(root, seed, write_note):
    deck = Deck(root)
    deck.scan(TODAY)
    write_note(root / "new.md", seed("new"))
    (root / "a.md").unlink()
    scan = deck.scan(TODAY)
    assert scan.parsed == 1 and rels(scan) == ["new.md", "topic/b.md", "topic/deep/c.MD"]


@pytest.mark.parametrize("garbage", [b"", b"not a pickle", b"\x80\x05garbage", b"\x80\x04K\x01."])
def test_corrupted_cache_ignored(root, garbage):
    deck = Deck(root)
    deck.scan(TODAY)
    cache = root / ".trainer" / "scan-cache.pickle"
    assert cache.exists()
    cache.write_bytes(garbage)
    scan = deck.scan(TODAY)
    assert scan.parsed == 3 and rels(scan) == ["a.md", "topic/b.md", "topic/deep/c.MD"]
    assert deck.scan(TODAY).parsed == 0  # and rewritten


def test_cached_new_card_is_due_on_the_day_asked(tmp_path, write_note):
    r = tmp_path / "d"
    write_note(r / "n.md", "---\nreview_count: 0\n---\n# Q\n")
    deck = Deck(r)
    assert deck.scan(TODAY).notes[0].schedule.next_review == TODAY
    later = TODAY + dt.timedelta(days=3)
    scan = deck.scan(later)
    assert scan.parsed == 0 and scan.notes[0].schedule.next_review == later


def test_leftover_temp_removed_live_one_kept(root):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    leftover = root / "topic" / f".b.md.trainer-tmp-{dead_pid}-abcd1234"
    live = root / f".a.md.trainer-tmp-{os.getpid()}-abcd1234"
    other_hidden = root / ".keep-me"
    for p in (leftover, live, other_hidden):
        p.write_bytes(b"partial")
    scan = Deck(root).scan(TODAY)
    assert scan.removed_temp == 1
    assert not leftover.exists()
    assert live.exists() and other_hidden.exists()
    assert rels(scan) == ["a.md", "topic/b.md", "topic/deep/c.MD"]


def test_state_dir_gitignore_created(root):
    Deck(root).scan(TODAY)
    assert (root / ".trainer" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_missing_or_file_deck(tmp_path):
    with pytest.raises(DeckError):
        Deck(tmp_path / "missing")
    (tmp_path / "f").write_text("x")
    with pytest.raises(DeckError):
        Deck(tmp_path / "f")


def test_rel_of(root, tmp_path):
    deck = Deck(root)
    assert deck.rel_of(root / "topic" / "b.md") == "topic/b.md"
    assert deck.rel_of("topic/b.md") == "topic/b.md"
    with pytest.raises(DeckError):
        deck.rel_of("nope.md")
    (tmp_path / "outside.md").write_text("x")
    with pytest.raises(DeckError):
        deck.rel_of(tmp_path / "outside.md")


def test_unreadable_folder_reported(root):
    if os.geteuid() == 0:
        pytest.skip("root reads any folder")
    d = root / "locked"
    d.mkdir()
    d.chmod(0)
    try:
        scan = Deck(root).scan(TODAY)
        assert any(p.path == "locked" for p in scan.problems)
    finally:
        d.chmod(0o755)


def test_walk_in_background_matches_walk(root, tmp_path):
    deck = Deck(root)
    expected = deck.walk()
    walk = deck.walk_in_background()
    assert walk.result() == expected
    scan = deck.scan(TODAY, walked=deck.walk_in_background())
    assert rels(scan) == ["a.md", "topic/b.md", "topic/deep/c.MD"]


def test_walk_in_background_with_threads_running_walks_in_process(root):
    """Forking a process with threads is unsafe: the walk then runs when its result is asked for."""
    import threading

    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        walk = Deck(root).walk_in_background()
        assert walk.pid == 0  # no child was forked
        assert walk.result() == Deck(root).walk()
    finally:
        stop.set()
        t.join()


def test_walk_in_background_child_killed_falls_back(tmp_path, seed, write_note):
    import signal

    r = tmp_path / "d"
    for i in range(50):
        write_note(r / f"t{i % 5}" / f"n{i}.md", seed(f"Q{i}"))
    deck = Deck(r)
    expected = deck.walk()
    walk = deck.walk_in_background()
    assert walk.pid > 0  # (pid 0 would be this process's whole group)
    os.kill(walk.pid, signal.SIGKILL)  # an OOM kill, say: the parent walks itself
    assert walk.result() == expected
